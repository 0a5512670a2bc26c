#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "llmmem/render.hpp"
#include "test_support.hpp"

using namespace llmmem;

TEST_CASE("JSON: schema 1, integer bytes, components summing to total_bytes", "[render]") {
  const Estimate e = estimate(test::model("llama3-8b"), test::train());
  const auto j = nlohmann::json::parse(render_estimate(e, std::nullopt, {Format::json}));
  CHECK(j["schema_version"] == 1);
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
  const std::string t = render_estimate(estimate(test::model("llama3-70b"), r), std::nullopt, {});
  for (const char* s :
       {"llama3-70b", "precision bf16", "batch 1", "seq-len 2048", "method document", "142.51", "GiB"}) {
    INFO(s);
    CHECK(t.find(s) != std::string::npos);
  }
  const std::string d =
      render_estimate(estimate(test::model("llama3-70b"), r), std::nullopt, {Format::table, Units::decimal});
  CHECK(d.find("153.02") != std::string::npos);
  CHECK(d.find(" GB") != std::string::npos);
}

TEST_CASE("CSV and markdown carry the same components", "[render]") {
  const Estimate e = estimate(test::model("llama3-8b"), test::infer());
  const std::string csv = render_estimate(e, std::nullopt, {Format::csv});
  CHECK(csv.rfind("id,label,bytes,gib\n", 0) == 0);
  CHECK(csv.find(fmt::format("total,Total,{}", e.total.count())) != std::string::npos);
  const std::string md = render_estimate(e, std::nullopt, {Format::markdown});
  CHECK(md.find("| **Total** |") != std::string::npos);
}

TEST_CASE("colour only when asked", "[render]") {
  const Estimate e = estimate(test::model("llama3-8b"), test::infer());
  CHECK(render_estimate(e, std::nullopt, {}).find('\033') == std::string::npos);
  CHECK(render_estimate(e, std::nullopt, {Format::table, Units::binary, false, true}).find('\033') !=
        std::string::npos);
}

TEST_CASE("models and GPU lists render as JSON", "[render]") {
  const auto models = nlohmann::json::parse(render_models(test::catalog(), {Format::json}));
  CHECK(models["schema_version"] == 1);
  CHECK(models["models"].size() == test::catalog().items().size());
  const auto gpus = nlohmann::json::parse(render_gpus(gpu_catalog(), {Format::json}));
  CHECK(gpus["gpus"].size() == gpu_catalog().size());
}
