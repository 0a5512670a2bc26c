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
  CHECK(v1.needed == 2);
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
