# The header-only libraries (nlohmann/json, fmt, CLI11) for the WebAssembly build of the page
# (web/CMakeLists.txt). find_package would point em++ at the host's /usr/include, whose C library
# headers would shadow emscripten's own; instead a folder of links holds just these three, under
# the target names the rest of the build uses.
foreach(dir nlohmann fmt CLI)
  if(NOT EXISTS /usr/include/${dir})
    message(FATAL_ERROR "/usr/include/${dir} not found: install nlohmann-json3-dev, libfmt-dev and libcli11-dev")
  endif()
endforeach()
set(LLMMEM_WASM_INCLUDE ${PROJECT_BINARY_DIR}/host-headers)
file(MAKE_DIRECTORY ${LLMMEM_WASM_INCLUDE})
foreach(dir nlohmann fmt CLI)
  file(CREATE_LINK /usr/include/${dir} ${LLMMEM_WASM_INCLUDE}/${dir} SYMBOLIC)
endforeach()
add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
target_include_directories(nlohmann_json::nlohmann_json SYSTEM INTERFACE ${LLMMEM_WASM_INCLUDE})
add_library(fmt::fmt-header-only INTERFACE IMPORTED)
target_include_directories(fmt::fmt-header-only SYSTEM INTERFACE ${LLMMEM_WASM_INCLUDE})
target_compile_definitions(fmt::fmt-header-only INTERFACE FMT_HEADER_ONLY=1)
add_library(CLI11::CLI11 INTERFACE IMPORTED)
target_include_directories(CLI11::CLI11 SYSTEM INTERFACE ${LLMMEM_WASM_INCLUDE})
# llmmem reports errors by throwing (error.hpp): every object file must be compiled with exceptions
# and the module linked with them, or a throw aborts the page (emscripten's default catches none:
# emscripten docs, "C++ exceptions support", -sDISABLE_EXCEPTION_CATCHING=0 / -fexceptions).
add_compile_options(-fexceptions)
add_link_options(-fexceptions)
# -O2 rather than Release's -O3: each recompute already takes a few milliseconds, and -O3 costs build
# time (compile and wasm-opt) that CI pays on every run.
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG")
