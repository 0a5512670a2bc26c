#pragma once
// Writers of small but real safetensors and GGUF files, following each format's spec, for tests.
#include <unistd.h>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmmem::test {

struct StTensor {
  std::string name;
  std::string dtype;
  std::vector<std::uint64_t> shape;
  std::uint64_t width;  // bytes per element
};

// safetensors: u64 little-endian header length, JSON header, then contiguous zero data.
inline std::string safetensors_bytes(const std::vector<StTensor>& tensors) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  header["__metadata__"] = {{"format", "pt"}};
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    std::uint64_t n = t.width;
    for (auto d : t.shape) n *= d;
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  std::string json = header.dump();
  while (json.size() % 8) json += ' ';  // the format pads headers with spaces
  std::string out(8, '\0');
  std::uint64_t len = json.size();
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((len >> (8 * i)) & 0xff);
  return out + json + std::string(offset, '\0');
}

// GGUF v3 builder.
class Gguf {
 public:
  void u32(std::uint32_t v) { raw(&v, 4); }
  void u64(std::uint64_t v) { raw(&v, 8); }
  void str(const std::string& s) {
    u64(s.size());
    m_out += s;
  }
  void kv_u32(const std::string& k, std::uint32_t v) {
    str(k);
    u32(4);
    u32(v);
    ++m_kv;
  }
  void kv_u64(const std::string& k, std::uint64_t v) {
    str(k);
    u32(10);
    u64(v);
    ++m_kv;
  }
  void kv_str(const std::string& k, const std::string& v) {
    str(k);
    u32(8);
    str(v);
    ++m_kv;
  }
  void kv_str_array(const std::string& k, std::uint64_t n) {
    str(k);
    u32(9);
    u32(8);
    u64(n);
    for (std::uint64_t i = 0; i < n; ++i) {
      std::string token = std::to_string(i);  // not "t" + ...: GCC 12 -O3 -Werror=restrict false positive
      token.insert(token.begin(), 't');
      str(token);
    }
    ++m_kv;
  }
  // type: ggml type id; bytes: the tensor's data size.
  void tensor(const std::string& name, std::vector<std::uint64_t> dims, std::uint32_t type, std::uint64_t bytes) {
    m_tensors.push_back({name, std::move(dims), type, m_data, bytes});
    m_data += (bytes + 31) / 32 * 32;
  }
  [[nodiscard]] std::string bytes(std::uint32_t version = 3) const {
    Gguf head;
    head.m_out = "GGUF";
    head.u32(version);
    head.u64(m_tensors.size());
    head.u64(m_kv);
    head.m_out += m_out;
    for (const auto& t : m_tensors) {
      head.str(t.name);
      head.u32(static_cast<std::uint32_t>(t.dims.size()));
      for (auto d : t.dims) head.u64(d);
      head.u32(t.type);
      head.u64(t.offset);
    }
    std::string out = head.m_out;
    while (out.size() % 32) out += '\0';
    return out + std::string(m_data, '\0');
  }

 private:
  struct T {
    std::string name;
    std::vector<std::uint64_t> dims;
    std::uint32_t type;
    std::uint64_t offset, bytes;
  };
  void raw(const void* p, std::size_t n) { m_out.append(static_cast<const char*>(p), n); }
  std::string m_out;
  std::uint64_t m_kv = 0, m_data = 0;
  std::vector<T> m_tensors;
};

// A LLaVA-style projector GGUF (convert_hf_to_gguf.py MmprojModel keys): CLIP at 336 px, patch 14,
// 24 blocks of width 1024, and two f16 tensors of 1024 × 4096 (8 MiB each).
inline Gguf llava_projector() {
  Gguf proj;
  proj.kv_str("general.architecture", "clip");
  proj.kv_str("clip.projector_type", "mlp");
  proj.kv_u32("clip.vision.embedding_length", 1024);
  proj.kv_u32("clip.vision.feed_forward_length", 4096);
  proj.kv_u32("clip.vision.block_count", 24);
  proj.kv_u32("clip.vision.attention.head_count", 16);
  proj.kv_u32("clip.vision.image_size", 336);
  proj.kv_u32("clip.vision.patch_size", 14);
  proj.tensor("mm.0.weight", {1024, 4096}, 1, 1024ULL * 4096 * 2);
  proj.tensor("v.blk.0.ffn_up.weight", {1024, 4096}, 1, 1024ULL * 4096 * 2);
  return proj;
}

// The metadata of a small Llama GGUF (2 layers, hidden 256, 8 heads, 2 KV heads, vocab 1000) with
// `layers` blocks; the hostile tests change one key.
inline void llama_metadata(Gguf& g, std::uint64_t layers = 2, std::uint32_t heads = 8, std::uint32_t kv_heads = 2) {
  g.kv_str("general.architecture", "llama");
  g.kv_u64("llama.block_count", layers);
  g.kv_u32("llama.embedding_length", 256);
  g.kv_u32("llama.feed_forward_length", 512);
  g.kv_u32("llama.attention.head_count", heads);
  g.kv_u32("llama.attention.head_count_kv", kv_heads);
  g.kv_u32("llama.context_length", 4096);
  g.kv_u32("llama.vocab_size", 1000);
}

// A fresh folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& tag)
      : m_path(std::filesystem::temp_directory_path() / ("llmmem_test_" + tag + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(m_path);
    std::filesystem::create_directories(m_path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
  void write(const std::string& rel, const std::string& bytes) const {
    std::filesystem::create_directories((m_path / rel).parent_path());
    std::ofstream(m_path / rel, std::ios::binary) << bytes;
  }

 private:
  std::filesystem::path m_path;
};

// The tensors of tests/fixtures/user_models/tiny-llama.json in HF naming, in `dtype`.
inline std::vector<StTensor> tiny_llama_tensors(const std::string& dtype = "F16", std::uint64_t width = 2) {
  std::vector<StTensor> t = {{"model.embed_tokens.weight", dtype, {1000, 64}, width}};
  for (int i = 0; i < 2; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    for (auto [n, r, c] : {std::tuple{"self_attn.q_proj", 64, 64},
                           {"self_attn.k_proj", 32, 64},
                           {"self_attn.v_proj", 32, 64},
                           {"self_attn.o_proj", 64, 64},
                           {"mlp.gate_proj", 128, 64},
                           {"mlp.up_proj", 128, 64},
                           {"mlp.down_proj", 64, 128}})
      t.push_back({p + n + ".weight", dtype, {static_cast<std::uint64_t>(r), static_cast<std::uint64_t>(c)}, width});
    t.push_back({p + "input_layernorm.weight", dtype, {64}, width});
    t.push_back({p + "post_attention_layernorm.weight", dtype, {64}, width});
  }
  t.push_back({"model.norm.weight", dtype, {64}, width});
  t.push_back({"lm_head.weight", dtype, {1000, 64}, width});
  return t;
}

}  // namespace llmmem::test
