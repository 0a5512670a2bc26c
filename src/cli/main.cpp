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
#include "hub_setup.hpp"
#include "llmmem/catalog.hpp"
#include "llmmem/engine.hpp"
#include "llmmem/engine_defaults.hpp"
#include "llmmem/error.hpp"
#include "llmmem/fit.hpp"
#include "llmmem/framework.hpp"
#include "llmmem/host_memory.hpp"
#include "llmmem/hub.hpp"
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

// The host memory to judge against: --ram, else this machine's /proc/meminfo when its own GPUs are
// judged (LLMMEM_MEMINFO names a stand-in file, for tests), else none.
std::optional<HostMemory> host_ram(const cli::Options& o) {
  if (o.has("--ram")) return parse_ram(o.ram);
  if (!(o.has("--gpu") && o.gpu == "local")) return std::nullopt;
  const char* env = std::getenv("LLMMEM_MEMINFO");
  const std::string path = env && *env ? env : "/proc/meminfo";
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return std::nullopt;      // not Linux: the host is not judged
  std::string text(1 << 16, '\0');  // /proc/meminfo is about 1.5 KiB; more is not meminfo
  const std::size_t n = std::fread(text.data(), 1, text.size(), f);
  std::fclose(f);
  text.resize(n);
  try {
    HostMemory h = parse_meminfo(text);
    return h;
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", path, e.what()));
  }
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

// Options that only some engines have, in the engines' own words: a flag the engine assumed lacks
// is a usage error naming it (issue 10).
struct EngineFlag {
  const char* flag;
  std::string_view engines;  // ids, comma-separated; the first is suggested
  std::string_view who;      // as the message names them
};
constexpr EngineFlag k_engine_flags[] = {
    {"--gpu-memory-utilization", "vllm", "vLLM"},
    {"--max-model-len", "vllm", "vLLM"},
    {"--max-num-seqs", "vllm", "vLLM"},
    {"--enforce-eager", "vllm", "vLLM"},
    {"--cpu-offload-gb", "vllm", "vLLM"},
    {"--mem-fraction-static", "sglang", "SGLang"},
    {"--ubatch", "llama.cpp,ollama", "llama.cpp/Ollama"},
    {"--parallel", "llama.cpp,ollama", "llama.cpp/Ollama"},
    {"--flash-attn", "llama.cpp,ollama", "llama.cpp/Ollama"},
    {"--gpu-layers", "llama.cpp,ollama", "llama.cpp/Ollama"},
    {"--cpu-moe", "llama.cpp,ollama", "llama.cpp/Ollama"},
    {"--n-cpu-moe", "llama.cpp,ollama", "llama.cpp/Ollama"},
    {"--no-kv-offload", "llama.cpp,ollama", "llama.cpp/Ollama"},
    {"--no-mmap", "llama.cpp,ollama", "llama.cpp/Ollama"},
    {"--tensor-split", "llama.cpp,ollama", "llama.cpp/Ollama"},
};

void check_engine_flags(const cli::Options& o, const Model& model, const Request& request) {
  const EngineProfile& engine = engine_for(model, request);
  for (const auto& f : k_engine_flags) {
    if (!o.has(f.flag)) continue;
    const bool has = request.method == Method::detailed && engine_is_one_of(engine, f.engines);
    if (!has)
      throw UsageError(fmt::format("{} is a {} setting; {} does not have it (add --engine {})", f.flag, f.who,
                                   engine.name, f.engines.substr(0, f.engines.find(','))));
  }
}

// The engine settings the user gave (check_engine_flags has made sure the engine has them).
EngineSettings engine_settings(const cli::Options& o) {
  EngineSettings s;
  s.vllm.gpu_memory_utilization = cli::parse_fraction(o.gpu_memory_utilization, "--gpu-memory-utilization");
  if (o.has("--max-model-len")) s.vllm.max_model_len = cli::parse_tokens(o.max_model_len, "--max-model-len");
  s.vllm.enforce_eager = o.enforce_eager;
  if (o.has("--max-num-seqs")) s.vllm.max_num_seqs = cli::parse_positive(o.max_num_seqs, "--max-num-seqs");
  if (o.has("--mem-fraction-static"))
    s.sglang.mem_fraction_static = cli::parse_fraction(o.mem_fraction_static, "--mem-fraction-static");
  if (o.has("--parallel")) s.n_seq_max = cli::parse_positive(o.parallel, "--parallel");
  return s;
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
  if (o.command == "inspect") {
    // A path that is not on disk but reads as org/name[@revision][:QUANT]: the Hub's headers.
    std::error_code ec;
    const auto id = std::filesystem::exists(o.path, ec) ? std::nullopt : parse_hub_id(o.path, o.revision);
    if (!id) return {render(InspectReport{inspect_path(o.path)}, ro), "", 0};
    const cli::HubSetup hub =
        cli::make_hub(o, hf_hub_cache(std::getenv("HF_HUB_CACHE"), std::getenv("HF_HOME"), std::getenv("HOME")));
    return {render(InspectReport{hub.hub->inspect(*id)}, ro), "", 0};
  }
  const Catalog catalog(cli::models_dirs(o));
  if (o.command == "models") return {render(models_report(catalog), ro), "", 0};

  ResolveOptions resolve;
  resolve.hf_hub_cache = hf_hub_cache(std::getenv("HF_HUB_CACHE"), std::getenv("HF_HOME"), std::getenv("HOME"));
  resolve.revision = o.revision;
  const cli::HubSetup hub = cli::make_hub(o, resolve.hf_hub_cache);
  resolve.hub = hub.hub.get();
  Model model = resolve_model(catalog, o.model, resolve);
  if (o.has("--mmproj")) attach_mmproj(model, o.mmproj);
  Request request = cli::build_request(o);
  const auto target = gpu_target(o);
  // What the engine picks when the user does not say: its context (llama.cpp --fit, Ollama num_ctx)
  // and its flash-attention default.
  const std::uint64_t n_seq_max = o.has("--parallel") ? cli::parse_positive(o.parallel, "--parallel") : 1;
  const std::vector<std::string> default_notes =
      apply_engine_defaults(model, request,
                            Unset{!o.has("--seq-len"), !o.has("--attention") && !o.has("--flash-attn"),
                                  !o.has("--gpu-layers"), o.has("--gpu-layers") && o.gpu_layers == "auto"},
                            target ? &*target : nullptr, n_seq_max);
  // The training framework's defaults where the user gave none (framework.hpp).
  const std::vector<std::string> framework_notes = apply_framework_defaults(
      model, request,
      UnsetTraining{!o.has("--recipe"), !o.has("--gradient-checkpointing"), !o.has("--loss"), !o.has("--optimizer"),
                    !o.has("--activation-offload"), !o.has("--optimizer-in-bwd"), !o.has("--upcast-unquantized"),
                    !o.has("--expandable-segments")});
  // The engine's default prefill chunk depends on the GPU (vLLM and SGLang size it by memory).
  if (!o.has("--prefill-chunk") && request.method == Method::detailed && target)
    request.prefill_chunk = default_prefill_chunk(model, request, *target);
  const LayoutLimits limits = layout_limits(o);
  if (o.check && !target) throw UsageError("--check needs the GPUs to judge against: --gpu or --gpu-memory");
  if (o.has("--tensor-split") && !target)
    throw UsageError("--tensor-split splits layers over GPUs: give --gpu NAME:COUNT or --gpu local too");
  if (o.has("--ram")) {
    (void)parse_ram(o.ram);  // a bad size is an error even where nothing is judged
    if (!target) throw UsageError("--ram is judged beside the GPUs: give --gpu or --gpu-memory too");
  }
  if (o.command == "fit") {
    if (!target) throw UsageError("fit needs --gpu NAME[:COUNT], --gpu local or --gpu-memory SIZE[:COUNT]");
    FitQuery q{model, request, *target};
    q.gpu_memory_utilization = cli::parse_fraction(o.gpu_memory_utilization, "--gpu-memory-utilization");
    q.limits = limits;
    q.ram = host_ram(o);
    FitReport rep{q, solve_fit(q), {}, {}};
    const Request judged = as_judged(request, rep.result.verdict);
    rep.estimate = estimate(model, judged);
    judge_host(rep.estimate, q.ram, *target, rep.result.verdict);
    rep.estimate.notes.insert(rep.estimate.notes.end(), default_notes.begin(), default_notes.end());
    rep.estimate.notes.insert(rep.estimate.notes.end(), framework_notes.begin(), framework_notes.end());
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
  check_engine_flags(o, model, request);
  Request as_run = judged;
  if (o.has("--ubatch")) as_run.prefill_chunk = cli::parse_positive(o.ubatch, "--ubatch");  // llama.cpp's step
  EstimateReport rep{estimate(model, as_run), verdict, {}, {}, {}};
  rep.estimate.notes.insert(rep.estimate.notes.end(), default_notes.begin(), default_notes.end());
  rep.estimate.notes.insert(rep.estimate.notes.end(), framework_notes.begin(), framework_notes.end());
  rep.startup = engine_startup(model, as_run, target ? &*target : nullptr, engine_settings(o));
  if (rep.gpu) {
    apply_engine_startup(rep.startup, engine_for(model, request), *rep.gpu);
    judge_host(rep.estimate, host_ram(o), *target, *rep.gpu);
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
  } catch (const NetworkError& e) {
    return fail(ExitCode::network, e.what());
  } catch (const std::exception& e) {
    return fail(ExitCode::internal, fmt::format("internal error: {}", e.what()));
  }
}
