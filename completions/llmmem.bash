# bash completion for llmmem. Every list comes from the binary itself (its help, `precisions`,
# `gpus` and `models` tables), so the completions cannot fall behind the tool.
_llmmem() {
  local cur prev cmd
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  cmd="${COMP_WORDS[1]}"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "infer train fit inspect models precisions gpus serve mcp help --help --version" -- "$cur"))
    return
  fi
  case "$prev" in
    --model|-m)
      COMPREPLY=($(compgen -W "$(llmmem models --format csv 2>/dev/null | tail -n +2 | cut -d, -f1) ollama: lmstudio: llamacpp:" -- "$cur") $(compgen -f -- "$cur"))
      return ;;
    --precision|-p)
      COMPREPLY=($(compgen -W "$(llmmem precisions --format csv 2>/dev/null | awk -F, '$2 == "weights" {print $1}')" -- "$cur"))
      return ;;
    --kv-precision)
      COMPREPLY=($(compgen -W "$(llmmem precisions --format csv 2>/dev/null | awk -F, '$2 == "kv-cache" {print $1}')" -- "$cur"))
      return ;;
    --gpu)
      COMPREPLY=($(compgen -W "local $(llmmem gpus --format csv 2>/dev/null | tail -n +2 | cut -d, -f1)" -- "$cur"))
      return ;;
    --format|-f) COMPREPLY=($(compgen -W "table json csv markdown" -- "$cur")); return ;;
    --units) COMPREPLY=($(compgen -W "binary decimal" -- "$cur")); return ;;
    --csv-out|--models-dir) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --web-root) COMPREPLY=($(compgen -d -- "$cur")); return ;;
  esac
  COMPREPLY=($(compgen -W "$(llmmem help "$cmd" 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)" -- "$cur"))
}
complete -F _llmmem llmmem
