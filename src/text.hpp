#pragma once
// Small text helpers shared by the library's parsers (internal: not installed).
#include <cctype>
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

}  // namespace llmmem::text
