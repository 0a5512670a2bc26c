# fish completion for llmmem. Lists come from the binary (its help and its tables).
set -l cmds infer train fit inspect models precisions gpus serve mcp help
complete -c llmmem -f -n "not __fish_seen_subcommand_from $cmds" -a "$cmds"
complete -c llmmem -s m -l model -r -a "(llmmem models --format csv 2>/dev/null | tail -n +2 | string replace -r ',.*' '') ollama: lmstudio: llamacpp:" -d "catalog name, HF id, config.json, folder, GGUF or a store's ollama:, lmstudio:, llamacpp: name"
complete -c llmmem -s p -l precision -x -a "(llmmem precisions --format csv 2>/dev/null | string match -r '^[^,]+,weights' | string replace -r ',.*' '')"
complete -c llmmem -l kv-precision -x -a "(llmmem precisions --format csv 2>/dev/null | string match -r '^[^,]+,kv-cache' | string replace -r ',.*' '')"
complete -c llmmem -l gpu -x -a "local (llmmem gpus --format csv 2>/dev/null | tail -n +2 | string replace -r ',.*' '')"
complete -c llmmem -s f -l format -x -a "table json csv markdown"
complete -c llmmem -l units -x -a "binary decimal"
complete -c llmmem -n "__fish_seen_subcommand_from $cmds" -x -a "(llmmem help (commandline -opc)[2] 2>/dev/null | string match -ar -- '--[a-z][a-z0-9-]*' | sort -u)"
complete -c llmmem -l web-root -x -a "(__fish_complete_directories)"
