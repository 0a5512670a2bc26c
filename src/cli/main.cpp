// llmmem: parse options, build the command's report record, print one rendering, map errors to
// exit codes.
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "exit_codes.hpp"
#include "llmmem/catalog.hpp"
#include "llmmem/engine.hpp"
#include "llmmem/error.hpp"
#include "llmmem/fit.hpp"
#include "llmmem/model_files.hpp"
#include "llmmem/render.hpp"
#include "llmmem/report.hpp"
#include "llmmem/startup.hpp"
#include "local_gpus.hpp"
#include "options.hpp"
#include "request_builder.hpp"

using namespace llmmem;
using llmmem::cli::ExitCode;

namespace {

struct NoGpu : InputError {
  using InputError::InputError;
};

// What a run prints: the rendering on stdout, a chart (non-table formats) on stderr.
struct Output {
  std::string out, err;
  int code = 0;
};

std::vector<LocalGpu> local_gpus() {
  try {
    return cli::query_local_gpus();
  } catch (const InputError& e) {
    throw NoGpu(e.what());
  }
}

std::optional<GpuTarget> gpu_target(const cli::Options& o) {
  if (o.has("--gpu") && o.has("--gpu-memory")) throw UsageError("give --gpu or --gpu-memory, not both");
  if (o.has("--gpu") && o.gpu == "local") return local_gpu_target(local_gpus());
  if (o.has("--gpu")) return parse_gpu_target(o.gpu);
  if (o.has("--gpu-memory")) return parse_gpu_memory_target(o.gpu_memory);
  return std::nullopt;
}

LayoutLimits layout_limits(const cli::Options& o) {
  LayoutLimits l;
  l.max_gpus = cli::parse_positive(o.max_gpus, "--max-gpus");
  l.gpus_per_node = cli::parse_positive(o.gpus_per_node, "--gpus-per-node");
  return l;
}

// Writes `text` to `path`, checking every write and the close (a full disk is an error, not a
// silent empty file).
void write_file(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw InputError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int saved = errno;
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed)
    throw InputError(fmt::format("{}: cannot write: {}", path, std::strerror(wrote ? errno : saved)));
}

// The request as it will run on the GPUs given: when the user left the layout to llmmem, the
// estimate is for the layout the verdict chose.
Request as_judged(const Request& request, const std::optional<GpuVerdict>& verdict) {
  Request r = request;
  // A proportional split over mixed GPUs is not one of the estimator's even layouts: the estimate
  // stays the whole model, and the verdict carries each GPU's share.
  if (verdict && request.method == Method::detailed && verdict->split == Split::even) r.layout = verdict->layout;
  return r;
}

// --plot and --csv-out: memory against context length under the layout judged (never re-planned).
std::vector<ContextPoint> context_curve(const Model& model, const Request& judged, const std::optional<GpuVerdict>& v,
                                        const cli::Options& o) {
  if (!o.plot && o.plot_csv.empty()) return {};
  const std::optional<Bytes> capacity = v ? std::optional<Bytes>(v->memory_per_gpu) : std::nullopt;
  auto points = memory_by_context(model, judged, capacity);
  if (!o.plot_csv.empty()) write_file(o.plot_csv, render_context_csv(points, capacity));
  return points;
}

Output run(const cli::Options& o) {
  Output result;
  RenderOptions ro;
  ro.format = parse_format(o.format);
  ro.units = parse_units(o.units);
  ro.explain = o.explain;
  ro.color = ro.format == Format::table && isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
  if (o.explain && ro.format == Format::csv)
    throw UsageError("--explain is for the table and markdown; JSON always carries each formula and its inputs");

  if (o.command == "precisions") return {render(PrecisionsReport{}, ro), "", 0};
  if (o.command == "gpus") {
    if (o.local) return {render(LocalGpusReport{local_gpus()}, ro), "", 0};
    return {render(GpusReport{gpu_catalog()}, ro), "", 0};
  }
  if (o.command == "inspect") return {render(InspectReport{inspect_path(o.path)}, ro), "", 0};
  const Catalog catalog(cli::models_dirs(o));
  if (o.command == "models") return {render(models_report(catalog), ro), "", 0};

  ResolveOptions resolve;
  resolve.hf_hub_cache = hf_hub_cache(std::getenv("HF_HUB_CACHE"), std::getenv("HF_HOME"), std::getenv("HOME"));
  resolve.revision = o.revision;
  const Model model = resolve_model(catalog, o.model, resolve);
  Request request = cli::build_request(o);
  const auto target = gpu_target(o);
  // The engine's default prefill chunk depends on the GPU (vLLM and SGLang size it by memory).
  if (!o.has("--prefill-chunk") && request.method == Method::detailed && target)
    request.prefill_chunk =
        default_prefill_chunk(engine_for(model, request), target->smallest().count(), target->devices.front().name);
  const LayoutLimits limits = layout_limits(o);
  if (o.check && !target) throw UsageError("--check needs the GPUs to judge against: --gpu or --gpu-memory");
  if (o.command == "fit") {
    if (!target) throw UsageError("fit needs --gpu NAME[:COUNT], --gpu local or --gpu-memory SIZE[:COUNT]");
    FitQuery q{model, request, *target};
    q.gpu_memory_utilization = cli::parse_fraction(o.gpu_memory_utilization, "--gpu-memory-utilization");
    q.limits = limits;
    FitReport rep{q, solve_fit(q), {}, {}};
    const Request judged = as_judged(request, rep.result.verdict);
    rep.estimate = estimate(model, judged);
    rep.curve = context_curve(model, judged, rep.result.verdict, o);
    result.out = render(rep, ro);
    if (o.plot && ro.format != Format::table)
      result.err = render_context_chart(rep.curve, rep.result.verdict.memory_per_gpu, ro.units);
    if (!o.plot) rep.curve.clear();
    result.code = o.check && !rep.result.verdict.fits ? static_cast<int>(ExitCode::does_not_fit) : 0;
    return result;
  }
  std::optional<GpuVerdict> verdict;
  if (target) verdict = judge(model, request, *target, limits);
  const Request judged = as_judged(request, verdict);
  Request judged_request = judged;
  const bool llama = request.method == Method::detailed &&
                     (engine_for(model, request).id == "llama.cpp" || engine_for(model, request).id == "ollama");
  for (const char* flag : {"--ubatch", "--parallel", "--flash-attn"})
    if (o.has(flag) && !llama)
      throw UsageError(fmt::format("{} is a llama.cpp/Ollama setting; {} does not have it (add --engine llama.cpp)",
                                   flag, engine_for(model, request).name));
  LlamaCppSettings ls;
  if (o.has("--ubatch")) judged_request.prefill_chunk = ls.n_ubatch = cli::parse_positive(o.ubatch, "--ubatch");
  if (!o.has("--ubatch") && o.has("--prefill-chunk") && judged_request.prefill_chunk > 0)
    ls.n_ubatch = judged_request.prefill_chunk;  // llama.cpp's prefill step is its n_ubatch
  if (o.has("--parallel")) ls.n_seq_max = cli::parse_positive(o.parallel, "--parallel");
  EstimateReport rep{estimate(model, judged_request), verdict, {}, {}, {}, {}, {}};
  const bool sglang = request.method == Method::detailed && engine_for(model, request).id == "sglang";
  if (o.has("--mem-fraction-static") && !sglang)
    throw UsageError(
        fmt::format("--mem-fraction-static is an SGLang setting; {} does not have it (add --engine sglang)",
                    engine_for(model, request).name));
  if (sglang && target && request.mode == Mode::inference) {
    SglangSettings ss;
    if (o.has("--mem-fraction-static"))
      ss.mem_fraction_static = cli::parse_fraction(o.mem_fraction_static, "--mem-fraction-static");
    rep.sglang = sglang_startup(model, judged_request, target->smallest(), ss);
    if (!rep.sglang->starts && rep.gpu) {
      rep.gpu->fits = false;
      rep.gpu->notes.push_back("SGLang would not start: " + rep.sglang->error);
    }
  }
  if (llama && request.mode == Mode::inference) {
    // The buffers llama.cpp logs at load: flash attention as --attention says (flash: on), and
    // Ollama's runner with embeddings on (llama/llama.go NewContextParams, v0.12.10).
    ls.flash_attn = request.attention == Attention::flash;
    ls.embeddings = engine_for(model, request).id == "ollama";
    rep.llama_cpp = llama_cpp_startup(model, judged_request, ls);
    // The engine's own buffers must fit too: a GPU that holds the estimate but not llama.cpp's
    // compute buffer (it reserves logits for a whole ubatch) does not run it.
    if (rep.gpu && judged.layout.gpus() == 1 && !rep.gpu->per_gpu.empty() &&
        rep.llama_cpp->gpu_total > rep.gpu->per_gpu.front().capacity) {
      rep.gpu->fits = false;
      rep.gpu->notes.push_back(fmt::format("{}'s GPU buffers ({}) exceed the GPU's {}", engine_for(model, request).name,
                                           format_size(rep.llama_cpp->gpu_total),
                                           format_size(rep.gpu->per_gpu.front().capacity)));
    }
  }
  const bool vllm = request.method == Method::detailed && engine_for(model, request).id == "vllm";
  for (const char* flag : {"--max-model-len", "--max-num-seqs", "--gpu-memory-utilization"})
    if (o.has(flag) && !vllm)
      throw UsageError(fmt::format("{} is a vLLM setting; {} does not have it (add --engine vllm)", flag,
                                   engine_for(model, request).name));
  if (vllm && target && request.mode == Mode::inference) {
    // What vLLM reserves at start-up on the smallest GPU of the layout, and whether it starts at all.
    VllmSettings vs;
    vs.gpu_memory_utilization = cli::parse_fraction(o.gpu_memory_utilization, "--gpu-memory-utilization");
    if (o.has("--max-model-len")) vs.max_model_len = cli::parse_tokens(o.max_model_len, "--max-model-len");
    if (o.has("--max-num-seqs")) vs.max_num_seqs = cli::parse_positive(o.max_num_seqs, "--max-num-seqs");
    if (o.has("--prefill-chunk")) vs.max_num_batched_tokens = judged.prefill_chunk;
    rep.vllm = vllm_startup(model, judged, target->smallest(), target->devices.front().name, vs);
    if (!rep.vllm->starts && rep.gpu) {
      rep.gpu->fits = false;
      rep.gpu->notes.push_back("vLLM would not start: " + rep.vllm->error);
    }
  }
  if (verdict && judged.layout.gpus() > 1 && request.layout.is_single() && request.layout.zero == 0)
    rep.estimate.notes.push_back(fmt::format("layout chosen for the GPUs given: {} GPUs (tp={} pp={} dp={})",
                                             judged.layout.gpus(), judged.layout.tp, judged.layout.pp,
                                             judged.layout.dp));
  auto curve = context_curve(model, judged, verdict, o);
  if (o.plot) {
    rep.curve = curve;
    rep.curve_capacity = verdict ? std::optional<Bytes>(verdict->memory_per_gpu) : std::nullopt;
  }
  result.out = render(rep, ro);
  if (o.plot && ro.format != Format::table) result.err = render_context_chart(rep.curve, rep.curve_capacity, ro.units);
  result.code = o.check && !rep.gpu->fits ? static_cast<int>(ExitCode::does_not_fit) : 0;
  return result;
}

int fail(ExitCode code, std::string_view message) {
  // Messages can quote a file's contents: never let its control characters reach the terminal.
  std::cerr << "llmmem: error: " << escape_control(message) << "\n";
  return static_cast<int>(code);
}

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = cli::parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  try {
    const Output r = run(*parsed.options);
    std::cout << r.out << std::flush;
    if (!std::cout) return fail(ExitCode::input, "cannot write to standard output");
    std::cerr << r.err;
    return r.code;
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
