#include "llmmem/catalog.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "llmmem/error.hpp"
#include "llmmem/hub.hpp"
#include "llmmem/model_files.hpp"
#include "llmmem/spell.hpp"
#include "text.hpp"

namespace llmmem {

namespace {

using text::lower;

// Whether a snapshot folder holds weights (safetensors or GGUF), not only configs.
bool snapshot_has_weights(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string ext = lower(entry.path().extension().string());
    if (ext == ".safetensors" || ext == ".gguf") return true;
  }
  return false;
}

}  // namespace

Catalog::Catalog(const std::vector<std::filesystem::path>& user_dirs) {
  for (const auto& e : detail::builtin_catalog_entries())
    m_items.push_back(
        {std::string(e.alias), std::string(e.hf_id), std::string(e.description), std::string(e.config_json), {}});
  for (const auto& dir : user_dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
      throw InputError(fmt::format("{}: models directory does not exist", dir.string()));
    std::vector<std::filesystem::path> entries;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) entries.push_back(entry.path());
    std::sort(entries.begin(), entries.end());
    for (const auto& path : entries) {
      std::filesystem::path config;
      std::string alias;
      if (std::filesystem::is_directory(path, ec) && std::filesystem::exists(path / "config.json", ec)) {
        config = path / "config.json";
        alias = path.filename().string();
      } else if (path.extension() == ".json" && std::filesystem::is_regular_file(path, ec)) {
        config = path;
        alias = path.stem().string();
      } else {
        continue;
      }
      auto same =
          std::find_if(m_items.begin(), m_items.end(), [&](const Item& i) { return lower(i.alias) == lower(alias); });
      Item item{alias, "", fmt::format("from {}", dir.string()), "", config};
      if (same != m_items.end())
        *same = item;
      else
        m_items.push_back(item);
    }
  }
}

const Catalog::Item* Catalog::find(std::string_view name) const {
  const std::string key = lower(name);
  for (const auto& item : m_items)
    if (lower(item.alias) == key || (!item.hf_id.empty() && lower(item.hf_id) == key)) return &item;
  return nullptr;
}

std::vector<std::string> Catalog::suggest(std::string_view name, std::size_t n) const {
  const std::string key = lower(name);
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& item : m_items) {
    std::size_t best = edit_distance(key, lower(item.alias));
    if (!item.hf_id.empty()) best = std::min(best, edit_distance(key, lower(item.hf_id)));
    // A name that contains the query ("llama3" in "llama3-8b") is a good suggestion.
    if (lower(item.alias).find(key) != std::string::npos) best = std::min<std::size_t>(best, 1);
    scored.emplace_back(best, item.alias);
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (const auto& [score, alias] : scored) {
    if (out.size() >= n || score > std::max<std::size_t>(3, key.size() / 2)) break;
    out.push_back(alias);
  }
  return out;
}

Model Catalog::load(const Item& item) const {
  if (!item.path.empty()) return make_model(item.alias, std::nullopt, load_model_config(item.path));
  return make_model(item.alias, item.hf_id, parse_model_config(item.config_json, "catalog:" + item.alias));
}

Model resolve_model(const Catalog& catalog, std::string_view name_or_path, const ResolveOptions& options) {
  if (name_or_path.empty()) throw UsageError("--model needs a name, a config.json or a model folder");
  const std::filesystem::path path{std::string(name_or_path)};
  std::error_code ec;
  const bool store_prefix = name_or_path.starts_with("ollama:") || name_or_path.starts_with("lmstudio:") ||
                            name_or_path.starts_with("llamacpp:");
  if (store_prefix) return *load_from_local_store(name_or_path, options.stores);
  if (std::filesystem::exists(path, ec)) return load_model_path(path);
  if (const auto* item = catalog.find(name_or_path)) return catalog.load(*item);
  const auto id =
      name_or_path.find('/') != std::string_view::npos ? parse_hub_id(name_or_path, options.revision) : std::nullopt;
  if (options.hub && id)
    if (auto cached = options.hub->cached_model(*id)) return std::move(*cached);
  const std::string repo = id ? id->repo : std::string(name_or_path);
  const std::string revision = id ? id->revision : options.revision;
  if (!options.hf_hub_cache.empty() && !(id && !id->quant.empty())) {
    auto snapshot = find_in_hf_cache(options.hf_hub_cache, repo, revision);
    // A snapshot holding only configs (written by llmmem, or a partial download) is no better than
    // the Hub's headers, when the Hub may be asked.
    if (snapshot && options.hub && !options.hub->offline() && !snapshot_has_weights(*snapshot)) snapshot.reset();
    if (snapshot) {
      Model m = load_model_path(*snapshot);
      m.name = repo;
      m.hf_id = repo;
      return m;
    }
  }
  if (auto m = load_from_local_store(name_or_path, options.stores)) return std::move(*m);
  if (options.hub && id && !options.hub->offline()) return options.hub->load_model(*id);
  const bool looks_like_path = name_or_path.ends_with(".json") || name_or_path.starts_with(".") ||
                               name_or_path.starts_with("/") || name_or_path.starts_with("~");
  if (looks_like_path) throw InputError(fmt::format("{}: no such file or directory", name_or_path));
  const auto close = catalog.suggest(name_or_path);
  std::string hint;
  for (const auto& s : close) hint += (hint.empty() ? "" : ", ") + s;
  // Name the cache folder searched for an org/name id, so a wrong HF_HUB_CACHE/HF_HOME shows.
  std::string searched;
  if (const auto folder = hf_cache_repo_folder(options.hf_hub_cache, name_or_path))
    searched = fmt::format("; not in the HuggingFace cache either (looked for {})", folder->string());
  if (options.hub && id && options.hub->offline())
    searched += "; offline (--offline or HF_HUB_OFFLINE=1), so the Hub was not asked";
  throw InputError(fmt::format("unknown model '{}'{}{}; `llmmem models` lists the catalog", name_or_path,
                               hint.empty() ? "" : fmt::format(" (did you mean {}?)", hint), searched));
}

}  // namespace llmmem
