#pragma once
// Host (system) memory: how much RAM the machine has, as the user states it (--ram SIZE) or as
// Linux reports it (/proc/meminfo). The library only parses text; the CLI reads /proc/meminfo, so
// tests give a stand-in, as they do for nvidia-smi output (gpu.hpp).
#include <optional>
#include <string>
#include <string_view>

#include "llmmem/bytes.hpp"
#include "llmmem/estimate.hpp"
#include "llmmem/gpu.hpp"

namespace llmmem {

struct HostMemory {
  Bytes total;                     // all of the machine's RAM (MemTotal, or the --ram size)
  std::optional<Bytes> available;  // what can be allocated now without swapping (MemAvailable);
                                   // empty for --ram and for kernels older than 3.14, which lack it
  std::string source;              // where the figures come from: "--ram" or "/proc/meminfo"
};

// Reads the MemTotal and MemAvailable lines ("MemTotal:       16318208 kB") of /proc/meminfo text;
// other lines are skipped. Throws InputError naming the line when a line is not "Key: value", when
// either figure is not a whole number of kB, is given twice, or does not fit 64 bits in bytes, when
// MemTotal is missing or zero, or when MemAvailable exceeds MemTotal.
[[nodiscard]] HostMemory parse_meminfo(std::string_view text);

// Parses a --ram SIZE value with parse_size (a unit is required: 64GiB, 128GB). Throws UsageError
// naming --ram when it is empty, malformed or zero. `available` is left empty: the user gave the total.
[[nodiscard]] HostMemory parse_ram(std::string_view size);

// Judges the estimate's host bytes against `ram` (its MemAvailable when known, else the total)
// and sets `verdict.host`. On a unified-memory machine (a catalog GPU with system memory: Apple
// M-series, DGX Spark, Ryzen AI Max, Jetson) GPU and host draw on one pool: the GPUs' bytes plus
// the host bytes must fit it (`ram`, else the machine's own memory). When short, the verdict does
// not fit and a note says which memory is short. Without `ram` and on discrete GPUs, nothing is judged.
void judge_host(const Estimate& estimate, const std::optional<HostMemory>& ram, const GpuTarget& target,
                GpuVerdict& verdict);

}  // namespace llmmem
