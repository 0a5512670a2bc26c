#include <catch2/catch.hpp>

#include "test_support.hpp"
#include "validation_cases.hpp"

using namespace llmmem;

TEST_CASE("validation: median absolute error of public measurements is at most 10%", "[validation]") {
  const auto rows = validation::run(test::catalog());
  REQUIRE(rows.size() >= 15);
  for (const auto& r : rows) {
    INFO(r.c.id << ": measured " << r.c.measured_bytes << " estimated " << r.estimated_bytes);
    CHECK(std::fabs(r.error()) < 0.6);  // no case is off by more than 60%
  }
  CHECK(validation::median_abs_error(rows) <= 0.10);
}

TEST_CASE("validation: llama.cpp weights and KV buffers are matched exactly", "[validation]") {
  for (const auto& r : validation::run(test::catalog())) {
    if (r.c.id.rfind("llamacpp", 0) != 0 || r.c.id.find("f16") != std::string::npos) continue;
    INFO(r.c.id);
    CHECK(std::fabs(r.error()) < 0.02);
  }
}
