#include "llmmem/byte_source.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "llmmem/error.hpp"
#include "llmmem/tensor_file.hpp"

namespace llmmem {

namespace {
void check_range(const std::string& name, std::uint64_t size, std::uint64_t offset, std::size_t n) {
  if (offset > size || n > size - offset)
    throw InputError(fmt::format("{}: truncated: needs {} bytes at offset {}, the file has {}", name, n, offset, size));
}
}  // namespace

void MemorySource::read(std::uint64_t offset, char* out, std::size_t n) const {
  check_range(m_name, size(), offset, n);
  if (n > 0) std::memcpy(out, m_bytes.data() + offset, n);
}

FileSource::FileSource(const std::filesystem::path& path) : m_name(path.string()) {
  // The type is checked before the file is opened: opening a FIFO for reading would block until a
  // writer appears, and a device may never end.
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (st.type() == std::filesystem::file_type::not_found) throw InputError(fmt::format("{}: no such file", m_name));
  if (ec) throw InputError(fmt::format("{}: cannot read: {}", m_name, ec.message()));
  if (st.type() == std::filesystem::file_type::directory) throw InputError(fmt::format("{}: is a directory", m_name));
  if (st.type() != std::filesystem::file_type::regular)
    throw InputError(fmt::format("{}: not a regular file (a FIFO, socket or device?)", m_name));
  m_size = std::filesystem::file_size(path, ec);
  if (ec) throw InputError(fmt::format("{}: cannot read: {}", m_name, ec.message()));
  m_in.open(path, std::ios::binary);
  if (!m_in) throw InputError(fmt::format("{}: cannot open", m_name));
}

void FileSource::read(std::uint64_t offset, char* out, std::size_t n) const {
  check_range(m_name, m_size, offset, n);
  m_in.clear();
  m_in.seekg(static_cast<std::streamoff>(offset));
  m_in.read(out, static_cast<std::streamsize>(n));
  if (!m_in || static_cast<std::size_t>(m_in.gcount()) != n)
    throw InputError(fmt::format("{}: read failed at offset {}", m_name, offset));
}

PrefixSource::PrefixSource(std::string prefix, std::uint64_t size, std::string name, Widen widen,
                           std::uint64_t max_held)
    : m_held(std::move(prefix)),
      m_size(size),
      m_name(std::move(name)),
      m_widen(std::move(widen)),
      m_max_held(max_held) {
  if (m_held.size() > m_size) m_held.resize(static_cast<std::size_t>(m_size));
}

void PrefixSource::read(std::uint64_t offset, char* out, std::size_t n) const {
  check_range(m_name, m_size, offset, n);
  const std::uint64_t end = offset + n;  // no overflow: check_range bounded it by m_size
  if (end > m_held.size()) {
    if (!m_widen || end > m_max_held)
      throw InputError(fmt::format("{}: the header reaches byte {}, past the {} bytes read (limit {})", m_name, end,
                                   m_held.size(), m_max_held));
    const std::uint64_t from = m_held.size();
    std::string more = m_widen(from, end);
    if (more.size() < end - from)
      throw InputError(fmt::format("{}: asked for bytes {} to {}, got {}", m_name, from, end, more.size()));
    const std::uint64_t keep = std::min<std::uint64_t>(more.size(), std::min(m_size, m_max_held) - from);
    m_held.append(more, 0, static_cast<std::size_t>(keep));
  }
  if (n > 0) std::memcpy(out, m_held.data() + offset, n);
}

std::vector<DtypeTotal> TensorFile::by_dtype() const {
  std::vector<DtypeTotal> out;
  for (const auto& t : tensors) {
    auto it = std::find_if(out.begin(), out.end(), [&](const DtypeTotal& d) { return d.dtype == t.dtype; });
    if (it == out.end()) {
      out.push_back({t.dtype, 0, 0, Bytes(0)});
      it = out.end() - 1;
    }
    it->tensors += 1;
    it->elements = checked_add(it->elements, t.elements, "elements");
    it->bytes += Bytes(t.bytes);
  }
  std::sort(out.begin(), out.end(), [](const DtypeTotal& a, const DtypeTotal& b) { return a.bytes > b.bytes; });
  return out;
}

Bytes TensorFile::total_bytes() const {
  Bytes sum;
  for (const auto& t : tensors) sum += Bytes(t.bytes);
  return sum;
}

std::uint64_t TensorFile::total_elements() const {
  std::uint64_t sum = 0;
  for (const auto& t : tensors) sum = checked_add(sum, t.elements, "elements");
  return sum;
}

}  // namespace llmmem
