// libFuzzer target: safetensors parser. Run: build-fuzz/fuzz_safetensors fuzz/corpus/safetensors -max_total_time=60
#include <cstddef>
#include <cstdint>

#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  llmmem::fuzz::safetensors(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
