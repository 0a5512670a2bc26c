#pragma once
// Byte counts and the only place where sizes are parsed, formatted and rounded.
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace llmmem {

// Throws OverflowError naming `what` and the operands (out of line: the cold path).
[[noreturn]] void throw_overflow(std::string_view what, std::uint64_t a, std::uint64_t b, char op);

// Multiplies and adds 64-bit counts, throwing OverflowError (naming `what`) instead of wrapping.
// Inline: the estimator calls these a few hundred times per estimate.
[[nodiscard]] inline std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, std::string_view what = "size") {
  std::uint64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) throw_overflow(what, a, b, 'x');
  return out;
}
[[nodiscard]] inline std::uint64_t checked_add(std::uint64_t a, std::uint64_t b, std::string_view what = "size") {
  std::uint64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) throw_overflow(what, a, b, '+');
  return out;
}
// ceil(a * num / den) computed in 128 bits; throws OverflowError when the result exceeds 64 bits.
[[nodiscard]] std::uint64_t mul_div_ceil_wide(std::uint64_t a, std::uint64_t num, std::uint64_t den,
                                              std::string_view what);
[[nodiscard]] inline std::uint64_t mul_div_ceil(std::uint64_t a, std::uint64_t num, std::uint64_t den,
                                                std::string_view what = "size") {
  if (num == den && den != 0) return a;
  if (den == 1) return checked_mul(a, num, what);
  return mul_div_ceil_wide(a, num, den, what);
}
[[nodiscard]] constexpr std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return a / b + (a % b != 0); }

// An amount of memory in bytes. Arithmetic is checked: it throws OverflowError rather than wrap.
class Bytes {
 public:
  constexpr Bytes() = default;
  constexpr explicit Bytes(std::uint64_t count) : m_count(count) {}
  [[nodiscard]] constexpr std::uint64_t count() const { return m_count; }
  [[nodiscard]] double gib() const { return static_cast<double>(m_count) / (1024.0 * 1024.0 * 1024.0); }

  Bytes& operator+=(Bytes other) {
    m_count = checked_add(m_count, other.m_count, "bytes");
    return *this;
  }
  friend Bytes operator+(Bytes a, Bytes b) { return a += b; }
  // Saturates at zero: memory left over never goes negative.
  friend constexpr Bytes saturating_sub(Bytes a, Bytes b) {
    return Bytes(a.m_count > b.m_count ? a.m_count - b.m_count : 0);
  }
  friend Bytes operator*(Bytes a, std::uint64_t n) { return Bytes(checked_mul(a.m_count, n, "bytes")); }
  friend Bytes operator*(std::uint64_t n, Bytes a) { return a * n; }
  friend constexpr auto operator<=>(Bytes, Bytes) =
      default;  // NOLINT(modernize-use-nullptr): clang-tidy 14 misreads defaulted <=>

 private:
  std::uint64_t m_count = 0;
};

constexpr Bytes operator""_KiB(unsigned long long n) { return Bytes(n * 1024ULL); }
constexpr Bytes operator""_MiB(unsigned long long n) { return Bytes(n * 1024ULL * 1024ULL); }
constexpr Bytes operator""_GiB(unsigned long long n) { return Bytes(n * 1024ULL * 1024ULL * 1024ULL); }

enum class Units { binary, decimal };
// "binary" (GiB) or "decimal" (GB), case-insensitive; UsageError otherwise.
[[nodiscard]] Units parse_units(std::string_view name);

// "14.96 GiB" (binary, 1024^3) or "16.06 GB" (decimal, 10^9), two decimals.
[[nodiscard]] std::string format_size(Bytes bytes, Units units = Units::binary);
// The number alone in the unit format_size would use for GiB/GB ("14.96").
[[nodiscard]] std::string format_gib_number(Bytes bytes, Units units = Units::binary);

// Parses "80GB", "80 GiB", "24g", "512MiB", "1.5TB", "1073741824B". A number without a unit is refused
// (bytes or GB?), except 0.
// Decimal suffixes (KB/MB/GB/TB) are powers of 1000, binary ones (KiB/MiB/GiB/TiB, and the
// single letters K/M/G/T) powers of 1024. Throws UsageError naming the text on failure.
[[nodiscard]] Bytes parse_size(std::string_view text);

// Parses a count with an optional scale: "70B", "7.24B", "350M", "1.5k", "70e9", "70000000000".
// Throws UsageError on junk, negative values, or values that do not fit 64 bits.
[[nodiscard]] std::uint64_t parse_count(std::string_view text);

// Parses a token count: whole numbers with an optional k (1024) or m (1024²) suffix ("32k" = 32768).
// Throws UsageError for fractions, signs and junk.
[[nodiscard]] std::uint64_t parse_tokens(std::string_view text);

}  // namespace llmmem
