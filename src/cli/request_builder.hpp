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
[[nodiscard]] double parse_fraction(const std::string& text, std::string_view flag);
// --plot / --csv-out: memory against context length; returns the chart text ("" without --plot).
[[nodiscard]] std::string context_curve(const Model& model, const Request& request,
                                        const std::optional<GpuTarget>& target, const Options& o, Units units);

}  // namespace llmmem::cli
