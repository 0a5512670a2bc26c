#include "llmmem/host_memory.hpp"

#include <charconv>
#include <cstdint>

#include <fmt/format.h>

#include "llmmem/error.hpp"
#include "text.hpp"

namespace llmmem {

namespace {

using text::trim;

constexpr std::string_view k_meminfo = "/proc/meminfo";

// The bytes of a "<number> kB" meminfo value. The kernel prints these two fields in kB (KiB,
// fs/proc/meminfo.c show_val_kb); anything else is not meminfo, and a count that does not fit
// 64 bits once multiplied by 1024 is refused rather than wrapped.
Bytes kb_value(std::string_view key, std::string_view value, std::size_t line_no) {
  value = trim(value);
  const auto space = value.find_first_of(" \t");
  const std::string_view number = value.substr(0, space);
  const std::string_view unit = space == std::string_view::npos ? std::string_view{} : trim(value.substr(space));
  std::uint64_t kb = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), kb);
  if (ec == std::errc::result_out_of_range)
    throw InputError(fmt::format("{} line {}: {} '{}' is too large", k_meminfo, line_no, key, number));
  if (ec != std::errc() || end != number.data() + number.size() || number.empty())
    throw InputError(fmt::format("{} line {}: {} '{}' is not a whole number", k_meminfo, line_no, key, value));
  if (unit != "kB") throw InputError(fmt::format("{} line {}: {} '{}' is not in kB", k_meminfo, line_no, key, value));
  try {
    return Bytes(checked_mul(kb, 1024, key));
  } catch (const OverflowError&) {
    throw InputError(fmt::format("{} line {}: {} {} kB does not fit 64 bits in bytes", k_meminfo, line_no, key, kb));
  }
}

}  // namespace

HostMemory parse_meminfo(std::string_view text) {
  std::optional<Bytes> total, available;
  std::size_t total_line = 0, line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.empty()) continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      throw InputError(fmt::format("{} line {}: '{}' is not 'Key: value'", k_meminfo, line_no, line));
    const std::string_view key = line.substr(0, colon), value = line.substr(colon + 1);
    std::optional<Bytes>* field = key == "MemTotal" ? &total : key == "MemAvailable" ? &available : nullptr;
    if (!field) continue;
    if (*field) throw InputError(fmt::format("{} line {}: {} is given twice", k_meminfo, line_no, key));
    *field = kb_value(key, value, line_no);
    if (key == "MemTotal") total_line = line_no;
  }
  if (!total) throw InputError(fmt::format("{} has no MemTotal line", k_meminfo));
  if (total->count() == 0) throw InputError(fmt::format("{} line {}: MemTotal is 0 kB", k_meminfo, total_line));
  if (available && *available > *total)
    throw InputError(fmt::format("{}: MemAvailable ({} kB) exceeds MemTotal ({} kB)", k_meminfo,
                                 available->count() / 1024, total->count() / 1024));
  return HostMemory{*total, available, std::string(k_meminfo)};
}

HostMemory parse_ram(std::string_view size) {
  if (trim(size).empty()) throw UsageError("--ram is empty: give a size such as 64GiB or 128GB");
  Bytes total;
  try {
    total = parse_size(size);
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("--ram: {}", e.what()));
  }
  if (total.count() == 0) throw UsageError(fmt::format("--ram '{}' must be larger than zero", size));
  return HostMemory{total, std::nullopt, "--ram"};
}

void judge_host(const Estimate& e, const std::optional<HostMemory>& ram, const GpuTarget& target, GpuVerdict& v) {
  const GpuSpec* unified = lookup_gpu(target.devices.front().name);
  if (unified && (!unified->unified() || unified->memory != target.devices.front().memory)) unified = nullptr;
  if (!ram && !unified) return;
  HostVerdict h;
  h.needed = e.host_total;
  if (unified) {
    // One pool: every GPU's share and the host's bytes come out of the same memory.
    Bytes gpus;
    for (const auto& u : v.per_gpu) gpus += u.bytes;
    h.needed += gpus;
    h.unified = true;
  }
  if (ram) {
    h.available = ram->available.value_or(ram->total);
    h.source = ram->source;
  } else {
    h.available = *unified->system_memory;
    h.source = fmt::format("unified memory of {}", unified->id);
  }
  h.fits = h.needed <= h.available;
  if (!h.fits) {
    v.fits = false;
    v.notes.push_back(fmt::format("host memory short: {} needed, {} available ({})", format_size(h.needed),
                                  format_size(h.available), h.source));
  }
  v.host = h;
}

}  // namespace llmmem
