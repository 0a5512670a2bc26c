#include <catch2/catch.hpp>

#include "llmmem/bytes.hpp"
#include "llmmem/error.hpp"

using namespace llmmem;

TEST_CASE("parse_size accepts binary and decimal suffixes", "[bytes]") {
  CHECK(parse_size("80GB").count() == 80'000'000'000ULL);
  CHECK(parse_size("80GiB").count() == 80ULL << 30);
  CHECK(parse_size("24 gib").count() == 24ULL << 30);
  CHECK(parse_size("512MiB").count() == 512ULL << 20);
  CHECK(parse_size("1.5TB").count() == 1'500'000'000'000ULL);
  CHECK(parse_size("1024B").count() == 1024);
  CHECK(parse_size("0").count() == 0);
  CHECK(parse_size("2g").count() == 2ULL << 30);
}

TEST_CASE("parse_size rejects junk, negative and overflowing sizes", "[bytes]") {
  CHECK_THROWS_AS(parse_size("eighty"), UsageError);
  CHECK_THROWS_AS(parse_size("80XB"), UsageError);
  CHECK_THROWS_AS(parse_size("-5GB"), UsageError);
  CHECK_THROWS_AS(parse_size("99999999999TB"), UsageError);
  CHECK_THROWS_AS(parse_size(""), UsageError);
  CHECK_THROWS_WITH(parse_size("24"), Catch::Matchers::Contains("no unit"));  // bytes or GB? refused
}

TEST_CASE("parse_count reads the forms --params accepts", "[bytes]") {
  CHECK(parse_count("70B") == 70'000'000'000ULL);
  CHECK(parse_count("7.24B") == 7'240'000'000ULL);
  CHECK(parse_count("350M") == 350'000'000ULL);
  CHECK(parse_count("70e9") == 70'000'000'000ULL);
  CHECK(parse_count("70000000000") == 70'000'000'000ULL);
  CHECK(parse_count("1.5k") == 1500);
  CHECK_THROWS_AS(parse_count("70X"), UsageError);
  CHECK_THROWS_AS(parse_count("-1"), UsageError);
  CHECK_THROWS_AS(parse_count("1e30"), UsageError);
  CHECK_THROWS_AS(parse_count("99999999999999999999"), UsageError);
}

TEST_CASE("format_size prints two decimals in GiB or GB, labelled", "[bytes]") {
  // 153019119616 / 2^30 = 142.5106..., the article's inference figure
  CHECK(format_size(Bytes(153'019'119'616ULL)) == "142.51 GiB");
  CHECK(format_size(Bytes(153'019'119'616ULL), Units::decimal) == "153.02 GB");
  CHECK(format_size(Bytes(0)) == "0.00 GiB");
}

TEST_CASE("checked arithmetic throws instead of wrapping", "[bytes]") {
  CHECK(checked_mul(1ULL << 32, 1ULL << 31) == 1ULL << 63);
  CHECK_THROWS_AS(checked_mul(1ULL << 32, 1ULL << 32), OverflowError);
  CHECK_THROWS_AS(checked_add(~0ULL, 1), OverflowError);
  CHECK_THROWS_AS(Bytes(~0ULL) + Bytes(1), OverflowError);
  // ceil(10 * 18 / 32) = ceil(5.625) = 6
  CHECK(mul_div_ceil(10, 18, 32) == 6);
  CHECK_THROWS_AS(mul_div_ceil(~0ULL, 3, 1), OverflowError);
  CHECK(saturating_sub(Bytes(3), Bytes(5)).count() == 0);
}

TEST_CASE("parse_units names binary and decimal", "[bytes]") {
  CHECK(parse_units("binary") == Units::binary);
  CHECK(parse_units("Decimal") == Units::decimal);
  CHECK_THROWS_AS(parse_units("metric"), UsageError);
}

TEST_CASE("parse_tokens reads 32k as 32768 and refuses fractions", "[bytes]") {
  CHECK(parse_tokens("4096") == 4096);
  CHECK(parse_tokens("32k") == 32768);  // 32 × 1024
  CHECK(parse_tokens("1M") == 1048576);
  CHECK_THROWS_AS(parse_tokens("1.5"), UsageError);
  CHECK_THROWS_AS(parse_tokens("2e3"), UsageError);
  CHECK_THROWS_AS(parse_tokens("-4"), UsageError);
  CHECK_THROWS_AS(parse_tokens("99999999999k"), UsageError);
}
