// 1,000 sequential API requests against `llmmem serve`'s HTTP server (in this process, on a free
// loopback port), each answer checked against the CLI's JSON. Prints the time; exits 1 on any error.
// Usage: serve_requests [N]   (docs/benchmarks.md)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "command.hpp"
#include "http.hpp"

namespace {

struct Case {
  const char* path;
  std::string body;
  std::vector<std::string> args;
  std::string expected;
};

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 1000;
  std::vector<Case> cases = {
      {"/v1/infer",
       R"({"model": "llama3-70b", "precision": "fp16"})",
       {"infer", "--model=llama3-70b", "--precision=fp16"},
       ""},
      {"/v1/infer",
       R"({"model": "llama3.1-8b", "seq_len": "32k", "gpu": "rtx4090"})",
       {"infer", "--model=llama3.1-8b", "--seq-len=32k", "--gpu=rtx4090"},
       ""},
      {"/v1/train",
       R"({"model": "llama3-8b", "lora_rank": 16, "gpu": "rtx4090"})",
       {"train", "--model=llama3-8b", "--lora-rank=16", "--gpu=rtx4090"},
       ""},
      {"/v1/fit",
       R"({"model": "llama3.1-70b", "gpu": "h100-80gb:2"})",
       {"fit", "--model=llama3.1-70b", "--gpu=h100-80gb:2"},
       ""},
  };
  for (auto& c : cases) {
    c.args.emplace_back("--format=json");
    c.expected = llmmem::cli::run_command_line(c.args, llmmem::cli::Host{}).out;
  }
  // The same requests run in-process, without HTTP: what the server adds is the difference.
  {
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) {
      const Case& c = cases[static_cast<std::size_t>(i) % cases.size()];
      if (llmmem::cli::run_command_line(c.args, llmmem::cli::Host{}).out != c.expected) return 1;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%ld sequential runs in-process (no HTTP): %.3f s, %.3f ms per request\n", n, s,
                1000.0 * s / static_cast<double>(n));
  }
  llmmem::server::ServeConfig config;
  config.port = 0;
  llmmem::server::HttpServer server(config);
  const int port = server.bind();
  if (port < 0) return 1;
  std::thread thread([&] { server.run(); });
  int status = 0;
  for (const bool keep_alive : {true, false}) {
    httplib::Client client("127.0.0.1", port);
    client.set_keep_alive(keep_alive);
    client.set_tcp_nodelay(true);  // as curl does: no Nagle delay between the request's head and body
    client.set_read_timeout(10, 0);
    long errors = 0;
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) {
      const Case& c = cases[static_cast<std::size_t>(i) % cases.size()];
      const auto r = client.Post(c.path, c.body, "application/json");
      if (!r || r->status != 200 || r->body != c.expected) ++errors;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%ld sequential requests (%s): %.3f s, %.3f ms per request, %ld errors\n", n,
                keep_alive ? "one kept-alive connection" : "a new connection each", s,
                1000.0 * s / static_cast<double>(n), errors);
    if (errors) status = 1;
  }
  server.stop();
  thread.join();
  return status;
}
