#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "llmmem/render.hpp"
#include "test_support.hpp"

using namespace llmmem;

TEST_CASE("JSON: schema 2, integer bytes, components summing to total_bytes", "[render]") {
  const Estimate e = estimate(test::model("llama3-8b"), test::train());
  const auto j = nlohmann::json::parse(render(EstimateReport{e, std::nullopt, {}, {}, {}}, {Format::json}));
  CHECK(j["schema_version"] == 2);
  CHECK(j["command"] == "train");
  CHECK(j["method"] == "detailed");
  CHECK(j["model"]["name"] == "llama3-8b");
  CHECK(j["model"]["hf_id"] == "meta-llama/Meta-Llama-3-8B");
  CHECK(j["model"]["parameters"] == 8'030'261'248ULL);
  std::uint64_t sum = 0;
  for (const auto& c : j["components"]) {
    CHECK(c["bytes"].is_number_unsigned());
    CHECK(c["formula"].is_string());
    sum += c["bytes"].get<std::uint64_t>();
  }
  CHECK(sum == j["total_bytes"].get<std::uint64_t>());
  std::vector<std::string> ids;
  for (const auto& c : j["components"]) ids.push_back(c["id"]);
  CHECK(ids == std::vector<std::string>{"weights", "master_weights", "gradients", "optimizer_states", "activations",
                                        "logits", "overhead"});
}

TEST_CASE("the table names model, precision, batch, seq-len, method and the GiB total", "[render]") {
  Request r = test::infer("bf16");
  r.method = Method::document;
  r.params_override = 70'000'000'000ULL;
  const std::string t = render(EstimateReport{estimate(test::model("llama3-70b"), r), std::nullopt, {}, {}, {}}, {});
  for (const char* s :
       {"llama3-70b", "precision bf16", "batch 1", "seq-len 2048", "method document", "142.51", "GiB"}) {
    INFO(s);
    CHECK(t.find(s) != std::string::npos);
  }
  const std::string d = render(EstimateReport{estimate(test::model("llama3-70b"), r), std::nullopt, {}, {}, {}},
                               {Format::table, Units::decimal});
  CHECK(d.find("153.02") != std::string::npos);
  CHECK(d.find(" GB") != std::string::npos);
}

TEST_CASE("CSV and markdown carry the same components", "[render]") {
  const Estimate e = estimate(test::model("llama3-8b"), test::infer());
  const std::string csv = render(EstimateReport{e, std::nullopt, {}, {}, {}}, {Format::csv});
  CHECK(csv.rfind("id,label,bytes,gib\n", 0) == 0);
  CHECK(csv.find(fmt::format("total,Total,{}", e.total.count())) != std::string::npos);
  const std::string md = render(EstimateReport{e, std::nullopt, {}, {}, {}}, {Format::markdown});
  CHECK(md.find("| **Total** |") != std::string::npos);
}

TEST_CASE("colour only when asked", "[render]") {
  const Estimate e = estimate(test::model("llama3-8b"), test::infer());
  CHECK(render(EstimateReport{e, std::nullopt, {}, {}, {}}, {}).find('\033') == std::string::npos);
  CHECK(render(EstimateReport{e, std::nullopt, {}, {}, {}}, {Format::table, Units::binary, false, true}).find('\033') !=
        std::string::npos);
}

TEST_CASE("models and GPU lists render as JSON", "[render]") {
  const auto models = nlohmann::json::parse(render(models_report(test::catalog()), {Format::json}));
  CHECK(models["schema_version"] == 2);
  CHECK(models["models"].size() == test::catalog().items().size());
  const auto gpus = nlohmann::json::parse(render(GpusReport{gpu_catalog()}, {Format::json}));
  CHECK(gpus["gpus"].size() == gpu_catalog().size());
}

TEST_CASE("text from a file cannot drive the terminal: control characters are escaped", "[render]") {
  CHECK(escape_control("plain text, ünïcode") == "plain text, ünïcode");
  CHECK(escape_control("\x1b]0;PWNED\x07") == "\\x1b]0;PWNED\\x07");
  CHECK(escape_control("a\nb") == "a\\x0ab");
  CHECK(escape_control("a\nb", true) == "a\nb");
  CHECK(escape_control("\xc2\x9b"
                       "31m") == "\\u009b31m");  // C1 CSI in UTF-8
  CHECK(escape_control("\x9b") == "\\x9b");      // a lone byte that is not UTF-8
  CHECK(escape_control("\x7f") == "\\x7f");
  // A hostile model_type reaches every format escaped, and JSON stays valid.
  Estimate e = estimate(test::model("llama3-8b"), test::infer());
  e.model_type = "\x1b]0;PWNED\x07";
  e.model_name = "evil\x1b[2J";
  for (Format f : {Format::table, Format::csv, Format::markdown}) {
    const std::string out = render(EstimateReport{e, std::nullopt, {}, {}, {}}, {f, Units::binary, false, true});
    INFO(out);
    CHECK(out.find("\x1b]") == std::string::npos);
    CHECK(out.find("\x1b[2J") == std::string::npos);
  }
  const auto j = nlohmann::json::parse(render(EstimateReport{e, std::nullopt, {}, {}, {}}, {Format::json}));
  CHECK(j["model"]["model_type"] == "\x1b]0;PWNED\x07");
  e.model_name = "bad utf-8 \xff\xfe";
  CHECK_NOTHROW(nlohmann::json::parse(render(EstimateReport{e, std::nullopt, {}, {}, {}}, {Format::json})));
}

TEST_CASE("every record renders in every format", "[render]") {
  const Model m = test::model("llama3-8b");
  const Estimate e = estimate(m, test::infer());
  const GpuTarget t = parse_gpu_target("rtx4090");
  FitQuery q{m, test::infer(), t};
  const std::vector<Report> reports{EstimateReport{e, judge(m, test::infer(), t), {}, {}, {}},
                                    FitReport{q, solve_fit(q), e, {}},
                                    models_report(test::catalog()),
                                    PrecisionsReport{},
                                    GpusReport{gpu_catalog()},
                                    LocalGpusReport{{LocalGpu{0, "NVIDIA GeForce RTX 4090", Bytes(24564ULL << 20),
                                                              Bytes(1ULL << 30), Bytes(23540ULL << 20)}}}};
  for (const auto& rep : reports) {
    for (Format f : {Format::table, Format::json, Format::csv, Format::markdown}) {
      const std::string out = render(rep, {f});
      INFO(out);
      CHECK_FALSE(out.empty());
      if (f == Format::json) {
        const auto j = nlohmann::json::parse(out);
        CHECK(j["schema_version"] == k_schema_version);
        CHECK(j["command"].is_string());
      }
      if (f == Format::csv) CHECK(out.find("  ") == std::string::npos);  // not a padded table
      if (f == Format::markdown) CHECK(out.find("|---") != std::string::npos);
    }
  }
}
