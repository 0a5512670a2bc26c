// Validation against the public measurements (tests/validation_cases.hpp, docs/validation.md).
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include "test_support.hpp"
#include "validation_cases.hpp"

using namespace llmmem;

namespace {

const validation::Report& report() {
  static const validation::Report r = validation::run(test::catalog());
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

TEST_CASE("validation: every line of measured-public.jsonl maps to exactly one case", "[validation]") {
  const std::string path = std::string(LLMMEM_SOURCE_DIR) + "/../shared/reference/measured-public.jsonl";
  bool found = false;
  const auto ids = jsonl_ids(path, found);
  if (!found) {
    WARN("skipped: " << path << " is absent (no shared/ on this machine)");
    return;
  }
  REQUIRE(!ids.empty());
  std::map<std::string, int> cases;
  for (const auto& c : report().cases) ++cases[c.id];
  for (const auto& id : ids) {
    INFO("jsonl id " << id);
    CHECK(cases.count(id) == 1);
    if (cases.count(id)) CHECK(cases[id] == 1);
  }
  for (const auto& [id, n] : cases) {
    INFO("case " << id << " is not a line of measured-public.jsonl");
    CHECK(std::count(ids.begin(), ids.end(), id) == 1);
  }
  CHECK(report().cases.size() == ids.size());
}

TEST_CASE("validation: each case is expressed or names why not, and each figure says what it measured",
          "[validation]") {
  for (const auto& c : report().cases) {
    INFO(c.id);
    CHECK(!c.engine.empty());
    if (c.expressed()) {
      CHECK(c.gap == validation::Gap::none);
      CHECK(c.reason.empty());
      for (const auto& f : c.figures) {
        INFO(f.label);
        CHECK(f.measured_bytes > 0);
        CHECK(!f.what.empty());
        CHECK(std::find(f.covers.begin(), f.covers.end(), "overhead") == f.covers.end());  // set by measure only
      }
    } else {
      CHECK(c.gap != validation::Gap::none);
      CHECK(!c.reason.empty());
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

// Regression guards at the level docs/validation.md reports, not accuracy claims: the headline was
// 13.1% when the public cases were all mapped (issue 9); tighten these as the estimator improves.
TEST_CASE("validation: the headline median absolute error stays at or below 15%", "[validation]") {
  INFO("headline " << validation::headline(report()));
  CHECK(validation::headline(report()) <= 0.15);
}

TEST_CASE("validation: no compared figure is off by more than 60%", "[validation]") {
  for (const auto& r : report().rows) {
    INFO(r.c->id << " " << r.f->label << ": measured " << r.f->measured_bytes << " estimated " << r.estimated_bytes);
    CHECK(std::fabs(r.error()) < 0.6);
  }
}

// llama.cpp prints its allocator's exact buffer sizes (ggml-org/ci, Ollama's runner log) and
// llmmem's GGUF mixes follow llama-quant.cpp, so the weights and KV buffers must agree within 2%.
// Not held to it: the F16 run (llmmem's fp16 keeps token_embd on the GPU, llama.cpp on the host) and
// the Phi-3 file (Microsoft's own quantization mix; llama.cpp ignores Phi-3's sliding window).
TEST_CASE("validation: llama.cpp weights and KV buffers are matched within 2%", "[validation]") {
  int checked = 0;
  for (const auto& r : report().rows) {
    const bool llama_cpp = r.c->id.rfind("llamacpp-ci-", 0) == 0 || r.c->id.rfind("ollama-", 0) == 0;
    if (!llama_cpp || !r.f->part || r.c->id.find("f16") != std::string::npos) continue;
    INFO(r.c->id << " " << r.f->label);
    CHECK(std::fabs(r.error()) < 0.02);
    ++checked;
  }
  CHECK(checked == 6);
}

TEST_CASE("validation: docs/validation.md is what llmmem_validate prints", "[validation]") {
  std::ifstream in(std::string(LLMMEM_SOURCE_DIR) + "/docs/validation.md");
  REQUIRE(in);
  std::stringstream committed;
  committed << in.rdbuf();
  INFO("regenerate with: build/tests/llmmem_validate > docs/validation.md");
  CHECK(committed.str() == validation::render_markdown(report()));
}
