// The front end every interface shares (src/cli/command.hpp): the same arguments give the binary's
// stdout, stderr and exit code, byte for byte, with nothing printed by the runner itself.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cli_support.hpp"
#include "command.hpp"

using namespace llmmem;

namespace {

void check_same_as_binary(const std::vector<std::string>& args, const std::string& line) {
  INFO(line);
  const cli::Output in_process = cli::run_command_line(args, cli::Host{});
  const test::Result process = test::run(line, "NO_COLOR=1");
  CHECK(in_process.code == process.code);
  CHECK(in_process.out == process.out);
  CHECK(in_process.err == process.err);
}

}  // namespace

TEST_CASE("front end: run_command_line answers as the binary does", "[frontend]") {
  check_same_as_binary({"infer", "--model", "llama3-70b", "--precision", "fp16", "--format", "json"},
                       "infer --model llama3-70b --precision fp16 --format json");
  check_same_as_binary({"train", "--model", "llama3.1-8b", "--lora-rank", "16", "--gpu", "rtx4090", "--check"},
                       "train --model llama3.1-8b --lora-rank 16 --gpu rtx4090 --check");
  check_same_as_binary({"fit", "--model", "llama3.1-70b", "--gpu", "h100-80gb:2", "--format", "csv"},
                       "fit --model llama3.1-70b --gpu h100-80gb:2 --format csv");
  // --check on a model that does not fit: exit 5 with the report on stdout.
  check_same_as_binary({"infer", "--model", "llama3.1-405b", "--gpu", "rtx4090", "--check"},
                       "infer --model llama3.1-405b --gpu rtx4090 --check");
  // Errors: the one-line message and exit code of each kind.
  check_same_as_binary({"infer", "--model", "llama3-70b", "--bogus"}, "infer --model llama3-70b --bogus");
  check_same_as_binary({"infer", "--model", "no-such-model"}, "infer --model no-such-model");
  check_same_as_binary({"infer", "--model", "llama3-70b", "--seq-len", "-5"}, "infer --model llama3-70b --seq-len -5");
  check_same_as_binary({"frobnicate"}, "frobnicate");
  check_same_as_binary({}, "");
  // Help and version: text on stdout, exit 0.
  check_same_as_binary({"--version"}, "--version");
  check_same_as_binary({"infer", "--help"}, "infer --help");
}

TEST_CASE("front end: a host may forbid local GPU queries and file writes", "[frontend]") {
  cli::Host locked;
  locked.may_query_gpus = false;
  locked.may_write_files = false;
  const auto gpus = cli::run_command_line({"gpus", "--local"}, locked);
  CHECK(gpus.code == 2);
  CHECK(gpus.out.empty());
  CHECK(gpus.err == "llmmem: error: --gpu local and gpus --local are not available here: name the GPUs\n");
  const auto csv =
      cli::run_command_line({"infer", "--model", "llama3-8b", "--csv-out", "/tmp/never-written.csv"}, locked);
  CHECK(csv.code == 2);
  CHECK(csv.err == "llmmem: error: --csv-out writes a file, which is not allowed here\n");
}
