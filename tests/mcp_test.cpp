// `llmmem mcp` as an MCP client sees it: the binary as a child process, one JSON-RPC message per line
// on its stdin and stdout (modelcontextprotocol.io specification 2025-06-18, basic/transports).
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "child_process.hpp"
#include "command.hpp"
#include "mcp.hpp"

using namespace llmmem;
using Json = nlohmann::json;

namespace {

struct McpClient {
  test::Child child{{LLMMEM_BINARY, "mcp"}};
  // Sends one line and reads the one line that answers it.
  Json call(const std::string& line) {
    REQUIRE(child.write(line + "\n"));
    const auto reply = child.read_line();
    REQUIRE(reply);
    INFO(*reply);
    return Json::parse(*reply);
  }
  Json request(int id, const std::string& method, const Json& params = Json::object()) {
    const Json reply = call(Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump());
    CHECK(reply["jsonrpc"] == "2.0");
    CHECK(reply["id"] == id);
    return reply;
  }
};

// The CLI's JSON for the same request (run in-process; frontend_test checks that it is the binary's).
std::string cli_json(std::vector<std::string> args) {
  args.emplace_back("--format=json");
  const auto r = cli::run_command_line(args, cli::Host{});
  REQUIRE(r.code == 0);
  return r.out;
}

void check_error(const Json& reply, const Json& id, int code) {
  INFO(reply.dump());
  CHECK(reply["jsonrpc"] == "2.0");
  CHECK(reply["id"] == id);
  CHECK(reply["error"]["code"] == code);
  CHECK(reply["error"]["message"].is_string());
  CHECK_FALSE(reply.contains("result"));
}

}  // namespace

TEST_CASE("mcp: initialize, tools/list and tools/call answer with the CLI's JSON over stdio", "[mcp]") {
  McpClient mcp;
  const Json init = mcp.request(1, "initialize",
                                {{"protocolVersion", "2025-06-18"},
                                 {"capabilities", Json::object()},
                                 {"clientInfo", {{"name", "test"}, {"version", "1"}}}});
  CHECK(init["result"]["protocolVersion"] == "2025-06-18");
  CHECK(init["result"]["serverInfo"]["name"] == "llmmem");
  CHECK(init["result"]["serverInfo"]["version"] == LLMMEM_VERSION);
  CHECK(init["result"]["capabilities"]["tools"].is_object());
  // A notification is not answered: the next line is the ping's.
  REQUIRE(mcp.child.write(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
                          "\n"));
  CHECK(mcp.request(2, "ping")["result"] == Json::object());

  const Json tools = mcp.request(3, "tools/list")["result"]["tools"];
  std::vector<std::string> names;
  for (const auto& t : tools) names.push_back(t["name"]);
  CHECK(names == std::vector<std::string>{"infer", "train", "fit", "models", "gpus"});
  // The schemas come from the parser's flags: names with '_', help texts, switches as booleans.
  const Json& train = tools[1]["inputSchema"];
  CHECK(train["type"] == "object");
  CHECK(train["required"] == Json::array({"model"}));
  CHECK(train["additionalProperties"] == false);
  CHECK(train["properties"]["model"]["type"] == "string");
  CHECK(train["properties"]["seq_len"]["type"] == Json::array({"string", "number"}));
  CHECK(train["properties"]["check"]["type"] == "boolean");
  CHECK(train["properties"]["lora_targets"]["type"] == "array");
  for (const auto& f : cli::command_flags("train"))
    if (f.name == "seq-len") CHECK(train["properties"]["seq_len"]["description"] == f.help);
  CHECK_FALSE(train["properties"].contains("format"));                     // always JSON
  CHECK_FALSE(tools[0]["inputSchema"]["properties"].contains("csv_out"));  // never writes a file
  CHECK_FALSE(tools[3]["inputSchema"].contains("required"));               // models takes no model

  // tools/call: the text is the CLI's --format json output, byte for byte, and structuredContent its parse.
  const std::string infer = cli_json({"infer", "--model", "llama3-70b", "--precision", "fp16"});
  const Json r = mcp.request(4, "tools/call",
                             {{"name", "infer"}, {"arguments", {{"model", "llama3-70b"}, {"precision", "fp16"}}}});
  CHECK(r["result"]["isError"] == false);
  CHECK(r["result"]["content"][0]["type"] == "text");
  CHECK(r["result"]["content"][0]["text"] == infer);
  CHECK(r["result"]["structuredContent"] == Json::parse(infer));

  const std::string train_json =
      cli_json({"train", "--model", "llama3.1-8b", "--lora-rank", "16", "--lora-targets", "q,v", "--gpu", "rtx4090"});
  const Json t = mcp.request(
      5, "tools/call",
      {{"name", "train"},
       {"arguments", {{"model", "llama3.1-8b"}, {"lora_rank", 16}, {"lora_targets", {"q", "v"}}, {"gpu", "rtx4090"}}}});
  CHECK(t["result"]["structuredContent"] == Json::parse(train_json));
  CHECK(mcp.request(6, "tools/call", {{"name", "models"}})["result"]["structuredContent"] ==
        Json::parse(cli_json({"models"})));

  // --check that does not fit is an answer (exit 5 in the CLI), not a tool error.
  const auto no_fit = cli::run_command_line(
      {"infer", "--model", "llama3.1-405b", "--gpu", "rtx4090", "--check", "--format", "json"}, cli::Host{});
  REQUIRE(no_fit.code == 5);
  const Json c = mcp.request(
      7, "tools/call",
      {{"name", "infer"}, {"arguments", {{"model", "llama3.1-405b"}, {"gpu", "rtx4090"}, {"check", true}}}});
  CHECK(c["result"]["isError"] == false);
  CHECK(c["result"]["content"][0]["text"] == no_fit.out);
  CHECK(c["result"]["structuredContent"]["gpu"]["fits"] == false);

  mcp.child.close_stdin();
  CHECK(mcp.child.wait() == 0);  // end of input ends the server
}

TEST_CASE("mcp: malformed lines, unknown methods and bad params get JSON-RPC errors", "[mcp]") {
  McpClient mcp;
  // JSON-RPC 2.0 section 5.1: -32700 parse error, -32600 invalid request, -32601 method not found,
  // -32602 invalid params; an error about a message whose id is unknown carries id null.
  check_error(mcp.call("this is not JSON"), nullptr, -32700);
  check_error(mcp.call(R"({"jsonrpc":"2.0","id":1,"method":"ping")"), nullptr, -32700);     // cut short
  check_error(mcp.call(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])"), nullptr, -32600);  // no batches
  check_error(mcp.call("42"), nullptr, -32600);
  check_error(mcp.call(R"({"jsonrpc":"2.0","id":1})"), nullptr, -32600);                     // no method
  check_error(mcp.call(R"({"jsonrpc":"1.0","id":2,"method":"ping"})"), 2, -32600);           // wrong version
  check_error(mcp.call(R"({"jsonrpc":"2.0","id":null,"method":"ping"})"), nullptr, -32600);  // null id
  check_error(mcp.call(R"({"jsonrpc":"2.0","id":{"a":1},"method":"ping"})"), nullptr, -32600);
  check_error(mcp.call(R"({"jsonrpc":"2.0","id":3,"method":7})"), 3, -32600);
  check_error(mcp.call(R"({"jsonrpc":"2.0","id":"x","method":"resources/list"})"), "x", -32601);
  check_error(mcp.call(R"({"jsonrpc":"2.0","id":4,"method":"ping","params":[1]})"), 4, -32602);
  check_error(mcp.request(5, "initialize", Json::object()), 5, -32602);  // no protocolVersion
  check_error(mcp.request(6, "tools/call", Json::object()), 6, -32602);  // no name
  const Json unknown = mcp.request(7, "tools/call", {{"name", "inspect"}});
  check_error(unknown, 7, -32602);
  CHECK(unknown["error"]["message"] == "unknown tool 'inspect' (tools: infer, train, fit, models, gpus)");
  check_error(mcp.request(8, "tools/call", {{"name", "infer"}, {"arguments", {1, 2}}}), 8, -32602);

  // What the CLI judges is a tool error carrying the CLI's own message (the model reads it and retries).
  const auto tool_error = [&](int id, const Json& args, const std::vector<std::string>& cli_args) {
    const Json r = mcp.request(id, "tools/call", {{"name", "infer"}, {"arguments", args}});
    INFO(r.dump());
    CHECK(r["result"]["isError"] == true);
    CHECK_FALSE(r["result"].contains("structuredContent"));
    const auto cli_run = cli::run_command_line(cli_args, cli::Host{});
    CHECK(cli_run.code != 0);
    CHECK("llmmem: error: " + r["result"]["content"][0]["text"].get<std::string>() + "\n" == cli_run.err);
  };
  tool_error(9, {{"model", "no-such-model"}}, {"infer", "--model", "no-such-model", "--format=json"});
  tool_error(10, {{"model", "llama3-8b"}, {"seq_lne", 5}}, {"infer", "--model=llama3-8b", "--seq-lne=5"});
  tool_error(11, {{"model", "llama3-8b"}, {"seq_len", -5}}, {"infer", "--model=llama3-8b", "--seq-len=-5"});
  const Json csv =
      mcp.request(12, "tools/call", {{"name", "infer"}, {"arguments", {{"model", "llama3-8b"}, {"format", "csv"}}}});
  CHECK(csv["result"]["isError"] == true);
  const Json write = mcp.request(
      13, "tools/call", {{"name", "infer"}, {"arguments", {{"model", "llama3-8b"}, {"csv_out", "/tmp/x.csv"}}}});
  CHECK(write["result"]["content"][0]["text"] == "--csv-out writes a file, which is not allowed here");

  // Version negotiation: an unknown version is answered with the newest this server speaks.
  CHECK(mcp.request(14, "initialize", {{"protocolVersion", "1999-01-01"}})["result"]["protocolVersion"] ==
        "2025-06-18");
  CHECK(mcp.request(15, "initialize", {{"protocolVersion", "2025-03-26"}})["result"]["protocolVersion"] ==
        "2025-03-26");

  // A line longer than the limit is refused and skipped; blank lines are ignored; CRLF is taken.
  check_error(mcp.call(std::string(server::k_mcp_max_line + 10, 'x')), nullptr, -32700);
  REQUIRE(mcp.child.write("\n   \n"));
  CHECK(mcp.call("{\"jsonrpc\":\"2.0\",\"id\":16,\"method\":\"ping\"}\r")["result"] == Json::object());
  // Deep nesting is a parse of its own, not a crash.
  check_error(mcp.call(std::string(100000, '[')), nullptr, -32700);
  // Responses (we send no requests) and unknown notifications get no answer.
  REQUIRE(mcp.child.write(R"({"jsonrpc":"2.0","id":99,"result":{}})"
                          "\n"
                          R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}})"
                          "\n"));
  CHECK(mcp.request(17, "ping")["result"] == Json::object());

  mcp.child.close_stdin();
  CHECK(mcp.child.wait() == 0);
  // Nothing but messages on stdout; the log line on stderr.
  CHECK_FALSE(mcp.child.read_line(false, std::chrono::milliseconds(100)));
  const auto log = mcp.child.read_line(true);
  REQUIRE(log);
  CHECK(log->rfind("llmmem mcp: ", 0) == 0);
}
