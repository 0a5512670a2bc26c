// GGUF reader following llama.cpp's docs/gguf.md. All integers are little-endian.
#include "llmmem/gguf.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "llmmem/error.hpp"
#include "text.hpp"

namespace llmmem {

namespace {

using text::lower;

enum ValueType : std::uint32_t {
  k_u8 = 0,
  k_i8 = 1,
  k_u16 = 2,
  k_i16 = 3,
  k_u32 = 4,
  k_i32 = 5,
  k_f32 = 6,
  k_bool = 7,
  k_string = 8,
  k_array = 9,
  k_u64 = 10,
  k_i64 = 11,
  k_f64 = 12,
};

std::uint64_t scalar_size(std::uint32_t type) {
  switch (type) {
    case k_u8:
    case k_i8:
    case k_bool:
      return 1;
    case k_u16:
    case k_i16:
      return 2;
    case k_u32:
    case k_i32:
    case k_f32:
      return 4;
    case k_u64:
    case k_i64:
    case k_f64:
      return 8;
    default:
      return 0;
  }
}

// Sequential, bounds-checked reading through a 64 KiB buffer (header metadata is read in many
// small pieces; one file read per piece would be slow on large tokenizer arrays).
class Cursor {
 public:
  explicit Cursor(const ByteSource& s) : m_s(s) {}
  [[nodiscard]] std::uint64_t position() const { return m_pos; }
  [[nodiscard]] std::uint64_t remaining() const { return m_s.size() - m_pos; }
  [[nodiscard]] const std::string& name() const { return m_s.name(); }

  void bytes(char* out, std::size_t n) {
    if (n > remaining())
      throw InputError(
          fmt::format("{}: truncated: needs {} bytes at offset {}, the file has {}", name(), n, m_pos, m_s.size()));
    while (n > 0) {
      if (m_pos < m_buf_start || m_pos >= m_buf_start + m_buf.size()) refill();
      const auto at = static_cast<std::size_t>(m_pos - m_buf_start);
      const std::size_t k = std::min(n, m_buf.size() - at);
      std::memcpy(out, m_buf.data() + at, k);
      out += k;
      n -= k;
      m_pos += k;
    }
  }
  void skip(std::uint64_t n, std::string_view what) {
    if (n > remaining())
      throw InputError(fmt::format("{}: truncated: {} needs {} bytes, {} left", name(), what, n, remaining()));
    m_pos += n;
  }
  template <typename T>
  T scalar() {
    static_assert(sizeof(T) <= 8);
    char b[sizeof(T)];
    bytes(b, sizeof(T));
    T out;
    std::memcpy(&out, b, sizeof(T));  // GGUF is little-endian, as are the hosts we build for
    return out;
  }
  std::string string(std::string_view what, std::uint64_t cap) {
    const auto n = scalar<std::uint64_t>();
    if (n > remaining())
      throw InputError(fmt::format("{}: truncated: {} of {} bytes, {} left", name(), what, n, remaining()));
    if (n > cap)
      throw InputError(fmt::format("{}: {} is {} bytes long, more than the {} allowed", name(), what, n, cap));
    std::string s(n, '\0');
    bytes(s.data(), static_cast<std::size_t>(n));
    return s;
  }
  void skip_string(std::string_view what) {
    const auto n = scalar<std::uint64_t>();
    skip(n, what);
  }

 private:
  void refill() {
    const std::uint64_t n = std::min<std::uint64_t>(64ULL * 1024, remaining());
    m_buf.resize(static_cast<std::size_t>(n));
    m_s.read(m_pos, m_buf.data(), m_buf.size());
    m_buf_start = m_pos;
  }

  const ByteSource& m_s;
  std::uint64_t m_pos = 0;
  std::uint64_t m_buf_start = 0;
  std::string m_buf;
};

constexpr std::uint64_t k_max_name = 1 << 16;       // keys and tensor names
constexpr std::uint64_t k_max_value = 64ULL << 20;  // string values (chat templates are ~10 KB)

double read_number(Cursor& c, std::uint32_t type) {
  switch (type) {
    case k_u8:
      return c.scalar<std::uint8_t>();
    case k_i8:
      return c.scalar<std::int8_t>();
    case k_u16:
      return c.scalar<std::uint16_t>();
    case k_i16:
      return c.scalar<std::int16_t>();
    case k_u32:
      return c.scalar<std::uint32_t>();
    case k_i32:
      return c.scalar<std::int32_t>();
    case k_f32:
      return static_cast<double>(c.scalar<float>());
    case k_bool:
      return c.scalar<std::uint8_t>() != 0 ? 1 : 0;
    case k_u64:
      return static_cast<double>(c.scalar<std::uint64_t>());
    case k_i64:
      return static_cast<double>(c.scalar<std::int64_t>());
    case k_f64:
      return c.scalar<double>();
    default:
      break;
  }
  throw InputError(fmt::format("{}: unknown metadata value type {}", c.name(), type));
}

// Reads (or skips) an array value; records its length and, for numbers, its largest element.
void read_array(Cursor& c, GgufFile& f, const std::string& key, int depth) {
  if (depth > 4) throw InputError(fmt::format("{}: metadata '{}' nests arrays too deeply", c.name(), key));
  const auto type = c.scalar<std::uint32_t>();
  const auto n = c.scalar<std::uint64_t>();
  const std::uint64_t min_size = type == k_string ? 8 : (type == k_array ? 12 : scalar_size(type));
  if (min_size == 0)
    throw InputError(fmt::format("{}: metadata '{}' has unknown element type {}", c.name(), key, type));
  if (n > c.remaining() / min_size)
    throw InputError(
        fmt::format("{}: metadata '{}' claims {} elements, more than the file can hold", c.name(), key, n));
  if (depth == 0) f.array_lengths[key] = n;
  if (type == k_string) {
    for (std::uint64_t i = 0; i < n; ++i) c.skip_string(key);
  } else if (type == k_array) {
    for (std::uint64_t i = 0; i < n; ++i) read_array(c, f, key, depth + 1);
  } else if (n <= 4096 && depth == 0) {
    double top = 0;
    for (std::uint64_t i = 0; i < n; ++i) top = std::max(top, read_number(c, type));
    f.array_max[key] = top;
  } else {
    c.skip(n * scalar_size(type), key);
  }
}

void read_value(Cursor& c, GgufFile& f, const std::string& key, std::uint32_t type) {
  if (type == k_string) {
    f.strings[key] = c.string("metadata value", k_max_value);
  } else if (type == k_array) {
    read_array(c, f, key, 0);
  } else {
    f.numbers[key] = read_number(c, type);
  }
}

}  // namespace

std::optional<double> GgufFile::number(const std::string& key) const {
  if (auto it = numbers.find(key); it != numbers.end()) return it->second;
  if (auto it = array_max.find(key); it != array_max.end()) return it->second;
  return std::nullopt;
}

std::string GgufFile::architecture() const {
  auto it = strings.find("general.architecture");
  return it == strings.end() ? std::string() : it->second;
}

GgufFile read_gguf(const ByteSource& s) {
  Cursor c(s);
  const std::string& name = s.name();
  char magic[4];
  if (s.size() < 24)
    throw InputError(fmt::format("{}: truncated: {} bytes, too short for a GGUF header", name, s.size()));
  c.bytes(magic, 4);
  if (std::memcmp(magic, "GGUF", 4) != 0) throw InputError(fmt::format("{}: not a GGUF file (bad magic)", name));
  GgufFile f;
  f.version = c.scalar<std::uint32_t>();
  if (f.version != 2 && f.version != 3)
    throw InputError(fmt::format("{}: GGUF version {} is not supported (2 and 3 are)", name, f.version));
  const auto n_tensors = c.scalar<std::uint64_t>();
  const auto n_kv = c.scalar<std::uint64_t>();
  // Each metadata entry takes at least 8 (key length) + 4 (type) + 1 bytes, each tensor info
  // at least 8 + 4 + 4 + 8: counts beyond what the file can hold are rejected before any allocation.
  if (n_kv > c.remaining() / 13)
    throw InputError(fmt::format("{}: metadata count {} is impossible for a file of {} bytes", name, n_kv, s.size()));
  if (n_tensors > c.remaining() / 24)
    throw InputError(
        fmt::format("{}: tensor count {} is impossible for a file of {} bytes", name, n_tensors, s.size()));
  for (std::uint64_t i = 0; i < n_kv; ++i) {
    std::string key = c.string("metadata key", k_max_name);
    if (f.strings.count(key) || f.numbers.count(key) || f.array_lengths.count(key))
      throw InputError(fmt::format("{}: metadata key '{}' appears twice", name, key));
    const auto type = c.scalar<std::uint32_t>();
    read_value(c, f, key, type);
  }
  if (auto a = f.number("general.alignment")) {
    if (*a < 1 || *a > 1 << 20 || std::floor(*a) != *a ||
        (static_cast<std::uint64_t>(*a) & (static_cast<std::uint64_t>(*a) - 1)) != 0)
      throw InputError(fmt::format("{}: general.alignment {} is not a power of two", name, *a));
    f.alignment = static_cast<std::uint64_t>(*a);
  }
  f.tensors.format = "gguf";
  f.tensors.files.push_back(name);
  std::set<std::string> names;
  for (std::uint64_t i = 0; i < n_tensors; ++i) {
    TensorInfo t;
    t.name = c.string("tensor name", k_max_name);
    if (!names.insert(t.name).second) throw InputError(fmt::format("{}: tensor '{}' is listed twice", name, t.name));
    const auto n_dims = c.scalar<std::uint32_t>();
    if (n_dims == 0 || n_dims > 4)
      throw InputError(fmt::format("{}: tensor '{}' has {} dimensions (1 to 4 allowed)", name, t.name, n_dims));
    t.elements = 1;
    for (std::uint32_t d = 0; d < n_dims; ++d) {
      t.shape.push_back(c.scalar<std::uint64_t>());
      if (__builtin_mul_overflow(t.elements, t.shape.back(), &t.elements))
        throw InputError(fmt::format("{}: tensor '{}': shape overflows 64 bits", name, t.name));
    }
    const auto type_id = c.scalar<std::uint32_t>();
    const GgmlType* type = find_ggml_type(type_id);
    if (!type) throw InputError(fmt::format("{}: tensor '{}' has unknown ggml type {}", name, t.name, type_id));
    t.dtype = std::string(type->name);
    if (t.shape[0] % type->block_values != 0)
      throw InputError(fmt::format("{}: tensor '{}': row of {} values is not a whole number of {} blocks", name, t.name,
                                   t.shape[0], type->name));
    if (__builtin_mul_overflow(t.elements / type->block_values, type->block_bytes, &t.bytes))
      throw InputError(fmt::format("{}: tensor '{}': size overflows 64 bits", name, t.name));
    t.offset = c.scalar<std::uint64_t>();
    if (t.offset % f.alignment != 0)
      throw InputError(
          fmt::format("{}: tensor '{}' offset {} is not aligned to {}", name, t.name, t.offset, f.alignment));
    f.tensors.tensors.push_back(std::move(t));
  }
  f.data_offset = ceil_div(c.position(), f.alignment) * f.alignment;
  const std::uint64_t data_size = s.size() >= f.data_offset ? s.size() - f.data_offset : 0;
  std::vector<const TensorInfo*> order;
  for (const auto& t : f.tensors.tensors) {
    if (t.offset > data_size || t.bytes > data_size - t.offset)
      throw InputError(fmt::format("{}: tensor '{}' data ({} bytes at {}) lies past the end of the file", name, t.name,
                                   t.bytes, t.offset));
    order.push_back(&t);
  }
  std::sort(order.begin(), order.end(), [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
  for (std::size_t i = 1; i < order.size(); ++i)
    if (order[i - 1]->offset + order[i - 1]->bytes > order[i]->offset)
      throw InputError(fmt::format("{}: tensors '{}' and '{}' overlap", name, order[i - 1]->name, order[i]->name));
  return f;
}

std::optional<GgufSplitName> parse_gguf_split_name(const std::string& file_name) {
  // llama.cpp gguf-split names parts PREFIX-00001-of-00003.gguf (llama_split_path).
  static const std::regex k_split(R"((.*)-(\d{5})-of-(\d{5})\.gguf)");
  std::smatch m;
  if (!std::regex_match(file_name, m, k_split)) return std::nullopt;
  GgufSplitName out{m[1].str(), std::stoi(m[2].str()), std::stoi(m[3].str())};
  if (out.count < 1 || out.count > 9999 || out.part < 1 || out.part > out.count) return std::nullopt;
  return out;
}

GgufFile merge_gguf_parts(std::vector<GgufFile> parts) {
  GgufFile merged;
  std::set<std::string> names;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    GgufFile& g = parts[i];
    if (i == 0) {
      merged = g;
      merged.tensors.tensors.clear();
      merged.tensors.files.clear();
    }
    const auto index = static_cast<std::uint32_t>(merged.tensors.files.size());
    const std::string part_name = g.tensors.files.empty() ? std::string() : g.tensors.files.front();
    merged.tensors.files.push_back(part_name);
    for (auto& t : g.tensors.tensors) {
      if (!names.insert(t.name).second)
        throw InputError(fmt::format("{}: tensor '{}' appears in two parts", part_name, t.name));
      t.file = index;
      merged.tensors.tensors.push_back(std::move(t));
    }
  }
  return merged;
}

GgufFile read_gguf_file(const std::filesystem::path& path) {
  const std::string file = path.filename().string();
  static const std::regex k_split_like(R"(.*-\d{5}-of-\d{5}\.gguf)");
  const auto split = parse_gguf_split_name(file);
  if (!split) {
    if (std::regex_match(file, k_split_like)) throw InputError(fmt::format("{}: bad split count", path.string()));
    return read_gguf(FileSource(path));
  }
  std::vector<GgufFile> parts;
  for (int i = 1; i <= split->count; ++i)
    parts.push_back(read_gguf(
        FileSource(path.parent_path() / fmt::format("{}-{:05}-of-{:05}.gguf", split->prefix, i, split->count))));
  return merge_gguf_parts(std::move(parts));
}

ModelConfig config_from_gguf(const GgufFile& f, const std::string& origin) {
  const std::string arch = f.architecture();
  if (arch.empty()) throw InputError(fmt::format("{}: missing general.architecture", origin));
  // Key names from llama.cpp src/llama-arch.cpp (LLM_KV_NAMES), "%s" being the architecture.
  const DimensionKeys keys{arch + ".block_count",
                           arch + ".embedding_length",
                           arch + ".feed_forward_length",
                           arch + ".attention.head_count",
                           arch + ".attention.head_count_kv",
                           arch + ".attention.key_length",
                           arch + ".vocab_size",
                           arch + ".expert_count",
                           arch + ".expert_used_count",
                           arch + ".context_length"};
  // Metadata values are doubles here (any GGUF numeric type); a count must be a whole number that a
  // double holds exactly (2^53). Counts are bounded by validate_dimensions() below, before anything
  // is sized or looped over by them.
  auto num = [&](const std::string& key, bool required) -> std::uint64_t {
    const auto v = f.number(key);
    if (!v) {
      if (required) throw InputError(fmt::format("{}: missing {}", origin, key));
      return 0;
    }
    if (!(*v >= 0) || *v > 9007199254740992.0 || std::floor(*v) != *v)
      throw InputError(fmt::format("{}: {} = {} is not a valid count", origin, key, *v));
    return static_cast<std::uint64_t>(*v);
  };
  ModelConfig c;
  c.origin = origin;
  c.model_type = arch;
  c.supported = false;  // the inventory comes from the tensors, not from a config
  c.n_layers = num(keys.layers, true);
  c.hidden_size = num(keys.hidden, true);
  c.n_heads = num(keys.heads, true);
  c.n_kv_heads = num(keys.kv_heads, false);
  if (c.n_kv_heads == 0) c.n_kv_heads = c.n_heads;  // llama.cpp: head_count_kv defaults to head_count
  if (c.n_heads == 0 || c.n_layers == 0 || c.hidden_size == 0)
    throw InputError(fmt::format("{}: {}, {} and {} must be positive", origin, keys.layers, keys.hidden, keys.heads));
  c.head_dim = num(keys.head_dim, false);
  if (c.head_dim == 0 && c.hidden_size <= k_max_dimension) {  // beyond it, validate_dimensions() names it
    // llama.cpp (src/llama-model.cpp, load_hparams): n_embd_head_k defaults to n_embd / n_head;
    // like transformers, a head size that does not divide is an error, not a floor.
    if (c.hidden_size % c.n_heads != 0)
      throw InputError(fmt::format("{}: {} ({}) is not divisible by {} ({}) and no {} is given", origin, keys.hidden,
                                   c.hidden_size, keys.heads, c.n_heads, keys.head_dim));
    c.head_dim = c.hidden_size / c.n_heads;
  }
  c.intermediate_size = num(keys.intermediate, false);
  c.max_position_embeddings = num(keys.context, false);
  c.vocab_size = num(keys.vocab, false);
  if (c.vocab_size == 0) {
    if (auto it = f.array_lengths.find("tokenizer.ggml.tokens"); it != f.array_lengths.end()) c.vocab_size = it->second;
  }
  if (const auto experts = num(keys.experts, false); experts > 0) {
    MoeConfig m;
    m.n_experts = experts;
    m.n_experts_per_token = std::max<std::uint64_t>(1, num(keys.experts_used, false));
    m.expert_intermediate = num(arch + ".expert_feed_forward_length", false);
    if (m.expert_intermediate == 0) m.expert_intermediate = c.intermediate_size;
    c.moe = m;
  }
  const auto window = num(arch + ".attention.sliding_window", false);
  c.torch_dtype = "float16";  // llama.cpp computes and caches in f16 by default
  validate_dimensions(c, keys, true);
  if (window > 0) {
    c.sliding_window = window;
    // Gemma 2 alternates sliding and global layers; other architectures slide on every layer.
    c.sliding_layers.resize(c.n_layers);
    for (std::uint64_t i = 0; i < c.n_layers; ++i)
      c.sliding_layers[i] = lower(arch) == "gemma2" ? i % 2 == 0 : (lower(arch) == "gemma3" ? (i + 1) % 6 != 0 : true);
  }
  return c;
}

}  // namespace llmmem
