#include "llmmem/gpu.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "llmmem/error.hpp"
#include "text.hpp"

namespace llmmem {

namespace {

using text::trim;

constexpr Bytes mib(std::uint64_t n) { return Bytes(n * 1024ULL * 1024ULL); }

// memory: what the driver reports as total (nvidia-smi memory.total, MiB). Figures marked "seen"
// were read from real nvidia-smi/rocm-smi output (tests/fixtures and public logs); the others
// are the marketing capacity less the usual ECC/driver reservation and are approximate.
const std::vector<GpuSpec> k_gpus = {
    {"h100-80gb", "NVIDIA H100 80GB HBM3 (SXM)", "nvidia", mib(81559), "80 GB", "h100,h100-sxm,h100-sxm-80gb"},  // seen
    {"h100-pcie", "NVIDIA H100 PCIe 80GB", "nvidia", mib(81559), "80 GB", "h100-pcie-80gb"},
    {"h100-nvl", "NVIDIA H100 NVL 94GB", "nvidia", mib(95830), "94 GB", "h100-94gb,h100nvl"},
    {"h200", "NVIDIA H200 141GB HBM3e", "nvidia", mib(143771), "141 GB", "h200-141gb"},
    {"h20", "NVIDIA H20 96GB", "nvidia", mib(97871), "96 GB", "h20-96gb"},
    {"b200", "NVIDIA B200 180GB", "nvidia", mib(183359), "180 GB", "b200-180gb"},
    {"gb200", "NVIDIA GB200 (per Blackwell GPU) 186GB", "nvidia", mib(189471), "186 GB", "gb200-186gb"},
    {"a100-80gb", "NVIDIA A100 80GB", "nvidia", mib(81920), "80 GB", "a100,a100-sxm4-80gb"},
    {"a100-40gb", "NVIDIA A100 40GB", "nvidia", mib(40960), "40 GB", "a100-sxm4-40gb"},
    {"a10g", "NVIDIA A10G 24GB", "nvidia", mib(23028), "24 GB", ""},
    {"a10", "NVIDIA A10 24GB", "nvidia", mib(23028), "24 GB", ""},
    {"a40", "NVIDIA A40 48GB", "nvidia", mib(46068), "48 GB", ""},
    {"l4", "NVIDIA L4 24GB", "nvidia", mib(23034), "24 GB", ""},
    {"l40", "NVIDIA L40 48GB", "nvidia", mib(46068), "48 GB", ""},
    {"l40s", "NVIDIA L40S 48GB", "nvidia", mib(46068), "48 GB", ""},
    {"v100-16gb", "NVIDIA V100 16GB", "nvidia", mib(16384), "16 GB", "v100"},
    {"v100-32gb", "NVIDIA V100 32GB", "nvidia", mib(32768), "32 GB", ""},
    {"t4", "NVIDIA T4 16GB", "nvidia", mib(15360), "16 GB", ""},
    {"rtx2080ti", "NVIDIA GeForce RTX 2080 Ti 11GB", "nvidia", mib(11264), "11 GB", "2080ti"},
    {"rtx3060", "NVIDIA GeForce RTX 3060 12GB", "nvidia", mib(12288), "12 GB", "3060"},
    {"rtx3080", "NVIDIA GeForce RTX 3080 10GB", "nvidia", mib(10240), "10 GB", "3080"},
    {"rtx3090", "NVIDIA GeForce RTX 3090 24GB", "nvidia", mib(24576), "24 GB", "3090"},
    {"rtx4060ti", "NVIDIA GeForce RTX 4060 Ti 16GB", "nvidia", mib(16380), "16 GB", "4060ti,rtx4060ti-16gb"},
    {"rtx4070", "NVIDIA GeForce RTX 4070 12GB", "nvidia", mib(12282), "12 GB", "4070"},
    {"rtx4080", "NVIDIA GeForce RTX 4080 16GB", "nvidia", mib(16376), "16 GB", "4080"},
    {"rtx4090", "NVIDIA GeForce RTX 4090 24GB", "nvidia", mib(24564), "24 GB", "4090"},
    {"rtx5090", "NVIDIA GeForce RTX 5090 32GB", "nvidia", mib(32607), "32 GB", "5090"},
    {"rtx-a6000", "NVIDIA RTX A6000 48GB", "nvidia", mib(49140), "48 GB", "a6000"},
    {"rtx6000-ada", "NVIDIA RTX 6000 Ada 48GB", "nvidia", mib(49140), "48 GB", "rtx-6000-ada,6000ada"},
    {"mi210", "AMD Instinct MI210 64GB", "amd", mib(65520), "64 GB", ""},
    {"mi250x", "AMD Instinct MI250X (per GCD) 64GB", "amd", mib(65520), "128 GB (2 GCDs)", "mi250"},
    {"mi300x", "AMD Instinct MI300X 192GB", "amd", mib(196288), "192 GB", ""},
    {"mi325x", "AMD Instinct MI325X 256GB", "amd", mib(262128), "256 GB", ""},
    {"gaudi2", "Intel Gaudi 2 96GB", "intel", mib(98304), "96 GB", "hl-225"},
    {"gaudi3", "Intel Gaudi 3 128GB", "intel", mib(131072), "128 GB", "hl-325"},
    // Apple unified memory: Metal's default working-set limit (recommendedMaxWorkingSetSize) is
    // about 75% of RAM on these machines; we list that share as usable.
    {"m2-max-96gb", "Apple M2 Max 96GB (75% usable by Metal)", "apple", Bytes(72ULL << 30), "96 GB unified", ""},
    {"m3-max-128gb", "Apple M3 Max 128GB (75% usable by Metal)", "apple", Bytes(96ULL << 30), "128 GB unified",
     "m4-max-128gb"},
    {"m2-ultra-192gb", "Apple M2 Ultra 192GB (75% usable by Metal)", "apple", Bytes(144ULL << 30), "192 GB unified",
     ""},
    {"m3-pro-36gb", "Apple M3 Pro 36GB (75% usable by Metal)", "apple", Bytes(27ULL << 30), "36 GB unified", ""},
    {"m4-pro-64gb", "Apple M4 Pro 64GB (75% usable by Metal)", "apple", Bytes(48ULL << 30), "64 GB unified", ""},
};

std::string squash(std::string_view text) {
  std::string out;
  for (char c : text)
    if (c != '-' && c != '_' && c != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
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

const std::vector<GpuSpec>& gpu_catalog() { return k_gpus; }

const GpuSpec& find_gpu(std::string_view name) {
  const std::string key = squash(name);
  for (const auto& g : k_gpus) {
    if (squash(g.id) == key || squash(g.name) == key) return g;
    std::string_view aliases = g.aliases;
    while (!aliases.empty()) {
      const auto comma = aliases.find(',');
      if (squash(aliases.substr(0, comma)) == key) return g;
      aliases = comma == std::string_view::npos ? std::string_view{} : aliases.substr(comma + 1);
    }
  }
  std::vector<std::string_view> close;
  for (const auto& g : k_gpus)
    if (squash(g.id).find(key.substr(0, std::min<std::size_t>(key.size(), 4))) != std::string::npos)
      close.push_back(g.id);
  std::string hint;
  for (std::size_t i = 0; i < close.size() && i < 4; ++i) hint += (i ? ", " : "") + std::string(close[i]);
  throw UsageError(fmt::format("unknown GPU '{}'{}; `llmmem gpus` lists them", name,
                               hint.empty() ? "" : fmt::format(" (did you mean {}?)", hint)));
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

GpuTarget parse_gpu_target(std::string_view spec) {
  auto [name, count] = split_count(spec);
  const GpuSpec& g = find_gpu(name);
  return {std::string(g.id), g.memory, count, {}};
}

GpuTarget parse_gpu_memory_target(std::string_view spec) {
  auto [size, count] = split_count(spec);
  const Bytes memory = parse_size(size);
  if (memory.count() == 0) throw UsageError(fmt::format("--gpu-memory '{}' must be larger than zero", spec));
  return {fmt::format("{} GPU", format_size(memory)), memory, count, {}};
}

GpuTarget local_gpu_target(const std::vector<LocalGpu>& gpus) {
  if (gpus.empty()) throw InputError("no local GPU found");
  GpuTarget t;
  t.name = gpus.front().name;
  t.memory = gpus.front().total;
  for (const auto& g : gpus) {
    t.memory = std::min(t.memory, g.total);
    t.free.push_back(g.free);
  }
  t.count = gpus.size();
  return t;
}

namespace {

bool valid_layout(const Model& model, const Layout& l) {
  try {
    validate_layout(model, l);
    return true;
  } catch (const UsageError&) {
    return false;
  }
}

// The per-GPU total of `request` under `layout` (detailed) or total / gpus (document).
Bytes per_gpu_bytes(const Model& model, Request request, const Layout& layout) {
  if (request.method == Method::document) {
    request.layout = Layout{};
    return Bytes(ceil_div(estimate(model, request).total.count(), layout.gpus()));
  }
  request.layout = layout;
  return estimate(model, request).total;
}

}  // namespace

std::optional<Layout> fewest_gpus_layout(const Model& model, const Request& request, Bytes memory,
                                         std::uint64_t max_gpus, std::uint64_t* searched) {
  const Layout base = request.layout;
  const std::uint64_t dp = base.dp;
  for (std::uint64_t n = dp; n <= max_gpus; n += dp) {
    const std::uint64_t per_replica = n / dp;
    if (request.method == Method::document) {
      Layout l = base;
      l.tp = per_replica;
      l.pp = 1;
      if (searched) ++*searched;
      if (per_gpu_bytes(model, request, l) <= memory) return l;
      continue;
    }
    // Prefer tensor parallelism (inside a node), then pipeline stages.
    for (std::uint64_t tp = per_replica; tp >= 1; --tp) {
      if (per_replica % tp != 0) continue;
      Layout l = base;
      l.tp = tp;
      l.pp = per_replica / tp;
      if (!valid_layout(model, l)) continue;
      if (searched) ++*searched;
      if (per_gpu_bytes(model, request, l) <= memory) return l;
    }
  }
  return std::nullopt;
}

GpuVerdict judge(const Model& model, const Request& request, const GpuTarget& target) {
  GpuVerdict v;
  v.name = target.name;
  v.memory_per_gpu = target.memory;
  const bool user_layout = !request.layout.is_single() || request.layout.zero > 0;
  if (user_layout) {
    validate_layout(model, request.layout);
    v.layout = request.layout;
    const std::uint64_t n = request.layout.gpus();
    if (target.count && *target.count < n)
      throw UsageError(fmt::format("the layout needs {} GPUs but --gpu gives {}", n, *target.count));
    v.count = target.count.value_or(n);
    const Bytes per = per_gpu_bytes(model, request, request.layout);
    v.fits = per <= target.memory;
    const auto found = fewest_gpus_layout(model, request, target.memory, std::max<std::uint64_t>(64, n), nullptr);
    v.needed = v.fits ? n : (found ? found->gpus() : 0);
    for (std::uint64_t i = 0; i < n; ++i)
      v.per_gpu.push_back({per, target.memory, saturating_sub(target.memory, per), per <= target.memory});
  } else {
    const std::uint64_t limit = std::max<std::uint64_t>(64, target.count.value_or(1));
    const auto found = fewest_gpus_layout(model, request, target.memory, limit, nullptr);
    v.needed = found ? found->gpus() : 0;
    const std::uint64_t count = target.count.value_or(std::max<std::uint64_t>(1, v.needed));
    v.count = count;
    v.fits = found && v.needed <= count;
    v.layout = found && v.fits ? *found : Layout{};
    if (!v.fits) {
      // Show the load on the GPUs given: the widest valid tensor-parallel layout over them.
      for (std::uint64_t tp = count; tp >= 1; --tp) {
        Layout l = request.layout;
        l.tp = tp;
        l.pp = count / tp;
        if (count % tp == 0 && (request.method == Method::document || valid_layout(model, l))) {
          v.layout = l;
          break;
        }
      }
    }
    const Bytes per = per_gpu_bytes(model, request, v.layout);
    for (std::uint64_t i = 0; i < v.layout.gpus(); ++i)
      v.per_gpu.push_back({per, target.memory, saturating_sub(target.memory, per), per <= target.memory});
  }
  if (!target.free.empty()) {
    bool now = v.fits;
    for (std::size_t i = 0; i < v.per_gpu.size() && i < target.free.size(); ++i) {
      v.per_gpu[i].free_bytes = saturating_sub(target.free[i], v.per_gpu[i].bytes);
      now = now && v.per_gpu[i].bytes <= target.free[i];
    }
    if (v.per_gpu.size() > target.free.size()) now = false;
    v.fits_now = now;
  }
  return v;
}

}  // namespace llmmem
