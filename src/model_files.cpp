#include "llmmem/model_files.hpp"

#include "llmmem/engine.hpp"

#include <cmath>

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

// What a path holds, decided by its first bytes rather than its name: Ollama keeps GGUF files as
// blobs named sha256-<hash>, and names may be upper case (MODEL.GGUF).
enum class FileKind { gguf, safetensors, other };

FileKind sniff(const std::filesystem::path& path) {
  const FileSource s(path);  // checks that it is a regular file before opening it
  char head[9] = {};
  if (s.size() >= 4) {
    s.read(0, head, 4);
    // GGUF: the ASCII magic "GGUF" (0x46554747 read little-endian), llama.cpp docs/gguf.md.
    if (std::string_view(head, 4) == "GGUF") return FileKind::gguf;
  }
  if (s.size() >= 9) {
    s.read(0, head, 9);
    // safetensors: a little-endian u64 header length N that fits the file, then the JSON header,
    // which starts with '{' (huggingface/safetensors README, "Format"). A JSON config cannot pass
    // this: its first 8 bytes read as a u64 are far larger than any file.
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(head[i]);
    if (head[8] == '{' && n <= s.size() - 8) return FileKind::safetensors;
  }
  return FileKind::other;
}

// Refuses what is neither a regular file nor a folder (a FIFO, socket or device) before anything
// opens it: opening a FIFO for reading blocks until a writer appears.
void check_file_type(const std::filesystem::path& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (st.type() == std::filesystem::file_type::not_found)
    throw InputError(fmt::format("{}: no such file or directory", path.string()));
  if (ec) throw InputError(fmt::format("{}: cannot read: {}", path.string(), ec.message()));
  if (st.type() != std::filesystem::file_type::regular && st.type() != std::filesystem::file_type::directory)
    throw InputError(fmt::format("{}: not a regular file or folder (a FIFO, socket or device?)", path.string()));
}

// The kind of a file, by its magic bytes; when they match neither format, by its suffix, so that a
// damaged model.gguf reports what is wrong with it rather than failing as JSON.
FileKind file_kind(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return FileKind::other;
  const FileKind k = sniff(path);
  if (k != FileKind::other) return k;
  if (path.extension() == ".gguf") return FileKind::gguf;
  if (path.extension() == ".safetensors") return FileKind::safetensors;
  return FileKind::other;
}

std::string file_list(const TensorFile& f) {
  if (f.files.size() == 1) return f.files.front();
  return fmt::format("{} ({} files)", f.files.empty() ? std::string("?") : f.files.front(), f.files.size());
}

// A file with no tensors would make every estimate zero weights: refuse it.
void require_tensors(const TensorFile& f, const std::string& where) {
  if (f.tensors.empty())
    throw InputError(
        fmt::format("{}: holds no tensors; nothing to estimate from", f.files.empty() ? where : file_list(f)));
}

// Stored elements against the config's count (the checkpoint's own extras included: MTP layers and
// FP8 block scales, see ParameterCount::checkpoint_values). Tied embeddings are already counted
// once on both sides. Off by more than 2 % means the file and the config describe different models.
// Quantized checkpoints other than FP8 (GPTQ/AWQ int32-packed qweight, bitsandbytes uint8-packed
// 4-bit, MXFP4 uint8 blocks) store packed elements plus scales and zeros, whose count does not
// equal the logical parameters, so no comparison is made for them; FP8 stores one element per
// parameter and is compared. GGUF files are not compared: their config comes from the same file
// and has no parameter count (the tensors are the inventory).
void note_mismatch(Model& m) {
  if (!m.files || !m.params) return;
  const auto& q = m.config.quantization;
  if (q && !q->method.empty() && q->method != "fp8") return;
  const std::uint64_t stored = m.files->total_elements();
  const std::uint64_t counted = m.params->checkpoint_values();
  const double ratio = counted == 0 ? 0 : static_cast<double>(stored) / static_cast<double>(counted);
  if (counted > 0 && std::abs(ratio - 1.0) <= 0.02) return;
  m.notes.push_back(fmt::format(
      "{} stores {} elements but {} describes {} parameters ({:.2f}% of them): the weights are taken from the "
      "file; check that the file belongs to this config",
      file_list(*m.files), stored, m.config.origin, counted, 100.0 * ratio));
}

// Builds a Model, turning a 64-bit overflow from the file's dimensions into an error naming it.
Model make_file_model(const std::string& name, ModelConfig config) {
  const std::string origin = config.origin;
  try {
    return make_model(name, std::nullopt, std::move(config));
  } catch (const OverflowError& e) {
    throw InputError(fmt::format("{}: the dimensions overflow 64 bits ({})", origin, e.what()));
  }
}

Model from_gguf(const std::filesystem::path& path) { return model_from_gguf(path.string(), read_gguf_file(path)); }

Model from_safetensors(const std::filesystem::path& path, TensorFile files, ModelConfig config) {
  return model_from_safetensors(path.string(), std::move(config), std::move(files));
}

}  // namespace

Model model_from_safetensors(const std::string& name, ModelConfig config, TensorFile files) {
  require_tensors(files, name);
  Model m = make_file_model(name, std::move(config));
  m.files = std::move(files);
  note_mismatch(m);
  return m;
}

Model model_from_gguf(const std::string& name, GgufFile g) {
  Model m;
  m.name = name;
  m.config = config_from_gguf(g, name);
  require_tensors(g.tensors, name);
  m.files = std::move(g.tensors);
  m.engine = &find_engine("llama.cpp");
  return m;
}

void attach_mmproj(Model& model, const std::filesystem::path& path) {
  // Ollama runs llama.cpp's runner and hands it the projector the same way (llm/llama_server.go).
  if (!model.files || model.engine == nullptr || (model.engine->id != "llama.cpp" && model.engine->id != "ollama"))
    throw UsageError(fmt::format("--mmproj adds llama.cpp's projector to a GGUF model; {} is not one", model.name));
  check_file_type(path);
  if (file_kind(path) != FileKind::gguf)
    throw InputError(fmt::format("{}: --mmproj expects a GGUF file", path.string()));
  GgufFile g = read_gguf_file(path);
  // convert_hf_to_gguf.py writes projector files with general.architecture "clip" (MmprojModel).
  if (g.architecture() != "clip")
    throw InputError(fmt::format("{}: general.architecture is '{}', not 'clip': not a multimodal projector file",
                                 path.string(), g.architecture()));
  require_tensors(g.tensors, path.string());
  if (!model.config.vision) {
    // The encoder's shapes, as tools/mtmd/clip-impl.h names them (KEY_N_EMBD "clip.vision.embedding_length",
    // KEY_N_FF, KEY_N_BLOCK, KEY_N_HEAD, KEY_IMAGE_SIZE, KEY_PATCH_SIZE, KEY_PROJ_TYPE).
    const auto key = [&](const char* name) -> std::uint64_t {
      const auto v = g.number(name);
      if (!v || *v < 1 || *v > static_cast<double>(k_max_dimension) || std::floor(*v) != *v) return 0;
      return static_cast<std::uint64_t>(*v);
    };
    VisionConfig v;
    v.hidden_size = key("clip.vision.embedding_length");
    v.intermediate_size = key("clip.vision.feed_forward_length");
    v.n_layers = key("clip.vision.block_count");
    v.n_heads = key("clip.vision.attention.head_count");
    v.image_size = key("clip.vision.image_size");
    v.patch_size = key("clip.vision.patch_size");
    auto it = g.strings.find("clip.projector_type");
    const std::string type = it == g.strings.end() ? "mlp" : it->second;  // llava files before the key: mlp
    const bool shapes = v.hidden_size && v.intermediate_size && v.n_layers && v.n_layers <= k_max_layers && v.n_heads &&
                        v.image_size && v.patch_size && v.image_size >= v.patch_size && v.hidden_size % v.n_heads == 0;
    if (shapes && (type == "gemma3" || type == "mlp" || type == "mlp_norm")) {
      v.head_dim = v.hidden_size / v.n_heads;
      if (type == "gemma3") {
        // clip.cpp PROJECTOR_TYPE_GEMMA3: the patch grid average-pooled by proj_scale_factor (4 when
        // clip.vision.projector.scale_factor is absent): (64 / 4)² = 256 tokens at 896 px.
        v.encoder = VisionEncoder::siglip;
        v.projector = VisionProjector::gemma3;
        const std::uint64_t scale =
            g.number("clip.vision.projector.scale_factor") ? key("clip.vision.projector.scale_factor") : 4;
        const std::uint64_t side = scale ? v.patches_per_side() / scale : 0;
        v.tokens_per_image = side * side;
      } else {
        // LLaVA (PROJECTOR_TYPE_MLP / MLP_NORM): one token per patch, the class token dropped.
        v.encoder = VisionEncoder::clip;
        v.projector = VisionProjector::llava_mlp;
        v.tokens_per_image = v.patches();
      }
      if (v.tokens_per_image > 0) model.config.vision = v;
    }
  }
  model.vision_files = std::move(g.tensors);
}

Model load_model_path(const std::filesystem::path& path) {
  check_file_type(path);
  std::error_code ec;
  switch (file_kind(path)) {
    case FileKind::gguf:
      return from_gguf(path);
    case FileKind::safetensors: {
      TensorFile files = read_safetensors(FileSource(path));
      return from_safetensors(path, std::move(files), load_model_config(path.parent_path()));
    }
    case FileKind::other:
      break;
  }
  ModelConfig config = load_model_config(path);
  if (std::filesystem::is_directory(path, ec) && has_safetensors(path))
    return from_safetensors(path, read_safetensors_checkpoint(path), std::move(config));
  return make_file_model(path.string(), std::move(config));
}

Inspection inspect_path(const std::filesystem::path& path) {
  std::error_code ec;
  Inspection out;
  out.path = path.string();
  check_file_type(path);
  const FileKind kind = file_kind(path);
  if (kind == FileKind::gguf) {
    GgufFile g = read_gguf_file(path);
    out.format = "gguf";
    out.config = config_from_gguf(g, out.path);
    out.tensors = std::move(g.tensors);
    return out;
  }
  if (kind == FileKind::safetensors) {
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
    if (out.config->supported) {
      try {
        out.config_parameters = count_parameters(*out.config).total;
      } catch (const OverflowError& e) {
        throw InputError(fmt::format("{}: the dimensions overflow 64 bits ({})", out.config->origin, e.what()));
      }
    }
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

bool is_safe_revision(std::string_view rev) {
  // A commit hash or a branch/tag name usable as one path component under refs/ and snapshots/:
  // huggingface_hub writes refs/<revision> holding the commit hash and snapshots/<commit>/.
  // Anything that could leave those folders ('/', '\', "..") or is not printable is refused.
  if (rev.empty() || rev.size() > 255 || rev == "." || rev.find("..") != std::string_view::npos) return false;
  for (const char ch : rev) {
    const auto u = static_cast<unsigned char>(ch);
    if (u <= 0x20 || u >= 0x7f || ch == '/' || ch == '\\') return false;
  }
  return true;
}

std::optional<std::filesystem::path> hf_cache_repo_folder(const std::filesystem::path& hub, std::string_view repo_id) {
  const auto slash = repo_id.find('/');
  if (hub.empty() || slash == std::string_view::npos || slash == 0 || slash + 1 == repo_id.size() ||
      repo_id.find('/', slash + 1) != std::string_view::npos || repo_id.find("..") != std::string_view::npos ||
      repo_id.find('\\') != std::string_view::npos)
    return std::nullopt;
  // huggingface_hub file_download.repo_folder_name: "models--" + "--".join(repo_id.split("/"))
  return hub / fmt::format("models--{}--{}", repo_id.substr(0, slash), repo_id.substr(slash + 1));
}

std::optional<std::filesystem::path> find_in_hf_cache(const std::filesystem::path& hub, std::string_view repo_id,
                                                      std::string_view revision) {
  const auto folder = hf_cache_repo_folder(hub, repo_id);
  if (!folder) return std::nullopt;
  const auto& repo = *folder;
  std::error_code ec;
  if (!std::filesystem::is_directory(repo, ec)) return std::nullopt;
  if (!is_safe_revision(revision)) throw UsageError(fmt::format("invalid revision '{}'", revision));
  std::string rev(revision);
  // A branch or tag name resolves through refs/<name> to a commit hash; a hash is used as is. The
  // ref's content is as untrusted as --revision and gets the same check.
  const auto ref = repo / "refs" / rev;
  if (std::filesystem::is_regular_file(ref, ec)) {
    rev = read_text_file(ref, 256);
    while (!rev.empty() && (rev.back() == '\n' || rev.back() == '\r' || rev.back() == ' ')) rev.pop_back();
    if (!is_safe_revision(rev)) {
      std::string shown = rev.substr(0, 64);
      for (char& ch : shown)
        if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f) ch = '?';
      throw InputError(fmt::format("{}: does not hold a commit hash or revision name ('{}')", ref.string(), shown));
    }
  }
  const auto snapshot = repo / "snapshots" / rev;
  if (!std::filesystem::is_directory(snapshot, ec))
    throw InputError(
        fmt::format("{}: revision '{}' is not in the HuggingFace cache ({})", repo_id, revision, repo.string()));
  return snapshot;
}

}  // namespace llmmem
