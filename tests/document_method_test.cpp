#include <catch2/catch.hpp>

#include "llmmem/error.hpp"
#include "test_support.hpp"

using namespace llmmem;

namespace {
Request article(Mode mode) {
  Request r = mode == Mode::training ? test::train("bf16") : test::infer("bf16");
  r.method = Method::document;
  r.params_override = 70'000'000'000ULL;
  return r;
}
}  // namespace

TEST_CASE("the article's Llama-3-70B inference figure, to the byte", "[document]") {
  const Estimate e = estimate(test::model("llama3-70b"), article(Mode::inference));
  // weights      = 70e9 × 2                                   = 140,000,000,000
  // KV cache     = 2 × 1 × 2048 × 80 × 8192 × 2               =   5,368,709,120
  // activations  = 1 × 2048 × 8192 × (34 + 5·2048·64/8192) × 4 = 16,777,216 × 114 × 4 = 7,650,410,496
  CHECK(test::bytes_of(e, "weights") == 140'000'000'000ULL);
  CHECK(test::bytes_of(e, "kv_cache") == 5'368'709'120ULL);
  CHECK(test::bytes_of(e, "activations") == 7'650'410'496ULL);
  CHECK(e.total.count() == 153'019'119'616ULL);  // 142.51 GiB
  CHECK(format_size(e.total) == "142.51 GiB");
  CHECK(test::sums_to_total(e));
}

TEST_CASE("the article's Llama-3-70B AdamW training figure, to the byte", "[document]") {
  const Estimate e = estimate(test::model("llama3-70b"), article(Mode::training));
  // + optimizer 70e9 × 8 = 560e9, + gradients 70e9 × 4 = 280e9 on top of 153,019,119,616
  CHECK(test::bytes_of(e, "optimizer_states") == 560'000'000'000ULL);
  CHECK(test::bytes_of(e, "gradients") == 280'000'000'000ULL);
  CHECK(e.total.count() == 993'019'119'616ULL);  // 924.82 GiB
  CHECK(format_size(e.total) == "924.82 GiB");
  CHECK(test::sums_to_total(e));
}

TEST_CASE("document optimizers, trainable share and concurrency", "[document]") {
  Request r = article(Mode::training);
  r.optimizer = Optimizer::adamw_8bit;  // 2 B/param
  CHECK(test::bytes_of(estimate(test::model("llama3-70b"), r), "optimizer_states") == 140'000'000'000ULL);
  r.optimizer = Optimizer::sgd;  // 4 B/param
  CHECK(test::bytes_of(estimate(test::model("llama3-70b"), r), "optimizer_states") == 280'000'000'000ULL);
  r.optimizer = Optimizer::adamw;
  r.trainable_percent = 10;  // 7e9 trainable: (8 + 4) × 7e9 = 84e9 on top of inference
  CHECK(estimate(test::model("llama3-70b"), r).total.count() == 153'019'119'616ULL + 84'000'000'000ULL);
  r.optimizer = Optimizer::adafactor;
  CHECK_THROWS_AS(estimate(test::model("llama3-70b"), r), UsageError);

  Request c = article(Mode::inference);
  c.concurrency = 3;  // one model instance per concurrent call
  CHECK(estimate(test::model("llama3-70b"), c).total.count() == 3 * 153'019'119'616ULL);
}

TEST_CASE("document bytes per parameter: int4 is half a byte, fp32 four", "[document]") {
  Request r = article(Mode::inference);
  r.precision = &find_precision("int4");
  const Estimate e = estimate(test::model("llama3-70b"), r);
  CHECK(test::bytes_of(e, "weights") == 35'000'000'000ULL);
  // KV in int4: 2 × 2048 × 80 × 8192 × 0.5 = 1,342,177,280
  CHECK(test::bytes_of(e, "kv_cache") == 1'342'177'280ULL);
  r.precision = &find_precision("fp32");
  CHECK(test::bytes_of(estimate(test::model("llama3-70b"), r), "weights") == 280'000'000'000ULL);
}

TEST_CASE("document method uses the exact parameter count without --params", "[document]") {
  Request r = article(Mode::inference);
  r.params_override.reset();
  CHECK(test::bytes_of(estimate(test::model("llama3-70b"), r), "weights") == 2 * 70'553'706'496ULL);
}

TEST_CASE("absurd sizes give an error, never a wrapped number", "[document][errors]") {
  Request r = article(Mode::inference);
  r.params_override = 405'000'000'000ULL;
  r.seq_len = 10'000'000;
  r.batch = 4096;
  // KV alone: 2 × 4096 × 1e7 × 126 × 16384 × 2 bytes ≈ 3.4e20 > 2^64
  CHECK_THROWS_AS(estimate(test::model("llama3.1-405b"), r), OverflowError);
  // The detailed method's GQA cache fits 64 bits, so it gives the correct figure:
  // 4096 × 1e7 tokens × 126 layers × 2 × 8 × 128 × 2 bytes = 21,139,292,160,000,000
  r.method = Method::detailed;
  CHECK(test::bytes_of(estimate(test::model("llama3.1-405b"), r), "kv_cache") == 21'139'292'160'000'000ULL);
}
