#pragma once
// One report record per command. The CLI builds the record, render() prints it in any format
// (render.hpp); no printer decides on its own what a command shows.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "llmmem/bytes.hpp"
#include "llmmem/catalog.hpp"
#include "llmmem/estimate.hpp"
#include "llmmem/fit.hpp"
#include "llmmem/gpu.hpp"
#include "llmmem/model_files.hpp"
#include "llmmem/startup.hpp"

namespace llmmem {

// `infer` and `train`: the estimate, the verdict on the GPUs given, and the memory-vs-context
// curve when asked for (--plot, --csv-out).
struct EstimateReport {
  Estimate estimate;
  std::optional<GpuVerdict> gpu;
  std::vector<ContextPoint> curve;  // empty unless asked for
  std::optional<Bytes> curve_capacity;
  EngineStartup startup;  // what the engine reserves and logs at start-up (engine_startup)
};

// `fit`: the answers, the verdict on the request as stated, and the estimate the model object and
// settings come from.
struct FitReport {
  FitQuery query;
  FitResult result;
  Estimate estimate;
  std::vector<ContextPoint> curve;
};

// `inspect`.
struct InspectReport {
  Inspection inspection;
};

// `models`: one row per catalog entry.
struct ModelRow {
  std::string name, hf_id, architecture, family, description;
  std::optional<std::uint64_t> parameters, active_parameters;  // empty when not supported
  bool supported = true;
};
struct ModelsReport {
  std::vector<ModelRow> models;
};
[[nodiscard]] ModelsReport models_report(const Catalog& catalog);

// `models --local`: what other tools' stores hold (local_stores.hpp).
struct LocalModelsReport {
  std::vector<LocalModel> models;
};

// `precisions`: the weight and KV precision tables.
struct PrecisionsReport {};

// `gpus`: the catalog; `gpus --local`: this machine's devices.
struct GpusReport {
  std::vector<GpuSpec> gpus;
};
struct LocalGpusReport {
  std::vector<LocalGpu> gpus;
};

using Report = std::variant<EstimateReport, FitReport, InspectReport, ModelsReport, PrecisionsReport, GpusReport,
                            LocalGpusReport, LocalModelsReport>;

}  // namespace llmmem
