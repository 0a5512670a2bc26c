#pragma once
// Asks the machine's GPU tools (nvidia-smi, else rocm-smi) what GPUs it has. CLI-only: it runs
// processes; the parsing lives in the library (parse_nvidia_smi_csv, parse_rocm_smi_json).
#include <vector>

#include "llmmem/gpu.hpp"

namespace llmmem::cli {

// Throws llmmem::InputError with a plain message when no tool or no GPU is found.
std::vector<LocalGpu> query_local_gpus();

}  // namespace llmmem::cli
