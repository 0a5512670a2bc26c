#include <catch2/catch.hpp>

#include "llmmem/error.hpp"
#include "llmmem/gpu.hpp"
#include "llmmem/model_config.hpp"
#include "test_support.hpp"

using namespace llmmem;

TEST_CASE("the GPU catalog has 30+ accelerators, matched loosely", "[gpu]") {
  CHECK(gpu_catalog().size() >= 30);
  CHECK(find_gpu("h100-80gb").memory.count() == 81559ULL << 20);
  CHECK(find_gpu("RTX4090").id == "rtx4090");
  CHECK(find_gpu("a100-40gb").id == "a100-40gb");
  CHECK(find_gpu("MI300X").vendor == "amd");
  CHECK_THROWS_AS(find_gpu("h900"), UsageError);
}

TEST_CASE("nvidia-smi CSV is parsed into devices", "[gpu]") {
  const auto gpus = parse_nvidia_smi_csv(read_text_file(std::string(LLMMEM_FIXTURES) + "/nvidia-smi-h100x2.csv"));
  REQUIRE(gpus.size() == 2);
  CHECK(gpus[0].name == "NVIDIA H100 80GB HBM3");
  CHECK(gpus[0].total.count() == 81559ULL << 20);
  CHECK(gpus[1].free.count() == 41081ULL << 20);
  CHECK_THROWS_AS(parse_nvidia_smi_csv("0, GPU, lots, 1, 2\n"), InputError);
  CHECK_THROWS_AS(parse_nvidia_smi_csv("0, GPU, 100\n"), InputError);
  CHECK(parse_nvidia_smi_csv("").empty());
}

TEST_CASE("rocm-smi JSON is parsed into devices", "[gpu]") {
  const auto gpus = parse_rocm_smi_json(
      R"js({"card0": {"Card series": "AMD Instinct MI300X", "VRAM Total Memory (B)": "205822885888", "VRAM Total Used Memory (B)": "1000"}})js");
  REQUIRE(gpus.size() == 1);
  CHECK(gpus[0].free.count() == 205822885888ULL - 1000);
  CHECK_THROWS_AS(parse_rocm_smi_json("{"), InputError);
}

TEST_CASE("Llama-3-70B bf16 needs 2 H100s", "[gpu]") {
  const auto m = test::model("llama3-70b");
  const Request r = test::infer("bf16");
  auto one = parse_gpu_target("h100-80gb:1");
  auto v1 = judge(m, r, one);
  CHECK_FALSE(v1.fits);
  REQUIRE(v1.needed);
  CHECK(*v1.needed == 2);
  auto v2 = judge(m, r, parse_gpu_target("h100-80gb:2"));
  CHECK(v2.fits);
  CHECK(v2.layout.tp == 2);
}

TEST_CASE("local GPUs: fits at all uses total memory, fits now uses free memory", "[gpu]") {
  const auto gpus = parse_nvidia_smi_csv(read_text_file(std::string(LLMMEM_FIXTURES) + "/nvidia-smi-h100x2.csv"));
  const auto target = local_gpu_target(gpus);
  const auto v = judge(test::model("llama3-70b"), test::infer("bf16"), target);
  CHECK(v.fits);
  REQUIRE(v.fits_now);
  CHECK_FALSE(*v.fits_now);  // GPU 1 has only 41081 MiB free
}

TEST_CASE("invalid layouts are clear errors", "[gpu][layout]") {
  const auto m = test::model("llama3-70b");
  CHECK_THROWS_WITH(validate_layout(m, Layout{3, 1, 1, 1, 0, false, false}),
                    Catch::Matchers::Contains("64 attention heads"));
  CHECK_THROWS_WITH(validate_layout(m, Layout{1, 81, 1, 1, 0, false, false}), Catch::Matchers::Contains("80 layers"));
  CHECK_THROWS_WITH(validate_layout(m, Layout{1, 1, 1, 2, 0, false, false}), Catch::Matchers::Contains("dense"));
  CHECK_NOTHROW(validate_layout(m, Layout{8, 10, 1, 1, 0, false, false}));
}

TEST_CASE("a GPU named without a count is one GPU: a 405B model does not fit on one RTX 4090", "[gpu]") {
  const auto m = test::model("llama3.1-405b");
  const GpuTarget t = parse_gpu_target("rtx4090");
  CHECK(t.count() == 1);
  const auto v = judge(m, test::infer(), t);
  CHECK(v.count == 1);
  CHECK_FALSE(v.fits);
  CHECK(v.per_gpu.size() == 1);
  CHECK(v.per_gpu[0].headroom < 0);  // a shortfall is negative, never 0
  // 405B in bf16 is about 756 GiB of weights; on 24 GiB cards, with tensor parallelism inside a
  // node of 8 and pipeline stages across nodes, the fewest that hold it are 36 (tp=4 × pp=9).
  REQUIRE(v.needed);
  CHECK(*v.needed == 36);
  CHECK(v.needed_layout->tp <= 8);
  CHECK(parse_gpu_target("rtx4090:36").count() == 36);
}

TEST_CASE("a GPU that is not in the catalog, an empty name and nvidia-smi's names", "[gpu]") {
  CHECK_THROWS_AS(parse_gpu_target(""), UsageError);
  CHECK_THROWS_AS(parse_gpu_memory_target(""), UsageError);
  CHECK(find_gpu("NVIDIA GeForce RTX 4090").id == "rtx4090");
  CHECK(find_gpu("NVIDIA H100 80GB HBM3").id == "h100-80gb");
  CHECK(find_gpu("NVIDIA A100-SXM4-80GB").id == "a100-80gb");
  CHECK(find_gpu("NVIDIA GeForce RTX 3060").id == "rtx3060");
  CHECK(find_gpu("Tesla T4").id == "t4");
}

TEST_CASE("local GPUs of different kinds are each reported by their own name and memory", "[gpu]") {
  const auto gpus = parse_nvidia_smi_csv(
      "0, NVIDIA GeForce RTX 4090, 24564, 500, 24064\n1, NVIDIA GeForce RTX 3060, 12288, 300, 11988\n");
  const GpuTarget t = local_gpu_target(gpus);
  REQUIRE(t.count() == 2);
  CHECK(t.devices[0].name == "NVIDIA GeForce RTX 4090");
  CHECK(t.devices[0].memory.count() == 24564ULL << 20);
  CHECK(t.devices[1].name == "NVIDIA GeForce RTX 3060");
  CHECK(t.devices[1].memory.count() == 12288ULL << 20);
  CHECK_FALSE(t.uniform());
  CHECK(t.smallest().count() == 12288ULL << 20);
  // An 8B model in bf16 (about 16 GiB with a 2k context) fits on the 4090 alone.
  const auto small = judge(test::model("llama3.1-8b"), test::infer("bf16"), t);
  CHECK(small.fits);
  REQUIRE(small.per_gpu.size() == 1);
  CHECK(small.per_gpu[0].name == "NVIDIA GeForce RTX 4090");
  // Llama-2-13B in fp16 (about 26 GiB) fits neither alone nor with an even split bounded by the 12 GiB
  // card (2 × 12 GiB < 28 GiB), but does with layers in proportion to memory (24 + 12 GiB).
  const auto big = judge(test::model("llama2-13b"), test::infer("fp16"), t);
  INFO(big.per_gpu.size());
  CHECK(big.fits);
  CHECK(big.split == Split::proportional);
  REQUIRE(big.per_gpu.size() == 2);
  CHECK(big.per_gpu[0].bytes > big.per_gpu[1].bytes);
  for (const auto& u : big.per_gpu) CHECK(u.bytes <= u.capacity);
}

TEST_CASE("a busy GPU and an idle one: the job goes to the idle one, and a shortfall is negative", "[gpu]") {
  const auto gpus =
      parse_nvidia_smi_csv("0, NVIDIA H100 80GB HBM3, 81559, 80000, 1559\n1, NVIDIA H100 80GB HBM3, 81559, 0, 81559\n");
  const GpuTarget t = local_gpu_target(gpus);
  const auto v = judge(test::model("llama3.1-8b"), test::infer("bf16"), t);
  CHECK(v.fits);
  REQUIRE(v.fits_now);
  CHECK(*v.fits_now);
  REQUIRE(v.per_gpu.size() == 1);
  CHECK(v.per_gpu[0].name == "NVIDIA H100 80GB HBM3");
  CHECK(*t.devices[0].index == 1);  // the idle GPU comes first
  CHECK(*v.per_gpu[0].headroom_now > 0);
  // Both busy: a negative headroom now, not 0.00.
  const auto busy = local_gpu_target(parse_nvidia_smi_csv("0, NVIDIA H100 80GB HBM3, 81559, 80000, 1559\n"));
  const auto b = judge(test::model("llama3.1-8b"), test::infer("bf16"), busy);
  CHECK(b.fits);
  CHECK_FALSE(*b.fits_now);
  CHECK(*b.per_gpu[0].headroom_now < 0);
}

TEST_CASE("training advice stays inside a node: ZeRO-3 / FSDP data parallelism, tp at most 8", "[gpu][layout]") {
  const auto m = test::model("llama3.1-70b");
  const Request r = test::train("bf16");
  const auto v = judge(m, r, parse_gpu_target("h100-80gb"));
  CHECK_FALSE(v.fits);
  REQUIRE(v.needed_layout);
  CHECK(v.needed_layout->tp <= 8);
  CHECK(v.needed_layout->zero == 3);
  CHECK(*v.needed <= 8);  // one node, with ZeRO-Offload where the states do not fit
  LayoutLimits four;
  four.gpus_per_node = 4;
  const auto w = judge(m, r, parse_gpu_target("h100-80gb"), four);
  REQUIRE(w.needed_layout);
  CHECK(w.needed_layout->tp <= 4);
}
