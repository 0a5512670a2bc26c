#pragma once
// Options (strings as typed) -> library requests. Conversion errors become UsageError.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "llmmem/estimate.hpp"
#include "llmmem/gpu.hpp"
#include "options.hpp"

namespace llmmem::cli {

[[nodiscard]] Request build_request(const Options& o);
[[nodiscard]] std::vector<std::filesystem::path> models_dirs(const Options& o);
[[nodiscard]] std::uint64_t parse_positive(const std::string& text, std::string_view flag);
[[nodiscard]] std::uint64_t parse_tokens(const std::string& text, std::string_view flag);
[[nodiscard]] Bytes parse_size_flag(const std::string& text, std::string_view flag);
[[nodiscard]] double parse_fraction(const std::string& text, std::string_view flag);

}  // namespace llmmem::cli
