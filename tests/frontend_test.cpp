// The front end every interface shares (src/cli/command.hpp): the same arguments give the binary's
// stdout, stderr and exit code, byte for byte, with nothing printed by the runner itself.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cli_support.hpp"
#include "command.hpp"
#include "llmmem/error.hpp"

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

TEST_CASE("front end: named arguments stand for the command line they spell", "[frontend]") {
  using Json = nlohmann::json;
  const auto line = cli::arguments_from_json("train", Json{{"model", "llama3.1-8b"},
                                                           {"seq_len", 8192},
                                                           {"lora_rank", 16},
                                                           {"check", true},
                                                           {"expandable_segments", false},
                                                           {"lora_targets", {"q", "v"}},
                                                           {"trainable_percent", 2.5},
                                                           {"gpu", nullptr}});
  // nlohmann::json keeps an object's keys sorted, so the flags come in name order.
  CHECK(line == std::vector<std::string>{"train", "--check", "--expandable-segments=false", "--lora-rank=16",
                                         "--lora-targets=q", "--lora-targets=v", "--model=llama3.1-8b",
                                         "--seq-len=8192", "--trainable-percent=2.5"});
  // The estimate is the one the flags give.
  const auto named = cli::run_command_line(
      cli::arguments_from_json("infer", Json{{"model", "llama3-70b"}, {"precision", "fp16"}, {"format", "json"}}),
      cli::Host{});
  CHECK(named.out == cli::run_command_line(
                         {"infer", "--model", "llama3-70b", "--precision", "fp16", "--format", "json"}, cli::Host{})
                         .out);
  // inspect's positional path goes last, after "--", so a path that starts with '-' stays a path.
  CHECK(cli::arguments_from_json("inspect", Json{{"path", "-odd"}, {"format", "json"}}) ==
        std::vector<std::string>{"inspect", "--format=json", "--", "-odd"});
  // A negative value stays the flag's value (and the parser judges it).
  const auto negative = cli::run_command_line(
      cli::arguments_from_json("infer", Json{{"model", "llama3-8b"}, {"seq_len", -5}}), cli::Host{});
  CHECK(negative.code == 2);
  CHECK(negative.err.find("--seq-len") != std::string::npos);
  // Unknown names are unknown flags, with the parser's suggestion.
  const auto unknown = cli::run_command_line(
      cli::arguments_from_json("infer", Json{{"model", "llama3-8b"}, {"seq_lne", 5}}), cli::Host{});
  CHECK(unknown.code == 2);
  CHECK(unknown.err ==
        "llmmem: error: unknown option '--seq-lne' for infer (did you mean --seq-len?) (see llmmem "
        "infer --help)\n");
  // Values of no flag's type.
  CHECK_THROWS_AS(cli::arguments_from_json("infer", Json{{"model", Json::object()}}), UsageError);
  CHECK_THROWS_AS(cli::arguments_from_json("infer", Json::array()), UsageError);
  CHECK_THROWS_AS(cli::arguments_from_json("infer", Json{{"--model", "x"}}), UsageError);
}

TEST_CASE("front end: each command's flags as the parser defines them", "[frontend]") {
  const auto flags = cli::command_flags("train");
  const auto find = [&](const std::string& name) {
    const auto it = std::find_if(flags.begin(), flags.end(), [&](const auto& f) { return f.name == name; });
    REQUIRE(it != flags.end());
    return *it;
  };
  CHECK(find("model").required);
  CHECK_FALSE(find("seq-len").is_switch);
  CHECK(find("check").is_switch);
  CHECK(find("lora-targets").is_list);
  CHECK(find("seq-len").help.find("k = 1024") != std::string::npos);
  CHECK(std::none_of(flags.begin(), flags.end(), [](const auto& f) { return f.name == "help"; }));
  const auto inspect = cli::command_flags("inspect");
  CHECK(std::any_of(inspect.begin(), inspect.end(), [](const auto& f) { return f.positional && f.name == "path"; }));
  CHECK_THROWS_AS(cli::command_flags("frobnicate"), UsageError);
}
