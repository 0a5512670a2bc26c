#pragma once
// Models on disk: config.json folders with safetensors headers, GGUF files, and the HuggingFace
// hub cache. Only headers are read; nothing touches the network.
#include <filesystem>
#include <optional>
#include <string>

#include "llmmem/estimate.hpp"

namespace llmmem {

// Builds a Model from a path: a config.json, a folder (config.json plus model.safetensors or
// model.safetensors.index.json when present), a .safetensors file (with config.json beside it), or
// a .gguf file (split parts included). Throws InputError / UnsupportedError.
[[nodiscard]] Model load_model_path(const std::filesystem::path& path);

// What `llmmem inspect` shows: the headers read from a path, without estimating anything.
struct Inspection {
  std::string path;
  std::string format;                              // "safetensors", "gguf", "config"
  std::optional<ModelConfig> config;               // from config.json or GGUF metadata
  std::optional<std::uint64_t> config_parameters;  // counted from the config when supported
  std::optional<TensorFile> tensors;
};
[[nodiscard]] Inspection inspect_path(const std::filesystem::path& path);

// The hub cache folder as huggingface_hub picks it: HF_HUB_CACHE, else HF_HOME/hub, else
// ~/.cache/huggingface/hub. Arguments are those environment variables' values (null when unset).
[[nodiscard]] std::filesystem::path hf_hub_cache(const char* hf_hub_cache_env, const char* hf_home_env,
                                                 const char* home_env);

// models--ORG--NAME/snapshots/<revision>/ for `repo_id` ("org/name"), following refs/<revision>
// (default "main"); nullopt when the cache does not hold it.
[[nodiscard]] std::optional<std::filesystem::path> find_in_hf_cache(const std::filesystem::path& hub,
                                                                    std::string_view repo_id,
                                                                    std::string_view revision = "main");

}  // namespace llmmem
