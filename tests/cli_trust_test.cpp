// End-to-end tests for the defects a new user hit (issue 9): one meaning per flag, every format,
// and no silent reinterpretation. Each case names its item.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "file_writers.hpp"
#include "llmmem/gpu.hpp"
#include "llmmem/ollama_estimate.hpp"
#include "test_support.hpp"

using llmmem::test::check_error;
using llmmem::test::fixture;
using llmmem::test::run;
using Json = nlohmann::json;

TEST_CASE("cli item 1: --gpu NAME is one GPU everywhere, and --check exits 5 when more are needed", "[cli][trust]") {
  auto r = run("infer --model llama3.1-405b --gpu rtx4090 --check --format json");
  CHECK(r.code == 5);
  const auto j = Json::parse(r.out);
  CHECK(j["gpu"]["count"] == 1);
  CHECK(j["gpu"]["fits"] == false);
  CHECK(j["gpu"]["needed"].get<std::uint64_t>() > 1);
  CHECK(j["gpu"]["per_gpu"].size() == 1);
  auto t = run("infer --model llama3.1-405b --gpu rtx4090 --check");
  CHECK(t.code == 5);
  CHECK(t.out.find("1 × rtx4090") != std::string::npos);
  CHECK(t.out.find("does not fit") != std::string::npos);
  // The same for train and fit: the count given is the count judged.
  CHECK(run("train --model llama3-8b --gpu rtx4090 --check").code == 5);
  CHECK(run("fit --model llama3.1-405b --gpu rtx4090 --check").code == 5);
  // Enough GPUs given: fits.
  const auto needed = j["gpu"]["needed"].get<std::uint64_t>();
  CHECK(run(fmt::format("infer --model llama3.1-405b --gpu rtx4090:{} --check", needed)).code == 0);
}

TEST_CASE("cli item 2: fit --check exits 5 when the request as stated does not fit", "[cli][trust]") {
  auto none = run("fit --model llama3.1-405b --gpu rtx4090 --check --format json");
  CHECK(none.code == 5);
  const auto j = Json::parse(none.out);
  CHECK(j["answers"]["fits"] == false);
  CHECK(j["answers"]["max_seq_len"].is_null());
  CHECK(j["answers"]["best_precision"].is_null());
  CHECK(run("fit --model llama3.1-8b --gpu rtx4090 --check").code == 0);
}

TEST_CASE("cli item 3: the context curve keeps the GPUs and layout stated, points that do not fit are marked",
          "[cli][trust]") {
  auto r = run("infer --model llama3.1-8b --gpu rtx4090 --plot --format json");
  REQUIRE(r.code == 0);
  const auto j = Json::parse(r.out);  // the chart is not inside the JSON
  CHECK(r.err.find("memory vs context length") != std::string::npos);
  const auto& curve = j["context_curve"];
  REQUIRE(curve.size() >= 5);
  std::uint64_t last = 0;
  for (const auto& p : curve) {
    CHECK(p["bytes"].get<std::uint64_t>() > last);
    last = p["bytes"].get<std::uint64_t>();
  }
  CHECK(curve.front()["fits"] == true);
  CHECK(curve.back()["seq_len"] == 131072);  // the model's context length
  CHECK(curve.back()["fits"] == false);      // marked, not re-planned on more GPUs
  auto check = run("infer --model llama3.1-8b --gpu rtx4090 --plot --check");
  CHECK(check.code == 0);  // --check judges the request as stated (2048 tokens), as without --plot
  CHECK(check.out.find("does not fit") != std::string::npos);  // the long-context points
}

TEST_CASE("cli item 4: mixed and busy local GPUs are each reported as they are, a hung driver times out",
          "[cli][trust]") {
  const std::string path = "PATH=" + fixture("bin") + ":/usr/bin:/bin";
  auto mixed = run("infer --model llama2-13b --precision fp16 --gpu local --format json",
                   path + " LLMMEM_FAKE_SMI_CSV=" + fixture("nvidia-smi-4090-3060.csv"));
  REQUIRE(mixed.code == 0);
  const auto j = Json::parse(mixed.out);
  REQUIRE(j["gpu"]["per_gpu"].size() == 2);
  CHECK(j["gpu"]["per_gpu"][0]["name"] == "NVIDIA GeForce RTX 4090");
  CHECK(j["gpu"]["per_gpu"][0]["capacity_bytes"] == 24564ULL << 20);
  CHECK(j["gpu"]["per_gpu"][1]["name"] == "NVIDIA GeForce RTX 3060");
  CHECK(j["gpu"]["per_gpu"][1]["capacity_bytes"] == 12288ULL << 20);
  CHECK(j["gpu"]["split"] == "proportional");
  CHECK(j["gpu"]["fits"] == true);

  auto busy = run("infer --model llama3.1-8b --gpu local --format json",
                  path + " LLMMEM_FAKE_SMI_CSV=" + fixture("nvidia-smi-busy-idle.csv"));
  REQUIRE(busy.code == 0);
  const auto b = Json::parse(busy.out);
  CHECK(b["gpu"]["fits_now"] == true);
  CHECK(b["gpu"]["per_gpu"][0]["headroom_now_bytes"].get<std::int64_t>() > 0);

  const auto start = std::chrono::steady_clock::now();
  auto hung = run("infer --model llama3.1-8b --gpu local", path + " LLMMEM_FAKE_SMI_HANG=1 LLMMEM_SMI_TIMEOUT=1");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  check_error(hung, 6, "did not answer within 1 s");
}

TEST_CASE("cli item 4: a short GPU shows a negative headroom, never 0.00", "[cli][trust]") {
  auto r = run("infer --model llama3-70b --precision bf16 --gpu h100-80gb --format json");
  const auto j = Json::parse(r.out);
  CHECK(j["gpu"]["per_gpu"][0]["headroom_bytes"].get<std::int64_t>() < 0);
  auto t = run("infer --model llama3-70b --precision bf16 --gpu h100-80gb");
  CHECK(t.out.find("headroom -") != std::string::npos);
}

TEST_CASE("cli item 7: whole numbers stay whole, 32k is 32768, sizes need a unit", "[cli][trust]") {
  check_error(run("infer --model llama3-8b --batch 1.5"), 2, "--batch");
  check_error(run("infer --model llama3-8b --seq-len 1.5"), 2, "--seq-len");
  check_error(run("infer --model llama3-8b --seq-len 2e3"), 2, "--seq-len");
  auto k = run("infer --model llama3.1-8b --seq-len 32k --format json");
  REQUIRE(k.code == 0);
  CHECK(Json::parse(k.out)["settings"]["seq_len"] == 32768);
  check_error(run("infer --model llama3-8b --gpu-memory 24"), 2, "no unit");
  check_error(run("infer --model llama3-8b --overhead 2"), 2, "no unit");
  CHECK(run("infer --model llama3-8b --gpu-memory 24GiB").code == 0);
  CHECK(run("infer --model llama3-8b --overhead 0").code == 0);
}

TEST_CASE("cli item 8: a write that fails is an error, not exit 0", "[cli][trust]") {
  check_error(run("infer --model llama3-8b --csv-out /dev/full"), 3, "/dev/full");
  check_error(run("infer --model llama3-8b --csv-out /nonexistent/dir/x.csv"), 3, "/nonexistent/dir/x.csv");
}

TEST_CASE("cli item 9: a context beyond the model's is noted, fit says when the model, not memory, limits it",
          "[cli][trust]") {
  auto r = run("infer --model gpt2 --seq-len 100000 --format json");
  REQUIRE(r.code == 0);
  bool noted = false;
  const auto notes = Json::parse(r.out)["notes"];
  for (const auto& n : notes) noted = noted || n.get<std::string>().find("1024") != std::string::npos;
  CHECK(noted);
  auto f = run("fit --model gpt2 --gpu h100-80gb --format json");
  REQUIRE(f.code == 0);
  const auto j = Json::parse(f.out);
  CHECK(j["answers"]["max_seq_len"] == 1024);
  CHECK(j["answers"]["max_seq_len_limited_by"] == "model");
  CHECK(run("fit --model gpt2 --gpu h100-80gb").out.find("the model's limit") != std::string::npos);
}

TEST_CASE("cli item 10: unknown words are named with the nearest command or flag, help and -V work", "[cli][trust]") {
  check_error(run("infr --model llama3-8b"), 2, "unknown command 'infr' (did you mean infer?)");
  check_error(run("--foo"), 2, "unknown option '--foo'");
  check_error(run("infer --model llama3-8b --seqlen 10"), 2, "did you mean --seq-len?");
  auto h = run("help");
  CHECK(h.code == 0);
  CHECK(h.out.find("infer") != std::string::npos);
  auto hi = run("help infer");
  CHECK(hi.code == 0);
  CHECK(hi.out.find("--seq-len") != std::string::npos);
  auto v = run("-V");
  CHECK(v.code == 0);
  CHECK(v.out.rfind("llmmem ", 0) == 0);
}

TEST_CASE("cli item 12: a file's control characters never reach the terminal raw", "[cli][trust]") {
  llmmem::test::TempDir dir("cli_escape");
  dir.write("evil.json", "{\"model_type\": \"\\u001b]0;PWNED\\u0007x\", \"hidden_size\": 64}");
  const std::string path = (dir.path() / "evil.json").string();
  auto r = run("infer --model " + path);
  CHECK(r.code != 0);
  CHECK(r.err.find('\x1b') == std::string::npos);
  CHECK(r.err.find('\x07') == std::string::npos);
  auto i = run("inspect " + path);
  CHECK(i.out.find('\x1b') == std::string::npos);
  CHECK(i.err.find('\x1b') == std::string::npos);
  auto ij = run("inspect " + path + " --format json");
  if (ij.code == 0) CHECK_NOTHROW(Json::parse(ij.out));
}

TEST_CASE("cli item 13: options that would be ignored are usage errors", "[cli][trust]") {
  check_error(run("infer --model llama3-8b --concurrency 4"), 2, "--concurrency");
  check_error(run("train --model llama3-8b --lora-targets q,v"), 2, "--lora-targets needs --lora-rank");
  check_error(run("train --model llama3-8b --lora-rank 8 --trainable-percent 10"), 2, "--trainable-percent");
  check_error(run("infer --model llama3-8b --gpu ''"), 2, "--gpu is empty");
  check_error(run("infer --model llama3-8b --precision ''"), 2, "--precision is empty");
  check_error(run("infer --model llama3-8b --method document --attention eager"), 2, "--attention");
  CHECK(run("infer --model llama3-8b --method document --concurrency 4").code == 0);
}

TEST_CASE("cli item 17: fit JSON shares infer's objects, needed is null when nothing holds the model", "[cli][trust]") {
  const auto f = Json::parse(run("fit --model llama3.1-8b --gpu rtx4090 --format json").out);
  const auto i = Json::parse(run("infer --model llama3.1-8b --gpu rtx4090 --format json").out);
  CHECK(f["command"] == "fit");
  CHECK(f["method"] == "detailed");
  CHECK(f["model"] == i["model"]);
  CHECK(f["gpu"]["name"] == i["gpu"]["name"]);
  const auto big = Json::parse(run("infer --model llama3.1-405b --precision fp32 --gpu rtx3060 --format json").out);
  CHECK(big["gpu"]["needed"].is_null());
  CHECK(big["gpu"]["needed_layout"].is_null());
  CHECK(run("infer --model llama3.1-405b --precision fp32 --gpu rtx3060").out.find("no layout holds it") !=
        std::string::npos);
  // The estimate is for the layout judged; it is named in settings.layout and gpu.layout alike.
  const auto two = Json::parse(run("infer --model llama3-70b --precision bf16 --gpu h100-80gb:2 --format json").out);
  CHECK(two["settings"]["layout"] == two["gpu"]["layout"]);
  CHECK(two["total_bytes"] == two["gpu"]["per_gpu"][0]["bytes"]);
}

TEST_CASE("cli item 18: a 70B full fine-tune is planned as practitioners run it", "[cli][trust]") {
  const auto j = Json::parse(run("train --model llama3.1-70b --gpu h100-80gb --format json").out);
  const auto& l = j["gpu"]["needed_layout"];
  REQUIRE(l.is_object());
  CHECK(l["tp"].get<int>() <= 8);
  CHECK(l["zero"] == 3);
  CHECK(j["gpu"]["needed"].get<int>() <= 8);
}

TEST_CASE("cli: every command prints every format", "[cli][trust]") {
  const std::vector<std::string> commands{"infer --model llama3-8b --gpu rtx4090",
                                          "train --model llama3-8b",
                                          "fit --model llama3-8b --gpu rtx4090",
                                          "models",
                                          "precisions",
                                          "gpus",
                                          "inspect " + fixture("model_dir")};
  for (const auto& cmd : commands) {
    for (const std::string f : {"table", "json", "csv", "markdown"}) {
      INFO(cmd << " --format " << f);
      auto r = run(cmd + " --format " + f);
      CHECK(r.code == 0);
      CHECK_FALSE(r.out.empty());
      if (f == "json") CHECK_NOTHROW(Json::parse(r.out));
    }
  }
}

TEST_CASE("cli: --engine names the engine in every estimate, and a wrong one is a usage error", "[cli][engine]") {
  auto v = run("infer --model llama3.1-8b --engine vllm --gpu h100-80gb --format json");
  REQUIRE(v.code == 0);
  const auto j = Json::parse(v.out);
  CHECK(j["engine"]["id"] == "vllm");
  CHECK(j["engine"]["prefill_chunk"] == 8192);  // vLLM's default on a GPU of 70 GiB or more
  auto t = run("infer --model llama3.1-8b");
  CHECK(t.out.find("engine transformers") != std::string::npos);
  check_error(run("infer --model llama3-8b --engine vlm"), 2, "did you mean vllm?");
  check_error(run("infer --model llama3-8b --engine vllm --method document"), 2, "--engine");
  check_error(run("infer --model llama3-8b --engine ''"), 2, "--engine is empty");
  check_error(run("train --model llama3-8b --engine vllm"), 2, "inference engine");
}

TEST_CASE("cli: --engine vllm reports vLLM's start-up and --check fails when vLLM would not start", "[cli][engine]") {
  auto r = run("infer --model llama3.1-8b --engine vllm --gpu rtx4090 --check --format json");
  CHECK(r.code == 5);  // one 128k-token request needs 16 GiB of KV; vLLM would leave about 6 GiB
  const auto j = Json::parse(r.out);
  CHECK(j["engine"]["startup"]["starts"] == false);
  CHECK(j["engine"]["startup"]["max_model_len"] == 131072);
  CHECK(j["engine"]["startup"]["num_gpu_blocks"].get<std::uint64_t>() > 0);
  auto ok = run("infer --model llama3.1-8b --engine vllm --gpu rtx4090 --max-model-len 32k --check");
  CHECK(ok.code == 0);
  CHECK(ok.out.find("Maximum concurrency for 32768 tokens per request") != std::string::npos);
  check_error(run("infer --model llama3.1-8b --max-model-len 32k"), 2, "--max-model-len is a vLLM setting");
  check_error(run("infer --model llama3.1-8b --engine llama.cpp --max-num-seqs 8"), 2, "llama.cpp does not have it");
  // CUDA graphs: 256 sequences on a 24 GB GPU capture min(2 × 256, 512) = 512 as the largest size:
  // [1, 2, 4] + 8..248 by 8 (31) + 256..512 by 16 (17) = 51 sizes; none with --enforce-eager, and
  // the pool is the same either way (v0.11 captures them after sizing it).
  const auto graphs =
      Json::parse(run("infer --model llama3.1-8b --engine vllm --gpu rtx4090 --max-model-len 32k --format json")
                      .out)["engine"]["startup"];
  const auto eager = Json::parse(run("infer --model llama3.1-8b --engine vllm --gpu rtx4090 --max-model-len 32k "
                                     "--enforce-eager --format json")
                                     .out)["engine"]["startup"];
  CHECK(graphs["cudagraph_batch_sizes"] == 51);
  CHECK(graphs["max_cudagraph_capture_size"] == 512);
  CHECK(eager["cudagraph_batch_sizes"] == 0);
  CHECK(eager["enforce_eager"] == true);
  CHECK(eager["kv_pool_bytes"] == graphs["kv_pool_bytes"]);
  check_error(run("infer --model llama3.1-8b --engine sglang --enforce-eager"), 2, "--enforce-eager is a vLLM setting");
  // vLLM's own KV-cache words: "auto" is the model's dtype, fp8_e5m2 is an fp8 cache.
  const auto pool = [&](const char* kv) {
    return Json::parse(run(std::string("infer --model llama3.1-8b --engine vllm --gpu rtx4090 --max-model-len 32k "
                                       "--format json --kv-precision ") +
                           kv)
                           .out)["engine"]["startup"];
  };
  CHECK(pool("auto")["kv_pool_bytes"] == graphs["kv_pool_bytes"]);
  // An fp8 block is half a bf16 one: floor(2 × pool / block) is 2n or 2n + 1 for n bf16 blocks.
  const auto n = graphs["num_gpu_blocks"].get<std::uint64_t>(),
             fp8 = pool("fp8_e5m2")["num_gpu_blocks"].get<std::uint64_t>();
  CHECK((fp8 == 2 * n || fp8 == 2 * n + 1));
  check_error(run("infer --model llama3.1-8b --engine llama.cpp --kv-precision fp8_e5m2"), 2, "llama.cpp");
}

TEST_CASE("cli: llama.cpp and Ollama report the buffers they log at load", "[cli][engine]") {
  auto r = run("infer --model llama3.1-8b --precision q4_k_m --seq-len 8k --attention eager --format json");
  REQUIRE(r.code == 0);
  const auto j = Json::parse(r.out);
  CHECK(j["engine"]["id"] == "llama.cpp");
  const auto& buffers = j["engine"]["startup"]["buffers"];
  REQUIRE(buffers.size() == 6);
  CHECK(buffers[2]["name"] == "kv");
  CHECK(buffers[2]["bytes"] == 32ULL * 8192 * 2048 * 2);                     // 1024.00 MiB
  CHECK(buffers[4]["bytes"] == 4ULL * 512 * (1 + 4 * 4096 + 8192ULL * 33));  // 560.00 MiB, flash attention off
  auto t = run("infer --model llama3.1-8b --precision q4_k_m --seq-len 8k");
  CHECK(t.out.find("CUDA0 compute buffer size") != std::string::npos);
  check_error(run("infer --model llama3.1-8b --parallel 4"), 2, "--parallel is a llama.cpp/Ollama setting");
  CHECK(run("infer --model llama3.1-8b --engine ollama --parallel 4 --ubatch 256").code == 0);
}

TEST_CASE("cli: --engine ollama with a GPU adds Ollama's own estimate before loading", "[cli][engine]") {
  // Llama-3.1-70B Q4_K_M at 8192 tokens on one RTX 4090: Ollama's scheduler (llm/memory.go, v0.12.10)
  // places as many layers as the free memory takes and runs the rest on the CPU.
  auto r =
      run("infer --model llama3.1-70b --precision q4_k_m --engine ollama --gpu rtx4090 --seq-len 8k --format json");
  REQUIRE(r.code == 0);
  const auto o = Json::parse(r.out)["engine"]["startup"]["ollama_estimate"];
  llmmem::OllamaSettings s;
  s.num_ctx = 8192;
  s.flash_attn = true;
  const llmmem::OllamaEstimate e =
      llmmem::ollama_estimate(llmmem::test::model("llama3.1-70b"), llmmem::test::infer("q4_k_m", 1, 8192), s,
                              {llmmem::find_gpu("rtx4090").memory});
  CHECK(o["layers_model"] == 81);
  CHECK(o["layers_offload"] == e.layers_offload);
  CHECK(o["layers_offload"].get<std::uint64_t>() < 81);
  CHECK(o["required_full_bytes"] == e.memory_required_full.count());
  CHECK(o["required_partial_bytes"] == e.memory_required_partial.count());
  CHECK(o["fully_offloaded"] == false);
  // The estimate places those layers as Ollama does (the rest in host memory), so the GPU part fits.
  CHECK(Json::parse(r.out)["gpu"]["fits"] == true);
  auto t = run("infer --model llama3.1-70b --precision q4_k_m --engine ollama --gpu rtx4090 --seq-len 8k");
  CHECK(t.out.find("memory.required.partial=") != std::string::npos);
  CHECK(t.out.find("Ollama would offload") != std::string::npos);
  // Without a GPU there is no free memory to plan against: llama.cpp's buffers only.
  CHECK(Json::parse(run("infer --model llama3.1-8b --engine ollama --format json").out)["engine"]["startup"].count(
            "ollama_estimate") == 0);
}

TEST_CASE("cli: --engine sglang reports its token pool, and its flag needs it", "[cli][engine]") {
  auto r = run("infer --model llama3.1-8b --engine sglang --gpu rtx4090 --format json");
  REQUIRE(r.code == 0);
  const auto j = Json::parse(r.out);
  CHECK(j["engine"]["startup"]["mem_fraction_static"] == Approx(0.847));
  CHECK(j["engine"]["startup"]["max_total_num_tokens"].get<std::uint64_t>() > 0);
  CHECK(run("infer --model llama3.1-8b --engine sglang --gpu rtx4090").out.find("KV Cache is allocated. #tokens") !=
        std::string::npos);
  check_error(run("infer --model llama3.1-8b --engine vllm --mem-fraction-static 0.8"), 2, "SGLang setting");
}

TEST_CASE("cli: --flash-attn is llama.cpp's switch", "[cli][engine]") {
  auto off =
      Json::parse(run("infer --model llama3.1-8b --precision q4_k_m --seq-len 8k --flash-attn off --format json").out);
  CHECK(off["engine"]["startup"]["flash_attn"] == false);
  auto on =
      Json::parse(run("infer --model llama3.1-8b --precision q4_k_m --seq-len 8k --flash-attn auto --format json").out);
  CHECK(on["engine"]["startup"]["flash_attn"] == true);
  check_error(run("infer --model llama3.1-8b --flash-attn on"), 2, "--flash-attn is a llama.cpp/Ollama setting");
  check_error(run("infer --model llama3.1-8b --precision q4_k_m --flash-attn maybe"), 2, "on, off or auto");
}
