# bash completion for llmmem
_llmmem() {
  local cur prev cmds opts
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  cmds="infer train fit inspect models precisions gpus"
  opts="--model --precision --kv-precision --batch --seq-len --params --method --attention --overhead --gpu
        --gpu-memory --tp --pp --dp --ep --check --explain --format --units --models-dir --revision --concurrency
        --logits --prefill-chunk --plot --csv-out --optimizer --trainable-percent --recipe --gradient-checkpointing --loss
        --lora-rank --lora-targets --zero --fsdp --offload --gpu-memory-utilization --max-gpus --local --help --version"
  if [[ $COMP_CWORD -eq 1 ]]; then COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur")); return; fi
  case "$prev" in
    --model|-m) COMPREPLY=($(compgen -W "$(llmmem models --format csv 2>/dev/null | tail -n +2 | cut -d, -f1)" -- "$cur") $(compgen -f -- "$cur")); return ;;
    --precision|-p) COMPREPLY=($(compgen -W "fp32 fp16 bf16 fp8 int8 int4 gptq-int4 awq-int4 bnb-int8 nf4 nf4-dq mxfp4 q8_0 q6_k q5_k_m q5_0 q4_k_m q4_0 iq4_xs q3_k_m q2_k" -- "$cur")); return ;;
    --kv-precision) COMPREPLY=($(compgen -W "fp32 fp16 bf16 fp8 int8 q8_0 q4_0" -- "$cur")); return ;;
    --format|-f) COMPREPLY=($(compgen -W "table json csv markdown" -- "$cur")); return ;;
    --method) COMPREPLY=($(compgen -W "detailed document" -- "$cur")); return ;;
    --optimizer) COMPREPLY=($(compgen -W "adamw adamw-8bit paged-adamw paged-adamw-8bit sgd sgd-momentum adafactor" -- "$cur")); return ;;
    --gpu) COMPREPLY=($(compgen -W "local $(llmmem gpus --format json 2>/dev/null | grep '"id"' | cut -d'"' -f4)" -- "$cur")); return ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _llmmem llmmem
