#pragma once
// Small text helpers shared by the library's parsers (internal: not installed).
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>

namespace llmmem::text {

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Whether `item` is one of the comma-separated entries of `list` ("fp16,q8_0,q4_0").
inline bool in_list(std::string_view list, std::string_view item) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (list.substr(0, comma) == item) return true;
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return false;
}

// nlohmann's what() without its "[json.exception.parse_error.101] " prefix: the reason and position.
inline std::string json_error_reason(const std::exception& e) {
  std::string what = e.what();
  if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
  return what;
}

// The whole of `s` as a decimal number in std::from_chars's grammar (general format: optional '-',
// digits with an optional '.', optional exponent), converted by strtod (correctly rounded in glibc
// and musl; the "C" locale's '.', the only one llmmem runs in). False when anything is left over or
// the value is out of range; "inf" and "nan", which every caller refuses, are refused here.
inline bool parse_double_portable(std::string_view s, double& out) {
  std::size_t i = s.starts_with('-') ? 1 : 0;
  const auto digits = [&] {
    const std::size_t from = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    return i - from;
  };
  std::size_t mantissa = digits();
  if (i < s.size() && s[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  if (i != s.size()) return false;
  const std::string copy(s);
  errno = 0;
  const double v = std::strtod(copy.c_str(), nullptr);
  if (errno == ERANGE) return false;
  out = v;
  return true;
}

// The whole of `s` as a decimal number: std::from_chars where the standard library has it for
// floating point; libc++ before LLVM 20 (emscripten's, for the web page) does not
// (__cpp_lib_to_chars undefined) and takes parse_double_portable, which tests hold to the same answers.
inline bool parse_double(std::string_view s, double& out) {
#if defined(__cpp_lib_to_chars)
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
#else
  return parse_double_portable(s, out);
#endif
}

}  // namespace llmmem::text
