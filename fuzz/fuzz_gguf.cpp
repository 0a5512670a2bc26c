// libFuzzer target: gguf parser. Run: build-fuzz/fuzz_gguf fuzz/corpus/gguf -max_total_time=60
#include <cstddef>
#include <cstdint>

#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  llmmem::fuzz::gguf(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
