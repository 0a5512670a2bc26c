// libFuzzer target: Ollama manifest parser and name splitter. Run:
// build-fuzz/fuzz_ollama_manifest fuzz/corpus/ollama_manifest -max_total_time=60
#include <cstddef>
#include <cstdint>

#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  llmmem::fuzz::ollama_manifest(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
