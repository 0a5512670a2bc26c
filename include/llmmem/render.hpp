#pragma once
// Printers: pure functions from report records (report.hpp) to text. Every record renders in
// every format; the CLI prints what they return.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmmem/bytes.hpp"
#include "llmmem/fit.hpp"
#include "llmmem/report.hpp"

namespace llmmem {

enum class Format { table, json, csv, markdown };
[[nodiscard]] Format parse_format(std::string_view name);

struct RenderOptions {
  Format format = Format::table;
  Units units = Units::binary;
  bool explain = false;
  bool color = false;
};

// 2: `--gpu NAME` is one GPU; gpu.needed is null when nothing holds the model; per_gpu carries
// signed headroom; fit shares infer's command/method/model/gpu objects (docs/json-schema.md).
constexpr int k_schema_version = 2;

[[nodiscard]] std::string render(const Report& report, const RenderOptions& options);

// Memory against context length as a text chart (--plot): for the terminal or stderr, never JSON.
[[nodiscard]] std::string render_context_chart(const std::vector<ContextPoint>& points, std::optional<Bytes> capacity,
                                               Units units);
// The same curve as CSV (--csv-out FILE).
[[nodiscard]] std::string render_context_csv(const std::vector<ContextPoint>& points, std::optional<Bytes> capacity);

// Text from a file or a device made safe for a terminal: control characters (C0, DEL, C1) and
// bytes that are not UTF-8 become visible escapes (\x1b, \u009b); newlines are kept only when
// `keep_newlines`.
[[nodiscard]] std::string escape_control(std::string_view text, bool keep_newlines = false);

}  // namespace llmmem
