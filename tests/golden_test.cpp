// Golden files: every command in every format, byte for byte (tests/golden/<name>.<format>).
// After an intended change, regenerate them with
//   LLMMEM_UPDATE_GOLDEN=1 build/tests/llmmem_tests "[golden]"
// and review the diff like any other change.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli_support.hpp"

namespace {

struct GoldenCommand {
  const char* name;
  const char* args;
  const char* env;
};

// Paths are relative to the source folder, so the files are the same on every machine.
const GoldenCommand k_commands[] = {
    {"infer", "infer --model llama3-70b --precision bf16 --gpu h100-80gb --explain", ""},
    {"infer-document", "infer --model llama3-70b --method document --params 70B --precision bf16", ""},
    {"train", "train --model llama3-8b --lora-rank 16 --precision nf4-dq --gpu rtx4090", ""},
    {"fit", "fit --model llama3.1-8b --gpu rtx4090:2", ""},
    {"infer-vllm", "infer --model llama3.1-8b --engine vllm --gpu h100-80gb --max-model-len 32k", ""},
    {"infer-sglang", "infer --model llama3.1-8b --engine sglang --gpu rtx4090", ""},
    {"infer-llamacpp", "infer --model llama3.1-8b --precision q4_k_m --seq-len 8k", ""},
    {"inspect", "inspect tests/fixtures/model_dir", ""},
    {"models", "models", ""},
    {"precisions", "precisions", ""},
    {"gpus", "gpus", ""},
    {"gpus-local", "gpus --local", "PATH=tests/fixtures/bin:/usr/bin:/bin"},
    {"infer-local", "infer --model llama2-13b --precision fp16 --gpu local",
     "PATH=tests/fixtures/bin:/usr/bin:/bin LLMMEM_FAKE_SMI_CSV=tests/fixtures/nvidia-smi-4090-3060.csv"},
};

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("golden files pin every command in every format", "[golden]") {
  const bool update = std::getenv("LLMMEM_UPDATE_GOLDEN") != nullptr;
  for (const auto& c : k_commands) {
    for (const char* format : {"table", "json", "csv", "markdown"}) {
      const std::string file = fmt::format("{}/tests/golden/{}.{}", LLMMEM_SOURCE_DIR, c.name, format);
      INFO(c.args << " --format " << format << " vs " << file);
      // --explain is for the table and markdown; JSON always carries the formulas.
      std::string args = fmt::format("{} --format {}", c.args, format);
      if (std::string(format) == "csv" && std::string(c.args).find("--explain") != std::string::npos)
        args = args.replace(args.find(" --explain"), 10, "");
      const auto r = llmmem::test::run(args, c.env, LLMMEM_SOURCE_DIR);
      REQUIRE(r.code == 0);
      if (update) {
        std::ofstream(file, std::ios::binary) << r.out;
        continue;
      }
      CHECK(r.out == read(file));
    }
  }
}
