#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

// ctest runs each case by passing its name as a filter: a name starting with '-' is read as an
// option and one with ';' is split into entries that run nothing, so neither may exist.
TEST_CASE("every test name can be handed to ctest as a filter", "[meta]") {
  for (const auto& t : Catch::getRegistryHub().getTestCaseRegistry().getAllTests()) {
    INFO(t.name);
    CHECK(t.name.rfind('-', 0) == std::string::npos);
    CHECK(t.name.find(';') == std::string::npos);
  }
}
