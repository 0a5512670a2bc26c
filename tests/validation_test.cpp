// Validation against the public measurements (tests/validation_cases.hpp, docs/validation.md).
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "measured_cases.hpp"
#include "test_support.hpp"
#include "validation_cases.hpp"

using namespace llmmem;

namespace {

const validation::Report& report() {
  static const validation::Report r = validation::run(test::catalog());
  return r;
}

const validation::measured::Report& measured() {
  static const validation::measured::Report r =
      validation::measured::run(test::catalog(), std::string(LLMMEM_SOURCE_DIR) + "/tests/validation/measured");
  return r;
}

// The "id" of every line of measured-public.jsonl, in order. Empty when the file is absent.
std::vector<std::string> jsonl_ids(const std::string& path, bool& found) {
  std::ifstream in(path);
  found = static_cast<bool>(in);
  std::vector<std::string> ids;
  std::string line;
  const std::string key = "\"id\": \"";
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto at = line.find(key);
    if (at == std::string::npos) {
      ids.emplace_back("(line without an id)");
      continue;
    }
    const auto from = at + key.size();
    ids.push_back(line.substr(from, line.find('"', from) - from));
  }
  return ids;
}

}  // namespace

TEST_CASE("validation: every line of measured-public.jsonl and published.jsonl maps to exactly one case",
          "[validation]") {
  const std::string shared = std::string(LLMMEM_SOURCE_DIR) + "/../shared/reference/measured-public.jsonl";
  const std::string ours = std::string(LLMMEM_SOURCE_DIR) + "/tests/validation/published.jsonl";
  bool found_shared = false, found_ours = false;
  auto ids = jsonl_ids(shared, found_shared);
  const auto our_ids = jsonl_ids(ours, found_ours);
  REQUIRE(found_ours);
  REQUIRE(our_ids.size() >= 5);
  std::map<std::string, int> cases;
  for (const auto& c : report().cases) ++cases[c.id];
  for (const auto& id : our_ids) {
    INFO("published.jsonl id " << id);
    CHECK(cases.count(id) == 1);
    if (cases.count(id)) CHECK(cases[id] == 1);
  }
  if (!found_shared) {
    WARN("skipped the shared half: " << shared << " is absent (no shared/ on this machine)");
    return;
  }
  REQUIRE(!ids.empty());
  for (const auto& id : ids) {
    INFO("jsonl id " << id);
    CHECK(cases.count(id) == 1);
    if (cases.count(id)) CHECK(cases[id] == 1);
  }
  ids.insert(ids.end(), our_ids.begin(), our_ids.end());
  for (const auto& [id, n] : cases) {
    INFO("case " << id << " is not a line of measured-public.jsonl or published.jsonl");
    CHECK(std::count(ids.begin(), ids.end(), id) == 1);
  }
  CHECK(report().cases.size() == ids.size());
}

// LitGPT's resource tables (tests/validation/published.jsonl): the runs that went out of memory on a
// 40 GB A100 are over 40 GB in llmmem's allocated figure too, and the ones that ran are under it.
TEST_CASE("validation: LitGPT's OOM rows on a 40 GB A100 are over 40 GB, its completed rows under", "[validation]") {
  auto allocated = [](const char* model, const char* precision, std::uint64_t batch) {
    const Estimate e = estimate(test::model(model), validation::litgpt_lora(precision, batch));
    return static_cast<double>(memory_figures(e).allocated.count()) / 1e9;  // what LitGPT prints, GB
  };
  CHECK(allocated("llama2-7b", "bf16", 4) > 40.0);   // OOM in the table
  CHECK(allocated("llama2-13b", "bf16", 2) > 40.0);  // OOM
  CHECK(allocated("llama2-7b", "bf16", 2) < 40.0);   // 29.07 GB
  CHECK(allocated("llama2-13b", "bf16", 1) < 40.0);  // 38.12 GB
}

TEST_CASE("validation: each case is expressed or names why not, and each figure says what it measured",
          "[validation]") {
  for (const auto& c : report().cases) {
    INFO(c.id);
    CHECK(!c.engine.empty());
    if (c.expressed()) {
      CHECK(c.gap == validation::Gap::none);
      CHECK(c.reason.empty());
      CHECK((c.fit == validation::Fit::exact) == c.fit_reason.empty());  // a nearest request names its gap
      for (const auto& f : c.figures) {
        INFO(f.label);
        CHECK(f.measured_bytes > 0);
        CHECK(!f.what.empty());
        CHECK(std::find(f.covers.begin(), f.covers.end(), "overhead") == f.covers.end());  // set by measure only
      }
    } else {
      CHECK(c.gap != validation::Gap::none);
      CHECK(!c.reason.empty());
      CHECK(c.fit == validation::Fit::exact);
      CHECK(c.fit_reason.empty());
    }
  }
}

TEST_CASE("validation: the allocated, reserved and device rules add none, some and all of the overhead",
          "[validation]") {
  const auto e = estimate(test::model("llama3-8b"), test::infer("bf16", 1, 4096));
  validation::Figure f;
  f.covers = {"weights", "kv_cache"};
  const auto pools = static_cast<double>(test::bytes_of(e, "weights") + test::bytes_of(e, "kv_cache"));
  const auto overhead = static_cast<double>(test::bytes_of(e, "overhead"));
  f.measure = validation::Measure::allocated;
  CHECK(validation::estimated_bytes(e, f) == pools);
  f.measure = validation::Measure::device;
  CHECK(validation::estimated_bytes(e, f) == pools + overhead);
  f.measure = validation::Measure::reserved;
  const double reserved = validation::estimated_bytes(e, f);
  CHECK(reserved > pools);
  CHECK(reserved < pools + overhead);  // less the CUDA context, which reserved memory does not hold
}

TEST_CASE("validation: the headline counts every case with a whole-footprint figure, nearest requests included",
          "[validation]") {
  std::vector<double> errs;
  std::size_t nearest = 0;
  for (const auto& c : report().cases) {
    const bool whole = std::any_of(c.figures.begin(), c.figures.end(), [](const auto& f) { return !f.part; });
    if (!whole) continue;
    INFO(c.id);
    CHECK(!std::isnan(validation::case_error(report(), c)));
    errs.push_back(validation::case_error(report(), c));
    if (c.fit != validation::Fit::exact) ++nearest;
  }
  CHECK(validation::headline(report()) == validation::median(errs));
  CHECK(nearest > 0);
  // The rows the issue named as missing from the old headline are counted now.
  for (const char* id : {"torchtune-l31-8b-full-4090", "torchtune-l31-8b-full-a6000", "torchtune-l31-8b-lora-a6000",
                         "llamafactory-l2-7b-qlora-unsloth-a100-40g-lensweep"}) {
    INFO(id);
    const auto it = std::find_if(report().cases.begin(), report().cases.end(),
                                 [id](const validation::Case& c) { return c.id == id; });
    REQUIRE(it != report().cases.end());
    CHECK(!std::isnan(validation::case_error(report(), *it)));
  }
}

// Regression guard at the level docs/validation.md reports, not an accuracy claim. The headline
// counts every case with a whole-footprint figure, those estimated from the nearest request included
// (torchtune's optimizer_in_bwd runs, Unsloth's offloaded checkpointing, unstated settings): it
// measured 13.4% over 29 cases when those were brought in. The guard sits 2.6 points above that so
// a regression of a few cases fails it while rounding of the sources' figures does not; tighten it
// as the estimator improves, never loosen it to let a change through.
TEST_CASE("validation: the headline median absolute error stays at or below 16%", "[validation]") {
  INFO("headline " << validation::headline(report()));
  CHECK(validation::headline(report()) <= 0.16);
}

// Figures of cases whose request is exact (llmmem models what the run did) stay within 60%; the
// largest today is the FSDP CPU-offload QLoRA run (-47%).
TEST_CASE("validation: no figure of an exactly requested case is off by more than 60%", "[validation]") {
  for (const auto& r : report().rows) {
    if (r.c->fit != validation::Fit::exact) continue;
    INFO(r.c->id << " " << r.f->label << ": measured " << r.f->measured_bytes << " estimated " << r.estimated_bytes);
    CHECK(std::fabs(r.error()) < 0.6);
  }
}

// The known misses of 60% or more, all from features llmmem does not model. Listed so that a new one
// fails here and a fixed one is taken off the list. The two that were (torchtune's optimizer_in_bwd +
// paged optimizer run, +157%, and the Unsloth sweep with offloaded checkpoints, +122%) are modelled by
// --framework torchtune and --framework unsloth (issue 12). Today: LitGPT's FSDP LoRA runs (-61% to
// -76%), whose peak is above the one-GPU run's (FSDP1's gradients for frozen weights, and more), and
// DeepSpeed's ZeRO-3 estimator with parameters and optimizer offloaded: its 4 B × largest module against
// llmmem's two whole gather units (a t5-3b block), +84% of 0.12 GB (issue 13).
TEST_CASE("validation: the figures off by 60% or more are exactly the listed known misses", "[validation]") {
  const std::set<std::pair<std::string, std::string>> known = {
      {"litgpt-l2-lora-fsdp-a100-40g", "7B 2 GPUs mb1"},
      {"litgpt-l2-lora-fsdp-a100-40g", "7B 2 GPUs mb2"},
      {"litgpt-l2-lora-fsdp-a100-40g", "13B 4 GPUs mb1"},
      {"ds-est-zero3-t5-3b-1node-8gpu", "offload_param=cpu, offload_optimizer=cpu"}};
  std::set<std::pair<std::string, std::string>> found;
  for (const auto& r : report().rows)
    if (std::fabs(r.error()) >= 0.6) {
      INFO(r.c->id << " " << r.f->label << ": " << r.error());
      CHECK(r.c->fit == validation::Fit::missing_feature);
      found.emplace(r.c->id, r.f->label);
    }
  CHECK(found == known);
}

// llama.cpp prints its allocator's exact buffer sizes (ggml-org/ci, Ollama's runner log) and
// llmmem's GGUF mixes follow llama-quant.cpp, so the weights and KV buffers must agree within 2%.
// Not held to it: the F16 run (llmmem's fp16 keeps token_embd on the GPU, llama.cpp on the host) and
// the Phi-3 file (Microsoft's own quantization mix; llama.cpp ignores Phi-3's sliding window), and the
// phi-4 file's weights (microsoft/phi-4-gguf, again Microsoft's own Q4_K_M mix: 8.43 GiB where
// llama-quant.cpp's mix gives 8.24 GiB, GPU and host buffers 2.4 % and 1.8 % under); its KV buffers are held.
TEST_CASE("validation: llama.cpp weights and KV buffers are matched within 2%", "[validation]") {
  int checked = 0;
  for (const auto& r : report().rows) {
    const bool llama_cpp = r.c->id.rfind("llamacpp-ci-", 0) == 0 || r.c->id.rfind("ollama-", 0) == 0;
    if (!llama_cpp || !r.f->part || r.c->id.find("f16") != std::string::npos) continue;
    if (r.c->id.find("phi4") != std::string::npos && r.f->covers == std::vector<std::string>{"weights"}) continue;
    INFO(r.c->id << " " << r.f->label);
    CHECK(std::fabs(r.error()) < 0.02);
    ++checked;
  }
  CHECK(checked == 8);
}

TEST_CASE("validation: docs/validation.md is what llmmem_validate prints", "[validation]") {
  std::ifstream in(std::string(LLMMEM_SOURCE_DIR) + "/docs/validation.md");
  REQUIRE(in);
  std::stringstream committed;
  committed << in.rdbuf();
  INFO("regenerate with: build/tests/llmmem_validate > docs/validation.md");
  CHECK(committed.str() == validation::render_markdown(report()) + validation::measured::render_markdown(measured()));
}

// ---- Our own GPU measurements (issue 17): tests/validation/measured/*.jsonl from tools/measure.

TEST_CASE("measured: at least 60 runs from a real GPU, each the request of a catalog model", "[validation]") {
  // Two GPUs: the H200 grid (tools/measure/grid.py) and a subset of it on an H100.
  const auto& rep = measured();
  std::size_t ok = 0;
  for (const auto& r : rep.runs) {
    INFO(r.id);
    CHECK(r.gpu != "cpu");
    CHECK(r.gpu_total_bytes > 0);
    CHECK(test::catalog().find(r.model) != nullptr);
    if (r.status == "ok") {
      ++ok;
      CHECK(r.allocated > 0);
      CHECK(r.reserved >= r.allocated);
      CHECK(r.device >= r.reserved);
    }
  }
  CHECK(ok >= 60);
  std::set<std::string> ids;
  for (const auto& r : rep.runs) CHECK(ids.insert(r.file + "/" + r.id).second);  // no run twice
}

// Regression guards at the level docs/validation.md reports, not accuracy claims: measured 0.6 %
// (allocated), 2.5 % (reserved) and 4.2 % (device) over 196 runs on two GPUs when issue 17 landed. Tighten as the
// estimator improves; never loosen to let a change through.
TEST_CASE("measured: median errors stay at or below 1.5 % allocated, 4 % reserved, 6 % device", "[validation]") {
  using validation::Measure;
  namespace m = validation::measured;
  CHECK(m::median_abs(m::rows_of(measured(), Measure::allocated)) <= 0.015);
  CHECK(m::median_abs(m::rows_of(measured(), Measure::reserved)) <= 0.04);
  CHECK(m::median_abs(m::rows_of(measured(), Measure::device)) <= 0.06);
}

TEST_CASE("measured: every figure beyond the thresholds has its cause written down", "[validation]") {
  for (const auto& row : measured().rows) {
    if (std::fabs(row.error()) < validation::measured::threshold(row.measure)) continue;
    INFO(row.run->id << " " << validation::to_string(row.measure) << " " << row.error());
    CHECK(!validation::measured::explain(*row.run, row.measure).empty());
  }
}

TEST_CASE("measured: fit verdicts agree with the runs but for four named ones", "[validation]") {
  // All four are within 12 % of the card, where the allocator's slack decides: three ran where
  // llmmem's 20 % allocator share put them over the card; one (Llama-3.2-1B, batch 8 × 4096,
  // checkpointed) ran out of memory on the H100 where llmmem said it fits: that run reserved 26 % of
  // its transient memory on the H200. Either way of changing is news.
  const auto v = validation::measured::verdicts(measured());
  CHECK(v.agree + 4 == v.total);
  CHECK(v.ran_but_said_no ==
        std::vector<std::string>{"NVIDIA H100 80GB HBM3: llama3.2-1b/train/sdpa/bf16/b4/p4096/mixed",
                                 "NVIDIA H200: llama3.2-3b/train/sdpa/bf16/b8/p8192/bf16/adamw-foreach/ckpt",
                                 "NVIDIA H200: llama3.2-3b/train/sdpa/bf16/b8/p8192/bf16/ckpt"});
  CHECK(v.oom_but_said_yes ==
        std::vector<std::string>{"NVIDIA H100 80GB HBM3: llama3.2-1b/train/sdpa/bf16/b8/p4096/mixed/ckpt"});
}

TEST_CASE("measured: a line the reader cannot map names its file and line", "[validation]") {
  const auto dir = std::filesystem::temp_directory_path() / "llmmem-measured-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.jsonl") << "{\"id\": \"x\"}\n";
  CHECK_THROWS_WITH(validation::measured::load(dir), Catch::Contains("bad.jsonl:1"));
  std::filesystem::remove_all(dir);
}
