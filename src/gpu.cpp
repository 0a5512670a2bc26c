#include "llmmem/gpu.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "llmmem/error.hpp"
#include "llmmem/framework.hpp"
#include "llmmem/spell.hpp"
#include "text.hpp"

namespace llmmem {

namespace detail {
extern const std::string_view k_gpu_table;  // generated from models/gpus.tsv
}

namespace {

using text::trim;

constexpr Bytes mib(std::uint64_t n) { return Bytes(n * 1024ULL * 1024ULL); }

// Splits a line of models/gpus.tsv into its tab-separated fields.
std::vector<std::string_view> tsv_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  while (true) {
    const auto tab = line.find('\t');
    fields.push_back(line.substr(0, tab));
    if (tab == std::string_view::npos) return fields;
    line = line.substr(tab + 1);
  }
}

// The catalog, parsed once from the embedded models/gpus.tsv (see its header for each column's
// source). A malformed row is a build defect: tests/gpu_test.cpp loads every row.
std::vector<GpuSpec> load_gpu_table() {
  std::vector<GpuSpec> out;
  std::string_view rest = detail::k_gpu_table;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    const auto f = tsv_fields(line);
    std::uint64_t mib_count = 0, cuda_mib = 0, system_mib = 0;
    const auto number = [](std::string_view field, std::uint64_t& value) {
      auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
      return ec == std::errc() && end == field.data() + field.size();
    };
    if (f.size() != 9 || !number(f[3], mib_count) || (f[7] != "-" && !number(f[7], cuda_mib)) ||
        (f[8] != "-" && (!number(f[8], system_mib) || system_mib < mib_count)))
      throw Error(fmt::format("models/gpus.tsv: malformed row '{}'", line));
    const auto optional_mib = [](std::string_view field, std::uint64_t value) {
      return field == "-" ? std::nullopt : std::optional<Bytes>(mib(value));
    };
    out.push_back({f[0], f[1], f[2], mib(mib_count), f[4], f[5], f[6], optional_mib(f[7], cuda_mib),
                   optional_mib(f[8], system_mib)});
  }
  return out;
}

const std::vector<GpuSpec>& k_gpus() {
  static const std::vector<GpuSpec> gpus = load_gpu_table();
  return gpus;
}

std::string squash(std::string_view text) {
  std::string out;
  for (char c : text)
    if (c != '-' && c != '_' && c != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The name without the vendor words driver tools put in front ("NVIDIA GeForce RTX 4090" → rtx4090).
std::string squash_product(std::string_view text) {
  std::string s = squash(text);
  for (bool again = true; again;) {
    again = false;
    for (std::string_view prefix : {"nvidia", "geforce", "tesla", "amd", "instinct", "radeon", "intel"})
      if (s.size() > prefix.size() && s.compare(0, prefix.size(), prefix) == 0) {
        s.erase(0, prefix.size());
        again = true;
      }
  }
  return s;
}

std::uint64_t parse_u64_field(std::string_view text, std::string_view what, std::size_t line) {
  text = trim(text);
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    throw InputError(fmt::format("nvidia-smi output line {}: {} '{}' is not a number", line, what, text));
  return v;
}

// Splits "SPEC[:COUNT]".
std::pair<std::string, std::optional<std::uint64_t>> split_count(std::string_view spec) {
  const auto colon = spec.rfind(':');
  if (colon == std::string_view::npos) return {std::string(spec), std::nullopt};
  const auto count_text = spec.substr(colon + 1);
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(count_text.data(), count_text.data() + count_text.size(), n);
  if (ec != std::errc() || end != count_text.data() + count_text.size() || n == 0 || n > 65536)
    throw UsageError(fmt::format("invalid GPU count '{}' in '{}' (expected 1 to 65536)", count_text, spec));
  return {std::string(spec.substr(0, colon)), n};
}

}  // namespace

const std::vector<GpuSpec>& gpu_catalog() { return k_gpus(); }

const GpuSpec* lookup_gpu(std::string_view name) {
  const std::string key = squash(name), product = squash_product(name);
  for (const auto& g : k_gpus()) {
    std::vector<std::string_view> names{g.id, g.name};
    std::string_view aliases = g.aliases;
    while (!aliases.empty()) {
      const auto comma = aliases.find(',');
      names.push_back(aliases.substr(0, comma));
      aliases = comma == std::string_view::npos ? std::string_view{} : aliases.substr(comma + 1);
    }
    for (const auto& n : names)
      if (squash(n) == key || squash(n) == product) return &g;
  }
  return nullptr;
}

const GpuSpec& find_gpu(std::string_view name) {
  if (const GpuSpec* g = lookup_gpu(name)) return *g;
  const std::string product = squash_product(name);
  std::vector<std::string> ids;
  for (const auto& g : k_gpus()) ids.emplace_back(g.id);
  const auto hint = nearest(product, ids);
  throw UsageError(fmt::format("unknown GPU '{}'{}; `llmmem gpus` lists them", name,
                               hint ? fmt::format(" (did you mean {}?)", *hint) : ""));
}

Bytes cuda_visible_memory(std::string_view name, Bytes total) {
  // The median of the catalog's measured reservations of discrete GPUs (models/gpus.tsv, cuda_total_mib): 430 MiB.
  constexpr Bytes k_driver_reservation{430ULL << 20};
  const GpuSpec* g = lookup_gpu(name);
  if (g && g->cuda_total && g->memory == total) return *g->cuda_total;
  return saturating_sub(total, k_driver_reservation);
}

std::vector<LocalGpu> parse_nvidia_smi_csv(std::string_view text) {
  std::vector<LocalGpu> out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.empty()) continue;
    std::vector<std::string_view> fields;
    while (true) {
      const auto comma = line.find(',');
      fields.push_back(trim(line.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      line = line.substr(comma + 1);
    }
    if (fields.size() != 5)
      throw InputError(
          fmt::format("nvidia-smi output line {}: expected 5 fields (index, name, total, used, free), got {}", line_no,
                      fields.size()));
    LocalGpu g;
    g.index = parse_u64_field(fields[0], "index", line_no);
    g.name = std::string(fields[1]);
    const auto total = parse_u64_field(fields[2], "memory.total", line_no);
    const auto used = parse_u64_field(fields[3], "memory.used", line_no);
    const auto free = parse_u64_field(fields[4], "memory.free", line_no);
    if (total > (1ULL << 24) || used > total || free > total)
      throw InputError(fmt::format("nvidia-smi output line {}: memory figures are inconsistent", line_no));
    g.total = mib(total);
    g.used = mib(used);
    g.free = mib(free);
    out.push_back(std::move(g));
  }
  return out;
}

std::vector<LocalGpu> parse_rocm_smi_json(std::string_view text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception&) {
    throw InputError("rocm-smi output is not valid JSON");
  }
  if (!j.is_object()) throw InputError("rocm-smi output: expected an object of cards");
  std::vector<LocalGpu> out;
  for (const auto& item : j.items()) {
    const std::string& key = item.key();
    const nlohmann::json& card = item.value();
    if (!key.starts_with("card") || !card.is_object()) continue;
    auto number = [&](const char* field) -> std::uint64_t {
      auto it = card.find(field);
      if (it == card.end() || !it->is_string())
        throw InputError(fmt::format("rocm-smi output: {} lacks '{}'", key, field));
      const std::string s = it->get<std::string>();
      std::uint64_t v = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || end != s.data() + s.size())
        throw InputError(fmt::format("rocm-smi output: {} '{}' is not a number", field, s));
      return v;
    };
    LocalGpu g;
    g.index = out.size();
    const std::string card_series = card.contains("Card series") && card["Card series"].is_string()
                                        ? card["Card series"].get<std::string>()
                                        : std::string("AMD GPU");
    g.name = card_series;
    g.total = Bytes(number("VRAM Total Memory (B)"));
    g.used = Bytes(number("VRAM Total Used Memory (B)"));
    if (g.used > g.total) throw InputError(fmt::format("rocm-smi output: {} uses more than its total", key));
    g.free = saturating_sub(g.total, g.used);
    out.push_back(std::move(g));
  }
  return out;
}

Bytes GpuTarget::smallest() const { return devices.empty() ? Bytes(0) : smallest_device().memory; }

const GpuDevice& GpuTarget::smallest_device() const {
  return *std::min_element(devices.begin(), devices.end(),
                           [](const GpuDevice& a, const GpuDevice& b) { return a.memory < b.memory; });
}

Bytes GpuTarget::largest() const {
  Bytes m(0);
  for (const auto& d : devices) m = std::max(m, d.memory);
  return m;
}

bool GpuTarget::uniform() const { return smallest() == largest(); }

GpuTarget parse_gpu_target(std::string_view spec) {
  if (trim(spec).empty()) throw UsageError("--gpu is empty: give a name from `llmmem gpus`, NAME:COUNT or local");
  auto [name, count] = split_count(spec);
  const GpuSpec& g = find_gpu(name);
  GpuTarget t{std::string(g.id), {}, false};
  t.devices.assign(count.value_or(1), GpuDevice{std::string(g.id), g.memory, std::nullopt, std::nullopt});
  return t;
}

GpuTarget parse_gpu_memory_target(std::string_view spec) {
  if (trim(spec).empty()) throw UsageError("--gpu-memory is empty: give a size such as 24GiB or 80GB:2");
  auto [size, count] = split_count(spec);
  const Bytes memory = parse_size(size);
  if (memory.count() == 0) throw UsageError(fmt::format("--gpu-memory '{}' must be larger than zero", spec));
  const std::string name = fmt::format("{} GPU", format_size(memory));
  GpuTarget t{name, {}, false};
  t.devices.assign(count.value_or(1), GpuDevice{name, memory, std::nullopt, std::nullopt});
  return t;
}

GpuTarget local_gpu_target(const std::vector<LocalGpu>& gpus) {
  if (gpus.empty()) throw InputError("no local GPU found");
  GpuTarget t{"local", {}, true};
  for (const auto& g : gpus) t.devices.push_back({g.name, g.total, g.free, g.index});
  // Plan on the devices as they are now: the most free memory first, so that a job that fits on
  // one GPU goes to the idle one, not the busy one.
  std::stable_sort(t.devices.begin(), t.devices.end(), [](const GpuDevice& a, const GpuDevice& b) {
    return a.free.value_or(a.memory) > b.free.value_or(b.memory);
  });
  bool same = true;
  for (const auto& d : t.devices) same = same && d.name == t.devices.front().name;
  t.name = same ? t.devices.front().name : "local";
  return t;
}

std::optional<Bytes> per_gpu_bytes(const Model& model, const Request& request, const Layout& layout) {
  if (request.method == Method::document) {
    Request whole = request;
    whole.layout = Layout{};
    return Bytes(ceil_div(estimate(model, whole).total.count(), layout.gpus()));
  }
  if (layout_problem(model, layout)) return std::nullopt;
  Request r = request;
  r.layout = layout;
  // Layers kept on the host are a one-GPU placement (llama.cpp -ngl): a layout of several GPUs is
  // asked with every layer on them.
  if (layout.gpus() > 1) r.offload = LayerOffload{std::nullopt, 0, true, request.offload.mmap};
  return estimate(model, r).total;
}

namespace {

// Candidate layouts over exactly `n` GPUs, most preferred first.
// Inference: tensor parallelism as wide as a node allows (vLLM/TGI serve inside a node), then
// pipeline stages across nodes. Training: what practitioners run — ZeRO-3/FSDP data parallelism
// over all GPUs (DeepSpeed ZeRO paper, Rajbhandari et al. 2020; PyTorch FSDP), then tensor
// parallelism inside a node with ZeRO-3 across the rest, then tensor × pipeline with ZeRO-1
// (Megatron-LM's distributed optimizer). `offload`: the ZeRO-Offload variants.
std::vector<Layout> layouts_over(const Request& request, std::uint64_t n, const LayoutLimits& limits, bool offload) {
  std::vector<Layout> out;
  const Layout base = request.layout;
  if (request.method == Method::document) {
    Layout l = base;
    l.tp = n;
    out.push_back(l);
    return out;
  }
  if (request.mode == Mode::inference) {
    for (std::uint64_t tp = std::min(n, limits.gpus_per_node); tp >= 1; --tp) {
      if (n % tp != 0) continue;
      Layout l = base;
      l.tp = tp;
      l.pp = n / tp;
      out.push_back(l);
    }
    return out;
  }
  auto add = [&](std::uint64_t tp, std::uint64_t pp, std::uint64_t dp, int zero) {
    Layout l = base;
    l.tp = tp;
    l.pp = pp;
    l.dp = dp;
    l.zero = dp > 1 ? zero : 0;
    if (offload) {
      // ZeRO-Offload moves optimizer states to the host; ZeRO-Infinity also the parameters.
      l.zero = std::max(l.zero, 1);
      Layout o = l;
      o.offload_optimizer = true;
      out.push_back(o);
      o.offload_params = l.zero == 3;
      if (o.offload_params) out.push_back(o);
    } else {
      out.push_back(l);
    }
  };
  add(1, 1, n, 3);
  for (std::uint64_t tp = 2; tp <= std::min(n, limits.gpus_per_node); ++tp)
    if (n % tp == 0) add(tp, 1, n / tp, 3);
  for (std::uint64_t tp = std::min(n, limits.gpus_per_node); tp >= 1; --tp) {
    if (n % tp != 0) continue;
    for (std::uint64_t pp = 2; tp * pp <= n; ++pp)
      if (n % (tp * pp) == 0) add(tp, pp, n / (tp * pp), 1);
  }
  return out;
}

// Does the request fit when every GPU of `layout` has `memory`?
std::optional<Bytes> fitting_load(const Model& model, const Request& request, const Layout& layout, Bytes memory) {
  std::optional<Bytes> per;
  try {
    per = per_gpu_bytes(model, request, layout);
  } catch (const OverflowError&) {
    return std::nullopt;  // more than 2^64 bytes: certainly does not fit
  }
  if (per && *per <= memory) return per;
  return std::nullopt;
}

bool user_gave_layout(const Request& r) { return !r.layout.is_single() || r.layout.zero > 0; }

// The request with the layout left to the search (its offload choices kept).
Request free_layout(Request r) {
  const Layout given = r.layout;
  r.layout = Layout{};
  r.layout.offload_optimizer = given.offload_optimizer;
  r.layout.offload_params = given.offload_params;
  r.layout.gpus_per_node = given.gpus_per_node;
  return r;
}

std::int64_t signed_diff(Bytes a, Bytes b) {
  const auto clamp = [](std::uint64_t v) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(v, static_cast<std::uint64_t>(INT64_MAX)));
  };
  return a >= b ? clamp(a.count() - b.count()) : -clamp(b.count() - a.count());
}

// Layers in proportion to each device's memory (llama.cpp splits layers by each device's share of
// the memory when --tensor-split is not given: llama-model.cpp, load_tensors). The per-layer and
// fixed bytes come from the estimator itself: the whole model on one GPU, and a one-layer stage.
// Conservative: the fixed part (the larger of embeddings and output, overhead) is counted on every GPU.
struct Proportional {
  std::vector<Bytes> loads;
  bool fits = false;
};
std::optional<Proportional> proportional_split(const Model& model, const Request& request,
                                               const std::vector<Bytes>& capacities,
                                               const std::vector<double>& ratios = {}) {
  const std::uint64_t layers = model.config.n_layers, n = capacities.size();
  if (request.mode != Mode::inference || request.method != Method::detailed || layers < n || layers < 2)
    return std::nullopt;
  Layout whole = request.layout, one_layer = request.layout;
  one_layer.pp = layers;
  std::optional<Bytes> all, stage;
  try {
    all = per_gpu_bytes(model, request, whole);
    stage = per_gpu_bytes(model, request, one_layer);
  } catch (const OverflowError&) {
    return std::nullopt;
  }
  if (!all || !stage || *all < *stage) return std::nullopt;
  const std::uint64_t per_layer = ceil_div(all->count() - stage->count(), layers - 1);
  const std::uint64_t fixed = stage->count() > per_layer ? stage->count() - per_layer : 0;
  // Each GPU's weight: --tensor-split's ratios when given, else its memory.
  const auto weight = [&](std::size_t i) {
    return ratios.empty() ? static_cast<long double>(capacities[i].count()) : static_cast<long double>(ratios[i]);
  };
  long double total_weight = 0;
  for (std::size_t i = 0; i < n; ++i) total_weight += weight(i);
  std::vector<std::uint64_t> share(n);
  std::uint64_t given = 0;
  for (std::size_t i = 0; i < n; ++i) {
    share[i] = static_cast<std::uint64_t>(static_cast<long double>(layers) * weight(i) / total_weight);
    given += share[i];
  }
  for (std::size_t i = 0; given < layers; i = (i + 1) % n, ++given) ++share[i];  // the remainder, largest first
  Proportional p;
  p.fits = true;
  for (std::size_t i = 0; i < n; ++i) {
    p.loads.emplace_back(fixed + share[i] * per_layer);
    p.fits = p.fits && p.loads.back() <= capacities[i];
  }
  return p;
}

}  // namespace

std::optional<Layout> fewest_gpus_layout(const Model& model, const Request& request, Bytes memory,
                                         const LayoutLimits& limits, std::uint64_t* searched) {
  // Inside one node first; training then tries ZeRO-Offload inside the node before going multi-node.
  const bool training = request.mode == Mode::training && request.method == Method::detailed;
  // On several GPUs the layouts are those a practitioner runs through DeepSpeed or FSDP (ZeRO-3 data
  // parallelism, then its offload), whatever the framework. On one GPU ZeRO-Offload is a layout of
  // its own only for a framework that runs DeepSpeed or FSDP there (FrameworkProfile::
  // host_optimizer_offload): Unsloth, a plain loop and a Trainer with neither configured (no framework
  // set is the Trainer, apply_framework_defaults) keep their optimizer states on the GPU.
  const bool one_gpu_offload = request.framework && request.framework->host_optimizer_offload;
  struct Pass {
    std::uint64_t from, to;
    bool offload;
  };
  const std::uint64_t node = std::min(limits.gpus_per_node, limits.max_gpus);
  std::vector<Pass> passes{{1, node, false}};
  if (training) passes.push_back({1, node, true});
  if (limits.max_gpus > node) {
    passes.push_back({node + 1, limits.max_gpus, false});
    if (training) passes.push_back({node + 1, limits.max_gpus, true});
  }
  for (const auto& pass : passes) {
    for (std::uint64_t n = pass.from; n <= pass.to; ++n) {
      // Training jobs take whole nodes across nodes (DeepSpeed and torchrun launch per node) and 1,
      // 2, 4 or 8 GPUs inside one. Inference takes the fewest GPUs (pipeline stages need not fill a node).
      if (training && n > limits.gpus_per_node && n % limits.gpus_per_node != 0) continue;
      if (training && n <= limits.gpus_per_node && (n & (n - 1)) != 0 && n != limits.gpus_per_node) continue;
      if (pass.offload && n == 1 && !one_gpu_offload) continue;
      for (const auto& l : layouts_over(request, n, limits, pass.offload)) {
        if (layout_problem(model, l)) continue;
        if (searched) ++*searched;
        if (fitting_load(model, request, l, memory)) return l;
      }
    }
  }
  return std::nullopt;
}

GpuVerdict judge(const Model& model, const Request& request, const GpuTarget& target, const LayoutLimits& limits) {
  if (target.devices.empty()) throw UsageError("no GPU given");
  GpuVerdict v;
  v.name = target.name;
  v.memory_per_gpu = target.smallest();
  v.uniform = target.uniform();
  v.count = target.count();
  LayoutLimits need_limits = limits;
  need_limits.max_gpus = std::max(limits.max_gpus, v.count);

  // The layout judged on the GPUs given.
  std::optional<Layout> chosen;
  std::vector<Bytes> loads;
  if (!request.offload.tensor_split.empty()) {
    // llama.cpp -ts: layers over the GPUs in the ratios given, whatever they hold.
    if (request.offload.tensor_split.size() != v.count)
      throw UsageError(
          fmt::format("--tensor-split gives {} ratios for {} GPUs", request.offload.tensor_split.size(), v.count));
    std::vector<Bytes> caps;
    for (const auto& d : target.devices) caps.push_back(d.memory);
    auto p = proportional_split(model, request, caps, request.offload.tensor_split);
    if (!p) throw UsageError("--tensor-split needs an inference estimate with at least as many layers as GPUs");
    chosen = request.layout;
    chosen->pp = v.count;
    loads = p->loads;
    v.split = Split::proportional;
  } else if (user_gave_layout(request)) {
    validate_layout(model, request.layout);
    if (request.layout.gpus() > v.count)
      throw UsageError(fmt::format("the layout needs {} GPUs (tp {} × pp {} × dp {}) but {} {} given",
                                   request.layout.gpus(), request.layout.tp, request.layout.pp, request.layout.dp,
                                   v.count, v.count == 1 ? "is" : "are"));
    chosen = request.layout;
  } else {
    // The fewest of the given GPUs (in the order planned) that hold it: each GPU of an even split
    // must hold the same share, so the smallest of the GPUs used bounds it.
    LayoutLimits within = limits;
    within.max_gpus = v.count;
    if (target.uniform()) chosen = fewest_gpus_layout(model, request, target.smallest(), within, nullptr);
    for (std::uint64_t n = 1; n <= v.count && !chosen && !target.uniform(); ++n) {
      Bytes smallest = target.devices[0].memory;
      for (std::uint64_t i = 0; i < n; ++i) smallest = std::min(smallest, target.devices[i].memory);
      within.max_gpus = n;
      if (auto l = fewest_gpus_layout(model, request, smallest, within, nullptr); l && l->gpus() == n) chosen = l;
    }
    if (!chosen && !target.uniform()) {
      // Mixed devices: layers in proportion to each GPU's memory.
      std::vector<Bytes> caps;
      for (const auto& d : target.devices) caps.push_back(d.memory);
      if (auto p = proportional_split(model, request, caps); p && p->fits) {
        Layout l = request.layout;
        l.pp = v.count;
        chosen = l;
        loads = p->loads;
        v.split = Split::proportional;
      }
    }
    if (!chosen) {
      // The preferred shapes do not fit: any valid layout over exactly the GPUs given that does
      // (an odd count the search skips); else show the load of the most preferred valid one.
      std::optional<Layout> first;
      for (const auto& l : layouts_over(request, v.count, limits, false)) {
        if (layout_problem(model, l)) continue;
        if (!first) first = l;
        if (fitting_load(model, request, l, target.smallest())) {
          chosen = l;
          break;
        }
      }
      if (!chosen) chosen = first ? *first : request.layout;
    }
  }
  v.layout = *chosen;
  if (loads.empty()) {
    std::optional<Bytes> per;
    try {
      per = per_gpu_bytes(model, request, v.layout);
    } catch (const OverflowError&) {
      per = Bytes(std::numeric_limits<std::uint64_t>::max());
    }
    loads.assign(v.layout.gpus(), per.value_or(Bytes(0)));
  }
  v.fits = true;
  bool now = true;
  for (std::uint64_t i = 0; i < loads.size(); ++i) {
    const GpuDevice& d = target.devices[i];
    GpuUse u;
    u.device = i;
    u.name = d.name;
    u.bytes = loads[i];
    u.capacity = d.memory;
    u.headroom = signed_diff(d.memory, loads[i]);
    u.fits = loads[i] <= d.memory;
    if (d.free) {
      u.free = *d.free;
      u.headroom_now = signed_diff(*d.free, loads[i]);
      now = now && loads[i] <= *d.free;
    }
    v.fits = v.fits && u.fits;
    v.per_gpu.push_back(std::move(u));
  }
  if (target.local) v.fits_now = v.fits && now;
  if (v.fits) {
    v.needed = v.layout.gpus();
    v.needed_layout = v.layout;
  } else if (auto found = fewest_gpus_layout(model, free_layout(request), target.largest(), need_limits, nullptr)) {
    v.needed = found->gpus();
    v.needed_layout = *found;
  }
  if (!user_gave_layout(request) && v.layout.offload_optimizer && !request.layout.offload_optimizer)
    v.notes.emplace_back(
        fmt::format("fits only with ZeRO-Offload ({} in host memory): it needs that much host RAM and slows each step",
                    v.layout.offload_params ? "optimizer states and parameters" : "optimizer states"));
  if (v.split == Split::proportional && !request.offload.tensor_split.empty())
    v.notes.emplace_back(
        "layers split in the ratios of --tensor-split; embeddings, output and overhead counted on every GPU");
  else if (v.split == Split::proportional)
    v.notes.emplace_back(
        "mixed GPUs: layers split in proportion to each GPU's memory (llama.cpp's default --tensor-split); "
        "embeddings, output and overhead counted on every GPU");
  else if (!target.uniform() && v.layout.gpus() > 1)
    v.notes.emplace_back("mixed GPUs: an even split is bounded by the smallest GPU used");
  return v;
}

}  // namespace llmmem
