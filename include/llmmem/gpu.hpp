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
  std::string_view id;              // "h100-80gb"
  std::string_view name;            // "NVIDIA H100 80GB HBM3 (SXM)"
  std::string_view vendor;          // "nvidia", "amd", "intel", "apple"
  Bytes memory;                     // what the device reports as total (nvidia-smi memory.total)
  std::string_view marketing;       // "80 GB"
  std::string_view aliases;         // comma-separated extra names (nvidia-smi's among them)
  std::string_view source;          // where `memory` comes from: nvidia-smi, cuda, spec, metal-working-set
  std::optional<Bytes> cuda_total;  // what CUDA reports as total (mem_get_info), where a log shows it
  // Unified-memory machines (Apple M-series, DGX Spark, Jetson, Ryzen AI Max): the whole memory the
  // CPU and the GPU share, of which `memory` is the GPU's default share. Empty for a discrete GPU.
  std::optional<Bytes> system_memory;

  // The GPU draws on system memory: what it holds is taken from the host's RAM.
  [[nodiscard]] bool unified() const { return system_memory.has_value(); }
};

[[nodiscard]] const std::vector<GpuSpec>& gpu_catalog();
// Case-insensitive by id, alias or name; ignores '-', '_' and spaces. Throws UsageError with suggestions.
[[nodiscard]] const GpuSpec& find_gpu(std::string_view name);
// The same lookup without the error: nullptr when `name` is not in the catalog.
[[nodiscard]] const GpuSpec* lookup_gpu(std::string_view name);
// What CUDA reports as the total of a GPU named `name` whose driver tool reports `total`
// (torch.cuda.mem_get_info; vLLM multiplies it by gpu_memory_utilization): the catalog's measured
// figure for that GPU, else `total` less 430 MiB, the median reservation of the measured GPUs.
[[nodiscard]] Bytes cuda_visible_memory(std::string_view name, Bytes total);

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

// One device the user has: from the catalog, --gpu-memory, or this machine's driver tool.
struct GpuDevice {
  std::string name;                    // catalog id, "24.00 GiB GPU", or what nvidia-smi prints
  Bytes memory;                        // total memory
  std::optional<Bytes> free;           // local GPUs: free memory now
  std::optional<std::uint64_t> index;  // local GPUs: the driver's device index
};

// The GPUs an estimate is judged against: exactly what the user has. `--gpu NAME` is one GPU,
// `--gpu NAME:N` is N, `--gpu local` is every device this machine reports, each as it is.
struct GpuTarget {
  std::string name;                // "h100-80gb", "local", "80.00 GiB GPU"
  std::vector<GpuDevice> devices;  // never empty
  bool local = false;

  [[nodiscard]] std::uint64_t count() const { return devices.size(); }
  [[nodiscard]] Bytes smallest() const;                    // the memory tensor parallelism is bounded by
  [[nodiscard]] const GpuDevice& smallest_device() const;  // the first device with that memory
  [[nodiscard]] Bytes largest() const;
  [[nodiscard]] bool uniform() const;  // every device has the same memory
};

// Parses --gpu NAME[:COUNT] against the catalog (no count: 1 GPU), and --gpu-memory SIZE[:COUNT].
[[nodiscard]] GpuTarget parse_gpu_target(std::string_view spec);
[[nodiscard]] GpuTarget parse_gpu_memory_target(std::string_view spec);
// Every local device, by its own name and memory.
[[nodiscard]] GpuTarget local_gpu_target(const std::vector<LocalGpu>& gpus);

// The load on one device of the layout judged.
struct GpuUse {
  std::uint64_t device = 0;  // position in GpuTarget::devices (local: see `index`)
  std::string name;
  Bytes bytes;                               // what this GPU holds
  Bytes capacity;                            // its memory
  std::int64_t headroom = 0;                 // capacity - bytes; negative when short
  std::optional<Bytes> free;                 // local GPUs: free now
  std::optional<std::int64_t> headroom_now;  // free - bytes; negative when short
  bool fits = false;
};

// How the work is split over devices of different sizes.
enum class Split {
  even,          // every GPU holds the same share (tensor parallelism, or equal GPUs)
  proportional,  // layers in proportion to each GPU's memory (llama.cpp's default --tensor-split)
};

// Host memory judged beside the GPUs: what the estimate keeps there against the RAM the user has.
struct HostVerdict {
  Bytes needed;        // host bytes (Estimate::host_total); on a unified machine GPU + host bytes
  Bytes available;     // MemAvailable, else MemTotal or --ram; on a unified machine its whole pool
  std::string source;  // "--ram", "/proc/meminfo", "unified memory of gb10"
  bool unified = false;
  bool fits = false;
};

struct GpuVerdict {
  std::string name;
  Bytes memory_per_gpu;     // the smallest device's memory
  bool uniform = true;      // every device given has the same memory
  std::uint64_t count = 0;  // GPUs given (what the user has)
  std::optional<std::uint64_t>
      needed;  // fewest GPUs like the largest given that hold the job; empty: none up to the search limit
  std::optional<Layout> needed_layout;  // the layout that `needed` uses
  Layout layout;                        // the layout judged on the GPUs given (per_gpu and fits refer to it)
  Split split = Split::even;
  bool fits = false;                // every GPU of `layout` holds its share of the total memory
  std::optional<bool> fits_now;     // local GPUs: every GPU holds its share of the memory free now
  std::vector<GpuUse> per_gpu;      // one per GPU of `layout`
  std::optional<HostVerdict> host;  // when the RAM is known (--ram, local, a unified machine)
  std::vector<std::string> notes;
};

// Planning limits for the layout search.
struct LayoutLimits {
  std::uint64_t max_gpus = 64;      // largest count searched for `needed`
  std::uint64_t gpus_per_node = 8;  // tensor parallelism stays inside a node
};

// Judges `request` on `target`. With no layout in the request, picks the best layout that fits on
// the GPUs given (fewest GPUs; inference: widest tensor parallelism inside a node, then pipeline
// stages; training: ZeRO-3/FSDP data parallelism first, then tensor parallelism, then offload).
[[nodiscard]] GpuVerdict judge(const Model& model, const Request& request, const GpuTarget& target,
                               const LayoutLimits& limits = {});

// The fewest GPUs of `memory` each that hold the request, with the layout that does it (see judge()).
// Counts the layouts tried in `searched`. Empty when nothing up to limits.max_gpus fits.
[[nodiscard]] std::optional<Layout> fewest_gpus_layout(const Model& model, const Request& request, Bytes memory,
                                                       const LayoutLimits& limits, std::uint64_t* searched);

// The per-GPU total of the most loaded GPU of `layout` (document method: the total divided evenly).
// Empty when the layout is invalid for the model (never throws for an invalid layout).
[[nodiscard]] std::optional<Bytes> per_gpu_bytes(const Model& model, const Request& request, const Layout& layout);

}  // namespace llmmem
