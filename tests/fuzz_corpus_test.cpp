// Replays every file of fuzz/corpus/ through its fuzz target, so the corpus (and any crash a fuzzer
// once found and we added there) runs in every CI build, sanitizers included.
#include <catch2/catch.hpp>

#include <filesystem>

#include "../fuzz/fuzz_targets.hpp"
#include "llmmem/model_config.hpp"

namespace {
std::size_t replay(const char* target, void (*run)(std::string_view)) {
  std::size_t n = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(LLMMEM_SOURCE_DIR) + "/fuzz/corpus/" + target)) {
    INFO(entry.path().string());
    const std::string bytes = llmmem::read_text_file(entry.path());
    CHECK_NOTHROW(run(bytes));
    // every prefix of the first kilobyte too: truncation at every byte must be a clean error
    for (std::size_t cut = 0; cut < std::min<std::size_t>(bytes.size(), 1024); cut += 7)
      CHECK_NOTHROW(run(bytes.substr(0, cut)));
    ++n;
  }
  return n;
}
}  // namespace

TEST_CASE("fuzz corpus replays cleanly: config", "[fuzz]") { CHECK(replay("config", llmmem::fuzz::config) >= 5); }
TEST_CASE("fuzz corpus replays cleanly: safetensors", "[fuzz]") {
  CHECK(replay("safetensors", llmmem::fuzz::safetensors) >= 2);
}
TEST_CASE("fuzz corpus replays cleanly: gguf", "[fuzz]") { CHECK(replay("gguf", llmmem::fuzz::gguf) >= 1); }
TEST_CASE("fuzz corpus replays cleanly: ollama_manifest", "[fuzz][stores]") {
  CHECK(replay("ollama_manifest", llmmem::fuzz::ollama_manifest) >= 4);
}
