#include <catch2/catch.hpp>

#include "llmmem/error.hpp"
#include "llmmem/gpu.hpp"
#include "llmmem/host_memory.hpp"
#include "llmmem/model_config.hpp"

using namespace llmmem;
using Catch::Matchers::Contains;

namespace {
constexpr std::uint64_t k_mib = 1ULL << 20;
}

TEST_CASE("a real /proc/meminfo gives MemTotal and MemAvailable in bytes", "[host]") {
  // /proc/meminfo of a Linux 6.18 machine, every line as the kernel printed it (HugePages_* lines have no unit).
  const HostMemory h = parse_meminfo(read_text_file(std::string(LLMMEM_FIXTURES) + "/meminfo-linux-6.18.txt"));
  CHECK(h.total.count() == 24684096ULL * 1024);
  REQUIRE(h.available);
  CHECK(h.available->count() == 23435884ULL * 1024);
  CHECK(h.source == "/proc/meminfo");
}

TEST_CASE("kernels before 3.14 have no MemAvailable: available stays empty", "[host]") {
  // The head of /proc/meminfo on a 2.6.32 kernel (RHEL 6): MemAvailable came with Linux 3.14.
  const HostMemory h = parse_meminfo(
      "MemTotal:        8054556 kB\nMemFree:          273704 kB\nBuffers:          186400 kB\n"
      "Cached:          5318496 kB\nSwapCached:        31212 kB\nHugePages_Total:       0\n");
  CHECK(h.total.count() == 8054556ULL * 1024);
  CHECK_FALSE(h.available);
}

TEST_CASE("hostile /proc/meminfo text is an InputError that names the line", "[host]") {
  SECTION("empty, blank and unrelated text has no MemTotal") {
    CHECK_THROWS_WITH(parse_meminfo(""), Contains("no MemTotal"));
    CHECK_THROWS_AS(parse_meminfo("\n\n  \n"), InputError);
    CHECK_THROWS_AS(parse_meminfo("MemFree: 100 kB\nMemAvailable: 50 kB\n"), InputError);
  }
  SECTION("garbage is not meminfo") {
    CHECK_THROWS_WITH(parse_meminfo("MemTotal: 100 kB\n\x7f\x45LF\x02\x01"), Contains("line 2"));
    CHECK_THROWS_AS(parse_meminfo(": 100 kB\n"), InputError);
    CHECK_THROWS_WITH(parse_meminfo("MemTotal: lots kB\n"), Contains("line 1"));
    CHECK_THROWS_AS(parse_meminfo("MemTotal: -5 kB\n"), InputError);
    CHECK_THROWS_AS(parse_meminfo("MemTotal: 1.5 kB\n"), InputError);
    CHECK_THROWS_AS(parse_meminfo("MemTotal: 0x10 kB\n"), InputError);
    CHECK_THROWS_AS(parse_meminfo("MemTotal:\n"), InputError);
    CHECK_THROWS_WITH(parse_meminfo("MemTotal: 16318208\n"), Contains("kB"));
    CHECK_THROWS_AS(parse_meminfo("MemTotal: 16318208 MB\n"), InputError);
    CHECK_THROWS_AS(parse_meminfo("MemTotal: 16318208 kB extra\n"), InputError);
  }
  SECTION("huge numbers are refused, never wrapped") {
    // 2^64 - 1 kB parses as a 64-bit count but overflows when converted to bytes.
    CHECK_THROWS_WITH(parse_meminfo("MemTotal: 18446744073709551615 kB\n"), Contains("64 bits"));
    CHECK_THROWS_AS(parse_meminfo("MemTotal: 18014398509481984 kB\n"), InputError);  // 2^54 kB = 2^64 B
    CHECK_THROWS_WITH(parse_meminfo("MemTotal: 99999999999999999999999 kB\n"), Contains("too large"));
    CHECK(parse_meminfo("MemTotal: 18014398509481983 kB\n").total.count() == 18014398509481983ULL * 1024);
    CHECK_THROWS_WITH(parse_meminfo("MemTotal: 100 kB\nMemAvailable: 18446744073709551615 kB\n"), Contains("line 2"));
  }
  SECTION("absurd figures") {
    CHECK_THROWS_WITH(parse_meminfo("MemTotal: 0 kB\n"), Contains("MemTotal is 0"));
    CHECK_THROWS_WITH(parse_meminfo("MemTotal: 100 kB\nMemAvailable: 200 kB\n"), Contains("exceeds MemTotal"));
    CHECK_THROWS_WITH(parse_meminfo("MemTotal: 100 kB\nMemTotal: 200 kB\n"), Contains("twice"));
  }
}

TEST_CASE("a --ram value takes a size with a unit, as --gpu-memory does", "[host]") {
  const HostMemory h = parse_ram("64GiB");
  CHECK(h.total.count() == 64ULL << 30);
  CHECK_FALSE(h.available);
  CHECK(h.source == "--ram");
  CHECK(parse_ram("128GB").total.count() == 128'000'000'000ULL);
  CHECK(parse_ram(" 512 MiB ").total.count() == 512 * k_mib);
  CHECK_THROWS_WITH(parse_ram("64"), Contains("--ram") && Contains("no unit"));
  CHECK_THROWS_AS(parse_ram(""), UsageError);
  CHECK_THROWS_AS(parse_ram("   "), UsageError);
  CHECK_THROWS_AS(parse_ram("lots"), UsageError);
  CHECK_THROWS_AS(parse_ram("-8GB"), UsageError);
  CHECK_THROWS_AS(parse_ram("99999999999TB"), UsageError);
  CHECK_THROWS_WITH(parse_ram("0"), Contains("larger than zero"));
  CHECK_THROWS_AS(parse_ram("0GiB"), UsageError);
}

TEST_CASE("the DGX Spark is a unified-memory GPU found as dgx-spark or gb10", "[host][gpu]") {
  const GpuSpec& g = find_gpu("dgx-spark");
  CHECK(&g == &find_gpu("gb10"));
  CHECK(&g == &find_gpu("NVIDIA GB10"));  // what CUDA and nvidia-smi print
  CHECK(g.vendor == "nvidia");
  CHECK(g.unified());
  REQUIRE(g.system_memory);
  CHECK(g.system_memory->count() == 128ULL << 30);
  // CUDA reports 121.63 GiB (130596048896 B) of the 128 GB pool (models/gpus.tsv).
  CHECK(g.memory.count() == 124546 * k_mib);
  REQUIRE(g.cuda_total);
  CHECK(*g.cuda_total == g.memory);
  CHECK(cuda_visible_memory("gb10", g.memory) == g.memory);
}

TEST_CASE("unified machines: Apple M-series, Jetson AGX Orin, Ryzen AI Max+ 395", "[host][gpu]") {
  SECTION("Metal's working set: 3/4 of memory from 36 GB up, 2/3 at 32 GB") {
    for (const auto& [id, gib] : std::vector<std::pair<const char*, std::uint64_t>>{{"m4-max-64gb", 64},
                                                                                    {"m4-max-128gb", 128},
                                                                                    {"m3-ultra-256gb", 256},
                                                                                    {"m3-ultra-512gb", 512},
                                                                                    {"m4-pro-48gb", 48},
                                                                                    {"m1-max-64gb", 64},
                                                                                    {"m2-max-64gb", 64},
                                                                                    {"m3-max-64gb", 64}}) {
      INFO(id);
      const GpuSpec& g = find_gpu(id);
      CHECK(g.vendor == "apple");
      CHECK(g.source == "metal-working-set");
      REQUIRE(g.system_memory);
      CHECK(g.system_memory->count() == gib << 30);
      CHECK(g.memory.count() == (gib << 30) / 4 * 3);
    }
    CHECK(find_gpu("m2-max-32gb").memory.count() == 21845 * k_mib);  // 21845.34 MiB logged (ollama #434)
  }
  SECTION("the Jetson modules and the Ryzen AI Max+ 395") {
    const GpuSpec& orin = find_gpu("jetson-agx-orin-64gb");
    CHECK(orin.unified());
    CHECK(orin.memory.count() == 62827 * k_mib);
    CHECK(orin.system_memory->count() == 64ULL << 30);
    CHECK(find_gpu("agx-orin-32gb").system_memory->count() == 32ULL << 30);
    const GpuSpec& strix = find_gpu("AMD Ryzen AI Max+ 395");
    CHECK(strix.id == "ryzen-ai-max-395-128gb");
    CHECK(&strix == &find_gpu("strix-halo"));
    CHECK(strix.memory.count() == 96ULL << 30);  // the most the BIOS assigns to the GPU
    CHECK(strix.system_memory->count() == 128ULL << 30);
  }
  SECTION("every Apple row is unified, no discrete GPU is, and a GPU never has more than its pool") {
    for (const auto& g : gpu_catalog()) {
      INFO(g.id);
      if (g.vendor == "apple") CHECK(g.unified());
      if (g.id == "h100-80gb" || g.id == "rtx4090" || g.id == "mi300x") CHECK_FALSE(g.unified());
      if (g.system_memory) CHECK(g.memory <= *g.system_memory);
    }
  }
}
