#pragma once
// The built-in model catalog (models/ compiled into the binary) plus user folders of configs.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmmem/estimate.hpp"
#include "llmmem/local_stores.hpp"

namespace llmmem {

struct CatalogEntry {
  std::string_view alias;  // "llama3-70b"
  std::string_view hf_id;  // "meta-llama/Meta-Llama-3-70B"
  std::string_view description;
  std::string_view config_json;  // the HF config.json text
};

namespace detail {
const std::vector<CatalogEntry>& builtin_catalog_entries();  // generated from models/
}

class Catalog {
 public:
  // The built-in entries plus every *.json (or folder with config.json) in `user_dirs`.
  // User entries with the same alias replace built-in ones. Throws InputError for a missing dir.
  explicit Catalog(const std::vector<std::filesystem::path>& user_dirs = {});

  struct Item {
    std::string alias;
    std::string hf_id;  // may be empty for user files
    std::string description;
    std::string config_json;     // loaded lazily for user files
    std::filesystem::path path;  // user files: where it came from
  };

  [[nodiscard]] const std::vector<Item>& items() const { return m_items; }
  // Case-insensitive match on alias or HF id; nullptr when absent.
  [[nodiscard]] const Item* find(std::string_view name) const;
  // Up to `n` names closest to `name` (edit distance), for "did you mean" messages.
  [[nodiscard]] std::vector<std::string> suggest(std::string_view name, std::size_t n = 3) const;
  // Parses the item's config into a Model.
  [[nodiscard]] Model load(const Item& item) const;

 private:
  std::vector<Item> m_items;
};

class Hub;

struct ResolveOptions {
  std::filesystem::path hf_hub_cache;  // empty: do not look in the HuggingFace cache
  std::string revision = "main";
  // Other tools' stores (local_stores.hpp): "ollama:", "lmstudio:", "llamacpp:" names, and plain
  // Ollama names after the catalog and the HuggingFace cache. Empty paths: not looked in.
  LocalStorePaths stores;
  Hub* hub = nullptr;  // null: never the Hugging Face Hub (hub.hpp)
};

// Resolves --model, in order: a local store's prefixed name (ollama:, lmstudio:, llamacpp:), an
// existing path (config.json, model folder, .safetensors, .gguf), a catalog name or HF id, then
// "org/name[@revision][:QUANT]": llmmem's cache of the Hub (with a hub), the HuggingFace cache (a
// snapshot holding weights, or any snapshot without a hub), a name Ollama's store holds, then the
// Hub itself. Throws InputError (missing file, folder without config.json, unknown name with
// suggestions) and, from the Hub, NetworkError.
[[nodiscard]] Model resolve_model(const Catalog& catalog, std::string_view name_or_path,
                                  const ResolveOptions& options = {});

}  // namespace llmmem
