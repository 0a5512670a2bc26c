// The page's one way into llmmem: a JSON request, run by the front end every interface shares
// (src/cli/command.hpp), so the page shows the CLI's numbers, JSON and messages.
//
//   {"command": "infer", "args": {"model": "llama3-70b", "precision": "fp16", "format": "json"}}
//   -> {"argv": ["infer", "--model=llama3-70b", ...], "exit_code": 0, "stdout": "{...}", "stderr": ""}
//
// "args" are named as arguments_from_json takes them; "argv" in the answer is the command line they
// spell (the page shows it, so an estimate can be repeated with the CLI). A request that is not such
// an object answers exit code 2 with the CLI's one-line error. The page cannot run nvidia-smi or
// write files: `--gpu local` and `--csv-out` are refused as the Host says.
#include <emscripten/emscripten.h>

#include <string>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "exit_codes.hpp"
#include "llmmem/bytes.hpp"
#include "llmmem/engine.hpp"
#include "llmmem/error.hpp"
#include "llmmem/framework.hpp"
#include "llmmem/request.hpp"

namespace {

nlohmann::ordered_json answer(const std::vector<std::string>& argv, const llmmem::cli::Output& out) {
  nlohmann::ordered_json j;
  j["argv"] = argv;
  j["exit_code"] = out.code;
  j["stdout"] = out.out;
  j["stderr"] = out.err;
  return j;
}

nlohmann::ordered_json run(const char* request) {
  llmmem::cli::Host host;
  host.color = false;
  host.may_query_gpus = false;
  host.may_write_files = false;
  std::vector<std::string> argv;
  try {
    const auto req = nlohmann::json::parse(request ? request : "");
    if (!req.is_object() || !req.contains("command") || !req["command"].is_string())
      throw llmmem::UsageError(R"(the request must be a JSON object {"command": "...", "args": {...}})");
    const nlohmann::json args = req.contains("args") ? req["args"] : nlohmann::json::object();
    argv = llmmem::cli::arguments_from_json(req["command"].get<std::string>(), args);
  } catch (const nlohmann::json::exception& e) {
    return answer(argv, {"", std::string("llmmem: error: the request is not JSON: ") + e.what() + "\n",
                         static_cast<int>(llmmem::cli::ExitCode::usage)});
  } catch (const llmmem::UsageError& e) {
    return answer(
        argv, {"", std::string("llmmem: error: ") + e.what() + "\n", static_cast<int>(llmmem::cli::ExitCode::usage)});
  }
  return answer(argv, llmmem::cli::run_command_line(argv, host));
}

// The names an enum's table knows, in its order (request.cpp's Names tables are contiguous from 0;
// to_string answers "?" past the end).
template <typename E>
nlohmann::json enum_names() {
  nlohmann::json out = nlohmann::json::array();
  for (int i = 0; i < 64; ++i) {
    const std::string_view name = llmmem::to_string(static_cast<E>(i));
    if (name == "?") break;
    out.push_back(std::string(name));
  }
  return out;
}

std::string dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);  // file text may not be UTF-8
}

}  // namespace

// The page's pickers that no command lists: engines and training frameworks (their tables in
// engine.cpp and framework.cpp), optimizers and gradient-checkpointing modes (request.cpp).
extern "C" EMSCRIPTEN_KEEPALIVE const char* llmmem_choices() {
  static std::string last;
  nlohmann::ordered_json j;
  j["engines"] = nlohmann::json::array();
  for (const auto& e : llmmem::all_engines())
    j["engines"].push_back({{"id", std::string(e.id)}, {"name", std::string(e.name)}});
  j["frameworks"] = nlohmann::json::array();
  for (const auto& f : llmmem::all_frameworks())
    j["frameworks"].push_back({{"id", std::string(f.id)}, {"name", std::string(f.name)}});
  j["optimizers"] = enum_names<llmmem::Optimizer>();
  j["gradient_checkpointing"] = enum_names<llmmem::Checkpointing>();
  last = dump(j);
  return last.c_str();
}

// Byte counts (a JSON array of non-negative integers) as the CLI prints them ("133.09 GiB"), with
// the one formatter (bytes.hpp format_size), so the page's figures are the CLI's to the digit.
// units: "binary" or "decimal". Anything else answers an empty array.
extern "C" EMSCRIPTEN_KEEPALIVE const char* llmmem_format_sizes(const char* byte_counts, const char* units) {
  static std::string last;
  nlohmann::json out = nlohmann::json::array();
  try {
    const auto counts = nlohmann::json::parse(byte_counts ? byte_counts : "");
    const llmmem::Units u = llmmem::parse_units(units ? units : "");
    for (const auto& c : counts) out.push_back(llmmem::format_size(llmmem::Bytes(c.get<std::uint64_t>()), u));
  } catch (const std::exception&) {
    out = nlohmann::json::array();
  }
  last = out.dump();
  return last.c_str();
}

// The answer stays valid until the next call (JavaScript copies it into a string at once).
extern "C" EMSCRIPTEN_KEEPALIVE const char* llmmem_run(const char* request) {
  static std::string last;
  try {
    last = dump(run(request));
  } catch (const std::exception& e) {  // e.g. std::bad_alloc: answered, never thrown into JavaScript
    nlohmann::ordered_json j;
    j["argv"] = nlohmann::json::array();
    j["exit_code"] = static_cast<int>(llmmem::cli::ExitCode::internal);
    j["stdout"] = "";
    j["stderr"] = std::string("llmmem: error: internal error: ") + e.what() + "\n";
    last = dump(j);
  }
  return last.c_str();
}
