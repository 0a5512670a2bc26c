// libFuzzer target: config parser. Run: build-fuzz/fuzz_config fuzz/corpus/config -max_total_time=60
#include <cstddef>
#include <cstdint>

#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  llmmem::fuzz::config(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
