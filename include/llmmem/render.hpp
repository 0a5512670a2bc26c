#pragma once
// Renderers: pure functions from result records to text. The CLI prints what they return.
#include <string>

#include "llmmem/bytes.hpp"
#include "llmmem/catalog.hpp"
#include "llmmem/estimate.hpp"
#include "llmmem/fit.hpp"
#include "llmmem/gpu.hpp"
#include "llmmem/model_files.hpp"

namespace llmmem {

enum class Format { table, json, csv, markdown };
[[nodiscard]] Format parse_format(std::string_view name);

struct RenderOptions {
  Format format = Format::table;
  Units units = Units::binary;
  bool explain = false;
  bool color = false;
};

constexpr int k_schema_version = 1;

[[nodiscard]] std::string render_estimate(const Estimate& estimate, const std::optional<GpuVerdict>& gpu,
                                          const RenderOptions& options);
[[nodiscard]] std::string render_fit(const FitQuery& query, const FitResult& result, const RenderOptions& options);
// Memory against context length (--plot, --csv-out); the points come from memory_by_context().
[[nodiscard]] std::string render_context_chart(const std::vector<ContextPoint>& points, std::optional<Bytes> capacity,
                                               Units units);
[[nodiscard]] std::string render_context_csv(const std::vector<ContextPoint>& points, std::optional<Bytes> capacity);
[[nodiscard]] std::string render_inspection(const Inspection& inspection, const RenderOptions& options);
[[nodiscard]] std::string render_models(const Catalog& catalog, const RenderOptions& options);
[[nodiscard]] std::string render_precisions(const RenderOptions& options);
[[nodiscard]] std::string render_gpus(const std::vector<GpuSpec>& gpus, const RenderOptions& options);
[[nodiscard]] std::string render_local_gpus(const std::vector<LocalGpu>& gpus, const RenderOptions& options);

}  // namespace llmmem
