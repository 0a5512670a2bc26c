// The Hub (hub.hpp) end to end: the CLI against the loopback stand-in (tests/hub_stand_in.hpp),
// asserting the estimates and what was fetched (the stand-in's request log).
#include <algorithm>
#include <fstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "file_writers.hpp"
#include "hub_stand_in.hpp"
#include "llmmem/error.hpp"
#include "llmmem/hub.hpp"

using namespace llmmem;
using llmmem::test::HttpOut;
using llmmem::test::HubStandIn;
using Json = nlohmann::json;

namespace {

constexpr int k_network = 7;  // ExitCode::network

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const std::string k_commit = "0123456789abcdef0123456789abcdef01234567";

// tiny-llama (tests/fixtures/user_models/tiny-llama.json) in three safetensors shards with an
// index: the layers' tensors split by layer, the embeddings and head in the third.
HubStandIn::Repo sharded_repo() {
  const auto tensors = test::tiny_llama_tensors();
  std::vector<test::StTensor> parts[3];
  for (const auto& t : tensors) {
    const int shard = t.name.find("layers.0.") != std::string::npos   ? 0
                      : t.name.find("layers.1.") != std::string::npos ? 1
                                                                      : 2;
    parts[shard].push_back(t);
  }
  HubStandIn::Repo r;
  r.commit = k_commit;
  r.files["config.json"] = read_file(test::fixture("user_models/tiny-llama.json"));
  Json index;
  index["metadata"] = {{"total_size", 0}};
  for (int i = 0; i < 3; ++i) {
    const std::string name = fmt::format("model-{:05}-of-00003.safetensors", i + 1);
    r.files[name] = test::safetensors_bytes(parts[i]);
    for (const auto& t : parts[i]) index["weight_map"][t.name] = name;
  }
  r.files["model.safetensors.index.json"] = index.dump();
  r.files["README.md"] = "# tiny";
  return r;
}

// The same files in a local folder.
void write_folder(const test::TempDir& dir, const HubStandIn::Repo& repo) {
  for (const auto& [file, bytes] : repo.files) dir.write("local/" + file, bytes);
}

// The environment of a CLI run against the stand-in, with its own caches under `dir`.
std::string hub_env(const HubStandIn& hub, const test::TempDir& dir, const std::string& extra = "") {
  return fmt::format(
      "HF_ENDPOINT={} HF_HOME={}/hf HF_HUB_CACHE={}/hf/hub XDG_CACHE_HOME={}/cache HF_TOKEN= "
      "HF_TOKEN_PATH= HF_HUB_OFFLINE= no_proxy=127.0.0.1 NO_PROXY=127.0.0.1 {}",
      hub.endpoint(), dir.path().string(), dir.path().string(), dir.path().string(), extra);
}

// An estimate's figures without the model's name (a folder's path, or the repository id).
Json figures(const std::string& out) {
  Json j = Json::parse(out);
  j["model"].erase("name");
  j["model"].erase("hf_id");
  return j;
}

}  // namespace

TEST_CASE("parse_hub_id reads org/name, @revision and :QUANT", "[hub]") {
  auto id = parse_hub_id("Qwen/Qwen3-8B");
  REQUIRE(id);
  CHECK(id->repo == "Qwen/Qwen3-8B");
  CHECK(id->revision == "main");
  CHECK(id->quant.empty());
  id = parse_hub_id("bartowski/Llama-3.2-3B-Instruct-GGUF@v1.0:q4_k_m", "main");
  REQUIRE(id);
  CHECK(id->repo == "bartowski/Llama-3.2-3B-Instruct-GGUF");
  CHECK(id->revision == "v1.0");
  CHECK(id->quant == "q4_k_m");
  CHECK(parse_hub_id("org/name", "dev")->revision == "dev");
  // Not repository ids: no slash, two slashes, ".." or "--", a path.
  CHECK_FALSE(parse_hub_id("llama3-8b"));
  CHECK_FALSE(parse_hub_id("a/b/c"));
  CHECK_FALSE(parse_hub_id("org/..x"));
  CHECK_FALSE(parse_hub_id("org/a--b"));
  CHECK_FALSE(parse_hub_id("./model"));
  CHECK_THROWS_AS(parse_hub_id("org/name@bad rev"), UsageError);
  CHECK_THROWS_AS(parse_hub_id("org/name:Q4 K"), UsageError);
}

TEST_CASE("gguf_quants groups split files into one set and leaves projector files out", "[hub]") {
  const auto q = gguf_quants({{"model-Q8_0.gguf", 800},
                              {"model-Q4_K_M.gguf", 400},
                              {"Q2_K/model-Q2_K-00002-of-00002.gguf", 100},
                              {"Q2_K/model-Q2_K-00001-of-00002.gguf", 150},
                              {"mmproj-model-f16.gguf", 50},
                              {"README.md", 5}});
  REQUIRE(q.size() == 3);
  // Sorted by size: Q2_K (150 + 100), Q4_K_M, Q8_0.
  CHECK(q[0].quant == "Q2_K");
  CHECK(q[0].size == Bytes(250));
  CHECK(q[0].files ==
        std::vector<std::string>{"Q2_K/model-Q2_K-00001-of-00002.gguf", "Q2_K/model-Q2_K-00002-of-00002.gguf"});
  CHECK(q[1].quant == "Q4_K_M");
  CHECK(q[2].quant == "Q8_0");
  CHECK(gguf_quants({{"x-UD-Q4_K_XL.gguf", 1}})[0].quant == "UD-Q4_K_XL");
}

TEST_CASE("A sharded repository on the Hub estimates as the same files in a folder, from headers only", "[hub][cli]") {
  HubStandIn hub;
  const auto repo = sharded_repo();
  hub.add("org/sharded", repo);
  hub.token("hf_secret");
  const test::TempDir dir("hub_sharded");
  write_folder(dir, repo);
  const auto local = test::run(fmt::format("infer --model {}/local --format json", dir.path().string()));
  REQUIRE(local.code == 0);
  const auto remote = test::run("infer --model org/sharded --format json", hub_env(hub, dir, "HF_TOKEN=hf_secret"));
  INFO(remote.err);
  REQUIRE(remote.code == 0);
  CHECK(figures(remote.out) == figures(local.out));
  CHECK(Json::parse(remote.out)["model"]["hf_id"] == "org/sharded");

  // What was fetched: on the Hub, the models API, config.json and the index (whole), and one
  // resolve request per shard (each answered by a redirect); on storage, one range request per
  // shard. 3 shards: 1 + 2 + 3 = 6 on the Hub, 3 on storage.
  const auto log = hub.log();
  CHECK(hub.count("hub") == 6);
  CHECK(hub.count("storage") == 3);
  for (const auto& e : log) {
    INFO(e.host << " " << e.path);
    if (e.host == "storage") {
      // Never a whole weights file: each a range of the first 100,000 bytes (these shards are
      // smaller: up to their end), and the token never reaches the storage host.
      const std::string file = e.path.substr(e.path.rfind('/') + 1);
      const std::uint64_t size = repo.files.at(file).size();
      CHECK(e.range == fmt::format("bytes=0-{}", std::min<std::uint64_t>(99'999, size - 1)));
      CHECK(e.body_bytes == std::min<std::uint64_t>(100'000, size));
      CHECK(e.authorization.empty());
    } else {
      CHECK(e.authorization == "Bearer hf_secret");
    }
  }

  SECTION("a second run needs no request, and --offline or HF_HUB_OFFLINE=1 works from the cache") {
    hub.clear_log();
    const auto again = test::run("infer --model org/sharded --format json", hub_env(hub, dir));
    REQUIRE(again.code == 0);
    CHECK(figures(again.out) == figures(local.out));
    const auto offline = test::run("infer --model org/sharded --format json --offline", hub_env(hub, dir));
    REQUIRE(offline.code == 0);
    CHECK(figures(offline.out) == figures(local.out));
    const auto env_offline =
        test::run("infer --model org/sharded --format json", hub_env(hub, dir, "HF_HUB_OFFLINE=1"));
    REQUIRE(env_offline.code == 0);
    CHECK(hub.log().empty());
    // The config is in the HF cache layout, for other tools: snapshots/<commit>/ and refs/main.
    CHECK(read_file(dir.path().string() + "/hf/hub/models--org--sharded/refs/main") == k_commit);
    CHECK(read_file(dir.path().string() + "/hf/hub/models--org--sharded/snapshots/" + k_commit + "/config.json") ==
          repo.files.at("config.json"));
  }
}

TEST_CASE("A progress line goes to stderr only when it is a terminal and the fetch takes a moment", "[hub][cli]") {
  HubStandIn hub;
  hub.add("org/sharded", sharded_repo());
  hub.latency_ms(200);  // 3 rounds of requests: about 0.8 s, past the half second before a progress line
  const test::TempDir dir("hub_progress");
  const auto piped = test::run("infer --model org/sharded", hub_env(hub, dir));
  REQUIRE(piped.code == 0);
  CHECK(piped.err.empty());  // stderr is a file here: no progress line
  // Under a terminal (script(1) gives the command a pseudo-terminal), the line appears and is cleared
  // (another cache folder: nothing cached).
  const test::TempDir tty_dir("hub_progress_tty");
  const std::string cmd = fmt::format("script -qec \"env {} '{}' infer --model org/sharded --format json\" /dev/null",
                                      hub_env(hub, tty_dir), LLMMEM_BINARY);
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  while (std::size_t k = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, k);
  CHECK(pclose(pipe) == 0);
  CHECK(out.find("\rllmmem: headers of org/sharded: ") != std::string::npos);
  CHECK(out.find("\r\033[K") != std::string::npos);
}

TEST_CASE("A header longer than the first range is completed by one more range request, no weights read",
          "[hub][cli]") {
  HubStandIn hub;
  // 1,500 small tensors and a 4 MB one: a header of about 120 KB, past the first 100,000 bytes.
  std::vector<test::StTensor> tensors;
  for (int i = 0; i < 1500; ++i) tensors.push_back({fmt::format("model.extra.{}.weight", i), "F16", {4}, 2});
  tensors.push_back({"model.big.weight", "F16", {2'000'000}, 2});
  HubStandIn::Repo r;
  r.commit = k_commit;
  r.files["config.json"] = read_file(test::fixture("user_models/tiny-llama.json"));
  r.files["model.safetensors"] = test::safetensors_bytes(tensors);
  const std::uint64_t data = 1500 * 8 + 4'000'000;
  const std::uint64_t header = r.files["model.safetensors"].size() - data;  // 8 bytes of length + the JSON
  REQUIRE(header > 100'000);
  hub.add("org/wide", r);
  const test::TempDir dir("hub_wide");
  const auto got = test::run("infer --model org/wide --format json", hub_env(hub, dir));
  INFO(got.err);
  REQUIRE(got.code == 0);
  std::vector<std::string> ranges;
  std::uint64_t served = 0;
  for (const auto& e : hub.log())
    if (e.host == "storage") {
      ranges.push_back(e.range);
      served += e.body_bytes;
    }
  CHECK(ranges == std::vector<std::string>{"bytes=0-99999", fmt::format("bytes=100000-{}", header - 1)});
  CHECK(served == header);  // the header, not one byte of the 4,012,000 bytes of weights
}

TEST_CASE("Hub failures end with one line and exit code 7", "[hub][cli]") {
  HubStandIn hub;
  auto gated = sharded_repo();
  gated.gated = true;
  hub.add("org/gated", gated);
  hub.add("org/sharded", sharded_repo());
  hub.token("hf_right");
  const test::TempDir dir("hub_errors");

  SECTION("a gated repository without a token says to accept the licence and set HF_TOKEN") {
    const auto r = test::run("infer --model org/gated", hub_env(hub, dir));
    test::check_error(
        r, k_network,
        "org/gated is a gated repository: accept its licence at " + hub.endpoint() + "/org/gated and set HF_TOKEN");
  }
  SECTION("a gated repository with a token that has no access") {
    const auto r = test::run("infer --model org/gated", hub_env(hub, dir, "HF_TOKEN=hf_wrong"));
    test::check_error(r, k_network, "the token given has no access");
  }
  SECTION("the token file in HF_HOME is read when HF_TOKEN is unset") {
    dir.write("hf/token", "hf_right\n");
    const auto r = test::run("infer --model org/gated --format json", hub_env(hub, dir));
    INFO(r.err);
    CHECK(r.code == 0);
  }
  SECTION("a token with control characters is refused before any request") {
    dir.write("hf/token", "hf_right\r\nX-Injected: 1\n");
    const auto r = test::run("infer --model org/gated", hub_env(hub, dir));
    test::check_error(r, 2, "the Hub token (HF_TOKEN or the token file) holds characters a token cannot hold");
    CHECK(hub.log().empty());
    // A model that needs no Hub does not care.
    CHECK(test::run("infer --model llama3-8b", hub_env(hub, dir)).code == 0);
  }
  SECTION("a missing repository") {
    const auto r = test::run("infer --model org/missing", hub_env(hub, dir));
    test::check_error(r, k_network, "org/missing: repository not found on 127.0.0.1:");
  }
  SECTION("a missing revision") {
    const auto r = test::run("infer --model org/sharded@v9", hub_env(hub, dir));
    test::check_error(r, k_network, "org/sharded: revision 'v9' not found");
  }
  SECTION("offline with nothing cached asks for nothing: an unknown model") {
    const auto r = test::run("infer --model org/sharded --offline", hub_env(hub, dir));
    test::check_error(r, 3, "unknown model 'org/sharded'");
    CHECK(r.err.find("offline (--offline or HF_HUB_OFFLINE=1), so the Hub was not asked") != std::string::npos);
    CHECK(hub.log().empty());
  }
  SECTION("one 429 is retried after its Retry-After, then the model is read") {
    std::atomic<int> seen{0};
    hub.intercept([&](const std::string& host, const test::HttpIn& in) -> std::optional<HttpOut> {
      if (host == "hub" && in.path.starts_with("/api/") && seen++ == 0) {
        HttpOut o;
        o.status = 429;
        o.headers.emplace_back("Retry-After", "0");
        return o;
      }
      return std::nullopt;
    });
    const auto r = test::run("infer --model org/sharded --format json", hub_env(hub, dir));
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(seen == 2);  // the 429, then the answer
  }
  SECTION("rate limited for good: 1 try and 5 retries, then the reason") {
    hub.intercept([&](const std::string&, const test::HttpIn&) -> std::optional<HttpOut> {
      HttpOut o;
      o.status = 429;
      o.headers.emplace_back("Retry-After", "0");
      return o;
    });
    const auto r = test::run("infer --model org/sharded", hub_env(hub, dir));
    test::check_error(r, k_network, "org/sharded: rate limited by 127.0.0.1:");
    CHECK(r.err.find("after 6 tries") != std::string::npos);
    CHECK(hub.count("hub") == 6);
  }
  SECTION("a stalled answer times out (--timeout)") {
    hub.intercept([&](const std::string&, const test::HttpIn&) -> std::optional<HttpOut> {
      HttpOut o;
      o.stall_seconds = 5;
      return o;
    });
    const auto r = test::run("infer --model org/sharded --timeout 0.5", hub_env(hub, dir));
    test::check_error(r, k_network, "org/sharded: timed out fetching models API from 127.0.0.1:");
    CHECK(r.seconds < 4);
  }
  SECTION("a bad timeout is a usage error") {
    const auto r = test::run("infer --model org/sharded --timeout -1", hub_env(hub, dir));
    test::check_error(r, 2, "--timeout takes seconds between 0 and 3600, not '-1'");
  }
}

TEST_CASE("Hostile Hub answers end with one line, never a crash", "[hub][cli]") {
  HubStandIn hub;
  hub.add("org/sharded", sharded_repo());
  const test::TempDir dir("hub_hostile");
  const auto answer = [&](std::function<std::optional<HttpOut>(const std::string&, const test::HttpIn&)> f) {
    hub.intercept(std::move(f));
    return test::run("infer --model org/sharded", hub_env(hub, dir));
  };
  SECTION("malformed JSON from the models API") {
    const auto r = answer([](const std::string&, const test::HttpIn& in) -> std::optional<HttpOut> {
      if (!in.path.starts_with("/api/")) return std::nullopt;
      HttpOut o;
      o.body = "{\"sha\": ";
      return o;
    });
    test::check_error(r, k_network, "org/sharded: the models API sent malformed JSON");
  }
  SECTION("an unsafe file name in the file list") {
    const auto r = answer([](const std::string&, const test::HttpIn& in) -> std::optional<HttpOut> {
      if (!in.path.starts_with("/api/")) return std::nullopt;
      HttpOut o;
      o.body = R"({"sha":"abc","siblings":[{"rfilename":"../../etc/passwd"}]})";
      return o;
    });
    test::check_error(r, k_network, "unsafe file name '../../etc/passwd'");
  }
  SECTION("a redirect loop is cut after 10 redirects") {
    const auto r = answer([&](const std::string&, const test::HttpIn& in) -> std::optional<HttpOut> {
      if (!in.path.ends_with(".safetensors")) return std::nullopt;
      HttpOut o;
      o.status = 302;
      o.headers.emplace_back("Location", in.path);
      return o;
    });
    test::check_error(r, k_network, "redirected more than 10 times (a redirect loop?)");
  }
  SECTION("a redirect to another scheme is refused") {
    const auto r = answer([&](const std::string&, const test::HttpIn& in) -> std::optional<HttpOut> {
      if (!in.path.ends_with(".safetensors")) return std::nullopt;
      HttpOut o;
      o.status = 302;
      o.headers.emplace_back("Location", "file:///etc/passwd");
      return o;
    });
    test::check_error(r, k_network, "to an unusable location 'file:///etc/passwd'");
  }
  SECTION("a Content-Range that does not match the bytes sent") {
    const auto r = answer([&](const std::string& host, const test::HttpIn&) -> std::optional<HttpOut> {
      if (host != "storage") return std::nullopt;
      HttpOut o;
      o.status = 206;
      o.headers.emplace_back("Content-Range", "bytes 0-99999/500000");
      o.body = std::string(10, '\0');
      return o;
    });
    test::check_error(r, k_network, "sent bytes 0-99999 of 500000 (10 in the body)");
  }
  SECTION("a Content-Length longer than the body") {
    const auto r = answer([&](const std::string& host, const test::HttpIn&) -> std::optional<HttpOut> {
      if (host != "storage") return std::nullopt;
      HttpOut o;
      o.status = 206;
      o.headers.emplace_back("Content-Range", "bytes 0-99/500000");
      o.body = std::string(50, '\0');
      o.content_length = 100;
      return o;
    });
    test::check_error(r, k_network, "org/sharded: cannot fetch model-0000");
  }
  SECTION("a body larger than allowed") {
    const auto r = answer([&](const std::string& host, const test::HttpIn& in) -> std::optional<HttpOut> {
      if (host != "hub" || !in.path.starts_with("/api/")) return std::nullopt;
      HttpOut o;
      o.content_length = 1ULL << 30;  // announced: refused before it is read
      return o;
    });
    test::check_error(r, k_network, "models API from 127.0.0.1:");
    CHECK(r.err.find("larger than the 16777216 bytes allowed") != std::string::npos);
  }
  SECTION("an oversized response header") {
    const auto r = answer([&](const std::string&, const test::HttpIn&) -> std::optional<HttpOut> {
      HttpOut o;
      o.headers.emplace_back("X-Filler", std::string(200'000, 'a'));
      return o;
    });
    CHECK(r.code == k_network);
    CHECK(r.out.empty());
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  SECTION("control characters in the server's error text are not printed") {
    const auto r = answer([&](const std::string&, const test::HttpIn&) -> std::optional<HttpOut> {
      HttpOut o;
      o.status = 403;
      o.headers.emplace_back("X-Error-Message", "no\x1b[31m access");
      return o;
    });
    test::check_error(r, k_network, "(HTTP 403) (no?[31m access)");
  }
  SECTION("a shard whose header lies about its length is the reader's input error") {
    auto bad = sharded_repo();
    std::string& shard = bad.files["model-00001-of-00003.safetensors"];
    shard[5] = '\x01';  // a header length of more than 2^40 bytes
    hub.add("org/sharded", bad);
    const auto r = test::run("infer --model org/sharded", hub_env(hub, dir));
    test::check_error(r, 3, "org/sharded/model-00001-of-00003.safetensors: header length");
    CHECK(r.err.find("exceeds the format's 100 MB limit") != std::string::npos);
  }
}

namespace {

// A GGUF repository: Q4_K_M in one file (with a tokenizer of about 5.6 MB, past the first 4 MiB
// range), Q8_0 split in two parts, a projector file and a README.
HubStandIn::Repo gguf_repo() {
  HubStandIn::Repo r;
  r.commit = k_commit;
  test::Gguf q4;
  test::llama_metadata(q4);
  q4.kv_str_array("tokenizer.ggml.tokens", 400'000);
  q4.tensor("blk.0.ffn_up.weight", {256, 1000}, 12, 144'000);  // q4_K: 144 bytes per 256 values
  q4.tensor("output.weight", {256, 1000}, 14, 210'000);        // q6_K: 210 bytes per 256 values
  r.files["tiny-Q4_K_M.gguf"] = q4.bytes();
  test::Gguf p1;
  test::llama_metadata(p1);
  p1.kv_u32("split.count", 2);
  p1.tensor("blk.0.ffn_up.weight", {256, 1000}, 8, 272'000);  // q8_0: 34 bytes per 32 values
  test::Gguf p2;
  p2.kv_u32("split.count", 2);
  p2.tensor("output.weight", {256, 1000}, 8, 272'000);
  r.files["tiny-Q8_0-00001-of-00002.gguf"] = p1.bytes();
  r.files["tiny-Q8_0-00002-of-00002.gguf"] = p2.bytes();
  test::Gguf proj;
  proj.kv_str("general.architecture", "clip");
  proj.tensor("v.patch_embd.weight", {16}, 1, 32);
  r.files["mmproj-tiny-f16.gguf"] = proj.bytes();
  r.files["README.md"] = "# tiny GGUF";
  return r;
}

}  // namespace

TEST_CASE("A GGUF repository on the Hub: the quant named, split sets, Q4_K_M by default", "[hub][cli]") {
  HubStandIn hub;
  const auto repo = gguf_repo();
  hub.add("org/tiny-GGUF", repo);
  const test::TempDir dir("hub_gguf");
  write_folder(dir, repo);
  const std::string local = dir.path().string() + "/local/";
  const auto local_q8 = test::run("infer --model " + local + "tiny-Q8_0-00001-of-00002.gguf --format json");
  const auto local_q4 = test::run("infer --model " + local + "tiny-Q4_K_M.gguf --format json");
  REQUIRE(local_q8.code == 0);
  REQUIRE(local_q4.code == 0);

  const auto q8 = test::run("infer --model org/tiny-GGUF:q8_0 --format json", hub_env(hub, dir));
  INFO(q8.err);
  REQUIRE(q8.code == 0);
  CHECK(figures(q8.out) == figures(local_q8.out));
  CHECK(Json::parse(q8.out)["model"]["name"] == "org/tiny-GGUF:Q8_0");
  // The models API and both parts' resolve URLs on the Hub; both parts' first ranges (each file is
  // smaller than 4 MiB: up to its end) on storage.
  CHECK(hub.count("hub") == 3);
  CHECK(hub.count("storage") == 2);

  hub.clear_log();
  const auto q4 = test::run("infer --model org/tiny-GGUF --format json", hub_env(hub, dir));
  INFO(q4.err);
  REQUIRE(q4.code == 0);
  CHECK(figures(q4.out) == figures(local_q4.out));
  // The tokenizer runs past the first 4 MiB: the reader asks for more, doubling what it holds (to
  // 8 MiB, which is past the file's end: up to its end).
  std::vector<std::string> ranges;
  for (const auto& e : hub.log())
    if (e.host == "storage") ranges.push_back(e.range);
  const std::uint64_t size = repo.files.at("tiny-Q4_K_M.gguf").size();
  REQUIRE(size > 4'194'304);
  CHECK(ranges == std::vector<std::string>{"bytes=0-4194303", fmt::format("bytes=4194304-{}", size - 1)});

  hub.clear_log();
  const auto again = test::run("infer --model org/tiny-GGUF:Q8_0 --format json --offline", hub_env(hub, dir));
  REQUIRE(again.code == 0);
  CHECK(figures(again.out) == figures(local_q8.out));
  CHECK(hub.log().empty());

  // inspect lists every quant with its size (the Hub's listed sizes; the projector left out), from
  // the cache: no request.
  const auto listed = test::run("inspect org/tiny-GGUF --format json", hub_env(hub, dir));
  INFO(listed.err);
  REQUIRE(listed.code == 0);
  const Json j = Json::parse(listed.out);
  const std::uint64_t q8_size =
      repo.files.at("tiny-Q8_0-00001-of-00002.gguf").size() + repo.files.at("tiny-Q8_0-00002-of-00002.gguf").size();
  CHECK(j["quants"] == Json::parse(fmt::format(R"([{{"quant":"Q8_0","files":2,"size_bytes":{}}},)"
                                               R"({{"quant":"Q4_K_M","files":1,"size_bytes":{}}}])",
                                               q8_size, size)));
  CHECK(j["path"] == "org/tiny-GGUF:Q4_K_M");
  CHECK(j["format"] == "gguf");
  CHECK(hub.log().empty());
  const auto csv = test::run("inspect org/tiny-GGUF --format csv", hub_env(hub, dir));
  CHECK(csv.out == fmt::format("quant,files,size_bytes\nQ8_0,2,{}\nQ4_K_M,1,{}\n", q8_size, size));
  const auto table = test::run("inspect org/tiny-GGUF", hub_env(hub, dir));
  CHECK(table.out.find("quants in the repository:") != std::string::npos);
  const auto md = test::run("inspect org/tiny-GGUF --format markdown", hub_env(hub, dir));
  CHECK(md.out.find("| Q8_0 | 2 |") != std::string::npos);

  const auto missing = test::run("infer --model org/tiny-GGUF:Q5_K_M", hub_env(hub, dir));
  test::check_error(missing, 2, "org/tiny-GGUF: no GGUF file of quant Q5_K_M (it has Q8_0, Q4_K_M)");
}

TEST_CASE("inspect org/GGUF-repo --gpu marks each quant as infer --model org/name:QUANT --gpu-layers all judges it",
          "[hub][cli]") {
  HubStandIn hub;
  const auto repo = gguf_repo();
  hub.add("org/tiny-GGUF", repo);
  const test::TempDir dir("hub_gguf_fit");
  const std::string settings = "--seq-len 8192";
  // "Fits" is with every layer on the GPU (llama.cpp's --fit would otherwise move layers to the host
  // until any quant fits): each row is what infer --gpu-layers all says.
  // Each quant's estimate on a card large enough for both: what infer says of org/tiny-GGUF:QUANT.
  const auto total = [&](const std::string& quant, const std::string& gpu) {
    const auto r =
        test::run(fmt::format("infer --model org/tiny-GGUF:{} {} --gpu-layers all --gpu-memory {} --format json", quant,
                              settings, gpu),
                  hub_env(hub, dir));
    INFO(r.err);
    REQUIRE(r.code == 0);
    return Json::parse(r.out);
  };
  // The figure the verdict weighs: the most loaded GPU's bytes (one GPU here).
  const std::uint64_t q8 = total("Q8_0", "80GB")["gpu"]["per_gpu"][0]["bytes"];
  const std::uint64_t q4 = total("Q4_K_M", "80GB")["gpu"]["per_gpu"][0]["bytes"];
  INFO("Q8_0 " << q8 << " B, Q4_K_M " << q4 << " B");
  // Q8_0 holds 2 × 272,000 weight bytes, Q4_K_M less: the Q8_0 estimate is the larger.
  REQUIRE(q8 > q4);
  // A card between the two: Q4_K_M fits, Q8_0 does not. Each row is the verdict infer gives there.
  const std::string card = fmt::format("{}B", (q8 + q4) / 2);
  const auto r = test::run(fmt::format("inspect org/tiny-GGUF {} --gpu-memory {} --format json", settings, card),
                           hub_env(hub, dir));
  INFO(r.err);
  REQUIRE(r.code == 0);
  const Json j = Json::parse(r.out);
  REQUIRE(j["quants"].size() == 2);
  for (const auto& row : j["quants"]) {
    const Json infer = total(row["quant"].get<std::string>(), card);
    CHECK(row["estimate_bytes"] == infer["gpu"]["per_gpu"][0]["bytes"]);
    CHECK(row["fits"] == infer["gpu"]["fits"]);
    CHECK(row["gpus_needed"] == infer["gpu"]["needed"]);
  }
  CHECK(j["quants"][0]["quant"] == "Q8_0");
  CHECK(j["quants"][0]["fits"] == false);
  CHECK(j["quants"][1]["fits"] == true);
  CHECK(j["best_fit"] == "Q4_K_M");
  CHECK(j["judged_on"].get<std::string>().find("seq-len 8192") != std::string::npos);
  // The table says which to pick; with a card too small for either, that none fits.
  const auto table =
      test::run(fmt::format("inspect org/tiny-GGUF {} --gpu-memory {}", settings, card), hub_env(hub, dir));
  CHECK(table.out.find("best that fits on 1 × ") != std::string::npos);
  CHECK(table.out.find(": Q4_K_M\n") != std::string::npos);
  const auto none =
      test::run(fmt::format("inspect org/tiny-GGUF {} --gpu-memory 1MiB --format json", settings), hub_env(hub, dir));
  REQUIRE(none.code == 0);
  CHECK(Json::parse(none.out)["best_fit"].is_null());
  // --gpu judges a Hub GGUF repository's quants; a local file is a usage error naming that.
  test::check_error(test::run("inspect " + test::fixture("model_dir") + " --gpu rtx4090"), 2,
                    "inspect --gpu judges the quants of a GGUF repository on the Hub");
}
