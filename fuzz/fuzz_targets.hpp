#pragma once
// What each fuzz target feeds its input to. Shared by the libFuzzer entry points (fuzz_*.cpp) and
// the corpus replay test (tests/fuzz_corpus_test.cpp), so the corpus runs in every CI build.
// Only llmmem::Error may escape a parser; anything else (a crash, a sanitizer report, another
// exception) is a bug.
#include <string_view>

#include "llmmem/error.hpp"
#include "llmmem/estimate.hpp"
#include "llmmem/gguf.hpp"
#include "llmmem/local_stores.hpp"
#include "llmmem/model_config.hpp"
#include "llmmem/safetensors.hpp"

namespace llmmem::fuzz {

inline void config(std::string_view bytes) {
  try {
    const Model m = make_model("fuzz", std::nullopt, parse_model_config(bytes, "fuzz.json"));
    Request r;
    r.seq_len = 4096;
    (void)estimate(m, r);
    r.mode = Mode::training;
    r.lora_rank = 8;
    (void)estimate(m, r);
  } catch (const Error&) {
  }
}

inline void safetensors(std::string_view bytes) {
  try {
    const TensorFile f = read_safetensors(MemorySource(bytes, "fuzz.safetensors"));
    (void)f.by_dtype();
  } catch (const Error&) {
  }
}

inline void gguf(std::string_view bytes) {
  try {
    const GgufFile f = read_gguf(MemorySource(bytes, "fuzz.gguf"));
    // As load_model_path builds a GGUF model, then estimate it: hostile metadata (block_count 10^12)
    // must fail in the config, never as a long loop or a huge allocation in the estimator.
    Model m;
    m.name = "fuzz.gguf";
    m.config = config_from_gguf(f, "fuzz.gguf");
    if (f.tensors.tensors.empty()) return;
    m.files = f.tensors;
    m.engine = &find_engine("llama.cpp");
    Request r;
    r.seq_len = 4096;
    (void)estimate(m, r);
  } catch (const Error&) {
  }
}

// An Ollama manifest (local_stores.hpp), then each layer's digest and the name as a name: what a
// hostile store can hand the resolver before any path is built.
inline void ollama_manifest(std::string_view bytes) {
  try {
    for (const auto& layer : parse_ollama_manifest(bytes, "fuzz-manifest")) (void)parse_ollama_name(layer.digest);
  } catch (const Error&) {
  }
  (void)parse_ollama_name(bytes);
}

}  // namespace llmmem::fuzz
