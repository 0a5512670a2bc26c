#pragma once
// The HTTP server of `llmmem serve` (cpp-httplib, Debian libcpp-httplib-dev): the API of api.hpp
// under /v1/ and the web page's static files everywhere else.
#include <filesystem>
#include <memory>
#include <string>

namespace llmmem::server {

struct ServeConfig {
  std::string host = "127.0.0.1";
  int port = 8090;                 // 0: any free port (bind() returns it)
  std::filesystem::path web_root;  // empty: no page installed (/ says so)
  int timeout_seconds = 5;         // reading a request, writing a reply, an idle kept-alive connection
};

// True for an address only this machine reaches: 127.0.0.0/8, ::1, localhost.
[[nodiscard]] bool is_loopback(const std::string& host);

// The URL the server answers at: http://HOST:PORT/ (an IPv6 address in brackets).
[[nodiscard]] std::string server_url(const std::string& host, int port);

class HttpServer {
 public:
  explicit HttpServer(ServeConfig config);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Binds the address and listens (connections queue from here on); returns the port, or -1 when
  // it cannot be bound.
  [[nodiscard]] int bind();
  // Serves until stop() (from any thread); false when the server failed.
  bool run();
  // Stops run() (from any thread, before or during it).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace llmmem::server
