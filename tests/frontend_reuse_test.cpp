// The front end's parser is built once per thread and reused (src/cli/options.cpp thread_parser):
// nothing of one command line may reach the next, in the options or in what was given.
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "command.hpp"
#include "options.hpp"

using namespace llmmem;

TEST_CASE("front end: a reused parser starts every command line from the defaults", "[frontend]") {
  const auto first = cli::parse_arguments({"train", "--model", "llama3-8b", "--check", "--seq-len", "8192",
                                           "--lora-targets", "q,v", "--gpu", "rtx4090", "--format", "json"});
  REQUIRE(first.options);
  CHECK(first.options->check);
  CHECK(first.options->seq_len == "8192");
  CHECK(first.options->lora_targets == std::vector<std::string>{"q", "v"});
  CHECK(first.options->has("--gpu"));

  const auto second = cli::parse_arguments({"infer", "--model", "llama3-70b"});
  REQUIRE(second.options);
  const cli::Options defaults;
  CHECK(second.options->command == "infer");
  CHECK_FALSE(second.options->check);
  CHECK(second.options->seq_len == defaults.seq_len);
  CHECK(second.options->format == defaults.format);
  CHECK(second.options->lora_targets.empty());
  CHECK(second.options->gpu.empty());
  CHECK(second.options->given == std::set<std::string>{"--model"});

  // After a parse that failed half-way, the next one is whole again.
  const auto bad = cli::parse_arguments({"infer", "--model", "llama3-70b", "--seq-len"});
  CHECK_FALSE(bad.options);
  CHECK(bad.exit_code == 2);
  const auto third = cli::parse_arguments({"fit", "--model", "llama3-70b", "--gpu", "h100-80gb:2"});
  REQUIRE(third.options);
  CHECK(third.options->command == "fit");
  CHECK(third.options->given == std::set<std::string>{"--model", "--gpu"});
}

TEST_CASE("front end: the same command line gives the same output after others ran", "[frontend]") {
  const std::vector<std::string> line{"infer", "--model", "llama3-70b", "--precision", "fp16", "--format", "json"};
  const cli::Output before = cli::run_command_line(line, cli::Host{});
  (void)cli::run_command_line({"train", "--model", "llama3.1-8b", "--lora-rank", "16", "--gpu", "rtx4090", "--check"},
                              cli::Host{});
  (void)cli::run_command_line({"infer", "--model", "llama3-70b", "--bogus"}, cli::Host{});
  CHECK(cli::run_command_line(line, cli::Host{}).out == before.out);
  // Each thread has its own parser: a thread answers the same.
  cli::Output in_thread;
  std::thread([&] { in_thread = cli::run_command_line(line, cli::Host{}); }).join();
  CHECK(in_thread.out == before.out);
  CHECK(in_thread.code == 0);
}
