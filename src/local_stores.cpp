#include "llmmem/local_stores.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "llmmem/byte_source.hpp"
#include "llmmem/engine.hpp"
#include "llmmem/error.hpp"
#include "llmmem/model_config.hpp"
#include "llmmem/model_files.hpp"
#include "llmmem/spell.hpp"
#include "text.hpp"

namespace llmmem {

namespace fs = std::filesystem;

namespace {

// A manifest is a few hundred bytes (one line of JSON per layer); 1 MiB is far beyond any real one.
constexpr std::uint64_t k_max_manifest_bytes = 1ULL << 20;
// Folders are listed, never walked without bound: a store folder with more entries than this is
// not a model folder.
constexpr std::size_t k_max_entries = 10'000;

std::string env_value(const char* v) { return v && *v ? std::string(v) : std::string(); }

// envconfig/config.go Var: the value with surrounding spaces, then quotes, removed.
std::string ollama_var(const char* v) {
  std::string s = env_value(v);
  const auto trim = [&](std::string_view chars) {
    const auto b = s.find_first_not_of(chars);
    if (b == std::string::npos) return std::string();
    return s.substr(b, s.find_last_not_of(chars) - b + 1);
  };
  s = trim(" \t\r\n\v\f");
  return trim("\"'");
}

// What a file name from a store may show in a message: control characters replaced, length capped.
std::string shown(std::string_view s) {
  std::string out(s.substr(0, 96));
  for (char& ch : out)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  return s.size() > 96 ? out + "..." : out;
}

// Refuses a symbolic link or anything but a regular file, naming it; `what` says whose file it is.
void require_regular_file(const fs::path& path, std::string_view what) {
  std::error_code ec;
  const auto st = fs::symlink_status(path, ec);
  if (st.type() == fs::file_type::not_found) throw InputError(fmt::format("{}: no such file", path.string()));
  if (ec) throw InputError(fmt::format("{}: cannot read: {}", path.string(), ec.message()));
  if (st.type() == fs::file_type::symlink)
    throw InputError(fmt::format("{}: is a symbolic link; {} are regular files, so llmmem does not follow one",
                                 path.string(), what));
  if (st.type() != fs::file_type::regular) throw InputError(fmt::format("{}: not a regular file", path.string()));
}

// The entries of `dir` (names only, sorted); an unreadable or absent folder has none.
std::vector<std::string> list_dir(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (names.size() >= k_max_entries)
      throw InputError(fmt::format("{}: more than {} entries; not a model folder", dir.string(), k_max_entries));
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + shown(s);
  return out;
}

// --- Ollama ------------------------------------------------------------------------------------

// types/model/name.go isValidPart: 1 to 80 characters (a host up to 350), the first a letter, digit
// or '_', the rest also '-', '.' (not in a namespace) and ':' (only in a host).
enum class NamePart { host, ns, model, tag };
bool valid_part(NamePart kind, std::string_view s) {
  if (s.empty() || s.size() > (kind == NamePart::host ? 350U : 80U)) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const bool base = std::isalnum(c) || c == '_';
    if (i == 0 ? !base
               : !(base || c == '-' || (c == '.' && kind != NamePart::ns) || (c == ':' && kind == NamePart::host)))
      return false;
  }
  return true;
}

// manifest/paths.go BlobsPath: only "sha256:" or "sha256-" and 64 hex digits name a blob.
bool valid_digest(std::string_view d) {
  if (d.size() != 71 || !d.starts_with("sha256") || (d[6] != ':' && d[6] != '-')) return false;
  return std::all_of(d.begin() + 7, d.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

fs::path blob_path(const fs::path& models, const std::string& digest) {
  // BlobsPath: strings.ReplaceAll(digest, ":", "-") under <models>/blobs.
  return models / "blobs" / ("sha256-" + digest.substr(7));
}

// The names the store holds, as `ollama list` finds them (manifest.Manifests: the files at
// manifests/*/*/*/*, host/namespace/model/tag, each a valid name part).
std::vector<OllamaName> ollama_manifest_names(const fs::path& models) {
  std::vector<OllamaName> out;
  const fs::path root = models / "manifests";
  for (const auto& host : list_dir(root))
    for (const auto& ns : list_dir(root / host))
      for (const auto& model : list_dir(root / host / ns))
        for (const auto& tag : list_dir(root / host / ns / model)) {
          if (valid_part(NamePart::host, host) && valid_part(NamePart::ns, ns) && valid_part(NamePart::model, model) &&
              valid_part(NamePart::tag, tag))
            out.push_back({host, ns, model, tag});
          if (out.size() >= k_max_entries) return out;
        }
  return out;
}

// The model folders of the store, as `ollama list` names them, for "did you mean".
std::vector<std::string> ollama_names(const fs::path& models) {
  std::vector<std::string> out;
  for (const auto& n : ollama_manifest_names(models)) out.push_back(n.shortest());
  return out;
}

Model load_ollama(const fs::path& models, const OllamaName& name) {
  const auto files = find_in_ollama(models, name);
  if (!files) {
    std::vector<std::pair<std::size_t, std::string>> close;
    for (const auto& n : ollama_names(models)) close.emplace_back(edit_distance(n, name.shortest()), n);
    std::stable_sort(close.begin(), close.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> hint;
    for (const auto& [d, n] : close)
      if (hint.size() < 3 && d <= std::max<std::size_t>(3, n.size() / 2)) hint.push_back(n);
    throw InputError(fmt::format("ollama: no model '{}' in Ollama's store ({}){}; `ollama list` shows what it holds",
                                 name.shortest(), models.string(),
                                 hint.empty() ? "" : fmt::format(" (did you mean {}?)", join(hint))));
  }
  {
    // GGUF's magic (llama.cpp docs/gguf.md): Ollama's newer safetensors-based models have no GGUF.
    const FileSource s(files->model);
    char magic[4] = {};
    if (s.size() >= 4) s.read(0, magic, 4);
    if (std::string_view(magic, 4) != "GGUF")
      throw InputError(
          fmt::format("{}: the model layer of {} is not a GGUF file", files->model.string(), files->manifest.string()));
  }
  Model m = load_model_path(files->model);
  // llm/llama_server.go: the runner gets the first projector as --mmproj.
  if (files->projector) attach_mmproj(m, *files->projector);
  m.name = name.shortest();
  m.notes.push_back(
      fmt::format("{}: Ollama's {} (manifest {})", m.name, files->model.string(), files->manifest.string()));
  // An Ollama model runs in Ollama: its defaults (num_ctx, flash attention, the scheduler's layer
  // placement) are the ones to estimate with, unless --engine says otherwise.
  m.engine = &find_engine("ollama");
  return m;
}

// --- GGUF folders: LM Studio and llama.cpp -------------------------------------------------------

bool iends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && text::lower(s.substr(s.size() - suffix.size())) == suffix;
}

// One path component a user typed: nothing that could leave the folder it names.
bool safe_component(std::string_view s) { return is_safe_revision(s); }

// llama.cpp common/download.cpp get_gguf_split_info: PREFIX-00001-of-00003.gguf is part 1 of 3.
struct SplitInfo {
  int index = 1, count = 1;
};
SplitInfo split_info(std::string_view name) {
  if (!iends_with(name, ".gguf")) return {};
  std::string_view stem = name.substr(0, name.size() - 5);
  const auto digits = [](std::string_view d) {
    return d.size() == 5 && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (stem.size() < 16 || text::lower(stem.substr(stem.size() - 9, 4)) != "-of-" || stem[stem.size() - 15] != '-' ||
      !digits(stem.substr(stem.size() - 14, 5)) || !digits(stem.substr(stem.size() - 5)))
    return {};
  return {std::stoi(std::string(stem.substr(stem.size() - 14, 5))),
          std::stoi(std::string(stem.substr(stem.size() - 5)))};
}

// common/download.cpp gguf_filename_is_model: a .gguf whose file name is none of the side files
// (projector, importance matrix, speculative-decoding heads).
bool is_model_file(std::string_view path) {
  if (!iends_with(path, ".gguf")) return false;
  const auto slash = path.rfind('/');
  const std::string_view f = slash == std::string_view::npos ? path : path.substr(slash + 1);
  for (const char* side : {"mmproj", "imatrix", "mtp-", "eagle3-", "dflash-", "dspark-"})
    if (f.find(side) != std::string_view::npos) return false;
  return true;
}

// common/download.cpp find_best_model: the first model file (the first part of a split set) whose
// path holds the tag followed by '.' or '-', case-insensitively (its regex TAG[.-], matched here as
// text so a tag is never a pattern); with no tag, Q4_K_M, then Q8_0, then the first model file.
std::optional<std::string> best_model(const std::vector<std::string>& files, std::string_view tag) {
  std::vector<std::string> tags;
  if (!tag.empty())
    tags.emplace_back(tag);
  else
    tags = {"Q4_K_M", "Q8_0"};
  const auto first_part = [](const std::string& f) {
    const SplitInfo s = split_info(f);
    return s.count <= 1 || s.index == 1;
  };
  for (const auto& t : tags) {
    const std::string lt = text::lower(t);
    for (const auto& f : files) {
      if (!is_model_file(f) || !first_part(f)) continue;
      const std::string lf = text::lower(f);
      for (auto at = lf.find(lt); at != std::string::npos; at = lf.find(lt, at + 1)) {
        const std::size_t next = at + lt.size();
        if (next < lf.size() && (lf[next] == '.' || lf[next] == '-')) return f;
      }
    }
  }
  if (tag.empty())
    for (const auto& f : files)
      if (is_model_file(f) && first_part(f)) return f;
  return std::nullopt;
}

// The file `selector` picks among `files` (paths relative to `where`): a .gguf name (compared
// case-insensitively, as download.cpp string_iequal does), a quant tag, or nothing. `only_one`:
// with no selector, the folder must hold one model (LM Studio has no default quant).
fs::path pick(const fs::path& where, const std::vector<std::string>& files, std::string_view selector, bool only_one) {
  std::vector<std::string> models;
  for (const auto& f : files)
    if (is_model_file(f)) {
      const SplitInfo s = split_info(f);
      if (s.count <= 1 || s.index == 1) models.push_back(f);
    }
  if (!selector.empty() && iends_with(selector, ".gguf")) {
    for (const auto& f : files)
      if (text::lower(f) == text::lower(selector)) return where / f;
    throw InputError(fmt::format("{}: no file '{}' (GGUF files: {})", where.string(), shown(selector),
                                 models.empty() ? "none" : join(models)));
  }
  if (selector.empty() && only_one && models.size() > 1)
    throw InputError(fmt::format("{}: holds {} models; add the quant or file to the name (:{}): {}", where.string(),
                                 models.size(), "Q4_K_M", join(models)));
  if (const auto f = best_model(files, selector)) return where / *f;
  if (selector.empty()) throw InputError(fmt::format("{}: holds no GGUF model file", where.string()));
  throw InputError(fmt::format("{}: no GGUF file for '{}' (GGUF files: {})", where.string(), shown(selector),
                               models.empty() ? "none" : join(models)));
}

// "org/name" as two safe components, else nullopt.
std::optional<std::pair<std::string, std::string>> split_repo(std::string_view repo) {
  const auto slash = repo.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view a = repo.substr(0, slash), b = repo.substr(slash + 1);
  if (!safe_component(a) || !safe_component(b)) return std::nullopt;
  return std::pair{std::string(a), std::string(b)};
}

// hf-cache.cpp get_cached_ref: the commit refs/main names, else the first ref holding one (40 hex).
std::optional<std::string> cached_commit(const fs::path& repo) {
  const auto commit_in = [&](const std::string& ref) -> std::optional<std::string> {
    std::error_code ec;
    if (!fs::is_regular_file(repo / "refs" / ref, ec)) return std::nullopt;
    std::string c = read_text_file(repo / "refs" / ref, 256);
    while (!c.empty() && (c.back() == '\n' || c.back() == '\r')) c.pop_back();
    if (c.size() != 40 ||
        !std::all_of(c.begin(), c.end(), [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)); }))
      return std::nullopt;
    return c;
  };
  if (auto c = commit_in("main")) return c;
  for (const auto& ref : list_dir(repo / "refs"))
    if (auto c = commit_in(ref)) return c;
  return std::nullopt;
}

// The files under a snapshot, relative, '/'-separated (hf-cache.cpp get_cached_files walks it
// recursively). Each is a link into the repository's blobs/ (huggingface_hub's layout): one that
// resolves outside the repository folder is refused.
std::vector<std::string> snapshot_files(const fs::path& repo, const fs::path& snapshot) {
  std::vector<std::string> out;
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(repo, ec);
  for (fs::recursive_directory_iterator it(snapshot, ec), end; !ec && it != end; it.increment(ec)) {
    if (out.size() >= k_max_entries)
      throw InputError(fmt::format("{}: more than {} files; not a model snapshot", snapshot.string(), k_max_entries));
    std::error_code e2;
    if (it->is_directory(e2)) continue;
    const fs::path target = fs::weakly_canonical(it->path(), e2);
    const auto rel_to_root = target.lexically_relative(root);
    if (e2 || rel_to_root.empty() || *rel_to_root.begin() == "..")
      throw InputError(fmt::format("{}: points outside {}", it->path().string(), repo.string()));
    out.push_back(it->path().lexically_relative(snapshot).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The bytes of a GGUF file on disk, every part of a split set (PREFIX-0000K-of-0000N.gguf, the
// parts common/download.cpp common_download_get_all_parts lists); empty when a part is unreadable.
std::optional<std::uint64_t> gguf_bytes(const fs::path& file) {
  std::error_code ec;
  const std::string name = file.filename().string();
  const SplitInfo s = split_info(name);
  std::uint64_t total = 0;
  for (int i = 1; i <= std::max(s.count, 1); ++i) {
    std::string part = name;
    if (s.count > 1) part.replace(part.size() - 19, 5, fmt::format("{:05d}", i));
    const std::uint64_t n = fs::file_size(file.parent_path() / part, ec);
    if (ec) return std::nullopt;
    total += n;
  }
  return total;
}

// One row per model file of `files` (paths under `where`): side files and later split parts skipped.
void add_gguf_rows(std::vector<LocalModel>& out, std::string_view store, const std::string& name_prefix,
                   const fs::path& where, const std::vector<std::string>& files) {
  for (const auto& f : files) {
    const SplitInfo s = split_info(f);
    if (!is_model_file(f) || (s.count > 1 && s.index != 1)) continue;
    out.push_back({std::string(store), name_prefix + f, (where / f).string(), gguf_bytes(where / f)});
  }
}

void list_ollama(const fs::path& models, std::vector<LocalModel>& out) {
  std::error_code ec;
  for (const auto& n : ollama_manifest_names(models)) {
    LocalModel row{"ollama", "ollama:" + n.shortest(), "", std::nullopt};
    try {
      if (const auto files = find_in_ollama(models, n)) {
        row.file = files->model.string();
        const std::uint64_t bytes = fs::file_size(files->model, ec);
        if (!ec) row.bytes = bytes;
      }
    } catch (const Error& e) {
      row.file = e.what();
    }
    out.push_back(std::move(row));
  }
}

void list_lmstudio(const fs::path& models, std::vector<LocalModel>& out) {
  std::error_code ec;
  for (const auto& publisher : list_dir(models))
    for (const auto& repo : list_dir(models / publisher)) {
      const fs::path folder = models / publisher / repo;
      if (!safe_component(publisher) || !safe_component(repo) || !fs::is_directory(folder, ec)) continue;
      std::vector<std::string> files;
      for (const auto& f : list_dir(folder))
        if (fs::is_regular_file(folder / f, ec)) files.push_back(f);
      add_gguf_rows(out, "lmstudio", fmt::format("lmstudio:{}/{}:", publisher, repo), folder, files);
    }
}

void list_llamacpp(const LocalStorePaths& stores, std::vector<LocalModel>& out) {
  std::error_code ec;
  // hf-cache.cpp folder_name_to_repo: models--ORG--REPO is ORG/REPO.
  if (!stores.llamacpp_cache.empty())
    for (const auto& entry : list_dir(stores.llamacpp_cache)) {
      if (!entry.starts_with("models--")) continue;
      std::string repo = entry.substr(8);
      const auto sep = repo.find("--");
      if (sep == std::string::npos) continue;
      repo.replace(sep, 2, "/");
      if (!split_repo(repo)) continue;
      const fs::path folder = stores.llamacpp_cache / entry;
      try {
        const auto commit = cached_commit(folder);
        if (!commit || !fs::is_directory(folder / "snapshots" / *commit, ec)) continue;
        const fs::path snapshot = folder / "snapshots" / *commit;
        add_gguf_rows(out, "llamacpp", "llamacpp:" + repo + ":", snapshot, snapshot_files(folder, snapshot));
      } catch (const Error& e) {
        out.push_back({"llamacpp", "llamacpp:" + repo, e.what(), std::nullopt});
      }
    }
  // Older releases: the repositories its manifest=ORG=REPO=TAG.json files name (download.cpp
  // get_manifest_path), then their ORG_REPO_FILE files.
  if (stores.llamacpp_legacy_cache.empty()) return;
  std::vector<std::string> repos;
  const auto names = list_dir(stores.llamacpp_legacy_cache);
  for (const auto& f : names) {
    if (!f.starts_with("manifest=") || !f.ends_with(".json") || f.size() < 15) continue;
    const std::string_view parts = std::string_view(f).substr(9, f.size() - 14);
    const auto a = parts.find('=');
    const auto b = a == std::string_view::npos ? a : parts.find('=', a + 1);
    if (b == std::string_view::npos) continue;
    const std::string repo = std::string(parts.substr(0, a)) + "/" + std::string(parts.substr(a + 1, b - a - 1));
    if (split_repo(repo) && std::find(repos.begin(), repos.end(), repo) == repos.end()) repos.push_back(repo);
  }
  for (const auto& repo : repos) {
    std::string prefix = repo + "_";
    std::replace(prefix.begin(), prefix.end(), '/', '_');
    for (const auto& f : names) {
      if (f.size() <= prefix.size() || !f.starts_with(prefix) ||
          !fs::is_regular_file(stores.llamacpp_legacy_cache / f, ec))
        continue;
      const std::string file = f.substr(prefix.size());
      const SplitInfo s = split_info(file);
      if (!is_model_file(file) || (s.count > 1 && s.index != 1)) continue;
      out.push_back({"llamacpp", fmt::format("llamacpp:{}:{}", repo, file), (stores.llamacpp_legacy_cache / f).string(),
                     gguf_bytes(stores.llamacpp_legacy_cache / f)});
    }
  }
}

Model load_gguf_store(const fs::path& file, std::string_view name) {
  Model m = load_model_path(file);
  if (m.engine == nullptr || m.engine->id != "llama.cpp")
    throw InputError(fmt::format("{}: not a GGUF file", file.string()));
  m.name = std::string(name);
  m.notes.push_back(fmt::format("{}: {}", m.name, file.string()));
  return m;
}

}  // namespace

LocalStorePaths local_store_paths(const StoreEnvironment& env) {
  LocalStorePaths p;
  const std::string home = env_value(env.home);
  // envconfig/config.go Models: OLLAMA_MODELS, else $HOME/.ollama/models.
  const std::string ollama = ollama_var(env.ollama_models);
  if (!ollama.empty())
    p.ollama_models = ollama;
  else if (!home.empty())
    p.ollama_models = fs::path(home) / ".ollama" / "models";
  p.user_home = home;
  // common/hf-cache.cpp get_cache_directory: the first set of LLAMA_CACHE, HF_HUB_CACHE,
  // HUGGINGFACE_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME/huggingface/hub, HOME/.cache/huggingface/hub.
  const std::string llama_cache = env_value(env.llama_cache), xdg = env_value(env.xdg_cache_home);
  if (!llama_cache.empty())
    p.llamacpp_cache = llama_cache;
  else if (const std::string v = env_value(env.hf_hub_cache); !v.empty())
    p.llamacpp_cache = v;
  else if (const std::string w = env_value(env.huggingface_hub_cache); !w.empty())
    p.llamacpp_cache = w;
  else if (const std::string h = env_value(env.hf_home); !h.empty())
    p.llamacpp_cache = fs::path(h) / "hub";
  else if (!xdg.empty())
    p.llamacpp_cache = fs::path(xdg) / "huggingface" / "hub";
  else if (!home.empty())
    p.llamacpp_cache = fs::path(home) / ".cache" / "huggingface" / "hub";
  // Older releases, common/common.cpp fs_get_cache_directory (Linux): LLAMA_CACHE, else
  // XDG_CACHE_HOME/llama.cpp, else HOME/.cache/llama.cpp.
  if (!llama_cache.empty())
    p.llamacpp_legacy_cache = llama_cache;
  else if (!xdg.empty())
    p.llamacpp_legacy_cache = fs::path(xdg) / "llama.cpp";
  else if (!home.empty())
    p.llamacpp_legacy_cache = fs::path(home) / ".cache" / "llama.cpp";
  return p;
}

fs::path lmstudio_home(const fs::path& user_home) {
  std::error_code ec;
  // lmstudio-js packages/lms-common-server/src/findLMStudioHome.ts
  const fs::path pointer = user_home / ".lmstudio-home-pointer";
  if (fs::exists(pointer, ec)) {
    std::string s = read_text_file(pointer, 4096);
    const auto b = s.find_first_not_of(" \t\r\n");
    s = b == std::string::npos ? std::string() : s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
    if (s.empty() || std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
      throw InputError(fmt::format("{}: does not name a folder", pointer.string()));
    return s;
  }
  if (fs::exists(user_home / ".cache" / "lm-studio", ec)) return user_home / ".cache" / "lm-studio";
  return user_home / ".lmstudio";
}

fs::path lmstudio_models_folder(const fs::path& home) {
  std::error_code ec;
  const fs::path settings = home / "settings.json";
  if (fs::is_regular_file(settings, ec)) {
    // resolveModelsFolderPath: settings.downloadsFolder when it is a string; an unreadable file or
    // another type falls back to the default, as lms does.
    const auto j = nlohmann::json::parse(read_text_file(settings, 1ULL << 20), nullptr, false);
    if (j.is_object() && j.contains("downloadsFolder") && j["downloadsFolder"].is_string()) {
      const auto folder = j["downloadsFolder"].get<std::string>();
      if (!folder.empty()) return folder;
    }
  }
  return home / "models";
}

std::string OllamaName::shortest() const {
  // Name.DisplayShortest: the host and namespace only when they are not the defaults.
  std::string out;
  if (text::lower(host) != "registry.ollama.ai")
    out = host + "/" + ns + "/";
  else if (text::lower(ns) != "library")
    out = ns + "/";
  return out + model + ":" + tag;
}

std::optional<OllamaName> parse_ollama_name(std::string_view name) {
  // ParseNameBare, then Merge with DefaultName. A part promised by its separator but empty is
  // invalid (cutPromised's MissingPart).
  OllamaName n;
  bool missing = false;
  const auto cut = [&](std::string_view& rest, char sep, std::string& part) {
    const auto at = rest.rfind(sep);
    if (at == std::string_view::npos) return false;
    part = std::string(rest.substr(at + 1));
    missing = missing || part.empty() || at == 0;
    rest = rest.substr(0, at);
    return true;
  };
  std::string_view rest = name;
  const auto colon = rest.rfind(':'), slash = rest.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) cut(rest, ':', n.tag);
  if (!cut(rest, '/', n.model)) {
    n.model = std::string(rest);
  } else if (!cut(rest, '/', n.ns)) {
    n.ns = std::string(rest);
  } else {
    const auto scheme = rest.find("://");
    n.host = std::string(scheme == std::string_view::npos ? rest : rest.substr(scheme + 3));
  }
  if (missing) return std::nullopt;
  if (n.host.empty()) n.host = "registry.ollama.ai";
  if (n.ns.empty()) n.ns = "library";
  if (n.tag.empty()) n.tag = "latest";
  // Name.IsFullyQualified
  if (!valid_part(NamePart::host, n.host) || !valid_part(NamePart::ns, n.ns) || !valid_part(NamePart::model, n.model) ||
      !valid_part(NamePart::tag, n.tag))
    return std::nullopt;
  return n;
}

std::vector<OllamaLayer> parse_ollama_manifest(std::string_view text, const std::string& origin) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw InputError(fmt::format("{}: not an Ollama manifest (not a JSON object)", origin));
  const auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array())
    throw InputError(fmt::format("{}: not an Ollama manifest (no \"layers\" array)", origin));
  std::vector<OllamaLayer> out;
  for (const auto& l : *layers) {
    const auto media = l.is_object() ? l.find("mediaType") : l.end();
    const auto digest = l.is_object() ? l.find("digest") : l.end();
    if (!l.is_object() || media == l.end() || !media->is_string() || digest == l.end() || !digest->is_string())
      throw InputError(fmt::format("{}: layer {} has no string mediaType and digest", origin, out.size()));
    out.push_back({media->get<std::string>(), digest->get<std::string>()});
  }
  return out;
}

std::optional<OllamaModelFiles> find_in_ollama(const fs::path& models, const OllamaName& name) {
  if (models.empty()) return std::nullopt;
  // manifest.PathForName: <models>/manifests/<host>/<namespace>/<model>/<tag> (Name.Filepath).
  const fs::path folder = models / "manifests" / name.host / name.ns / name.model;
  const fs::path manifest = folder / name.tag;
  std::error_code ec;
  if (fs::symlink_status(manifest, ec).type() == fs::file_type::not_found) {
    if (!fs::is_directory(folder, ec)) return std::nullopt;
    throw InputError(fmt::format("ollama: {} has no tag '{}' in {} (tags: {})",
                                 name.shortest().substr(0, name.shortest().rfind(':')), name.tag, folder.string(),
                                 join(list_dir(folder))));
  }
  require_regular_file(manifest, "Ollama's manifests");
  OllamaModelFiles out;
  out.manifest = manifest;
  const auto layers = parse_ollama_manifest(read_text_file(manifest, k_max_manifest_bytes), manifest.string());
  std::optional<std::string> model;
  std::size_t tensor_layers = 0;
  for (const auto& l : layers) {
    const bool is_model = l.media_type == "application/vnd.ollama.image.model";
    const bool is_projector = l.media_type == "application/vnd.ollama.image.projector";
    if (l.media_type == "application/vnd.ollama.image.tensor") ++tensor_layers;
    if (!is_model && !is_projector) continue;
    if (!valid_digest(l.digest))
      throw InputError(
          fmt::format("{}: layer digest '{}' is not sha256:<64 hex digits>", manifest.string(), shown(l.digest)));
    // server/images.go GetModel: the model layer sets ModelPath (the last one wins); projectors
    // are collected in order and the runner gets the first.
    if (is_model) model = l.digest;
    if (is_projector && !out.projector) out.projector = blob_path(models, l.digest);
  }
  if (!model) {
    if (tensor_layers > 0)
      throw InputError(
          fmt::format("{}: holds {} tensor layers (application/vnd.ollama.image.tensor) and no GGUF "
                      "model layer; llmmem reads Ollama's GGUF models only",
                      manifest.string(), tensor_layers));
    throw InputError(fmt::format("{}: has no model layer (application/vnd.ollama.image.model)", manifest.string()));
  }
  out.model = blob_path(models, *model);
  for (const fs::path* blob : {&out.model, out.projector ? &*out.projector : nullptr}) {
    if (blob == nullptr) continue;
    if (fs::symlink_status(*blob, ec).type() == fs::file_type::not_found)
      throw InputError(fmt::format("{}: blob named by {} is missing (`ollama pull {}` fetches it again)",
                                   blob->string(), manifest.string(), name.shortest()));
    require_regular_file(*blob, "Ollama's blobs");
  }
  return out;
}

std::optional<fs::path> find_in_lmstudio(const fs::path& models, std::string_view repo, std::string_view selector) {
  const auto parts = split_repo(repo);
  if (!parts) throw UsageError(fmt::format("lmstudio: '{}' is not PUBLISHER/REPO", shown(repo)));
  // LM Studio keeps <models>/<publisher>/<repo>/<file>.gguf (lms importCmd.ts: join(modelsFolderPath,
  // user, repo, basename(path))). `lms import --symbolic-link` puts links there, so links are read.
  const fs::path folder = models / parts->first / parts->second;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return std::nullopt;
  std::vector<std::string> files;
  for (const auto& f : list_dir(folder))
    if (iends_with(f, ".gguf") && fs::is_regular_file(folder / f, ec)) files.push_back(f);
  return pick(folder, files, selector, true);
}

std::optional<fs::path> find_in_llamacpp_cache(const LocalStorePaths& stores, std::string_view repo,
                                               std::string_view selector) {
  const auto parts = split_repo(repo);
  if (!parts) throw UsageError(fmt::format("llamacpp: '{}' is not ORG/REPO (llama.cpp's -hf spelling)", shown(repo)));
  std::error_code ec;
  // Newer releases keep the Hugging Face layout (common/hf-cache.cpp): models--ORG--REPO, the
  // snapshot of the commit the refs name.
  if (const auto folder = hf_cache_repo_folder(stores.llamacpp_cache, repo); folder && fs::is_directory(*folder, ec)) {
    if (const auto commit = cached_commit(*folder)) {
      const fs::path snapshot = *folder / "snapshots" / *commit;
      if (fs::is_directory(snapshot, ec)) return pick(snapshot, snapshot_files(*folder, snapshot), selector, false);
    }
  }
  // Older releases wrote flat files, ORG_REPO_FILE with every '/' as '_' (common/arg.cpp
  // common_params_handle_model: hf_repo + "_" + hf_file).
  if (stores.llamacpp_legacy_cache.empty()) return std::nullopt;
  const std::string prefix = parts->first + "_" + parts->second + "_";
  std::vector<std::string> files;
  for (const auto& f : list_dir(stores.llamacpp_legacy_cache))
    if (f.size() > prefix.size() && f.starts_with(prefix) && iends_with(f, ".gguf") &&
        fs::is_regular_file(stores.llamacpp_legacy_cache / f, ec))
      files.push_back(f.substr(prefix.size()));
  if (files.empty()) return std::nullopt;
  const fs::path picked = pick(stores.llamacpp_legacy_cache, files, selector, false);
  return stores.llamacpp_legacy_cache / (prefix + picked.filename().string());
}

std::vector<LocalModel> list_local_models(const LocalStorePaths& stores) {
  std::vector<LocalModel> out;
  std::size_t first = 0;
  const auto sort_store = [&] {
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
              [](const LocalModel& a, const LocalModel& b) { return a.name < b.name; });
    first = out.size();
  };
  if (!stores.ollama_models.empty()) list_ollama(stores.ollama_models, out);
  sort_store();
  if (!stores.user_home.empty()) {
    try {
      list_lmstudio(lmstudio_models_folder(lmstudio_home(stores.user_home)), out);
    } catch (const Error& e) {
      out.push_back({"lmstudio", "lmstudio:", e.what(), std::nullopt});
    }
  }
  sort_store();
  list_llamacpp(stores, out);
  sort_store();
  return out;
}

std::optional<Model> load_from_local_store(std::string_view name, const LocalStorePaths& stores) {
  // The spelling after the store prefix: NAME[:SELECTOR], the selector after the last ':'.
  const auto repo_and_selector = [](std::string_view rest) {
    const auto colon = rest.rfind(':');
    return colon == std::string_view::npos ? std::pair{rest, std::string_view()}
                                           : std::pair{rest.substr(0, colon), rest.substr(colon + 1)};
  };
  if (name.starts_with("ollama:")) {
    const auto n = parse_ollama_name(name.substr(7));
    if (!n)
      throw UsageError(
          fmt::format("'{}' is not an Ollama model name (MODEL[:TAG], NAMESPACE/MODEL[:TAG])", shown(name.substr(7))));
    if (stores.ollama_models.empty()) throw InputError("ollama: no store to look in (set OLLAMA_MODELS or HOME)");
    return load_ollama(stores.ollama_models, *n);
  }
  if (name.starts_with("lmstudio:")) {
    if (stores.user_home.empty()) throw InputError("lmstudio: no home folder to look in (set HOME)");
    const fs::path models = lmstudio_models_folder(lmstudio_home(stores.user_home));
    const auto [repo, selector] = repo_and_selector(name.substr(9));
    const auto file = find_in_lmstudio(models, repo, selector);
    if (!file)
      throw InputError(fmt::format("lmstudio: no folder {}; `lms ls` shows what LM Studio holds",
                                   (models / std::string(repo)).string()));
    return load_gguf_store(*file, name);
  }
  if (name.starts_with("llamacpp:")) {
    const auto [repo, selector] = repo_and_selector(name.substr(9));
    const auto file = find_in_llamacpp_cache(stores, repo, selector);
    if (!file) {
      const auto folder = hf_cache_repo_folder(stores.llamacpp_cache, repo);
      std::string flat(repo);
      std::replace(flat.begin(), flat.end(), '/', '_');
      throw InputError(fmt::format("llamacpp: {} is not in llama.cpp's cache (looked for {} and {}_*.gguf)",
                                   shown(repo), folder ? folder->string() : std::string("?"),
                                   (stores.llamacpp_legacy_cache / flat).string()));
    }
    return load_gguf_store(*file, name);
  }
  // A plain name: Ollama's, when Ollama holds it.
  const auto n = parse_ollama_name(name);
  if (!n || stores.ollama_models.empty()) return std::nullopt;
  std::error_code ec;
  if (!fs::is_directory(stores.ollama_models / "manifests" / n->host / n->ns / n->model, ec)) return std::nullopt;
  return load_ollama(stores.ollama_models, *n);
}

}  // namespace llmmem
