// src/text.hpp's number parsing: the portable parser the WebAssembly build uses (emscripten's libc++
// has no floating-point std::from_chars) must answer as std::from_chars does here.
#include <catch2/catch.hpp>

#include <charconv>
#include <cmath>
#include <string>

#include "../src/text.hpp"

TEST_CASE("parse_double_portable accepts and refuses what from_chars does", "[text]") {
  // from_chars (general format): optional '-', digits with an optional '.', optional exponent; no
  // '+', no spaces, no hex. "1e400" and "1e-400" are out of range for both.
  for (const std::string s : {"0",
                              "1",
                              "1.5",
                              "-2",
                              ".5",
                              "5.",
                              "1e3",
                              "1E3",
                              "2.5e-3",
                              "1e+2",
                              "00.10",
                              "0.1",
                              "123456789012345678901234567890",
                              "1e",
                              "e5",
                              "",
                              "-",
                              ".",
                              "-.",
                              "1.2.3",
                              "+1",
                              " 1",
                              "1 ",
                              "0x10",
                              "1e400",
                              "1e-400",
                              "1,5",
                              "1e+",
                              "--1",
                              "9.",
                              "4k"}) {
    INFO(s);
    double expected = -7, got = -7;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), expected);
    const bool ok = ec == std::errc() && end == s.data() + s.size();
    CHECK(llmmem::text::parse_double_portable(s, got) == ok);
    if (ok) CHECK(got == expected);  // the same double, bit for bit (both round correctly)
  }
  // Where they differ on purpose: from_chars reads "inf" and "nan"; every caller refuses non-finite
  // values, and the portable parser refuses them outright.
  for (const std::string s : {"inf", "nan", "-inf", "infinity"}) {
    double v = 0;
    CHECK_FALSE(llmmem::text::parse_double_portable(s, v));
    double f = 0;
    std::from_chars(s.data(), s.data() + s.size(), f);
    CHECK_FALSE(std::isfinite(f));
  }
  double v = 0;
  REQUIRE(llmmem::text::parse_double_portable("0.1", v));
  CHECK(v == 0.1);
  CHECK(llmmem::text::parse_double("1.25", v));
  CHECK(v == 1.25);
}
