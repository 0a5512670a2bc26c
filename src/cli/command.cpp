// The command runner every front end shares: options -> the command's report record -> one
// rendering, errors -> exit codes and their one-line message.
#include "command.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

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
#include "llmmem/local_stores.hpp"
#include "llmmem/model_files.hpp"
#include "llmmem/render.hpp"
#include "llmmem/report.hpp"
#include "llmmem/startup.hpp"
#include "local_gpus.hpp"
#include "request_builder.hpp"

using namespace llmmem;

namespace {

struct NoGpu : InputError {
  using InputError::InputError;
};

std::vector<LocalGpu> local_gpus(const cli::Host& host) {
  if (!host.may_query_gpus) throw UsageError("--gpu local and gpus --local are not available here: name the GPUs");
  try {
    return cli::query_local_gpus();
  } catch (const InputError& e) {
    throw NoGpu(e.what());
  }
}

// The HuggingFace cache where this process's environment puts it (huggingface_hub's variables).
std::filesystem::path environment_hf_hub_cache() {
  return hf_hub_cache(std::getenv("HF_HUB_CACHE"), std::getenv("HF_HOME"), std::getenv("HOME"));
}

std::optional<GpuTarget> gpu_target(const cli::Options& o, const cli::Host& host) {
  if (o.has("--gpu") && o.has("--gpu-memory")) throw UsageError("give --gpu or --gpu-memory, not both");
  if (o.has("--gpu") && o.gpu == "local") return local_gpu_target(local_gpus(host));
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

// --model where no file may be read: a catalog name or HF id only, never a path or the HF cache.
Model catalog_model(const Catalog& catalog, const std::string& name) {
  if (name.empty()) throw UsageError("--model needs a name, a config.json or a model folder");
  if (const auto* item = catalog.find(name)) return catalog.load(*item);
  std::string hint;
  for (const auto& s : catalog.suggest(name)) hint += (hint.empty() ? "" : ", ") + s;
  throw InputError(
      fmt::format("unknown model '{}'{}; only catalog models are estimated here (no files are read); "
                  "`llmmem models` lists the catalog",
                  name, hint.empty() ? "" : fmt::format(" (did you mean {}?)", hint)));
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
                                        const cli::Options& o, const cli::Host& host) {
  if (!o.plot && o.plot_csv.empty()) return {};
  if (!o.plot_csv.empty() && !host.may_write_files)
    throw UsageError("--csv-out writes a file, which is not allowed here");
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

}  // namespace

namespace llmmem::cli {

namespace {

// inspect org/name --gpu ...: each quant judged by the very run `llmmem infer --model
// org/name:QUANT --gpu-layers all` with the same GPUs and settings makes, so that inspect's marks
// and infer's verdicts cannot disagree. The best that fits is the largest quant that fits (llama.cpp's quants
// grow with quality).
void judge_quants(Inspection& in, const HubId& id, const Options& o, const Host& host) {
  if (in.quants.empty())
    throw UsageError(fmt::format("inspect --gpu judges a GGUF repository's quants; {} has none", id.repo));
  const Bytes* best_size = nullptr;
  for (auto& q : in.quants) {
    Options run = o;
    run.command = "infer";
    run.model = id.repo + (id.revision == "main" ? "" : "@" + id.revision) + ":" + q.quant;
    run.format = "json";
    run.explain = false;
    run.check = false;
    run.given.erase("--format");
    run.given.insert("--model");
    // "Fits" means every layer on the GPUs: llama.cpp's own default would move layers to host memory
    // until the rest fits (--fit), and then every quant would "fit".
    run.gpu_layers = "all";
    run.given.insert("--gpu-layers");
    const Output r = run_command(run, host);
    const auto j = nlohmann::json::parse(r.out);
    // The figure the verdict weighs: the most loaded GPU's bytes.
    std::uint64_t most = 0;
    for (const auto& g : j.at("gpu").at("per_gpu")) most = std::max(most, g.at("bytes").get<std::uint64_t>());
    q.estimate = Bytes(most);
    q.fits = j.at("gpu").at("fits").get<bool>();
    if (const auto& needed = j.at("gpu").at("needed"); needed.is_number_unsigned())
      q.gpus_needed = needed.get<std::uint64_t>();  // null: no count of these GPUs holds it
    if (in.judged_on.empty()) {
      const auto& g = j.at("gpu");
      in.judged_on = fmt::format("{} × {} ({}){}", g.at("count").get<std::uint64_t>(), g.at("name").get<std::string>(),
                                 format_size(Bytes(g.at("memory_bytes").get<std::uint64_t>()), Units::binary),
                                 o.has("--seq-len") ? fmt::format(", seq-len {}", o.seq_len) : std::string());
    }
    if (*q.fits && (!best_size || q.size > *best_size)) {
      best_size = &q.size;
      in.best_fit = q.quant;
    }
  }
}

}  // namespace

Output run_command(const Options& o, const Host& host) {
  Output result;
  RenderOptions ro;
  ro.format = parse_format(o.format);
  ro.units = parse_units(o.units);
  ro.explain = o.explain;
  ro.color = ro.format == Format::table && host.color;
  if (o.explain && ro.format == Format::csv)
    throw UsageError("--explain is for the table and markdown; JSON always carries each formula and its inputs");

  if (o.command == "serve" || o.command == "mcp")
    throw UsageError(fmt::format("{} runs a server: start it with the llmmem program", o.command));
  if (!host.may_read_files) {
    for (const char* flag : {"--models-dir", "--mmproj"})
      if (o.has(flag)) throw UsageError(fmt::format("{} reads files, which is not allowed here", flag));
    if (o.command == "inspect") throw UsageError("inspect reads files, which is not allowed here");
    if (o.command == "models" && o.local)
      throw UsageError("models --local reads other tools' model stores, which is not allowed here");
  }
  if (o.command == "precisions") return {render(PrecisionsReport{}, ro), "", 0};
  if (o.command == "gpus") {
    if (o.local) return {render(LocalGpusReport{local_gpus(host)}, ro), "", 0};
    return {render(GpusReport{gpu_catalog()}, ro), "", 0};
  }
  if (o.command == "inspect") {
    // A path that is not on disk but reads as org/name[@revision][:QUANT]: the Hub's headers.
    std::error_code ec;
    const auto id = std::filesystem::exists(o.path, ec) ? std::nullopt : parse_hub_id(o.path, o.revision);
    const HubSetup hub = id ? make_hub(o, environment_hf_hub_cache()) : HubSetup{};
    const bool judge_on_gpus = o.has("--gpu") || o.has("--gpu-memory");
    if (!hub.hub) {
      if (judge_on_gpus) throw UsageError("inspect --gpu judges the quants of a GGUF repository on the Hub (org/name)");
      return {render(InspectReport{inspect_path(o.path)}, ro), "", 0};
    }
    Inspection in = hub.hub->inspect(*id);
    if (judge_on_gpus) judge_quants(in, *id, o, host);
    return {render(InspectReport{std::move(in)}, ro), "", 0};
  }
  // Other tools' stores, where their own environment variables put them (local_stores.hpp).
  const LocalStorePaths stores = local_store_paths(
      {std::getenv("HOME"), std::getenv("OLLAMA_MODELS"), std::getenv("LLAMA_CACHE"), std::getenv("HF_HUB_CACHE"),
       std::getenv("HUGGINGFACE_HUB_CACHE"), std::getenv("HF_HOME"), std::getenv("XDG_CACHE_HOME")});
  if (o.command == "models" && o.local) return {render(LocalModelsReport{list_local_models(stores)}, ro), "", 0};
  // The built-in catalog is indexed once (its entries are compiled in and never change); folders
  // given by --models-dir or LLMMEM_MODELS_DIR are read afresh on every run.
  static const Catalog builtin;
  const auto dirs = cli::models_dirs(o);
  std::optional<Catalog> with_user_dirs;
  if (!dirs.empty()) with_user_dirs.emplace(dirs);
  const Catalog& catalog = with_user_dirs ? *with_user_dirs : builtin;
  if (o.command == "models") return {render(models_report(catalog), ro), "", 0};

  ResolveOptions resolve;
  resolve.hf_hub_cache = environment_hf_hub_cache();
  resolve.revision = o.revision;
  resolve.stores = stores;
  const HubSetup hub = make_hub(o, resolve.hf_hub_cache);
  resolve.hub = hub.hub.get();
  Model model = host.may_read_files ? resolve_model(catalog, o.model, resolve) : catalog_model(catalog, o.model);
  if (o.has("--mmproj")) attach_mmproj(model, o.mmproj);
  Request request = cli::build_request(o);
  const auto target = gpu_target(o, host);
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
    rep.curve = context_curve(model, judged, rep.result.verdict, o, host);
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
  auto curve = context_curve(model, judged, verdict, o, host);
  if (o.plot) {
    rep.curve = curve;
    rep.curve_capacity = verdict ? std::optional<Bytes>(verdict->memory_per_gpu) : std::nullopt;
  }
  result.out = render(rep, ro);
  if (o.plot && ro.format != Format::table) result.err = render_context_chart(rep.curve, rep.curve_capacity, ro.units);
  result.code = o.check && !rep.gpu->fits ? static_cast<int>(ExitCode::does_not_fit) : 0;
  return result;
}

namespace {

Output fail(ExitCode code, std::string_view message) {
  // Messages can quote a file's contents: never let its control characters reach the terminal.
  return {"", "llmmem: error: " + escape_control(message) + "\n", static_cast<int>(code)};
}

}  // namespace

std::vector<std::string> arguments_from_json(const std::string& command, const nlohmann::json& args) {
  if (!args.is_object()) throw UsageError("the arguments must be a JSON object of flag names and values");
  std::vector<std::string> line{command};
  std::vector<std::string> positionals;
  // The command's positionals (inspect's path), looked up once per thread and known command: the
  // lookup lists every flag with its help, a cost the Python module would pay on every call.
  thread_local std::map<std::string, std::vector<std::string>> positionals_of;
  auto known = positionals_of.find(command);
  if (known == positionals_of.end()) {
    try {
      std::vector<std::string> names;
      for (const auto& f : command_flags(command))
        if (f.positional) names.push_back(f.name);
      known = positionals_of.emplace(command, std::move(names)).first;
    } catch (const UsageError&) {
      // an unknown command (never kept): the parser names it below
    }
  }
  static const std::vector<std::string> none;
  const std::vector<std::string>& positional_names = known != positionals_of.end() ? known->second : none;
  const auto text = [](const std::string& name, const nlohmann::json& v) -> std::string {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_unsigned()) return fmt::format("{}", v.get<std::uint64_t>());
    if (v.is_number_integer()) return fmt::format("{}", v.get<std::int64_t>());
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (!std::isfinite(d)) throw UsageError(fmt::format("argument '{}' is not a finite number", name));
      return fmt::format("{}", d);
    }
    throw UsageError(fmt::format("argument '{}' takes a string, a number, true/false or a list of them", name));
  };
  for (const auto& [key, value] : args.items()) {
    std::string name = key;
    for (auto& c : name)
      if (c == '_') c = '-';
    if (name.empty() || name[0] == '-')
      throw UsageError(fmt::format("argument '{}': give the flag's name without dashes", escape_control(key)));
    if (value.is_null()) continue;
    if (std::find(positional_names.begin(), positional_names.end(), name) != positional_names.end()) {
      positionals.push_back(text(key, value));
      continue;
    }
    if (value.is_boolean()) {
      line.push_back(value.get<bool>() ? "--" + name : "--" + name + "=false");
    } else if (value.is_array()) {
      for (const auto& item : value) line.push_back("--" + name + "=" + text(key, item));
    } else {
      line.push_back("--" + name + "=" + text(key, value));
    }
  }
  // After "--": a path that starts with '-' is still the positional.
  if (!positionals.empty()) line.emplace_back("--");
  line.insert(line.end(), positionals.begin(), positionals.end());
  return line;
}

Output run_command_line(const std::vector<std::string>& args, const Host& host) {
  try {
    auto parsed = parse_arguments(args);
    if (!parsed.options) return {std::move(parsed.out), std::move(parsed.err), parsed.exit_code};
    return run_command(*parsed.options, host);
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

}  // namespace llmmem::cli
