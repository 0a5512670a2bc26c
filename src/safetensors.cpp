#include "llmmem/safetensors.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "llmmem/error.hpp"
#include "llmmem/model_config.hpp"
#include "text.hpp"

namespace llmmem {

namespace {

using Json = nlohmann::json;

// Rejects duplicate tensor names, which a DOM parse would silently merge. SAX keeps memory flat.
class DuplicateKeyCheck : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return ++m_depth < 64; }
  bool end_object() override { return --m_depth >= 0; }
  bool start_array(std::size_t) override { return ++m_depth < 64; }
  bool end_array() override { return --m_depth >= 0; }
  bool key(string_t& k) override {
    if (m_depth == 1 && !m_keys.insert(k).second) {
      m_duplicate = k;
      return false;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
  [[nodiscard]] const std::string& duplicate() const { return m_duplicate; }

 private:
  int m_depth = 0;
  std::set<std::string> m_keys;
  std::string m_duplicate;
};

std::uint64_t read_u64_le(const ByteSource& s, std::uint64_t offset) {
  unsigned char b[8];
  s.read(offset, reinterpret_cast<char*>(b), 8);
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}

}  // namespace

std::uint64_t safetensors_dtype_bytes(std::string_view d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E4M3" || d == "F8_E5M2" || d == "F8_E8M0") return 1;
  return 0;
}

TensorFile read_safetensors(const ByteSource& s) {
  const std::string& name = s.name();
  if (s.size() < 8)
    throw InputError(fmt::format("{}: truncated: {} bytes, too short for a safetensors header", name, s.size()));
  const std::uint64_t n = read_u64_le(s, 0);
  if (n > k_max_safetensors_header)
    throw InputError(fmt::format("{}: header length {} exceeds the format's 100 MB limit", name, n));
  if (n > s.size() - 8)
    throw InputError(fmt::format("{}: truncated: header length {} but only {} bytes follow", name, n, s.size() - 8));
  std::string header(n, '\0');
  s.read(8, header.data(), static_cast<std::size_t>(n));
  if (header.empty() || header.front() != '{') throw InputError(fmt::format("{}: header is not a JSON object", name));

  DuplicateKeyCheck dup;
  const bool ok = Json::sax_parse(header, &dup);
  if (!dup.duplicate().empty()) throw InputError(fmt::format("{}: tensor '{}' is listed twice", name, dup.duplicate()));
  if (!ok) {
    try {
      const Json diagnose = Json::parse(header);  // only to get the parser's position and reason
      (void)diagnose;
    } catch (const Json::exception& e) {
      const std::string what = text::json_error_reason(e);
      throw InputError(fmt::format("{}: malformed header JSON: {}", name, what));
    }
    throw InputError(fmt::format("{}: malformed header JSON (nested too deeply)", name));
  }
  const Json j = Json::parse(header);
  if (!j.is_object()) throw InputError(fmt::format("{}: header is not a JSON object", name));

  const std::uint64_t data_size = s.size() - 8 - n;
  TensorFile out;
  out.format = "safetensors";
  out.files.push_back(name);
  for (const auto& item : j.items()) {
    const std::string& key = item.key();
    const Json& v = item.value();
    if (key == "__metadata__") continue;
    auto bad = [&](std::string_view why) { return InputError(fmt::format("{}: tensor '{}': {}", name, key, why)); };
    if (!v.is_object()) throw bad("entry is not an object");
    const auto dt = v.find("dtype");
    const auto shape = v.find("shape");
    const auto offsets = v.find("data_offsets");
    if (dt == v.end() || !dt->is_string()) throw bad("missing dtype");
    if (shape == v.end() || !shape->is_array()) throw bad("missing shape");
    if (offsets == v.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned())
      throw bad("data_offsets must be two non-negative integers");
    TensorInfo t;
    t.name = key;
    t.dtype = dt->get<std::string>();
    const std::uint64_t width = safetensors_dtype_bytes(t.dtype);
    if (width == 0) throw bad(fmt::format("unknown dtype '{}'", t.dtype));
    if (shape->size() > 16) throw bad("more than 16 dimensions");
    t.elements = 1;
    for (const auto& d : *shape) {
      if (!d.is_number_unsigned()) throw bad("shape must hold non-negative integers");
      t.shape.push_back(d.get<std::uint64_t>());
      try {
        t.elements = checked_mul(t.elements, t.shape.back(), "elements");
      } catch (const OverflowError&) {
        throw bad("shape overflows 64 bits");
      }
    }
    const std::uint64_t begin = (*offsets)[0].get<std::uint64_t>(), end = (*offsets)[1].get<std::uint64_t>();
    if (end < begin) throw bad("data_offsets end before they begin");
    if (end > data_size)
      throw bad(fmt::format("data ends at {} past the {} bytes of data in the file", end, data_size));
    std::uint64_t expected = 0;
    if (__builtin_mul_overflow(t.elements, width, &expected)) throw bad("size overflows 64 bits");
    if (expected != end - begin)
      throw bad(fmt::format("shape and dtype need {} bytes but data_offsets span {}", expected, end - begin));
    t.offset = begin;
    t.bytes = end - begin;
    out.tensors.push_back(std::move(t));
  }
  // The data section must be covered exactly: sorted spans touch, start at 0 and end at its size.
  std::vector<const TensorInfo*> order;
  for (const auto& t : out.tensors) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->offset != b->offset ? a->offset < b->offset : a->bytes < b->bytes;
  });
  std::uint64_t cursor = 0;
  for (const auto* t : order) {
    if (t->offset < cursor)
      throw InputError(fmt::format("{}: tensor '{}' overlaps the tensor before it", name, t->name));
    if (t->offset > cursor)
      throw InputError(
          fmt::format("{}: {} bytes before tensor '{}' belong to no tensor", name, t->offset - cursor, t->name));
    cursor = t->offset + t->bytes;
  }
  if (cursor != data_size)
    throw InputError(
        fmt::format("{}: tensors cover {} bytes but the file holds {} bytes of data", name, cursor, data_size));
  return out;
}

SafetensorsIndex parse_safetensors_index(std::string_view text, const std::string& origin) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::exception& e) {
    const std::string what = text::json_error_reason(e);
    throw InputError(fmt::format("{}: malformed JSON: {}", origin, what));
  }
  const auto map = j.find("weight_map");
  if (!j.is_object() || map == j.end() || !map->is_object())
    throw InputError(fmt::format("{}: missing 'weight_map'", origin));
  SafetensorsIndex out;
  for (const auto& [tensor, file] : map->items()) {
    if (!file.is_string()) throw InputError(fmt::format("{}: weight_map['{}'] is not a file name", origin, tensor));
    const std::string f = file.get<std::string>();
    if (f.empty() || f.find('/') != std::string::npos || f.find('\\') != std::string::npos ||
        f.find("..") != std::string::npos)
      throw InputError(fmt::format("{}: shard name '{}' leaves the folder", origin, f));
    if (std::find(out.shards.begin(), out.shards.end(), f) == out.shards.end()) out.shards.push_back(f);
    out.weight_map.emplace_back(tensor, f);
  }
  std::sort(out.shards.begin(), out.shards.end());
  return out;
}

TensorFile merge_safetensors_shards(const SafetensorsIndex& index, std::vector<TensorFile> shards,
                                    const std::string& where, const std::string& origin) {
  TensorFile out;
  out.format = "safetensors";
  std::set<std::string> names;
  for (auto& part : shards) {
    const auto file_index = static_cast<std::uint32_t>(out.files.size());
    out.files.push_back(part.files.empty() ? std::string() : part.files.front());
    for (auto& t : part.tensors) {
      if (!names.insert(t.name).second)
        throw InputError(fmt::format("{}: tensor '{}' appears in two shards", where, t.name));
      t.file = file_index;
      out.tensors.push_back(std::move(t));
    }
  }
  for (const auto& [tensor, file] : index.weight_map)
    if (!names.count(tensor))
      throw InputError(fmt::format("{}: tensor '{}' is in the index but not in {}", origin, tensor, file));
  return out;
}

TensorFile read_safetensors_checkpoint(const std::filesystem::path& dir) {
  std::error_code ec;
  const auto single = dir / "model.safetensors";
  const auto index_path = dir / "model.safetensors.index.json";
  if (std::filesystem::exists(single, ec) && !std::filesystem::exists(index_path, ec))
    return read_safetensors(FileSource(single));
  if (!std::filesystem::exists(index_path, ec))
    throw InputError(fmt::format("{}: no model.safetensors or model.safetensors.index.json", dir.string()));
  const SafetensorsIndex index = parse_safetensors_index(read_text_file(index_path), index_path.string());
  std::vector<TensorFile> parts;
  for (const auto& shard : index.shards) parts.push_back(read_safetensors(FileSource(dir / shard)));
  return merge_safetensors_shards(index, std::move(parts), dir.string(), index_path.string());
}

}  // namespace llmmem
