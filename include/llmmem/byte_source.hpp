#pragma once
// Bounded random access to the bytes of untrusted input (a file on disk, or memory in tests and
// fuzzers). Every read is checked against the size; nothing reads past the end.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace llmmem {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  [[nodiscard]] virtual std::uint64_t size() const = 0;
  // Copies n bytes at offset into out. Throws InputError (naming the source) when out of range.
  virtual void read(std::uint64_t offset, char* out, std::size_t n) const = 0;
  [[nodiscard]] virtual const std::string& name() const = 0;
};

class MemorySource final : public ByteSource {
 public:
  MemorySource(std::string_view bytes, std::string name) : m_bytes(bytes), m_name(std::move(name)) {}
  [[nodiscard]] std::uint64_t size() const override { return m_bytes.size(); }
  void read(std::uint64_t offset, char* out, std::size_t n) const override;
  [[nodiscard]] const std::string& name() const override { return m_name; }

 private:
  std::string_view m_bytes;
  std::string m_name;
};

class FileSource final : public ByteSource {
 public:
  // Opens the file; throws InputError when it is missing, unreadable or not a regular file (a FIFO,
  // socket or device is refused before it is opened, so nothing blocks).
  explicit FileSource(const std::filesystem::path& path);
  [[nodiscard]] std::uint64_t size() const override { return m_size; }
  void read(std::uint64_t offset, char* out, std::size_t n) const override;
  [[nodiscard]] const std::string& name() const override { return m_name; }

 private:
  std::string m_name;
  std::uint64_t m_size = 0;
  mutable std::ifstream m_in;
};

// The first bytes of a larger file held in memory (a remote file read by range requests, or the
// cache of such reads), reporting the whole file's size so that a reader checks every offset against
// the real file. A read past the bytes held calls `widen(from, to)`, which must return the file's
// bytes [from, to') for some to' >= to (one more range request); the bytes held never grow past
// `max_held`. Without `widen`, or past `max_held`, such a read is an InputError naming the source.
class PrefixSource final : public ByteSource {
 public:
  using Widen = std::function<std::string(std::uint64_t from, std::uint64_t to)>;
  PrefixSource(std::string prefix, std::uint64_t size, std::string name, Widen widen = {}, std::uint64_t max_held = 0);
  [[nodiscard]] std::uint64_t size() const override { return m_size; }
  void read(std::uint64_t offset, char* out, std::size_t n) const override;
  [[nodiscard]] const std::string& name() const override { return m_name; }
  // The bytes held so far (what a cache keeps).
  [[nodiscard]] const std::string& held() const { return m_held; }

 private:
  mutable std::string m_held;
  std::uint64_t m_size;
  std::string m_name;
  Widen m_widen;
  std::uint64_t m_max_held;
};

}  // namespace llmmem
