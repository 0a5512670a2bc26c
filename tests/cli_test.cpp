// End-to-end: the built binary, its exit codes, stdout and stderr.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "file_writers.hpp"

using llmmem::test::check_error;
using llmmem::test::fixture;
using llmmem::test::run;

TEST_CASE("cli: the article's figures, as JSON totals", "[cli]") {
  const std::string args = "--model llama3-70b --method document --params 70B --precision bf16 --format json";
  auto inf = run("infer " + args);
  REQUIRE(inf.code == 0);
  CHECK(nlohmann::json::parse(inf.out)["total_bytes"] == 153'019'119'616ULL);
  auto tr = run("train " + args + " --optimizer adamw");
  REQUIRE(tr.code == 0);
  CHECK(nlohmann::json::parse(tr.out)["total_bytes"] == 993'019'119'616ULL);
  auto table = run("infer --model llama3-70b --method document --params 70B --precision bf16");
  CHECK(table.out.find("142.51 GiB") != std::string::npos);
}

TEST_CASE("cli: JSON components sum to the total for a config file and a model folder", "[cli]") {
  for (const std::string& model :
       {fixture("model_dir"), fixture("model_dir/config.json"), std::string("Qwen/Qwen2.5-7B")}) {
    INFO(model);
    auto r = run("infer --model '" + model + "' --format json");
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.out);
    std::uint64_t sum = 0;
    for (const auto& c : j["components"]) sum += c["bytes"].get<std::uint64_t>();
    CHECK(sum == j["total_bytes"].get<std::uint64_t>());
  }
}

TEST_CASE("cli: usage errors exit 2 with one line on stderr and nothing on stdout", "[cli][errors]") {
  check_error(run("infer --model llama3-8b --batch 0"), 2, "--batch");
  check_error(run("infer --model llama3-8b --batch -3"), 2, "--batch");
  check_error(run("infer --model llama3-8b --precision fp12"), 2, "fp12");
  check_error(run("train --model llama3-8b --optimizer lion"), 2, "lion");
  check_error(run("train --model llama3-8b --trainable-percent 150"), 2, "--trainable-percent");
  check_error(run("infer --model llama3-8b --frobnicate"), 2, "frobnicate");
  check_error(run("infer --model llama3-8b --tp 3"), 2, "--tp 3");
  check_error(run("infer --model llama3-8b --gpu h900"), 2, "h900");
  check_error(run("infer --model llama3-8b --units metric"), 2, "metric");
  check_error(run("infer --model llama3.1-405b --seq-len 10000000 --batch 4096 --method document"), 2, "overflows");
}

TEST_CASE("cli: input errors exit 3 naming the file, key or model", "[cli][errors]") {
  check_error(run("infer --model " + fixture("configs/malformed.json")), 3, "line 5");
  check_error(run("infer --model " + fixture("configs/missing_intermediate.json")), 3, "intermediate_size");
  check_error(run("infer --model " + fixture("empty_dir")), 3, "config.json");
  check_error(run("infer --model ./nope.json"), 3, "nope.json");
  check_error(run("infer --model llama3-7b"), 3, "did you mean");
}

TEST_CASE("cli: an unsupported architecture exits 4 unless --params is given", "[cli][errors]") {
  // model_type "xlnet" (xlnet-large-cased's dimensions under its own key names d_model, n_layer, n_head),
  // outside the registry: the generic reader still finds the dimensions --params needs
  check_error(run("infer --model " + fixture("configs/unsupported_xlnet.json")), 4, "'xlnet' is not supported");
  CHECK(run("infer --model " + fixture("configs/unsupported_xlnet.json") + " --params 0.36B --format json").code == 0);
}

TEST_CASE("cli: --check exits 5 when it does not fit, 0 when it does", "[cli][gpu]") {
  auto one = run("infer --model llama3-70b --precision bf16 --gpu h100-80gb:1 --check --format json");
  CHECK(one.code == 5);
  const auto j = nlohmann::json::parse(one.out);  // the estimate is still printed
  CHECK(j["gpu"]["needed"] == 2);
  CHECK(j["gpu"]["fits"] == false);
  CHECK(run("infer --model llama3-70b --precision bf16 --gpu h100-80gb:2 --check").code == 0);
  auto need = nlohmann::json::parse(run("infer --model llama3-70b --precision bf16 --gpu h100-80gb --format json").out);
  CHECK(need["gpu"]["needed"] == 2);
}

TEST_CASE("cli: local GPUs from a stand-in nvidia-smi, and a clear message without one", "[cli][gpu]") {
  const std::string path = "PATH=" + fixture("bin") + ":/usr/bin:/bin";
  auto r = run("gpus --local --format json", path);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["gpus"].size() == 2);
  CHECK(j["gpus"][0]["name"] == "NVIDIA H100 80GB HBM3");
  CHECK(j["gpus"][0]["total_bytes"] == 81559ULL << 20);
  check_error(run("gpus --local", "PATH=/nonexistent"), 6, "no local GPU");
  check_error(run("gpus --local", path + " LLMMEM_FAKE_SMI_FAIL=1"), 6, "nvidia-smi failed");
  auto fit = run("infer --model llama3-8b --gpu local --format json", path);
  REQUIRE(fit.code == 0);
  CHECK(nlohmann::json::parse(fit.out)["gpu"]["fits_now"] == true);
}

TEST_CASE("cli: models, precisions, gpus, fit, help and version", "[cli]") {
  auto m = run("models --format json");
  REQUIRE(m.code == 0);
  CHECK(nlohmann::json::parse(m.out)["models"].size() >= 25);
  CHECK(run("precisions").out.find("q4_k_m") != std::string::npos);
  CHECK(run("gpus").out.find("h100-80gb") != std::string::npos);
  auto f = run("fit --model llama3.1-8b --gpu rtx4090 --format json");
  REQUIRE(f.code == 0);
  const auto j = nlohmann::json::parse(f.out);
  CHECK(j["schema_version"] == 2);
  CHECK(j["answers"]["min_gpus"] == 1);
  CHECK(j["answers"]["max_seq_len"].get<std::uint64_t>() > 0);
  auto h = run("--help");
  CHECK(h.code == 0);
  CHECK(h.out.find("Examples:") != std::string::npos);
  CHECK(run("--version").out.find("llmmem ") != std::string::npos);
  CHECK(run("").code == 2);
}

TEST_CASE("cli: --models-dir and LLMMEM_MODELS_DIR add user configs", "[cli]") {
  CHECK(run("infer --model tiny-llama --models-dir " + fixture("user_models")).code == 0);
  CHECK(run("infer --model tiny-llama", "LLMMEM_MODELS_DIR=" + fixture("user_models")).code == 0);
  check_error(run("infer --model tiny-llama --models-dir " + fixture("missing_dir")), 3, "missing_dir");
}

TEST_CASE("cli: --plot draws the curve and --csv-out writes it", "[cli]") {
  const std::string csv = fmt::format("/tmp/llmmem_curve_{}.csv", ::getpid());
  auto r = run("infer --model llama3.1-8b --gpu rtx4090 --plot --csv-out " + csv);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("memory vs context length") != std::string::npos);
  std::ifstream in(csv);
  std::string header;
  std::getline(in, header);
  CHECK(header == "seq_len,total_bytes,capacity_bytes,fits");
  std::remove(csv.c_str());
}

TEST_CASE("cli: model files on disk and hostile ones", "[cli][files]") {
  llmmem::test::TempDir dir("cli_files");
  dir.write("m/config.json",
            R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000, "torch_dtype": "float16"})");
  dir.write("m/model.safetensors", llmmem::test::safetensors_bytes(llmmem::test::tiny_llama_tensors()));
  const std::string m = (dir.path() / "m").string();
  auto r = run("infer --model " + m + " --format json");
  REQUIRE(r.code == 0);
  CHECK(nlohmann::json::parse(r.out)["components"][0]["bytes"] == 2 * 202'048);
  auto i = run("inspect " + m + " --format json");
  REQUIRE(i.code == 0);
  CHECK(nlohmann::json::parse(i.out)["total_elements"] == 202'048);
  CHECK(nlohmann::json::parse(i.out)["config_parameters"] == 202'048);

  // header length 2^63
  std::string huge(8, '\0');
  huge[7] = static_cast<char>(0x80);
  dir.write("huge.safetensors", huge + "{}");
  check_error(run("inspect " + (dir.path() / "huge.safetensors").string()), 3, "100 MB");
  dir.write("trunc.safetensors", llmmem::test::safetensors_bytes(llmmem::test::tiny_llama_tensors()).substr(0, 100));
  check_error(run("inspect " + (dir.path() / "trunc.safetensors").string()), 3, "truncated");
  llmmem::test::Gguf g;
  g.kv_str("general.architecture", "llama");
  g.tensor("a", {32}, 0, 128);
  std::string bytes = g.bytes();
  const std::uint64_t count = 1ULL << 40;
  std::memcpy(bytes.data() + 8, &count, 8);
  dir.write("many.gguf", bytes);
  check_error(run("infer --model " + (dir.path() / "many.gguf").string()), 3, "tensor count 1099511627776");
  dir.write("past.gguf", g.bytes().substr(0, g.bytes().size() - 64));
  check_error(run("inspect " + (dir.path() / "past.gguf").string()), 3, "past the end");
  dir.write("overflow.json", R"({"model_type": "llama", "hidden_size": 5555555555555555555555555555555555555E5555})");
  check_error(run("infer --model " + (dir.path() / "overflow.json").string()), 3, "malformed JSON");
}

TEST_CASE("cli: --model org/name from the HuggingFace cache", "[cli][files]") {
  llmmem::test::TempDir hub("cli_hub");
  hub.write("models--acme--tiny/refs/main", "abc\n");
  hub.write("models--acme--tiny/snapshots/abc/config.json",
            R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000})");
  auto r = run("infer --model acme/tiny --format json", "HF_HUB_CACHE=" + hub.path().string());
  REQUIRE(r.code == 0);
  CHECK(nlohmann::json::parse(r.out)["model"]["hf_id"] == "acme/tiny");
  check_error(run("infer --model acme/tiny --revision v2", "HF_HUB_CACHE=" + hub.path().string()), 3, "revision 'v2'");
  check_error(run("infer --model acme/none", "HF_HUB_CACHE=" + hub.path().string()), 3, "unknown model");
}

TEST_CASE("cli: an encoder infers and trains at its own 512 tokens, and refuses more", "[cli][encoder]") {
  const auto inf = run("infer --model bert-base-uncased");
  CHECK(inf.code == 0);
  CHECK(inf.out.find("KV cache: none") != std::string::npos);
  CHECK(inf.out.find("512 tokens") != std::string::npos);
  const auto tr = run("train --model bert-base-uncased");
  CHECK(tr.code == 0);
  CHECK(tr.out.find("classification head") != std::string::npos);
  CHECK(run("infer --model roberta-base --batch 32 --format json").code == 0);
  llmmem::test::check_error(run("infer --model bert-base-uncased --seq-len 1024"), 2, "512 positions");
  // vLLM's start-up (profile run, KV pool) is not modelled for pooling models: said, not guessed.
  llmmem::test::check_error(run("infer --model bert-base-uncased --engine vllm --gpu H100"), 4, "encoder");
}

TEST_CASE("cli: encoder-decoders take --target-len beside --seq-len, and refuse bad lengths",
          "[cli][encoder-decoder]") {
  const auto inf = run("infer --model t5-base --seq-len 512 --target-len 64");
  CHECK(inf.code == 0);
  CHECK(inf.out.find("cross-attention") != std::string::npos);
  CHECK(inf.out.find("generates 64 tokens") != std::string::npos);
  CHECK(run("train --model t5-base --seq-len 512 --target-len 128 --format json").code == 0);
  check_error(run("infer --model t5-base --target-len 0"), 2, "--target-len must be at least 1");
  check_error(run("infer --model t5-base --target-len lots"), 2, "--target-len");
  check_error(run("infer --model llama3-8b --target-len 64"), 2, "encoder-decoder");
  // BART's tables hold 1024 positions on each side; without --seq-len the input is 1024.
  CHECK(run("infer --model bart-large-mnli").code == 0);
  check_error(run("infer --model bart-large-mnli --seq-len 512 --target-len 2048"), 2, "1024");
  check_error(run("infer --model t5-base --engine vllm --gpu H100"), 4, "encoder-decoder");
}
