#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include "llmmem/error.hpp"
#include "llmmem/parameters.hpp"
#include "test_support.hpp"

using namespace llmmem;

namespace {

// Rows of tests/fixtures/parameter_counts.tsv (a copy of shared/reference/parameter_counts.tsv).
std::map<std::string, std::uint64_t> published_counts() {
  std::ifstream in(std::string(LLMMEM_FIXTURES) + "/parameter_counts.tsv");
  std::map<std::string, std::uint64_t> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string name, hf_id, count;
    std::getline(row, name, '\t');
    std::getline(row, hf_id, '\t');
    std::getline(row, count, '\t');
    if (!count.empty()) out[hf_id] = std::stoull(count);
  }
  return out;
}

}  // namespace

TEST_CASE("every published count with a catalog config comes out exact", "[parameters]") {
  const auto counts = published_counts();
  REQUIRE(counts.size() >= 25);
  int checked = 0;
  for (const auto& item : test::catalog().items()) {
    auto it = counts.find(item.hf_id);
    if (it == counts.end()) continue;
    const Model m = test::catalog().load(item);
    REQUIRE(m.params);
    INFO(item.alias << " (" << item.hf_id << ")");
    // DeepSeek-V3/R1's published figure is the checkpoint's tensor total: parameters, the
    // multi-token-prediction layer and the FP8 block scales.
    const bool checkpoint_total = item.hf_id == "deepseek-ai/DeepSeek-R1";
    CHECK((checkpoint_total ? m.params->checkpoint_values() : m.params->total) == it->second);
    ++checked;
  }
  CHECK(checked >= 25);
}

TEST_CASE("the issue's named counts", "[parameters]") {
  CHECK(test::model("llama3-70b").params->total == 70'553'706'496ULL);
  CHECK(test::model("llama3.1-8b").params->total == 8'030'261'248ULL);
  CHECK(test::model("llama2-7b").params->total == 6'738'415'616ULL);
  CHECK(test::model("qwen2.5-7b").params->total == 7'615'616'512ULL);
}

TEST_CASE("Llama-3-8B by hand", "[parameters]") {
  // embed 128256*4096 = 525,336,576 (and the same again for the untied head)
  // per layer: q,o 2*4096*4096 + k,v 2*4096*1024 = 41,943,040; MLP 3*4096*14336 = 176,160,768;
  //            two RMSNorms 8,192 -> 218,112,000; x32 = 6,979,584,000
  // total = 6,979,584,000 + 2*525,336,576 + 4096 (final norm) = 8,030,261,248
  const auto p = test::model("llama3-8b").params;
  CHECK(p->total == 6'979'584'000ULL + 2 * 525'336'576ULL + 4096);
  CHECK(p->embedding == 525'336'576ULL);
}

TEST_CASE("MoE models report active parameters", "[parameters]") {
  // Mixtral-8x7B: each layer holds 8 experts of 3*4096*14336 = 176,160,768; 6 of 8 idle per token:
  // active = 46,702,792,704 - 32 * 6 * 176,160,768 = 12,879,925,248
  const auto p = test::model("mixtral-8x7b").params;
  CHECK(p->active == 46'702'792'704ULL - 32ULL * 6 * 176'160'768ULL);
  // dense models: active == total
  CHECK(test::model("llama3-8b").params->active == test::model("llama3-8b").params->total);
}

TEST_CASE("gpt-oss-20b: biases, sinks, router and expert biases", "[parameters]") {
  // attention per layer: q 2880*4096+4096, k,v 2880*512+512 each, o 4096*2880+2880, sinks 64 = 26,550,144
  // MoE per layer: router 2880*32+32; experts 32*(2880*5760+5760) + 32*(2880*2880+2880) = 796,631,072
  // norms 2*2880; 24 layers; embed + unembed 2*201088*2880; final norm 2880
  const std::uint64_t layer = 26'550'144ULL + 796'631'072ULL + 5'760ULL;
  CHECK(test::model("gpt-oss-20b").params->total == 24 * layer + 2ULL * 201'088 * 2'880 + 2'880);
}

TEST_CASE("an unsupported architecture is an error naming it", "[parameters][errors]") {
  const auto c = load_model_config(std::string(LLMMEM_FIXTURES) + "/configs/unsupported.json");
  CHECK_THROWS_AS(count_parameters(c), UnsupportedError);
  CHECK_THROWS_WITH(count_parameters(c),
                    Catch::Matchers::Contains("'mamba'") && Catch::Matchers::Contains("not supported"));
}
