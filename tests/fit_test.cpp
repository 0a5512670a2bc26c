#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "llmmem/engine.hpp"
#include "llmmem/fit.hpp"
#include "llmmem/startup.hpp"
#include "test_support.hpp"

using namespace llmmem;

namespace {
bool fits(const Model& m, const Request& r, const GpuTarget& t) { return judge(m, r, t).fits; }
GpuTarget gpus(const char* name, std::uint64_t n) { return parse_gpu_target(fmt::format("{}:{}", name, n)); }
}  // namespace

TEST_CASE("fit answers agree with the estimator one step either side of each boundary", "[fit]") {
  struct Case {
    const char* model;
    const char* gpu;
    const char* precision;
  };
  for (const Case& c : {Case{"llama3.1-8b", "rtx4090", "bf16"}, Case{"qwen2.5-7b", "l4", "bf16"},
                        Case{"llama3.1-70b", "h100-80gb:2", "bf16"}, Case{"mistral-7b", "rtx3090", "q4_k_m"},
                        Case{"mixtral-8x7b", "a100-80gb:2", "bf16"}}) {
    INFO(c.model << " on " << c.gpu);
    const Model m = test::model(c.model);
    const GpuTarget t = parse_gpu_target(c.gpu);
    Request r = test::infer(c.precision);
    const auto s = max_seq_len_that_fits(m, r, t);
    REQUIRE(s > 0);
    r.seq_len = s;
    CHECK(fits(m, r, t));
    if (s < m.config.max_position_embeddings) {
      r.seq_len = s + 1;
      CHECK_FALSE(fits(m, r, t));
    }
    r = test::infer(c.precision);
    const auto b = max_batch_that_fits(m, r, t);
    REQUIRE(b > 0);
    r.batch = b;
    CHECK(fits(m, r, t));
    r.batch = b + 1;
    CHECK_FALSE(fits(m, r, t));
  }
}

TEST_CASE("fewest GPUs: at the answer it fits, with one fewer it does not", "[fit]") {
  for (const char* name : {"llama3.1-70b", "llama3.1-405b", "qwen2.5-72b"}) {
    INFO(name);
    const Model m = test::model(name);
    const Request r = test::infer("bf16");
    const auto layout = fewest_gpus_layout(m, r, find_gpu("h100-80gb").memory, LayoutLimits{}, nullptr);
    REQUIRE(layout);
    CHECK(judge(m, r, gpus("h100-80gb", layout->gpus())).fits);
    if (layout->gpus() > 1) CHECK_FALSE(judge(m, r, gpus("h100-80gb", layout->gpus() - 1)).fits);
  }
}

TEST_CASE("solve_fit answers the whole set of questions", "[fit]") {
  FitQuery q{test::model("llama3.1-8b"), test::infer(), parse_gpu_target("rtx4090")};
  const FitResult r = solve_fit(q);
  CHECK(r.max_seq_len > 8192);
  CHECK(r.min_gpus == 1);
  CHECK(r.best_precision == "bf16");
  CHECK(r.max_concurrent_requests >= 1);
  // one more request than reported would overflow the KV pool
  const Request one = q.request;
  const Estimate e = estimate(q.model, one);
  const auto kv = e.find("kv_cache")->bytes.count();
  const auto budget = static_cast<std::uint64_t>(static_cast<long double>(q.gpu.smallest().count()) * 0.9L);
  CHECK((r.max_concurrent_requests + 1) * kv + (e.total.count() - kv) > budget);
  CHECK(r.max_concurrent_requests * kv + (e.total.count() - kv) <= budget);

  FitQuery big{test::model("llama3.1-405b"), test::infer(), parse_gpu_target("rtx4090")};
  CHECK(solve_fit(big).best_precision.empty());
}

TEST_CASE("memory against context length: 512, 1024, ... up to the model's context", "[fit]") {
  const Model m = test::model("llama3-8b");  // max_position_embeddings 8192
  const auto points = memory_by_context(m, test::infer(), std::nullopt);
  for (const auto& p : points) CHECK_FALSE(p.fits.has_value());
  REQUIRE(points.size() == 5);  // 512, 1024, 2048, 4096, 8192
  CHECK(points.front().seq_len == 512);
  CHECK(points.back().seq_len == 8192);
  for (std::size_t i = 1; i < points.size(); ++i) CHECK(points[i].bytes > points[i - 1].bytes);
  Request r = test::infer(nullptr, 1, 8192);
  CHECK(points.back().bytes == estimate(m, r).total);
}

TEST_CASE("fit answers with the engine's own pool when the engine sizes one", "[fit][engine]") {
  const Model m = test::model("llama3.1-8b");
  Request r = test::infer("bf16");
  r.engine = &find_engine("vllm");
  FitQuery q{m, r, parse_gpu_target("rtx4090")};
  const FitResult res = solve_fit(q);
  CHECK(res.engine_answers);
  VllmSettings s;
  s.max_model_len = 2048;
  // vLLM sizes its pool from what CUDA reports: 23.68 GiB on an RTX 4090 (models/gpus.tsv).
  const VllmStartup v = vllm_startup(m, r, cuda_visible_memory("rtx4090", find_gpu("rtx4090").memory), "rtx4090", s);
  CHECK(v.total.count() == 24248ULL << 20);
  CHECK(res.max_seq_len == v.kv_tokens);  // what --max-model-len auto picks: every layer is full attention
  CHECK(res.max_seq_len == v.longest_request);
  CHECK(res.max_concurrent_requests == v.num_gpu_blocks / (2048 / 16));  // vLLM's "Maximum concurrency"
  Request t = test::infer("bf16");
  CHECK_FALSE(solve_fit(FitQuery{m, t, parse_gpu_target("rtx4090")}).engine_answers);
}
