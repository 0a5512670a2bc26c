#pragma once
// Models kept by other tools on this machine: Ollama's store (manifests naming GGUF blobs), LM
// Studio's models folder and llama.cpp's download cache (-hf). Only folders and headers are read;
// nothing touches the network, and no environment variable is read here: the CLI passes the paths
// (local_store_paths) and the library only looks where it is told. docs/local-stores.md gives the
// source of every layout fact.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmmem/estimate.hpp"

namespace llmmem {

// Where each store lives; an empty path is not looked in.
struct LocalStorePaths {
  std::filesystem::path ollama_models;          // $OLLAMA_MODELS, else ~/.ollama/models
  std::filesystem::path user_home;              // LM Studio's home is found under it (lmstudio_home())
  std::filesystem::path llamacpp_cache;         // llama.cpp's Hugging Face layout cache (newer releases)
  std::filesystem::path llamacpp_legacy_cache;  // llama.cpp's flat cache (older releases)
};

// The environment variables the stores honour, as the CLI read them (null when unset).
struct StoreEnvironment {
  const char* home = nullptr;                   // HOME
  const char* ollama_models = nullptr;          // OLLAMA_MODELS
  const char* llama_cache = nullptr;            // LLAMA_CACHE
  const char* hf_hub_cache = nullptr;           // HF_HUB_CACHE
  const char* huggingface_hub_cache = nullptr;  // HUGGINGFACE_HUB_CACHE
  const char* hf_home = nullptr;                // HF_HOME
  const char* xdg_cache_home = nullptr;         // XDG_CACHE_HOME
};

// The folders each tool would use with this environment (no file is read).
[[nodiscard]] LocalStorePaths local_store_paths(const StoreEnvironment& env);

// LM Studio's home folder under `user_home`, as lmstudio-js findLMStudioHome picks it: the folder
// named in ~/.lmstudio-home-pointer, else ~/.cache/lm-studio when it exists, else ~/.lmstudio.
// Reads the pointer file (at most 4 KiB; anything else is an InputError naming it).
[[nodiscard]] std::filesystem::path lmstudio_home(const std::filesystem::path& user_home);

// LM Studio's models folder: settings.json's "downloadsFolder" in its home when that is a string,
// else <home>/models (lms src/subcommands/importCmd.ts resolveModelsFolderPath).
[[nodiscard]] std::filesystem::path lmstudio_models_folder(const std::filesystem::path& home);

// An Ollama model name split as Ollama's types/model/name.go ParseName does, with its defaults
// (registry.ollama.ai, library, latest) filled in.
struct OllamaName {
  std::string host, ns, model, tag;
  [[nodiscard]] std::string shortest() const;  // as `ollama list` shows it (Name.DisplayShortest)
};
// nullopt when `name` is not a valid Ollama name (Name.IsFullyQualified after the defaults).
[[nodiscard]] std::optional<OllamaName> parse_ollama_name(std::string_view name);

// One layer of an Ollama manifest (manifest/layer.go Layer).
struct OllamaLayer {
  std::string media_type;
  std::string digest;
};
// The layers of manifest text (manifest/manifest.go Manifest). Throws InputError naming `origin`
// for text that is not a JSON object with a "layers" array of objects with string mediaType and
// digest.
[[nodiscard]] std::vector<OllamaLayer> parse_ollama_manifest(std::string_view text, const std::string& origin);

// What an Ollama manifest points at.
struct OllamaModelFiles {
  std::filesystem::path manifest;
  std::filesystem::path model;                     // the GGUF blob (application/vnd.ollama.image.model)
  std::optional<std::filesystem::path> projector;  // application/vnd.ollama.image.projector, if any
};
// Finds `name` in the Ollama store at `models`. nullopt when the store has no such model at all;
// InputError when it has the model but not the tag (naming the tags it has), and for a manifest or
// blob that is a symbolic link, not a regular file, larger than 1 MiB, not a manifest, without a
// model layer, or with a digest that is not "sha256:<64 hex>" (so a path can never leave blobs/).
[[nodiscard]] std::optional<OllamaModelFiles> find_in_ollama(const std::filesystem::path& models,
                                                             const OllamaName& name);

// A GGUF file in LM Studio's folder or llama.cpp's cache, picked by `selector`: a file name
// ending in .gguf, a quant tag (Q4_K_M) matched as llama.cpp's find_best_model matches it, or
// empty (the only model in the folder; llama.cpp's cache: Q4_K_M, then Q8_0, then the first).
// nullopt when the store has no folder for `repo` ("publisher/name"); InputError when it has the
// folder but no file matches (naming the files it has).
[[nodiscard]] std::optional<std::filesystem::path> find_in_lmstudio(const std::filesystem::path& models,
                                                                    std::string_view repo, std::string_view selector);
[[nodiscard]] std::optional<std::filesystem::path> find_in_llamacpp_cache(const LocalStorePaths& stores,
                                                                          std::string_view repo,
                                                                          std::string_view selector);

// One model a store holds, for `llmmem models --local`.
struct LocalModel {
  std::string store;                   // "ollama", "lmstudio", "llamacpp"
  std::string name;                    // what --model takes: "ollama:llama3.1:8b", "lmstudio:PUB/REPO:FILE.gguf", ...
  std::string file;                    // the GGUF file (the first part of a split set), or what is wrong with the entry
  std::optional<std::uint64_t> bytes;  // on disk, every part of a split set; empty when unreadable
};
// Every model the stores hold, store by store, each sorted by name: Ollama's manifests (as
// `ollama list`), LM Studio's <publisher>/<repo>/*.gguf, llama.cpp's cache (the Hugging Face layout's
// models--ORG--REPO snapshots with GGUF files, and the older flat files its manifest=ORG=REPO=TAG.json
// files name). A damaged entry is listed with what is wrong in `file`; a store that is absent lists
// nothing. Side files (mmproj, imatrix, ...) are not models.
[[nodiscard]] std::vector<LocalModel> list_local_models(const LocalStorePaths& stores);

// Resolves a local-store name: "ollama:NAME", "lmstudio:PUBLISHER/REPO[:QUANT|:FILE]",
// "llamacpp:ORG/REPO[:QUANT|:FILE]" always (InputError when the store lacks it, saying where it
// looked), and a plain Ollama name ("llama3.1:8b", "user/model:tag", "hf.co/org/repo:Q4_K_M") when
// Ollama holds it (nullopt otherwise). An Ollama model's engine is Ollama (its projector attached
// as --mmproj would), the others' llama.cpp, unless --engine says otherwise.
[[nodiscard]] std::optional<Model> load_from_local_store(std::string_view name, const LocalStorePaths& stores);

}  // namespace llmmem
