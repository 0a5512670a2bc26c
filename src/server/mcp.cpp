// The Model Context Protocol server. Protocol as specified at modelcontextprotocol.io, revision
// 2025-06-18: basic (JSON-RPC 2.0 messages; ids are strings or integers, never null), basic/lifecycle
// (initialize and its version negotiation, notifications/initialized), basic/transports (stdio: one
// message per line, no embedded newline, nothing but messages on stdout, logs on stderr),
// basic/utilities/ping, server/tools (tools/list, tools/call, content, structuredContent, isError).
// Error codes from the JSON-RPC 2.0 specification, section 5.1.
#include "mcp.hpp"

#include <algorithm>
#include <array>
#include <csignal>
#include <stdexcept>

#include <fmt/format.h>

#include "exit_codes.hpp"
#include "llmmem/render.hpp"
#include "options.hpp"
#include "tool.hpp"

namespace llmmem::server {

namespace {

using Json = nlohmann::json;

// JSON-RPC 2.0 section 5.1.
constexpr int k_parse_error = -32700;
constexpr int k_invalid_request = -32600;
constexpr int k_method_not_found = -32601;
constexpr int k_invalid_params = -32602;

// The revisions whose tools and lifecycle this server implements, newest first; initialize answers
// the client's when it is one of them, else the newest (basic/lifecycle, "Version Negotiation").
constexpr std::array<std::string_view, 3> k_versions = {"2025-06-18", "2025-03-26", "2024-11-05"};

struct RpcError : std::runtime_error {
  RpcError(int c, const std::string& message) : std::runtime_error(message), code(c) {}
  int code;
};

std::string dump(const Json& j) {
  // Compact: no newline inside a message. Invalid UTF-8 (never produced here) is replaced, not thrown.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string error_line(const Json& id, int code, const std::string& message) {
  return dump(Json{{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
}

struct ToolText {
  const char* name;
  const char* title;
  const char* description;
};
// What each tool answers; the arguments' own help comes from the parser.
constexpr ToolText k_tool_texts[] = {
    {"infer", "Memory to run a model",
     "GPU memory to run (serve) a large language model: weights, KV cache, activations and engine overhead, "
     "per GPU, with each component's formula. Give the GPUs (gpu: \"h100-80gb:2\") for a fits/does-not-fit "
     "verdict. Answers with llmmem's JSON (the CLI's --format json)."},
    {"train", "Memory to train or fine-tune a model",
     "GPU memory to train or fine-tune a model (full, LoRA, QLoRA; optimizer, ZeRO/FSDP, checkpointing), per "
     "GPU, with each component's formula. Answers with llmmem's JSON (the CLI's --format json)."},
    {"fit", "What fits on given GPUs",
     "On the GPUs given (gpu is required here), the longest context, the largest batch, the fewest GPUs and the "
     "best precision that fit. Answers with llmmem's JSON (the CLI's --format json)."},
    {"models", "The model catalog",
     "The built-in model catalog: names accepted by the model argument, HuggingFace ids, parameter counts."},
    {"gpus", "The GPU catalog", "Known GPUs with their memory, as accepted by the gpu argument (NAME or NAME:COUNT)."},
};

// Flags a tool never takes: the answer is always JSON (format), and nothing is written (csv-out).
bool hidden(const std::string& flag) { return flag == "format" || flag == "csv-out"; }

Json input_schema(const std::string& command) {
  Json properties = Json::object();
  Json required = Json::array();
  for (const auto& f : cli::command_flags(command)) {
    if (hidden(f.name) || f.positional) continue;
    std::string name = f.name;
    std::replace(name.begin(), name.end(), '-', '_');  // arguments_from_json reads '_' as '-'
    Json p;
    // The parser takes every value as text ("32k", "80GB", "8192"); a number is written as one.
    if (f.is_switch)
      p["type"] = "boolean";
    else if (f.is_list)
      p = {{"type", "array"}, {"items", {{"type", Json::array({"string", "number"})}}}};
    else
      p["type"] = f.required ? Json("string") : Json::array({"string", "number"});
    p["description"] = f.help;
    properties[name] = std::move(p);
    if (f.required) required.push_back(name);
  }
  Json schema = {{"type", "object"}, {"properties", std::move(properties)}, {"additionalProperties", false}};
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

}  // namespace

Json mcp_tools() {
  Json tools = Json::array();
  for (const auto& t : k_tool_texts)
    tools.push_back({{"name", t.name},
                     {"title", t.title},
                     {"description", t.description},
                     {"inputSchema", input_schema(t.name)},
                     // server/tools "Tool annotations" (2025-03-26): it reads nothing outside, changes nothing.
                     {"annotations", {{"readOnlyHint", true}, {"openWorldHint", false}}}});
  return tools;
}

std::string McpSession::too_long() {
  return error_line(nullptr, k_parse_error, fmt::format("message longer than {} bytes", k_mcp_max_line));
}

Json McpSession::dispatch(const std::string& method, const Json& params) {
  if (method == "initialize") {
    const auto it = params.find("protocolVersion");
    if (it == params.end() || !it->is_string())
      throw RpcError(k_invalid_params, "initialize needs params.protocolVersion, a string");
    const std::string asked = it->get<std::string>();
    const bool known = std::find(k_versions.begin(), k_versions.end(), asked) != k_versions.end();
    m_version = known ? asked : std::string(k_versions.front());
    return {
        {"protocolVersion", m_version},
        {"capabilities", {{"tools", {{"listChanged", false}}}}},
        {"serverInfo", {{"name", "llmmem"}, {"title", "llmmem GPU memory calculator"}, {"version", LLMMEM_VERSION}}},
        {"instructions",
         "Estimates the GPU memory large language models need for inference and training. Call models for the "
         "catalog names; infer, train and fit take the CLI's flags as named arguments (seq_len, precision, "
         "gpu, ...)."}};
  }
  if (method == "ping") return Json::object();
  if (method == "tools/list") return {{"tools", mcp_tools()}};
  if (method == "tools/call") {
    const auto name = params.find("name");
    if (name == params.end() || !name->is_string()) throw RpcError(k_invalid_params, "tools/call needs params.name");
    const std::string tool = name->get<std::string>();
    const auto& tools = tool_commands();
    if (std::find(tools.begin(), tools.end(), tool) == tools.end())
      throw RpcError(k_invalid_params,
                     fmt::format("unknown tool '{}' (tools: infer, train, fit, models, gpus)", escape_control(tool)));
    Json args = Json::object();
    if (const auto a = params.find("arguments"); a != params.end() && !a->is_null()) {
      if (!a->is_object()) throw RpcError(k_invalid_params, "tools/call params.arguments must be an object");
      args = *a;
    }
    const ToolResult r = run_tool(tool, args, m_host);
    if (!r.ok()) return {{"content", Json::array({{{"type", "text"}, {"text", r.error}}})}, {"isError", true}};
    Json structured = Json::parse(r.json, nullptr, false);
    Json result = {{"content", Json::array({{{"type", "text"}, {"text", r.json}}})}, {"isError", false}};
    if (structured.is_object()) result["structuredContent"] = std::move(structured);
    return result;
  }
  throw RpcError(k_method_not_found, fmt::format("method not found: {}", escape_control(method)));
}

std::optional<std::string> McpSession::handle(std::string_view line) {
  Json message = Json::parse(line.begin(), line.end(), nullptr, false);
  if (message.is_discarded()) return error_line(nullptr, k_parse_error, "parse error: not JSON");
  if (message.is_array())
    return error_line(nullptr, k_invalid_request, "batches are not supported (MCP 2025-06-18 has none)");
  if (!message.is_object()) return error_line(nullptr, k_invalid_request, "a message is a JSON object");
  const auto method = message.find("method");
  const auto id = message.find("id");
  if (method == message.end()) {
    // A response to a request of ours (we send none) is dropped; anything else is not a message.
    if (id != message.end() && (message.contains("result") || message.contains("error"))) return std::nullopt;
    return error_line(nullptr, k_invalid_request, "a request needs \"method\"");
  }
  const bool notification = id == message.end();
  if (!notification && !id->is_string() && !id->is_number_integer())
    return error_line(nullptr, k_invalid_request, "\"id\" must be a string or an integer");
  const Json reply_id = notification ? Json(nullptr) : *id;
  const auto jsonrpc = message.find("jsonrpc");
  if (jsonrpc == message.end() || *jsonrpc != "2.0")
    return notification ? std::nullopt
                        : std::optional(error_line(reply_id, k_invalid_request, "\"jsonrpc\" must be \"2.0\""));
  if (!method->is_string())
    return notification ? std::nullopt
                        : std::optional(error_line(reply_id, k_invalid_request, "\"method\" must be a string"));
  // Notifications (notifications/initialized, notifications/cancelled, ...) need no answer, and
  // every request is answered before the next is read, so there is nothing to cancel.
  if (notification) return std::nullopt;
  Json params = Json::object();
  if (const auto p = message.find("params"); p != message.end()) {
    if (!p->is_object()) return error_line(reply_id, k_invalid_params, "\"params\" must be an object");
    params = *p;
  }
  try {
    return dump(Json{{"jsonrpc", "2.0"}, {"id", reply_id}, {"result", dispatch(method->get<std::string>(), params)}});
  } catch (const RpcError& e) {
    return error_line(reply_id, e.code, e.what());
  } catch (const std::exception& e) {
    return error_line(reply_id, -32603, fmt::format("internal error: {}", e.what()));  // JSON-RPC internal error
  }
}

int run_mcp(std::FILE* in, std::FILE* out, std::FILE* log, const cli::Host& host) {
  // A client that goes away must end the server with an error, not kill it with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  McpSession session(host);
  std::fprintf(log, "llmmem mcp: serving tools infer, train, fit, models, gpus on stdin/stdout\n");
  std::string line;
  bool overlong = false;
  const auto answer = [&](const std::optional<std::string>& reply) {
    if (!reply) return true;
    return std::fwrite(reply->data(), 1, reply->size(), out) == reply->size() && std::fputc('\n', out) != EOF &&
           std::fflush(out) == 0;
  };
  for (int c = std::fgetc(in);; c = std::fgetc(in)) {
    if (c != '\n' && c != EOF) {
      if (line.size() < k_mcp_max_line)
        line.push_back(static_cast<char>(c));
      else
        overlong = true;  // the rest of the line is read and dropped
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::optional<std::string> reply;
    if (overlong)
      reply = McpSession::too_long();
    else if (line.find_first_not_of(" \t") != std::string::npos)
      reply = session.handle(line);
    if (!answer(reply)) {
      std::fprintf(log, "llmmem: error: cannot write to standard output\n");
      return static_cast<int>(cli::ExitCode::input);
    }
    line.clear();
    overlong = false;
    if (c == EOF) break;
  }
  return 0;
}

}  // namespace llmmem::server
