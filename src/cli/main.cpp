// llmmem: parse options, call the library, print one rendering, map errors to exit codes.
#include <unistd.h>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "exit_codes.hpp"
#include "llmmem/catalog.hpp"
#include "llmmem/error.hpp"
#include "llmmem/fit.hpp"
#include "llmmem/model_files.hpp"
#include "llmmem/render.hpp"
#include "local_gpus.hpp"
#include "options.hpp"
#include "request_builder.hpp"

using namespace llmmem;
using llmmem::cli::ExitCode;

namespace {

struct NoGpu : InputError {
  using InputError::InputError;
};

std::vector<LocalGpu> local_gpus() {
  try {
    return cli::query_local_gpus();
  } catch (const InputError& e) {
    throw NoGpu(e.what());
  }
}

std::optional<GpuTarget> gpu_target(const cli::Options& o) {
  if (!o.gpu.empty() && !o.gpu_memory.empty()) throw UsageError("give --gpu or --gpu-memory, not both");
  if (o.gpu == "local") return local_gpu_target(local_gpus());
  if (!o.gpu.empty()) return parse_gpu_target(o.gpu);
  if (!o.gpu_memory.empty()) return parse_gpu_memory_target(o.gpu_memory);
  return std::nullopt;
}

int run(const cli::Options& o, std::string& out) {
  RenderOptions ro;
  ro.format = parse_format(o.format);
  ro.units = parse_units(o.units);
  ro.explain = o.explain;
  ro.color = ro.format == Format::table && isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;

  if (o.command == "precisions") return out = render_precisions(ro), 0;
  if (o.command == "gpus") {
    out = o.local ? render_local_gpus(local_gpus(), ro) : render_gpus(gpu_catalog(), ro);
    return 0;
  }
  if (o.command == "inspect") return out = render_inspection(inspect_path(o.path), ro), 0;
  const Catalog catalog(cli::models_dirs(o));
  if (o.command == "models") return out = render_models(catalog, ro), 0;

  ResolveOptions resolve;
  resolve.hf_hub_cache = hf_hub_cache(std::getenv("HF_HUB_CACHE"), std::getenv("HF_HOME"), std::getenv("HOME"));
  resolve.revision = o.revision;
  const Model model = resolve_model(catalog, o.model, resolve);
  const Request request = cli::build_request(o);
  const auto target = gpu_target(o);
  if (o.command == "fit") {
    if (!target) throw UsageError("fit needs --gpu NAME[:COUNT], --gpu local or --gpu-memory SIZE[:COUNT]");
    FitQuery q{model, request, *target};
    q.gpu_memory_utilization = cli::parse_fraction(o.gpu_memory_utilization, "--gpu-memory-utilization");
    q.max_gpus = cli::parse_positive(o.max_gpus, "--max-gpus");
    out = render_fit(q, solve_fit(q), ro);
    out += cli::context_curve(model, request, *target, o, ro.units);
    return 0;
  }
  const Estimate e = estimate(model, request);
  std::optional<GpuVerdict> verdict;
  if (target) verdict = judge(model, request, *target);
  out = render_estimate(e, verdict, ro);
  out += cli::context_curve(model, request, target, o, ro.units);
  if (o.check) {
    if (!verdict) throw UsageError("--check needs --gpu or --gpu-memory");
    return verdict->fits ? 0 : static_cast<int>(ExitCode::does_not_fit);
  }
  return 0;
}

int fail(ExitCode code, std::string_view message) {
  std::cerr << "llmmem: error: " << message << "\n";
  return static_cast<int>(code);
}

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = cli::parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  try {
    std::string out;
    const int code = run(*parsed.options, out);
    std::cout << out << std::flush;
    return code;
  } catch (const NoGpu& e) {
    return fail(ExitCode::no_gpu, e.what());
  } catch (const UsageError& e) {
    return fail(ExitCode::usage, e.what());
  } catch (const UnsupportedError& e) {
    return fail(ExitCode::unsupported, e.what());
  } catch (const InputError& e) {
    return fail(ExitCode::input, e.what());
  } catch (const OverflowError& e) {
    return fail(ExitCode::usage, e.what());
  } catch (const std::exception& e) {
    return fail(ExitCode::internal, fmt::format("internal error: {}", e.what()));
  }
}
