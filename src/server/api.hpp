#pragma once
// The HTTP API of `llmmem serve`, apart from the HTTP library: one request (method, path, content
// type, body) in, one reply (status, content type, body) out. Routes, status codes and error bodies
// are documented in docs/api.md.
#include <cstddef>
#include <string>
#include <string_view>

namespace llmmem::server {

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;  // 405: the methods the path takes (the Allow header)
};

// The largest request body taken; a longer one is answered 413 by the server.
constexpr std::size_t k_max_body = 64ULL * 1024;

// Answers a request for a path under /v1/ (and 404 for any other path). Never throws.
[[nodiscard]] HttpReply answer_api(std::string_view method, std::string_view path, std::string_view content_type,
                                   std::string_view body);

// The JSON error body every error status carries: {"error": MESSAGE, "exit_code": CODE}.
[[nodiscard]] HttpReply error_reply(int status, const std::string& message, int exit_code = 2);

// The HTTP status for a CLI exit code (docs/api.md): 0 and 5 (--check: does not fit) -> 200,
// 2 (usage) -> 400, 3 (input: unknown model) and 4 (unsupported architecture) -> 422, else 500.
[[nodiscard]] int status_for_exit_code(int exit_code);

}  // namespace llmmem::server
