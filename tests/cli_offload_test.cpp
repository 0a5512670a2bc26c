// End-to-end tests for GPU and host memory (issue 11): llama.cpp's layer placement, the host RAM
// judged beside the GPUs, unified-memory machines, and the fit answers for offload.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"

using llmmem::test::check_error;
using llmmem::test::run;
using Json = nlohmann::json;

namespace {
const std::string k_mixtral_gpu = "--model mixtral-8x7b --precision q4_k_m --gpu rtx4090 --seq-len 8k";
const std::string k_mixtral = k_mixtral_gpu + " --ram 64GiB";
}  // namespace

TEST_CASE("Mixtral-8x7B Q4_K_M on a 24 GB GPU with 64 GB RAM: fit names the placements --check accepts",
          "[cli][offload]") {
  auto f = run("fit " + k_mixtral + " --format json");
  REQUIRE(f.code == 0);
  const auto a = Json::parse(f.out)["answers"];
  REQUIRE(a["max_gpu_layers"].is_object());
  REQUIRE(a["min_cpu_moe_layers"].is_object());
  const auto layers = a["max_gpu_layers"]["value"].get<std::uint64_t>();
  const auto experts = a["min_cpu_moe_layers"]["value"].get<std::uint64_t>();
  CHECK(layers < 33);  // 32 decoder layers + the output layer do not all fit
  CHECK(experts > 0);
  CHECK(experts <= 32);
  CHECK(a["max_gpu_layers"]["host_fits"] == true);
  CHECK(a["max_gpu_layers"]["host_bytes"].get<std::uint64_t>() > 0);
  // At the answers --check passes; one more layer on the GPU (one fewer layer of experts on the
  // host) does not.
  CHECK(run("infer " + k_mixtral + " --check --gpu-layers " + std::to_string(layers)).code == 0);
  CHECK(run("infer " + k_mixtral + " --check --gpu-layers " + std::to_string(layers + 1)).code == 5);
  CHECK(run("infer " + k_mixtral + " --check --n-cpu-moe " + std::to_string(experts)).code == 0);
  CHECK(run("infer " + k_mixtral + " --check --n-cpu-moe " + std::to_string(experts - 1)).code == 5);
  // The table says both.
  auto t = run("fit " + k_mixtral);
  CHECK(t.out.find("most layers on the GPU (--gpu-layers)") != std::string::npos);
  CHECK(t.out.find("--n-cpu-moe " + std::to_string(experts)) != std::string::npos);
}

TEST_CASE("layers left on the host move their weights and KV there, and the host is judged", "[cli][offload]") {
  auto r = run("infer " + k_mixtral + " --gpu-layers 16 --format json");
  REQUIRE(r.code == 0);
  const auto j = Json::parse(r.out);
  const auto& kv = j["components"][1];
  REQUIRE(kv["id"] == "kv_cache");
  // Half of the 32 layers on the host: half of the KV cache (32 layers × 8192 × 2 × 1024 × 2 B = 1 GiB).
  CHECK(kv["host_bytes"] == 16ULL * 8192 * 2 * 1024 * 2);
  CHECK(kv["bytes"] == 16ULL * 8192 * 2 * 1024 * 2);
  std::uint64_t host = 0;
  for (const auto& c : j["components"]) host += c["host_bytes"].get<std::uint64_t>();
  CHECK(j["host_total_bytes"] == host);
  CHECK(j["gpu"]["host"]["available_bytes"] == 64ULL << 30);
  CHECK(j["gpu"]["host"]["fits"] == true);
  // -nkvo: every layer's KV in host memory.
  const auto nkvo = Json::parse(run("infer " + k_mixtral + " --gpu-layers 16 --no-kv-offload --format json").out);
  CHECK(nkvo["components"][1]["bytes"] == 0);
  CHECK(nkvo["components"][1]["host_bytes"] == 32ULL * 8192 * 2 * 1024 * 2);
  // Too little RAM: --check exits 5 and says which memory is short.
  auto small = run("infer " + k_mixtral_gpu + " --gpu-layers 16 --ram 8GiB --check");
  CHECK(small.code == 5);
  CHECK(small.out.find("host memory short") != std::string::npos);
  CHECK(small.out.find("does not fit") != std::string::npos);
}

TEST_CASE("layer placement is a llama.cpp and Ollama setting", "[cli][offload]") {
  check_error(run("infer --model llama3.1-8b --gpu-layers 10"), 2, "--gpu-layers is a llama.cpp/Ollama setting");
  check_error(run("infer --model llama3.1-8b --engine vllm --cpu-moe"), 2, "vLLM does not have it");
  check_error(run("infer --model mixtral-8x7b --precision q4_k_m --cpu-moe --n-cpu-moe 3"), 2, "not both");
  check_error(run("infer --model llama3.1-8b --precision q4_k_m --gpu-layers many"), 2, "--gpu-layers");
  check_error(run("infer --model llama3.1-8b --gpu rtx4090 --ram 64"), 2, "--ram");
  check_error(run("infer --model llama3.1-8b --ram 64GiB"), 2, "--ram is judged beside the GPUs");
  CHECK(run("infer --model llama3.1-8b --precision q4_k_m --gpu-layers all --seq-len 4k").code == 0);
}

TEST_CASE("layers on the GPU: --gpu-layers auto and llama.cpp's own --fit put the most layers that leave 1 GiB free",
          "[cli][offload]") {
  auto a =
      run("infer --model llama3.1-70b --precision q4_k_m --gpu rtx4090 --seq-len 8k --gpu-layers auto "
          "--format json");
  REQUIRE(a.code == 0);
  const auto j = Json::parse(a.out);
  CHECK(j["gpu"]["fits"] == true);
  CHECK(j["host_total_bytes"].get<std::uint64_t>() > (20ULL << 30));  // most of 40 GiB of weights
  bool noted = false;
  for (const auto& n : j["notes"]) noted = noted || n.get<std::string>().find("layers on the GPU") != std::string::npos;
  CHECK(noted);
  // The same without --gpu-layers: llama.cpp's --fit does it on its own when the model does not fit.
  CHECK(Json::parse(
            run("infer --model llama3.1-70b --precision q4_k_m --gpu rtx4090 --seq-len 8k --format json").out) == j);
}

TEST_CASE("a unified-memory machine judges GPU and host against one pool", "[cli][offload]") {
  // Llama-3.1-70B Q4_K_M on a 64 GB Mac: Metal lets the GPU use 48 GiB (recommendedMaxWorkingSetSize),
  // and the weights, KV and host-side token embeddings all come out of the 64 GiB.
  auto r = run("infer --model llama3.1-70b --precision q4_k_m --gpu m4-max-64gb --seq-len 8k --check --format json");
  CHECK(r.code == 0);
  const auto j = Json::parse(r.out);
  CHECK(j["gpu"]["host"]["unified"] == true);
  CHECK(j["gpu"]["host"]["available_bytes"] == 64ULL << 30);
  CHECK(j["gpu"]["host"]["needed_bytes"] ==
        j["total_bytes"].get<std::uint64_t>() + j["host_total_bytes"].get<std::uint64_t>());
  // A 36 GB machine has neither the working set nor the pool for it.
  CHECK(run("infer --model llama3.1-70b --precision q4_k_m --gpu m4-max-36gb --seq-len 8k --gpu-layers all --check")
            .code == 5);
}

TEST_CASE("local GPUs: --gpu local judges the host's MemAvailable from /proc/meminfo", "[cli][offload]") {
  const std::string env =
      "PATH=tests/fixtures/bin:/usr/bin:/bin LLMMEM_FAKE_SMI_CSV=tests/fixtures/nvidia-smi-4090-3060.csv";
  auto r = run("infer --model llama3.1-8b --gpu local --format json", env, LLMMEM_SOURCE_DIR);
  REQUIRE(r.code == 0);
  const auto h = Json::parse(r.out)["gpu"]["host"];
  CHECK(h["source"] == "/proc/meminfo");
  CHECK(h["available_bytes"].get<std::uint64_t>() > 0);
  // A broken meminfo is an input error naming the file.
  check_error(run("infer --model llama3.1-8b --gpu local",
                  env + " LLMMEM_MEMINFO=tests/fixtures/nvidia-smi-4090-3060.csv", LLMMEM_SOURCE_DIR),
              3, "nvidia-smi-4090-3060.csv");
}

TEST_CASE("tensor split: layers over the GPUs in the ratios given", "[cli][offload]") {
  // Llama-3.1-70B Q4_K_M, 80 layers over two RTX 4090s: 3,1 puts 60 layers on GPU 0 and 20 on GPU 1,
  // which GPU 0 cannot hold; 1,1 splits 40/40 and fits.
  const std::string base = "infer --model llama3.1-70b --precision q4_k_m --gpu rtx4090:2 --seq-len 8k --format json";
  const auto uneven = Json::parse(run(base + " --tensor-split 3,1").out)["gpu"];
  CHECK(uneven["fits"] == false);
  CHECK(uneven["split"] == "proportional");
  CHECK(uneven["per_gpu"][0]["bytes"].get<std::uint64_t>() > uneven["per_gpu"][1]["bytes"].get<std::uint64_t>());
  const auto even = Json::parse(run(base + " --tensor-split 1,1").out)["gpu"];
  CHECK(even["fits"] == true);
  CHECK(even["per_gpu"][0]["bytes"] == even["per_gpu"][1]["bytes"]);
  check_error(run("infer --model llama3.1-70b --precision q4_k_m --gpu rtx4090:2 --tensor-split 1,1,1"), 2,
              "3 ratios for 2 GPUs");
  check_error(run("infer --model llama3.1-70b --precision q4_k_m --tensor-split 1,1"), 2, "--tensor-split");
  check_error(run("infer --model llama3.1-70b --precision q4_k_m --gpu rtx4090:2 --tensor-split 0,0"), 2,
              "positive ratio");
}

TEST_CASE("vLLM's --cpu-offload-gb keeps that much of each GPU's weights in host memory", "[cli][offload]") {
  const std::string base = "infer --model llama3.1-8b --engine vllm --gpu rtx3060 --max-model-len 4k --format json";
  const auto plain = Json::parse(run(base).out);
  const auto six = Json::parse(run(base + " --cpu-offload-gb 6").out);
  // 6 GiB of the 14.96 GiB of weights move: the GPU total drops by exactly that, the host gains it,
  // and vLLM's own "Model loading took" (its weights) shrinks with it.
  CHECK(plain["total_bytes"].get<std::uint64_t>() - six["total_bytes"].get<std::uint64_t>() == 6ULL << 30);
  CHECK(six["components"][0]["host_bytes"] == 6ULL << 30);
  CHECK(plain["engine"]["startup"]["weights_bytes"].get<std::uint64_t>() -
            six["engine"]["startup"]["weights_bytes"].get<std::uint64_t>() ==
        6ULL << 30);
  check_error(run("infer --model llama3.1-8b --cpu-offload-gb 6"), 2, "--cpu-offload-gb is a vLLM setting");
  check_error(run("infer --model llama3.1-8b --engine vllm --cpu-offload-gb -1"), 2, "--cpu-offload-gb");
}

TEST_CASE("FSDP CPU offload of the parameters steps the optimizer on the host as well", "[cli][offload]") {
  // torch.distributed.fsdp CPUOffload(offload_params=True): parameters and gradients on the CPU,
  // so the optimizer's states are created there: the GPU holds no optimizer states.
  const auto j =
      Json::parse(run("train --model llama3.1-8b --fsdp --dp 8 --offload params --gpu h100-80gb:8 --format json").out);
  for (const auto& c : j["components"])
    if (c["id"] == "optimizer_states") {
      CHECK(c["bytes"] == 0);
      CHECK(c["host_bytes"].get<std::uint64_t>() > 0);
    }
}

TEST_CASE("mmap: the host layers must stay resident, token embeddings are read a row at a time", "[cli][offload]") {
  auto r = run("infer " + k_mixtral + " --gpu-layers 16");
  CHECK(r.out.find("mmap: ") != std::string::npos);
  auto n = run("infer " + k_mixtral + " --gpu-layers 16 --no-mmap --format json");
  const auto j = Json::parse(n.out);
  bool pinned = false;
  for (const auto& note : j["notes"]) pinned = pinned || note.get<std::string>().find("pinned") != std::string::npos;
  CHECK(pinned);
  bool host_buffer = false;
  for (const auto& b : j["engine"]["startup"]["buffers"])
    host_buffer = host_buffer || (b["name"] == "model" && b["device"] == "CUDA_Host");
  CHECK(host_buffer);
}
