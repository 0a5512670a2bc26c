#pragma once
// Accelerators: a catalog, the machine's own GPUs (parsed from nvidia-smi / rocm-smi output),
// and the verdict of whether an estimate fits on a given set of GPUs.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmmem/bytes.hpp"
#include "llmmem/estimate.hpp"

namespace llmmem {

struct GpuSpec {
  std::string_view id;         // "h100-80gb"
  std::string_view name;       // "NVIDIA H100 80GB HBM3 (SXM)"
  std::string_view vendor;     // "nvidia", "amd", "intel", "apple"
  Bytes memory;                // what the device reports as total (nvidia-smi memory.total)
  std::string_view marketing;  // "80 GB"
  std::string_view aliases;    // comma-separated extra names
};

[[nodiscard]] const std::vector<GpuSpec>& gpu_catalog();
// Case-insensitive by id, alias or name; ignores '-', '_' and spaces. Throws UsageError with suggestions.
[[nodiscard]] const GpuSpec& find_gpu(std::string_view name);

// One GPU of this machine as its driver tool reports it.
struct LocalGpu {
  std::uint64_t index = 0;
  std::string name;
  Bytes total;
  Bytes used;
  Bytes free;
};

// `nvidia-smi --query-gpu=index,name,memory.total,memory.used,memory.free --format=csv,noheader,nounits`
// (MiB values). Throws InputError naming the line when malformed.
[[nodiscard]] std::vector<LocalGpu> parse_nvidia_smi_csv(std::string_view text);
// `rocm-smi --showmeminfo vram --showproductname --json` (bytes). Throws InputError when malformed.
[[nodiscard]] std::vector<LocalGpu> parse_rocm_smi_json(std::string_view text);

// The GPUs an estimate is judged against.
struct GpuTarget {
  std::string name;                    // "h100-80gb", "local", "80 GiB"
  Bytes memory;                        // per GPU, total
  std::optional<std::uint64_t> count;  // empty: find the fewest that fit
  std::vector<Bytes> free;             // local GPUs: free memory now, per GPU
};

// Parses --gpu NAME[:COUNT] against the catalog, and --gpu-memory SIZE[:COUNT].
[[nodiscard]] GpuTarget parse_gpu_target(std::string_view spec);
[[nodiscard]] GpuTarget parse_gpu_memory_target(std::string_view spec);
[[nodiscard]] GpuTarget local_gpu_target(const std::vector<LocalGpu>& gpus);

struct GpuUse {
  Bytes bytes;       // what this GPU holds
  Bytes capacity;    // its memory
  Bytes free_bytes;  // capacity - bytes, 0 when over
  bool fits = false;
};

struct GpuVerdict {
  std::string name;
  Bytes memory_per_gpu;
  std::uint64_t count = 0;       // GPUs available (given or chosen)
  std::uint64_t needed = 0;      // fewest GPUs of this kind that hold the job (0: none do)
  Layout layout;                 // the layout judged (chosen when the user gave none)
  bool fits = false;             // fits in total memory on `count` GPUs
  std::optional<bool> fits_now;  // local GPUs: fits in free memory
  std::vector<GpuUse> per_gpu;
};

// Judges `request` on `target`. With no layout in the request, picks the smallest valid
// tensor/pipeline layout that fits (the document method divides the total evenly).
[[nodiscard]] GpuVerdict judge(const Model& model, const Request& request, const GpuTarget& target);

// The fewest GPUs of `memory` each (a multiple of request.layout.dp) that hold the request, with
// the layout that does it: wider tensor parallelism first, then pipeline stages. Counts the
// layouts tried in `searched`. Empty when nothing up to `max_gpus` fits.
[[nodiscard]] std::optional<Layout> fewest_gpus_layout(const Model& model, const Request& request, Bytes memory,
                                                       std::uint64_t max_gpus, std::uint64_t* searched);

}  // namespace llmmem
