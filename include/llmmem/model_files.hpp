#pragma once
// Models on disk: config.json folders with safetensors headers, GGUF files, and the HuggingFace
// hub cache. Only headers are read; nothing touches the network.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmmem/estimate.hpp"
#include "llmmem/gguf.hpp"

namespace llmmem {

// Builds a Model from a path: a config.json, a folder (config.json plus model.safetensors or
// model.safetensors.index.json when present), a safetensors file (with config.json beside it), or
// a GGUF file (split parts included). Files are recognised by their magic bytes, whatever their
// name (an Ollama blob "sha256-...", MODEL.GGUF); only regular files and folders are opened (a FIFO
// is refused before it could block). A file with no tensors is an InputError; a safetensors
// checkpoint whose elements differ from the config's count by more than 2 % gets a note in
// Model::notes. Throws InputError / UnsupportedError; a 64-bit overflow from the file's dimensions
// is an InputError naming the file.
[[nodiscard]] Model load_model_path(const std::filesystem::path& path);

// The Model load_model_path builds from a config and a safetensors checkpoint's headers, for headers
// read elsewhere (the Hub): the same checks (tensors present, 64-bit overflow) and the same note when
// the file and the config disagree. `name` names the model in messages.
[[nodiscard]] Model model_from_safetensors(const std::string& name, ModelConfig config, TensorFile files);

// The Model load_model_path builds from a GGUF header (split parts already merged): its config from
// the metadata, its tensors, engine llama.cpp.
[[nodiscard]] Model model_from_gguf(const std::string& name, GgufFile g);

// llama.cpp's multimodal projector file (--mmproj; tools/mtmd): a GGUF whose general.architecture is
// "clip", holding the vision tower and projector. Its tensors become model.vision_files (the
// vision_weights component), and where its clip.vision.* keys describe an encoder llmmem models
// (clip.projector_type gemma3, or mlp / mlp_norm: LLaVA) and the model has no vision config yet,
// model.config.vision too, so --images counts image tokens. Throws InputError for a file that is not
// a clip GGUF, UsageError when the model is not a GGUF model.
void attach_mmproj(Model& model, const std::filesystem::path& path);

// A quant file set of a GGUF repository on the Hub (one file, or the parts of a split one).
struct GgufQuant {
  std::string quant;               // "Q4_K_M", as spelled in the file name
  std::vector<std::string> files;  // repository paths, in part order
  Bytes size;                      // the files' sizes as the Hub lists them
  // With `inspect --gpu`: the verdict `infer --model org/name:QUANT` gives on those GPUs.
  std::optional<Bytes> estimate;             // the bytes on the most loaded GPU
  std::optional<bool> fits;                  // on the GPUs given
  std::optional<std::uint64_t> gpus_needed;  // of that kind, when it does not fit on those given
};

// What `llmmem inspect` shows: the headers read from a path, without estimating anything.
struct Inspection {
  std::string path;
  std::string format;                              // "safetensors", "gguf", "config"
  std::optional<ModelConfig> config;               // from config.json or GGUF metadata
  std::optional<std::uint64_t> config_parameters;  // counted from the config when supported
  std::optional<TensorFile> tensors;
  std::vector<GgufQuant> quants;        // a GGUF repository on the Hub: every quant (tensors: the one read)
  std::string judged_on;                // with --gpu: the GPUs and settings each quant was judged on
  std::optional<std::string> best_fit;  // with --gpu: the largest quant that fits
};
[[nodiscard]] Inspection inspect_path(const std::filesystem::path& path);

// The hub cache folder as huggingface_hub picks it: HF_HUB_CACHE, else HF_HOME/hub, else
// ~/.cache/huggingface/hub. Arguments are those environment variables' values (null when unset).
[[nodiscard]] std::filesystem::path hf_hub_cache(const char* hf_hub_cache_env, const char* hf_home_env,
                                                 const char* home_env);

// Whether `revision` (--revision, or what a refs/ file holds) is a commit hash or a branch/tag name
// that stays one path component: not empty, no '/', backslash or "..", printable ASCII only.
[[nodiscard]] bool is_safe_revision(std::string_view revision);

// The folder the hub cache keeps `repo_id` ("org/name") in, models--ORG--NAME; nullopt when
// `repo_id` is not of that form or `hub` is empty. For messages that say where llmmem looked.
[[nodiscard]] std::optional<std::filesystem::path> hf_cache_repo_folder(const std::filesystem::path& hub,
                                                                        std::string_view repo_id);

// models--ORG--NAME/snapshots/<revision>/ for `repo_id` ("org/name"), following refs/<revision>
// (default "main"); nullopt when the cache does not hold it. Throws UsageError for an unsafe
// `revision` and InputError when the refs file holds anything but a safe revision (is_safe_revision).
[[nodiscard]] std::optional<std::filesystem::path> find_in_hf_cache(const std::filesystem::path& hub,
                                                                    std::string_view repo_id,
                                                                    std::string_view revision = "main");

}  // namespace llmmem
