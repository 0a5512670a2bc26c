#pragma once
// The seam between the library and the network: requests and responses as plain data, and a
// transport that performs a batch of them (in parallel where it can). The library speaks the Hub's
// protocol over this interface (hub.hpp) and never opens a socket itself; the CLI hands it the
// libcurl transport (src/net/), tests hand it the same transport pointed at a loopback stand-in.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmmem {

struct HttpHeader {
  std::string name, value;
};

struct HttpRequest {
  std::string method = "GET";  // GET or HEAD
  std::string url;             // absolute http:// or https:// URL
  std::vector<HttpHeader> headers;
  // The most body bytes accepted; a longer body ends the transfer with HttpFailure::too_large.
  std::uint64_t max_body = 1ULL << 20;
};

// Why no complete response arrived (the HTTP status, whatever it is, is not a failure here).
enum class HttpFailure {
  none,
  connect,    // could not connect (refused, DNS, TLS handshake or verification)
  timeout,    // the connect or total timeout ran out
  too_large,  // body or headers past the limits
  transfer,   // broken transfer: connection reset, body shorter than its Content-Length
};

struct HttpResponse {
  int status = 0;  // 0 when failure != none
  std::vector<HttpHeader> headers;
  std::string body;
  HttpFailure failure = HttpFailure::none;
  std::string error;  // the transport's words when failure != none

  // The first header of that name, compared case-insensitively (RFC 9110 5.1).
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Called as responses complete, with how many of the batch have (for a progress line).
  using Progress = std::function<void(std::size_t finished, std::size_t total)>;
  // Performs every request and returns one response per request, in order. Redirects are not
  // followed (the caller decides where credentials may go). Never throws for a network failure:
  // that is a response with `failure` set. `progress` may be empty.
  [[nodiscard]] virtual std::vector<HttpResponse> perform(const std::vector<HttpRequest>& requests,
                                                          const Progress& progress) = 0;
};

}  // namespace llmmem
