# Writes the man page from docs/llmmem.1.in and the built binary's own help texts, so the options
# it lists are the options the binary takes (as mold and zstd generate theirs).
# Usage: cmake -DLLMMEM=path/to/llmmem -DTEMPLATE=docs/llmmem.1.in -DOUTPUT=llmmem.1 -P gen_manpage.cmake
set(sections "")
foreach(cmd infer train fit inspect models precisions gpus serve mcp)
  execute_process(COMMAND "${LLMMEM}" help ${cmd} OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "llmmem help ${cmd} failed (${rc})")
  endif()
  # troff: a backslash is \e, a hyphen \-, and a line may not start with a control character.
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  string(REPLACE "Usage: ${cmd}" "Usage: llmmem ${cmd}" text "${text}")
  string(APPEND sections ".SS llmmem ${cmd}\n.nf\n${text}.fi\n")
endforeach()
file(READ "${TEMPLATE}" page)
string(REPLACE "@COMMANDS@" "${sections}" page "${page}")
file(WRITE "${OUTPUT}.tmp" "${page}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
