#pragma once
// The public measurements of shared/reference/measured-public.jsonl that the estimator can
// express, each mapped to a Request and to the components that the source's figure covers.
// Used by validation_test.cpp (asserts the median error) and tools/validate.cpp (writes
// docs/validation.md).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "llmmem/catalog.hpp"
#include "llmmem/gpu.hpp"

namespace llmmem::validation {

struct Case {
  std::string id;     // row id in measured-public.jsonl
  std::string model;  // catalog alias
  Request request;
  double measured_bytes = 0;            // the figure, converted to bytes
  std::vector<std::string> components;  // which of our components the figure covers ("" = total)
  std::string what;                     // what the figure is
};

struct Row {
  Case c;
  double estimated_bytes = 0;
  [[nodiscard]] double error() const { return (estimated_bytes - c.measured_bytes) / c.measured_bytes; }
};

inline Request req(Mode mode, const char* precision, std::uint64_t batch, std::uint64_t seq) {
  Request r;
  r.mode = mode;
  r.precision = &find_precision(precision);
  r.batch = batch;
  r.seq_len = seq;
  return r;
}

inline std::vector<Case> cases() {
  constexpr double GiB = 1024.0 * 1024 * 1024, MiB = 1024.0 * 1024, MB = 1e6, GB = 1e9;
  std::vector<Case> out;
  const std::vector<std::string> no_kv = {"weights", "activations", "logits", "overhead"};
  const std::vector<std::string> engine = {"weights", "kv_cache", "activations", "logits"};
  // vLLM profiles a forward pass of max_num_batched_tokens (8192 = max_model_len) before the KV
  // pool exists: weights + activation peak + non-torch memory.
  out.push_back({"vllm-pr10511-llama3-8b-tp1", "llama3-8b", req(Mode::inference, "bf16", 1, 8192),
                 (14.96 + 1.26 + 1.79) * GiB, no_kv, "weights + activation peak + non-torch (GiB)"});
  {
    Request r = req(Mode::inference, "bf16", 1, 8192);
    r.layout.tp = 2;
    out.push_back({"vllm-pr10511-llama3-8b-tp2", "llama3-8b", r, 7.48 * GiB, {"weights"}, "weights per GPU (GiB)"});
  }
  out.push_back({"vllm-10517-llama31-8b-3090-20k",
                 "llama3.1-8b",
                 req(Mode::inference, "bf16", 1, 1952 * 16),
                 (14.9888 + 3.81) * GiB,
                 {"weights", "kv_cache"},
                 "weights + KV pool of 1952 blocks × 16 tokens (GiB)"});
  // HF transformers, max_memory_allocated (no CUDA context): octocoder = StarCoder shapes.
  out.push_back({"hf-octocoder-bf16-short", "starcoder", req(Mode::inference, "bf16", 1, 80), 29.0260648727417 * GiB,
                 engine, "peak allocated, ~20 prompt + 60 new tokens (GiB)"});
  // optimum GPTQ benchmark: PyTorch peak + non-torch NVML memory, MB = 1e6.
  out.push_back({"optimum-llama2-13b-gen-bs1 (fp16)",
                 "llama2-13b",
                 req(Mode::inference, "fp16", 1, 1024),
                 29152.98 * MB,
                 {},
                 "peak incl. non-torch memory (MB)"});
  out.push_back({"optimum-llama2-13b-gen-bs1 (gptq)",
                 "llama2-13b",
                 req(Mode::inference, "gptq-int4", 1, 1024),
                 10484.34 * MB,
                 {},
                 "peak incl. non-torch memory, exllama kernel (MB)"});
  out.push_back({"optimum-llama2-13b-gen-bs16 (fp16)",
                 "llama2-13b",
                 req(Mode::inference, "fp16", 16, 1024),
                 53986.51 * MB,
                 {},
                 "peak incl. non-torch memory (MB)"});
  out.push_back({"optimum-llama2-13b-gen-bs16 (gptq)",
                 "llama2-13b",
                 req(Mode::inference, "gptq-int4", 16, 1024),
                 34777.04 * MB,
                 {},
                 "peak incl. non-torch memory, exllama kernel (MB)"});
  // llama.cpp buffers (MiB): GPU weights + KV + compute buffer; open_llama_7b_v2 has Llama-2-7B shapes.
  for (auto [id, prec, weights] : {std::tuple{"llamacpp-ci-openllama7b-f16", "fp16", 12603.02 + 250.0},
                                   std::tuple{"llamacpp-ci-openllama7b-q8_0", "q8_0", 6695.84},
                                   std::tuple{"llamacpp-ci-openllama7b-q4_0", "q4_0", 3577.56}}) {
    out.push_back({std::string(id) + " (n_ctx 512)", "llama2-7b", req(Mode::inference, prec, 1, 512),
                   (weights + 256.0 + 70.5) * MiB, engine, "weights + KV + compute buffer (MiB)"});
    out.push_back({std::string(id) + " (n_ctx 2048)", "llama2-7b", req(Mode::inference, prec, 1, 2048),
                   (weights + 1024.0 + 164.0) * MiB, engine, "weights + KV + compute buffer (MiB)"});
  }
  // PEFT + Accelerate, nvidia-smi GB, LoRA on all linear layers, gradient checkpointing.
  {
    Request r = req(Mode::training, "bf16", 8, 2048);
    r.lora_rank = 8;
    r.lora_targets = {"all-linear"};
    r.checkpointing = Checkpointing::full;
    r.layout.dp = 8;
    r.layout.zero = 3;
    out.push_back({"peft-llama2-70b-lora-dsz3-8xh100", "llama2-70b", r, 64 * GB, {}, "per GPU, nvidia-smi (GB)"});
    out.push_back({"peft-llama2-70b-lora-fsdp-8xh100", "llama2-70b", r, 76 * GB, {}, "per GPU, 72-80 GB (midpoint)"});
    Request q = req(Mode::training, "nf4-dq", 2, 2048);
    q.lora_rank = 8;
    q.lora_targets = {"all-linear"};
    q.checkpointing = Checkpointing::full;
    q.layout.dp = 2;
    q.layout.zero = 3;
    out.push_back({"peft-llama2-70b-qlora-dsz3-2x40g", "llama2-70b", q, 36.6 * GB, {}, "per GPU (GB)"});
    out.push_back({"peft-llama2-70b-qlora-fsdp-offload-2x24g (no offload)",
                   "llama2-70b",
                   q,
                   35.6 * GB,
                   {},
                   "per GPU without CPU offload (GB)"});
  }
  // torchtune LoRA/QLoRA single device (max_memory_reserved, GiB): rank 8 on q, v, output and the
  // MLP, activation checkpointing, chunked cross-entropy, batch 2, packed 2048.
  {
    Request r = req(Mode::training, "bf16", 2, 2048);
    r.lora_rank = 8;
    r.lora_targets = {"q", "v", "o", "gate", "up", "down"};
    r.checkpointing = Checkpointing::full;
    r.loss = Loss::chunked;  // torchtune's CEWithChunkedOutputLoss
    out.push_back({"torchtune-l31-8b-lora-4090", "llama3.1-8b", r, 16.2 * GiB, {}, "peak reserved (GiB)"});
    Request q = r;
    q.precision = &find_precision("nf4");
    out.push_back({"torchtune-l31-8b-qlora-4090", "llama3.1-8b", q, 7.4 * GiB, {}, "peak reserved (GiB)"});
  }
  return out;
}

inline std::vector<Row> run(const Catalog& catalog) {
  std::vector<Row> rows;
  for (const auto& c : cases()) {
    const Estimate e = estimate(resolve_model(catalog, c.model), c.request);
    double est = 0;
    if (c.components.empty()) {
      est = static_cast<double>(e.total.count());
    } else {
      for (const auto& id : c.components)
        if (const auto* comp = e.find(id)) est += static_cast<double>(comp->bytes.count());
    }
    rows.push_back({c, est});
  }
  return rows;
}

inline double median_abs_error(const std::vector<Row>& rows) {
  std::vector<double> errs;
  for (const auto& r : rows) errs.push_back(std::fabs(r.error()));
  std::sort(errs.begin(), errs.end());
  const auto n = errs.size();
  return n % 2 ? errs[n / 2] : (errs[n / 2 - 1] + errs[n / 2]) / 2;
}

}  // namespace llmmem::validation
