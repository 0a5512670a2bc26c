#include "api.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "exit_codes.hpp"
#include "llmmem/render.hpp"
#include "tool.hpp"

namespace llmmem::server {

namespace {

using Json = nlohmann::json;

// What the server allows (docs/api.md "Safety"): catalog models only, no file read or written, no
// nvidia-smi run for a client whose GPUs are not this machine's.
cli::Host server_host() {
  cli::Host h;
  h.may_query_gpus = false;
  h.may_write_files = false;
  h.may_read_files = false;
  return h;
}

std::string json_body(const Json& j) { return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n"; }

HttpReply from_tool(const ToolResult& r) {
  if (r.ok()) return {200, "application/json", r.json, ""};
  return error_reply(status_for_exit_code(r.exit_code), r.error, r.exit_code);
}

// "application/json", any case, with or without parameters ("; charset=utf-8"). Only JSON is taken:
// a form or text body from another site's page (a cross-site request a browser sends without asking)
// is refused instead of run.
bool is_json(std::string_view content_type) {
  const std::string_view type = content_type.substr(0, content_type.find(';'));
  std::string lower;
  for (char c : type)
    if (c != ' ' && c != '\t') lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return lower == "application/json";
}

struct Route {
  std::string_view path, method, command;
};
constexpr Route k_routes[] = {
    {"/v1/infer", "POST", "infer"},  {"/v1/train", "POST", "train"}, {"/v1/fit", "POST", "fit"},
    {"/v1/models", "GET", "models"}, {"/v1/gpus", "GET", "gpus"},    {"/v1/health", "GET", ""},
};

HttpReply run_post(const std::string& command, std::string_view content_type, std::string_view body) {
  if (!is_json(content_type))
    return error_reply(415, fmt::format("the body must be JSON (Content-Type: application/json), not '{}'",
                                        escape_control(content_type)));
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return error_reply(400, "the body is empty: send a JSON object of arguments, e.g. {\"model\": \"llama3-8b\"}");
  const Json args = Json::parse(body.begin(), body.end(), nullptr, false);
  if (args.is_discarded()) return error_reply(400, "the body is not JSON");
  return from_tool(run_tool(command, args, server_host()));
}

}  // namespace

HttpReply error_reply(int status, const std::string& message, int exit_code) {
  return {status, "application/json", json_body(Json{{"error", message}, {"exit_code", exit_code}}), ""};
}

int status_for_exit_code(int exit_code) {
  switch (static_cast<cli::ExitCode>(exit_code)) {
    case cli::ExitCode::ok:
    case cli::ExitCode::does_not_fit:
      return 200;
    case cli::ExitCode::usage:
      return 400;
    case cli::ExitCode::input:
    case cli::ExitCode::unsupported:
      return 422;
    default:
      return 500;
  }
}

HttpReply answer_api(std::string_view method, std::string_view path, std::string_view content_type,
                     std::string_view body) {
  try {
    // HEAD is GET without the body (RFC 9110 9.3.2); the HTTP library drops the body.
    const std::string_view as = method == "HEAD" ? std::string_view("GET") : method;
    const auto route =
        std::find_if(std::begin(k_routes), std::end(k_routes), [&](const Route& r) { return r.path == path; });
    if (route == std::end(k_routes))
      return error_reply(404, fmt::format("no such endpoint: {} (see docs/api.md)", escape_control(path)));
    if (as != route->method) {
      HttpReply r =
          error_reply(405, fmt::format("{} takes {}, not {}", route->path, route->method, escape_control(method)));
      r.allow = route->method == "GET" ? "GET, HEAD" : std::string(route->method);
      return r;
    }
    if (route->command.empty())
      return {200, "application/json", json_body({{"status", "ok"}, {"version", LLMMEM_VERSION}}), ""};
    const std::string command(route->command);
    if (as == "GET") return from_tool(run_tool(command, Json::object(), server_host()));
    return run_post(command, content_type, body);
  } catch (const std::exception& e) {
    return error_reply(500, fmt::format("internal error: {}", e.what()), 1);
  }
}

}  // namespace llmmem::server
