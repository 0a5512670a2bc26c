#include "llmmem/bytes.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "llmmem/error.hpp"
#include "text.hpp"

namespace llmmem {

namespace {

using text::lower;
using text::trim;
__extension__ typedef unsigned __int128 uint128;  // GCC/Clang builtin; 128-bit intermediate products
constexpr std::uint64_t k_max = std::numeric_limits<std::uint64_t>::max();

// Splits "1.5 GiB" into the number "1.5" and the suffix "gib" (lower case).
std::pair<std::string_view, std::string> split_number(std::string_view text) {
  text = trim(text);
  std::size_t i = 0;
  while (i < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.' || text[i] == 'e' || text[i] == 'E' ||
          ((text[i] == '+' || text[i] == '-') && i > 0 && (text[i - 1] == 'e' || text[i - 1] == 'E')))) {
    // 'e' is only an exponent when a digit follows it ("70e9"), not the start of a suffix.
    if ((text[i] == 'e' || text[i] == 'E') &&
        !(i + 1 < text.size() &&
          (std::isdigit(static_cast<unsigned char>(text[i + 1])) || text[i + 1] == '+' || text[i + 1] == '-')))
      break;
    ++i;
  }
  return {text.substr(0, i), lower(trim(text.substr(i)))};
}

// Parses a non-negative decimal number exactly when it is an integer, else as a double.
// Returns value * scale rounded to the nearest integer, rejecting overflow.
std::uint64_t scaled(std::string_view number, std::uint64_t scale, std::string_view original, std::string_view what) {
  if (number.empty()) throw UsageError(fmt::format("invalid {} '{}': expected a number", what, original));
  std::uint64_t integer = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), integer);
  if (ec == std::errc() && end == number.data() + number.size()) return checked_mul(integer, scale, what);
  if (ec == std::errc::result_out_of_range) throw UsageError(fmt::format("invalid {} '{}': too large", what, original));
  double value = 0;
  if (!text::parse_double(number, value) || !std::isfinite(value) || value < 0)
    throw UsageError(fmt::format("invalid {} '{}': expected a non-negative number", what, original));
  const long double result = static_cast<long double>(value) * static_cast<long double>(scale);
  if (result >= 18446744073709551615.0L) throw UsageError(fmt::format("invalid {} '{}': too large", what, original));
  return static_cast<std::uint64_t>(std::llround(static_cast<double>(result)));
}
}  // namespace

void throw_overflow(std::string_view what, std::uint64_t a, std::uint64_t b, char op) {
  throw OverflowError(fmt::format("{} overflows 64 bits ({} {} {})", what, a, op, b));
}

std::uint64_t mul_div_ceil_wide(std::uint64_t a, std::uint64_t num, std::uint64_t den, std::string_view what) {
  if (den == 0) throw Error(fmt::format("{}: division by zero", what));
  const uint128 product = static_cast<uint128>(a) * num;
  const uint128 result = product / den + (product % den != 0);
  if (result > k_max) throw OverflowError(fmt::format("{} overflows 64 bits", what));
  return static_cast<std::uint64_t>(result);
}

std::string format_gib_number(Bytes bytes, Units units) {
  const double divisor = units == Units::binary ? 1024.0 * 1024.0 * 1024.0 : 1e9;
  return fmt::format("{:.2f}", static_cast<double>(bytes.count()) / divisor);
}

std::string format_size(Bytes bytes, Units units) {
  return format_gib_number(bytes, units) + (units == Units::binary ? " GiB" : " GB");
}

Units parse_units(std::string_view name) {
  const std::string key = lower(name);
  if (key == "binary") return Units::binary;
  if (key == "decimal") return Units::decimal;
  throw UsageError(fmt::format("unknown units '{}' (valid: binary, decimal)", name));
}

Bytes parse_size(std::string_view text) {
  const auto [number, suffix] = split_number(text);
  std::uint64_t scale = 0;
  // A bare number could mean bytes or GB: only 0 may go without a unit (issue 9, item 7).
  if (suffix.empty() && number != "0")
    throw UsageError(
        fmt::format("size '{}' has no unit: write B, KiB, MiB, GiB, TiB, KB, MB, GB or TB (e.g. {}GiB)", text, number));
  if (suffix.empty() || suffix == "b")
    scale = 1;
  else if (suffix == "k" || suffix == "kib")
    scale = 1ULL << 10;
  else if (suffix == "m" || suffix == "mib")
    scale = 1ULL << 20;
  else if (suffix == "g" || suffix == "gib")
    scale = 1ULL << 30;
  else if (suffix == "t" || suffix == "tib")
    scale = 1ULL << 40;
  else if (suffix == "kb")
    scale = 1000ULL;
  else if (suffix == "mb")
    scale = 1000ULL * 1000;
  else if (suffix == "gb")
    scale = 1000ULL * 1000 * 1000;
  else if (suffix == "tb")
    scale = 1000ULL * 1000 * 1000 * 1000;
  else
    throw UsageError(fmt::format("invalid size '{}': unknown unit '{}' (use B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)",
                                 text, suffix));
  try {
    return Bytes(scaled(number, scale, text, "size"));
  } catch (const OverflowError&) {
    throw UsageError(fmt::format("invalid size '{}': too large", text));
  }
}

std::uint64_t parse_tokens(std::string_view text) {
  // Token counts as LLM users write them: "32k" is 32768 (k = 1024, as in "a 32k context"), "1m"
  // 1048576. Whole numbers only: "1.5" is refused, never rounded.
  text = trim(text);
  std::uint64_t scale = 1;
  if (!text.empty() && (text.back() == 'k' || text.back() == 'K')) {
    scale = 1ULL << 10;
    text.remove_suffix(1);
  } else if (!text.empty() && (text.back() == 'm' || text.back() == 'M')) {
    scale = 1ULL << 20;
    text.remove_suffix(1);
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw UsageError(fmt::format("'{}' is not a whole number of tokens such as 4096 or 32k (k = 1024)", text));
  if (v > (1ULL << 40) / scale) throw UsageError(fmt::format("token count '{}' is too large", text));
  return v * scale;
}

std::uint64_t parse_count(std::string_view text) {
  const auto [number, suffix] = split_number(text);
  std::uint64_t scale = 0;
  if (suffix.empty())
    scale = 1;
  else if (suffix == "k")
    scale = 1000ULL;
  else if (suffix == "m")
    scale = 1000ULL * 1000;
  else if (suffix == "b" || suffix == "g")
    scale = 1000ULL * 1000 * 1000;
  else if (suffix == "t")
    scale = 1000ULL * 1000 * 1000 * 1000;
  else
    throw UsageError(fmt::format("invalid count '{}': unknown suffix '{}' (use K, M, B or T)", text, suffix));
  try {
    return scaled(number, scale, text, "count");
  } catch (const OverflowError&) {
    throw UsageError(fmt::format("invalid count '{}': too large", text));
  }
}

}  // namespace llmmem
