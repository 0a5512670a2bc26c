#pragma once
// Running the built binary from a test: exit code, stdout and stderr.
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <catch2/catch.hpp>

namespace llmmem::test {

struct Result {
  int code = -1;
  std::string out, err;
  double seconds = 0;  // wall time of the whole run
};

// Runs `llmmem ARGS` through the shell with `env` (VAR=value ...) in front, in folder `cwd` when
// given; stdin is /dev/null. The host's /proc/meminfo is replaced by a fixture (LLMMEM_MEMINFO), so
// that `--gpu local` judges the same RAM on every machine; `env` may name another.
inline Result run(const std::string& args, const std::string& env = "", const std::string& cwd = "") {
  static int n = 0;
  const std::string err_file = fmt::format("/tmp/llmmem_cli_test_{}_{}.err", ::getpid(), n++);
  const std::string cmd =
      // HF_HUB_OFFLINE=1 and a closed loopback port as HF_ENDPOINT: no test reaches the Hub by
      // accident (the Hub's tests set their stand-in's endpoint and HF_HUB_OFFLINE= in `env`).
      fmt::format(
          "{}env LLMMEM_MEMINFO='{}/meminfo-linux-6.18.txt' HF_HUB_OFFLINE=1 HF_ENDPOINT=http://127.0.0.1:9 "
          "{} '{}' {} 2>{} </dev/null",
          cwd.empty() ? "" : "cd '" + cwd + "' && ", LLMMEM_FIXTURES, env, LLMMEM_BINARY, args, err_file);
  Result r;
  const auto start = std::chrono::steady_clock::now();
  FILE* pipe = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  while (std::size_t k = std::fread(buf.data(), 1, buf.size(), pipe)) r.out.append(buf.data(), k);
  const int status = pclose(pipe);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(err_file);
  std::stringstream ss;
  ss << e.rdbuf();
  r.err = ss.str();
  std::remove(err_file.c_str());
  return r;
}

inline std::string fixture(const std::string& name) { return std::string(LLMMEM_FIXTURES) + "/" + name; }

// The error contract, exactly: the code, nothing on stdout, "llmmem: error: MESSAGE\n" on stderr.
inline void check_exact_error(const Result& r, int code, const std::string& message) {
  INFO(r.err);
  CHECK(r.code == code);
  CHECK(r.out.empty());
  CHECK(r.err == "llmmem: error: " + message + "\n");
}

// The error contract: the code, nothing on stdout, one line on stderr naming the culprit.
inline void check_error(const Result& r, int code, const std::string& needle) {
  INFO(r.err);
  CHECK(r.code == code);
  CHECK(r.out.empty());
  CHECK(r.err.rfind("llmmem: error: ", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.find(needle) != std::string::npos);
}

}  // namespace llmmem::test
