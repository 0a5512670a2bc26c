#include "http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include <fmt/format.h>
#include <httplib.h>

#include "api.hpp"
#include "llmmem/render.hpp"

namespace llmmem::server {

namespace {

// What / answers when the page is not installed.
constexpr const char* k_no_page = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>llmmem</title></head>
<body><h1>llmmem serve</h1>
<p>The web page is not installed here (build it and give its folder with <code>--web-root DIR</code>).
The JSON API answers under <code>/v1/</code>: <a href="/v1/models">/v1/models</a>, <a href="/v1/gpus">/v1/gpus</a>,
and <code>POST /v1/infer</code>, <code>/v1/train</code>, <code>/v1/fit</code> (see docs/api.md).</p>
</body></html>
)";

// The hostname of a Host header value: "[::1]:8090" -> "::1", "localhost:8090" -> "localhost".
std::string host_name(const std::string& value) {
  if (!value.empty() && value.front() == '[') return value.substr(1, value.find(']') - 1);
  return value.substr(0, value.find(':'));
}

void send(httplib::Response& res, const HttpReply& reply) {
  res.status = reply.status;
  if (!reply.allow.empty()) res.set_header("Allow", reply.allow);
  res.set_content(reply.body, reply.content_type);
}

}  // namespace

bool is_loopback(const std::string& host) {
  std::string lower;
  for (char c : host) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "localhost") return true;
  // Numeric addresses only: "127.0.0.1.example.com" is a name anyone can point at 127.0.0.1.
  in_addr v4{};
  if (inet_pton(AF_INET, lower.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;  // 127.0.0.0/8
  in6_addr v6{};
  return inet_pton(AF_INET6, lower.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

std::string server_url(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}/", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

struct HttpServer::Impl {
  ServeConfig config;
  httplib::Server server;
};

HttpServer::HttpServer(ServeConfig config) : m_impl(std::make_unique<Impl>()) {
  m_impl->config = std::move(config);
  auto& svr = m_impl->server;
  const ServeConfig& c = m_impl->config;
  const auto t = static_cast<time_t>(c.timeout_seconds);
  svr.set_read_timeout(t, 0);
  svr.set_write_timeout(t, 0);
  svr.set_keep_alive_timeout(t);
  svr.set_keep_alive_max_count(100);
  // A reply's head and body are written separately: without TCP_NODELAY, Nagle's algorithm holds the
  // second write until the client's delayed ACK (40 ms on Linux), and a kept-alive request takes ~90 ms.
  svr.set_tcp_nodelay(true);
  // cpp-httplib's default_socket_options (httplib.h) set SO_REUSEPORT, which lets a second server
  // bind a port already listened on and silently share its connections. SO_REUSEADDR alone still
  // allows a restart while old connections linger in TIME_WAIT, and a port in use is an error.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  svr.set_payload_max_length(k_max_body);  // a longer body: 413 before it is read
  svr.set_default_headers({{"X-Content-Type-Options", "nosniff"}, {"Cache-Control", "no-store"}});
  svr.set_file_extension_and_mimetype_mapping("wasm", "application/wasm");
  svr.set_file_extension_and_mimetype_mapping("mjs", "text/javascript");
  const bool loopback = is_loopback(c.host);
  // DNS rebinding: a page from another site that gets its name resolved to 127.0.0.1 still sends
  // its own name as Host. A loopback server answers only requests addressed to a loopback name.
  svr.set_pre_routing_handler([loopback](const httplib::Request& req, httplib::Response& res) {
    if (!loopback || !req.has_header("Host")) return httplib::Server::HandlerResponse::Unhandled;
    const std::string name = host_name(req.get_header_value("Host"));
    if (is_loopback(name)) return httplib::Server::HandlerResponse::Unhandled;
    send(res, error_reply(403, fmt::format("Host '{}' is not this server: it answers on loopback names only",
                                           escape_control(name))));
    return httplib::Server::HandlerResponse::Handled;
  });
  const bool has_page = !c.web_root.empty() && svr.set_mount_point("/", c.web_root.string());
  const auto api = [has_page](const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/" && !has_page && (req.method == "GET" || req.method == "HEAD")) {
      res.set_content(k_no_page, "text/html; charset=utf-8");
      return;
    }
    send(res, answer_api(req.method, req.path, req.get_header_value("Content-Type"), req.body));
  };
  svr.Get(".*", api);
  svr.Post(".*", api);
  svr.Put(".*", api);
  svr.Patch(".*", api);
  svr.Delete(".*", api);
  svr.Options(".*", api);
  // Errors the library answers itself (413, a malformed request) get the API's JSON error body.
  svr.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const std::string message = res.status == 413 ? fmt::format("the body is larger than {} bytes", k_max_body)
                                : res.status == 400
                                    ? std::string("malformed HTTP request, or a method it does not take")
                                : res.status == 404 ? std::string("not found")
                                                    : fmt::format("HTTP error {}", res.status);
    send(res, error_reply(res.status, message));
    return httplib::Server::HandlerResponse::Handled;
  }));
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, const std::exception_ptr&) {
    send(res, error_reply(500, "internal error", 1));
  });
}

HttpServer::~HttpServer() = default;

int HttpServer::bind() {
  auto& svr = m_impl->server;
  const ServeConfig& c = m_impl->config;
  if (c.port == 0) return svr.bind_to_any_port(c.host);
  return svr.bind_to_port(c.host, c.port) ? c.port : -1;
}

bool HttpServer::run() { return m_impl->server.listen_after_bind(); }

void HttpServer::stop() { m_impl->server.stop(); }

}  // namespace llmmem::server
