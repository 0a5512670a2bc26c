// llmmem._llmmem: the Python module's native half. Named arguments in, the CLI's JSON rendering (or
// its one-line error and exit code) out, through the front end every interface shares
// (src/cli/command.hpp), so Python gets the CLI's numbers, JSON and messages. The Python half
// (llmmem/__init__.py) turns the text into dicts and the exit codes into exceptions.
#include <string>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "command.hpp"
#include "exit_codes.hpp"
#include "llmmem/error.hpp"
#include "llmmem/render.hpp"
#include "options.hpp"

namespace py = pybind11;
using Json = nlohmann::json;

namespace {

// A Python value as the JSON value arguments_from_json takes: str, bool, int, float, None, and
// lists or tuples of them. Anything else is a usage error naming the argument.
Json to_json(const std::string& name, const py::handle& v) {
  if (v.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(v)) return v.cast<bool>();  // before int: bool is an int in Python
  if (py::isinstance<py::int_>(v)) {
    // Negative values stay signed, so "--seq-len=-5" gets the parser's own message.
    try {
      if (py::int_(0) <= v.cast<py::int_>()) return v.cast<std::uint64_t>();
      return v.cast<std::int64_t>();
    } catch (const py::cast_error&) {
      throw llmmem::UsageError(fmt::format("argument '{}': {} is out of range", name, std::string(py::str(v))));
    }
  }
  if (py::isinstance<py::float_>(v)) return v.cast<double>();
  if (py::isinstance<py::str>(v)) {
    PyObject* utf8 = PyUnicode_AsUTF8String(v.ptr());
    if (!utf8) {  // a lone surrogate, as os.fsdecode makes of a file name that is not UTF-8
      PyErr_Clear();
      throw llmmem::UsageError(
          fmt::format("argument '{}' cannot be written as UTF-8 (give a file name as a pathlib.Path)", name));
    }
    return std::string(py::reinterpret_steal<py::bytes>(utf8));
  }
  if (py::hasattr(v, "__fspath__")) {  // pathlib.Path, os.PathLike: the file system's bytes, as os.fsencode gives
    const auto path = py::module_::import("os").attr("fsencode")(v);
    return std::string(path.cast<py::bytes>());
  }
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
    Json items = Json::array();
    for (const auto& item : v) {
      if (py::isinstance<py::list>(item) || py::isinstance<py::tuple>(item) || py::isinstance<py::dict>(item))
        throw llmmem::UsageError(fmt::format("argument '{}' takes a list of strings or numbers", name));
      items.push_back(to_json(name, item));
    }
    return items;
  }
  throw llmmem::UsageError(fmt::format("argument '{}' takes a string, a number, True/False or a list of them, not {}",
                                       name, std::string(py::str(v.get_type().attr("__name__")))));
}

llmmem::cli::Output usage_error(const std::string& message) {
  return {"", "llmmem: error: " + llmmem::escape_control(message) + "\n",
          static_cast<int>(llmmem::cli::ExitCode::usage)};
}

// run(command, kwargs) -> (stdout, stderr, exit code) of the command line the arguments spell, with
// --format json. The GIL is released while the command runs.
py::tuple run(const std::string& command, const py::dict& kwargs) {
  llmmem::cli::Output r;
  try {
    Json args = Json::object();
    for (const auto& [key, value] : kwargs) {
      const auto name = key.cast<std::string>();
      if (name == "format") throw llmmem::UsageError("format: the Python module always answers in JSON (as a dict)");
      if (name == "help" || name == "version")
        throw llmmem::UsageError(fmt::format("{}: see help(llmmem.{}) and llmmem.__version__", name, command));
      try {
        args[name] = to_json(name, value);
      } catch (const py::error_already_set& e) {  // a str Python cannot encode as UTF-8, say
        throw llmmem::UsageError(fmt::format("argument '{}': {}", name, e.what()));
      }
    }
    std::vector<std::string> line = llmmem::cli::arguments_from_json(command, args);
    line.insert(line.begin() + 1, "--format=json");  // before a positional after "--"
    py::gil_scoped_release unlocked;
    r = llmmem::cli::run_command_line(line, llmmem::cli::Host{});
  } catch (const llmmem::UsageError& e) {
    r = usage_error(e.what());
  }
  // A message may quote a file's bytes, which need not be UTF-8: replaced, never a decoding error.
  const auto err = py::reinterpret_steal<py::str>(
      PyUnicode_DecodeUTF8(r.err.data(), static_cast<Py_ssize_t>(r.err.size()), "replace"));
  if (!err) throw py::error_already_set();
  return py::make_tuple(py::bytes(r.out), err, r.code);
}

// The flags of a command as the parser defines them, for docstrings and the .pyi stubs.
py::list flags(const std::string& command) {
  py::list out;
  for (const auto& f : llmmem::cli::command_flags(command)) {
    py::dict d;
    d["name"] = f.name;
    d["help"] = f.help;
    d["is_switch"] = f.is_switch;
    d["is_list"] = f.is_list;
    d["required"] = f.required;
    d["positional"] = f.positional;
    out.append(d);
  }
  return out;
}

}  // namespace

PYBIND11_MODULE(_llmmem, m) {
  m.doc() = "llmmem's native core: the CLI's front end run in-process (see the llmmem package)";
  m.attr("version") = LLMMEM_VERSION;
  m.def("run", &run, py::arg("command"), py::arg("kwargs"),
        "Runs `llmmem COMMAND --format json` with the named arguments: (stdout bytes, stderr, exit code).");
  m.def("flags", &flags, py::arg("command"), "The command's flags as the CLI's parser defines them.");
}
