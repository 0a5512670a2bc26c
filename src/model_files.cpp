#include "llmmem/model_files.hpp"

#include <fmt/format.h>

#include "llmmem/error.hpp"
#include "llmmem/gguf.hpp"
#include "llmmem/safetensors.hpp"

namespace llmmem {

namespace {

bool has_safetensors(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::exists(dir / "model.safetensors", ec) ||
         std::filesystem::exists(dir / "model.safetensors.index.json", ec);
}

Model from_gguf(const std::filesystem::path& path) {
  GgufFile g = read_gguf_file(path);
  Model m{path.string(), std::nullopt,         config_from_gguf(g, path.string()),
          std::nullopt,  std::move(g.tensors), EngineTraits::llama_cpp()};
  return m;
}

}  // namespace

Model load_model_path(const std::filesystem::path& path) {
  std::error_code ec;
  if (path.extension() == ".gguf") return from_gguf(path);
  if (path.extension() == ".safetensors") {
    Model m = make_model(path.string(), std::nullopt, load_model_config(path.parent_path()));
    m.files = read_safetensors(FileSource(path));
    return m;
  }
  Model m = make_model(path.string(), std::nullopt, load_model_config(path));
  if (std::filesystem::is_directory(path, ec) && has_safetensors(path)) m.files = read_safetensors_checkpoint(path);
  return m;
}

Inspection inspect_path(const std::filesystem::path& path) {
  std::error_code ec;
  Inspection out;
  out.path = path.string();
  if (!std::filesystem::exists(path, ec)) throw InputError(fmt::format("{}: no such file or directory", out.path));
  if (path.extension() == ".gguf") {
    GgufFile g = read_gguf_file(path);
    out.format = "gguf";
    out.config = config_from_gguf(g, out.path);
    out.tensors = std::move(g.tensors);
    return out;
  }
  if (path.extension() == ".safetensors") {
    out.format = "safetensors";
    out.tensors = read_safetensors(FileSource(path));
    return out;
  }
  const auto dir = std::filesystem::is_directory(path, ec) ? path : path.parent_path();
  if (std::filesystem::is_directory(path, ec) || path.filename() == "model.safetensors.index.json") {
    if (has_safetensors(dir)) {
      out.format = "safetensors";
      out.tensors = read_safetensors_checkpoint(dir);
    }
  }
  if (std::filesystem::exists(dir / "config.json", ec) || path.extension() == ".json") {
    const auto config_path =
        path.extension() == ".json" && path.filename() != "model.safetensors.index.json" ? path : dir;
    out.config = load_model_config(config_path);
    if (out.config->supported) out.config_parameters = count_parameters(*out.config).total;
    if (out.format.empty()) out.format = "config";
  }
  if (out.format.empty()) throw InputError(fmt::format("{}: no config.json, safetensors or GGUF file found", out.path));
  return out;
}

std::filesystem::path hf_hub_cache(const char* hf_hub_cache_env, const char* hf_home_env, const char* home_env) {
  if (hf_hub_cache_env && *hf_hub_cache_env) return hf_hub_cache_env;
  if (hf_home_env && *hf_home_env) return std::filesystem::path(hf_home_env) / "hub";
  return std::filesystem::path(home_env && *home_env ? home_env : "/") / ".cache" / "huggingface" / "hub";
}

std::optional<std::filesystem::path> find_in_hf_cache(const std::filesystem::path& hub, std::string_view repo_id,
                                                      std::string_view revision) {
  const auto slash = repo_id.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == repo_id.size() ||
      repo_id.find('/', slash + 1) != std::string_view::npos || repo_id.find("..") != std::string_view::npos)
    return std::nullopt;
  const auto repo = hub / fmt::format("models--{}--{}", repo_id.substr(0, slash), repo_id.substr(slash + 1));
  std::error_code ec;
  if (!std::filesystem::is_directory(repo, ec)) return std::nullopt;
  std::string rev(revision);
  if (rev.find('/') != std::string::npos || rev.find("..") != std::string::npos)
    throw UsageError(fmt::format("invalid revision '{}'", revision));
  // A branch or tag name resolves through refs/<name> to a commit hash; a hash is used as is.
  const auto ref = repo / "refs" / rev;
  if (std::filesystem::is_regular_file(ref, ec)) {
    rev = read_text_file(ref, 256);
    while (!rev.empty() && (rev.back() == '\n' || rev.back() == '\r' || rev.back() == ' ')) rev.pop_back();
  }
  const auto snapshot = repo / "snapshots" / rev;
  if (!std::filesystem::is_directory(snapshot, ec))
    throw InputError(
        fmt::format("{}: revision '{}' is not in the HuggingFace cache ({})", repo_id, revision, repo.string()));
  return snapshot;
}

}  // namespace llmmem
