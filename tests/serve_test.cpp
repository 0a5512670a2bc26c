// `llmmem serve`'s HTTP API as a client sees it: a real server on an ephemeral loopback port, asked
// by cpp-httplib's client, every read bounded by a timeout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "api.hpp"
#include "child_process.hpp"
#include "command.hpp"
#include "http.hpp"

using namespace llmmem;
using Json = nlohmann::json;

namespace {

// A server on 127.0.0.1, any free port, in a thread of this process, stopped by the destructor.
class TestServer {
 public:
  explicit TestServer(std::filesystem::path web_root = {}, int timeout_seconds = 5)
      : m_server(config(std::move(web_root), timeout_seconds)) {
    port = m_server.bind();
    REQUIRE(port > 0);
    m_thread = std::thread([this] { m_server.run(); });
  }
  ~TestServer() {
    m_server.stop();
    m_thread.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;
  [[nodiscard]] httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(5, 0);
    c.set_read_timeout(5, 0);
    c.set_write_timeout(5, 0);
    c.set_tcp_nodelay(true);
    return c;
  }
  int port = 0;

 private:
  static server::ServeConfig config(std::filesystem::path web_root, int timeout_seconds) {
    server::ServeConfig c;
    c.port = 0;
    c.timeout_seconds = timeout_seconds;
    c.web_root = std::move(web_root);
    return c;
  }
  server::HttpServer m_server;
  std::thread m_thread;
};

// The CLI's stdout for the command line (frontend_test checks that run_command_line is the binary).
cli::Output cli_run(std::vector<std::string> args) {
  args.emplace_back("--format=json");
  return cli::run_command_line(args, cli::Host{});
}

httplib::Result post(httplib::Client& c, const std::string& path, const std::string& body,
                     const std::string& type = "application/json") {
  return c.Post(path.c_str(), body, type.c_str());
}

// An error reply: the status, a JSON body {"error": MESSAGE, "exit_code": CODE}.
void check_error(const httplib::Result& r, int status, const std::string& message, int exit_code = 2) {
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == status);
  CHECK(r->get_header_value("Content-Type") == "application/json");
  const Json body = Json::parse(r->body);
  CHECK(body["error"] == message);
  CHECK(body["exit_code"] == exit_code);
}

// The message the CLI prints for the same arguments, without "llmmem: error: " and the newline.
std::string cli_message(const std::vector<std::string>& args) {
  const auto r = cli::run_command_line(args, cli::Host{});
  REQUIRE(r.err.rfind("llmmem: error: ", 0) == 0);
  return r.err.substr(15, r.err.size() - 16);
}

}  // namespace

TEST_CASE("serve: POST /v1/infer, /v1/train, /v1/fit and GET /v1/models, /v1/gpus answer with the CLI's JSON",
          "[serve]") {
  TestServer server;
  auto c = server.client();
  const auto same = [&](const std::string& path, const std::string& body, const std::vector<std::string>& args) {
    INFO(path << " " << body);
    const auto r = post(c, path, body);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("Content-Type") == "application/json");
    CHECK(r->body == cli_run(args).out);
  };
  same("/v1/infer", R"({"model": "llama3-70b", "precision": "fp16"})",
       {"infer", "--model", "llama3-70b", "--precision", "fp16"});
  same("/v1/infer", R"({"model": "llama3.1-8b", "seq_len": "32k", "gpu": "rtx4090", "kv_precision": "q8_0"})",
       {"infer", "--model", "llama3.1-8b", "--seq-len", "32k", "--gpu", "rtx4090", "--kv-precision", "q8_0"});
  same("/v1/train", R"({"model": "llama3-8b", "lora_rank": 16, "precision": "nf4-dq", "gpu": "rtx4090"})",
       {"train", "--model", "llama3-8b", "--lora-rank", "16", "--precision", "nf4-dq", "--gpu", "rtx4090"});
  same("/v1/fit", R"({"model": "llama3.1-70b", "gpu": "h100-80gb:2"})",
       {"fit", "--model", "llama3.1-70b", "--gpu", "h100-80gb:2"});
  // --check that does not fit: 200 with the verdict (the CLI's exit 5 is an answer, not an error).
  const auto no_fit = cli_run({"infer", "--model", "llama3.1-405b", "--gpu", "rtx4090", "--check"});
  REQUIRE(no_fit.code == 5);
  same("/v1/infer", R"({"model": "llama3.1-405b", "gpu": "rtx4090", "check": true})",
       {"infer", "--model", "llama3.1-405b", "--gpu", "rtx4090", "--check"});
  CHECK(Json::parse(no_fit.out)["gpu"]["fits"] == false);
  for (const std::string what : {"models", "gpus"}) {
    const auto r = c.Get(("/v1/" + what).c_str());
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == cli_run({what}).out);
  }
  const auto health = c.Get("/v1/health");
  REQUIRE(health);
  CHECK(Json::parse(health->body) == Json{{"status", "ok"}, {"version", LLMMEM_VERSION}});
  // Keep-alive: many requests on one connection.
  for (int i = 0; i < 20; ++i) {
    const auto r = c.Get("/v1/health");
    REQUIRE(r);
    CHECK(r->status == 200);
  }
}

TEST_CASE("serve: bad requests get 4xx with the CLI's message, and nothing is read or written on the server",
          "[serve]") {
  TestServer server;
  auto c = server.client();
  // The body.
  check_error(post(c, "/v1/infer", "model=llama3-8b"), 400, "the body is not JSON");
  check_error(post(c, "/v1/infer", ""), 400,
              "the body is empty: send a JSON object of arguments, e.g. {\"model\": \"llama3-8b\"}");
  check_error(post(c, "/v1/infer", R"(["llama3-8b"])"), 400,
              "the arguments must be a JSON object of flag names and values");
  check_error(post(c, "/v1/infer", R"({"model": {"name": "llama3-8b"}})"), 400,
              "argument 'model' takes a string, a number, true/false or a list of them");
  check_error(post(c, "/v1/infer", std::string(50000, '[')), 400, "the body is not JSON");  // deep, unclosed
  check_error(post(c, "/v1/infer", R"({"model": "llama3-8b", "format": "csv"})"), 400,
              "format: the answer is always the CLI's JSON; leave \"format\" out");
  // The CLI's own messages and exit codes: usage -> 400, input (unknown model) -> 422.
  check_error(post(c, "/v1/infer", R"({"model": "llama3-8b", "seq_len": -5})"), 400,
              cli_message({"infer", "--model=llama3-8b", "--seq-len=-5"}));
  check_error(post(c, "/v1/infer", R"({"model": "llama3-8b", "seq_lne": 5})"), 400,
              "unknown option '--seq-lne' for infer (did you mean --seq-len?) (see llmmem infer --help)");
  check_error(post(c, "/v1/train", R"({"seq_len": 5})"), 400, cli_message({"train", "--seq-len=5"}));
  check_error(post(c, "/v1/infer", R"({"model": "llama3-8b", "check": true})"), 400,
              "--check needs the GPUs to judge against: --gpu or --gpu-memory");
  const auto typo = post(c, "/v1/infer", R"({"model": "lama3-8b"})");
  REQUIRE(typo);
  CHECK(typo->status == 422);
  const Json typo_body = Json::parse(typo->body);
  CHECK(typo_body["exit_code"] == 3);
  const std::string message = typo_body["error"];
  CHECK(message.rfind("unknown model 'lama3-8b' (did you mean llama3-8b", 0) == 0);
  CHECK(
      message.ends_with("?); only catalog models are estimated here (no files are read); `llmmem models` lists "
                        "the catalog"));
  // Nothing on the server's disk: no path, no --models-dir, no --csv-out, no nvidia-smi.
  const auto path = post(c, "/v1/infer", R"({"model": "/etc/passwd"})");
  REQUIRE(path);
  CHECK(path->status == 422);
  CHECK(Json::parse(path->body)["error"].get<std::string>().rfind("unknown model '/etc/passwd'", 0) == 0);
  const auto store = post(c, "/v1/infer", R"({"model": "ollama:llama3.1:8b"})");  // another tool's store
  REQUIRE(store);
  CHECK(store->status == 422);
  cli::Host no_files;  // what the server's host refuses, wherever it is asked
  no_files.may_read_files = false;
  CHECK(cli::run_command_line({"models", "--local"}, no_files).err ==
        "llmmem: error: models --local reads other tools' model stores, which is not allowed here\n");
  CHECK(cli::run_command_line({"inspect", "/etc"}, no_files).err ==
        "llmmem: error: inspect reads files, which is not allowed here\n");
  check_error(post(c, "/v1/infer", R"({"model": "llama3-8b", "models_dir": ["/etc"]})"), 400,
              "--models-dir reads files, which is not allowed here");
  check_error(post(c, "/v1/infer", R"({"model": "llama3-8b", "csv_out": "/tmp/llmmem-never.csv"})"), 400,
              "--csv-out writes a file, which is not allowed here");
  CHECK_FALSE(std::filesystem::exists("/tmp/llmmem-never.csv"));
  check_error(post(c, "/v1/infer", R"({"model": "llama3-8b", "gpu": "local"})"), 400,
              "--gpu local and gpus --local are not available here: name the GPUs");
  // The transport: content type, size, path, method, Host.
  check_error(post(c, "/v1/infer", R"({"model": "llama3-8b"})", "text/plain"), 415,
              "the body must be JSON (Content-Type: application/json), not 'text/plain'");
  const auto charset = post(c, "/v1/infer", R"({"model": "llama3-8b"})", "Application/JSON; charset=utf-8");
  REQUIRE(charset);
  CHECK(charset->status == 200);
  // 64 KiB is taken (a JSON object padded with spaces), one byte more is 413.
  const std::string small = R"({"model": "llama3-8b"})";
  const auto at_limit = post(c, "/v1/infer", small + std::string(server::k_max_body - small.size(), ' '));
  REQUIRE(at_limit);
  CHECK(at_limit->status == 200);
  auto fresh = server.client();  // the server closes a connection whose body it refused
  check_error(post(fresh, "/v1/infer", small + std::string(server::k_max_body - small.size() + 1, ' ')), 413,
              "the body is larger than 65536 bytes");
  auto c2 = server.client();
  check_error(c2.Get("/v1/nope"), 404, "no such endpoint: /v1/nope (see docs/api.md)");
  check_error(c2.Get("/nope.html"), 404, "no such endpoint: /nope.html (see docs/api.md)");
  const auto get_infer = c2.Get("/v1/infer");
  check_error(get_infer, 405, "/v1/infer takes POST, not GET");
  CHECK(get_infer->get_header_value("Allow") == "POST");
  const auto post_models = post(c2, "/v1/models", "{}");
  check_error(post_models, 405, "/v1/models takes GET, not POST");
  CHECK(post_models->get_header_value("Allow") == "GET, HEAD");
  check_error(c2.Delete("/v1/train"), 405, "/v1/train takes POST, not DELETE");
  check_error(c2.Get("/v1/health", {{"Host", "attacker.example:80"}}), 403,
              "Host 'attacker.example' is not this server: it answers on loopback names only");
  check_error(c2.Get("/v1/health", {{"Host", "127.0.0.1.attacker.example"}}), 403,
              "Host '127.0.0.1.attacker.example' is not this server: it answers on loopback names only");
  const auto localhost = c2.Get("/v1/health", {{"Host", "localhost:8090"}});
  REQUIRE(localhost);
  CHECK(localhost->status == 200);
}

TEST_CASE("serve: concurrent clients get the same answers, and a stalled request times out", "[serve]") {
  TestServer server({}, 1);
  // Four clients at once, 10 requests each: every answer is the CLI's (the runner shares no state).
  const std::string expected = cli_run({"infer", "--model", "llama3.1-8b", "--seq-len", "8k", "--gpu", "rtx4090"}).out;
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&] {
      auto c = server.client();
      for (int i = 0; i < 10; ++i) {
        const auto r = post(c, "/v1/infer", R"({"model": "llama3.1-8b", "seq_len": "8k", "gpu": "rtx4090"})");
        if (r && r->status == 200 && r->body == expected) ++good;
      }
    });
  for (auto& t : clients) t.join();
  CHECK(good == 40);
  // A client that announces a body and never sends it is cut off after the read timeout (1 s here),
  // and the server goes on answering others.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(server.port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const std::string head =
      "POST /v1/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
  REQUIRE(::send(fd, head.data(), head.size(), 0) == static_cast<ssize_t>(head.size()));
  const auto start = std::chrono::steady_clock::now();
  pollfd p{fd, POLLIN, 0};
  std::string answer;
  while (::poll(&p, 1, 4000) > 0) {  // read until the server closes the connection
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
  }
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::close(fd);
  CHECK(waited >= 0.9);
  CHECK(waited < 3.5);
  CHECK(answer.find(" 200 ") == std::string::npos);  // nothing ran
  auto c = server.client();
  const auto after = c.Get("/v1/health");
  REQUIRE(after);
  CHECK(after->status == 200);
}

TEST_CASE("serve: / serves the web page from --web-root, or says that it is not installed", "[serve]") {
  const auto dir = std::filesystem::temp_directory_path() / ("llmmem-serve-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "index.html") << "<!doctype html><title>page</title>";
  std::ofstream(dir / "llmmem.wasm") << "\0asm";
  {
    TestServer server(dir);
    auto c = server.client();
    const auto index = c.Get("/");
    REQUIRE(index);
    CHECK(index->status == 200);
    CHECK(index->body == "<!doctype html><title>page</title>");
    CHECK(index->get_header_value("Content-Type") == "text/html");
    const auto wasm = c.Get("/llmmem.wasm");
    REQUIRE(wasm);
    CHECK(wasm->get_header_value("Content-Type") == "application/wasm");
    const auto outside = c.Get("/../../../../etc/passwd");
    REQUIRE(outside);
    CHECK(outside->status == 404);
    const auto api = c.Get("/v1/health");  // the API beside the page
    REQUIRE(api);
    CHECK(api->status == 200);
  }
  std::filesystem::remove_all(dir);
  TestServer bare;
  auto c = bare.client();
  const auto note = c.Get("/");
  REQUIRE(note);
  CHECK(note->status == 200);
  CHECK(note->body.find("The web page is not installed here") != std::string::npos);
}

TEST_CASE("serve: loopback by default, the URL on stderr, a clean stop on SIGTERM", "[serve]") {
  CHECK(server::is_loopback("127.0.0.1"));
  CHECK(server::is_loopback("localhost"));
  CHECK(server::is_loopback("::1"));
  CHECK_FALSE(server::is_loopback("0.0.0.0"));
  CHECK_FALSE(server::is_loopback("192.168.1.2"));
  CHECK(server::is_loopback("127.1.2.3"));
  CHECK_FALSE(server::is_loopback("127.0.0.1.attacker.example"));  // a name, not the address
  CHECK(server::server_url("::1", 8090) == "http://[::1]:8090/");
  // The llmmem program starts llmmem-serve (beside it in the build tree).
  test::Child child({LLMMEM_BINARY, "serve", "--port", "0"});
  const auto line = child.read_line(true);
  REQUIRE(line);
  INFO(*line);
  const std::string prefix = "llmmem serve: listening on http://127.0.0.1:";
  REQUIRE(line->rfind(prefix, 0) == 0);
  const int port = std::stoi(line->substr(prefix.size()));
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(5, 0);
  const auto r = c.Post("/v1/infer", R"({"model": "llama3-70b", "precision": "fp16"})", "application/json");
  REQUIRE(r);
  CHECK(r->body == cli_run({"infer", "--model", "llama3-70b", "--precision", "fp16"}).out);
  ::kill(child.pid(), SIGTERM);
  CHECK(child.wait() == 0);
  CHECK(child.read_line(true) == "llmmem serve: stopped");
  // Its flags are the CLI's: errors as the CLI gives them.
  test::Child bad({LLMMEM_BINARY, "serve", "--port", "70000"});
  CHECK(bad.read_line(true) == "llmmem: error: --port 70000: give a TCP port, 0 to 65535");
  CHECK(bad.wait() == 2);
  test::Child no_page({LLMMEM_BINARY, "serve", "--port", "0", "--web-root", "/nonexistent-llmmem-web"});
  CHECK(no_page.read_line(true) == "llmmem: error: --web-root /nonexistent-llmmem-web: no index.html there");
  CHECK(no_page.wait() == 3);
  {
    TestServer taken;  // a port in use is an input error, named
    test::Child busy({LLMMEM_BINARY, "serve", "--port", std::to_string(taken.port)});
    CHECK(busy.read_line(true) == "llmmem: error: cannot listen on 127.0.0.1 port " + std::to_string(taken.port) +
                                      " (in use, or not an address of this machine)");
    CHECK(busy.wait() == 3);
  }
  test::Child typo({LLMMEM_BINARY, "serve", "--prot", "1"});
  CHECK(typo.read_line(true) ==
        "llmmem: error: unknown option '--prot' for serve (did you mean --port?) (see llmmem serve --help)");
  CHECK(typo.wait() == 2);
}
