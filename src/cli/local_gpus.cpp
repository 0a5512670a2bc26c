#include "local_gpus.hpp"

#include <sys/wait.h>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "llmmem/error.hpp"

namespace llmmem::cli {

namespace {

bool on_path(const std::string& tool) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::string_view rest = path;
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const std::filesystem::path dir{std::string(rest.substr(0, colon))};
    std::error_code ec;
    if (!dir.empty() && std::filesystem::exists(dir / tool, ec)) return true;
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
  }
  return false;
}

// Seconds a driver tool may take: a wedged driver must not hang llmmem (LLMMEM_SMI_TIMEOUT, default 10).
unsigned timeout_seconds() {
  const char* env = std::getenv("LLMMEM_SMI_TIMEOUT");
  if (!env || !*env) return 10;
  unsigned v = 0;
  const std::string_view text(env);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v == 0 || v > 600)
    throw UsageError(fmt::format("LLMMEM_SMI_TIMEOUT '{}' is not a number of seconds from 1 to 600", text));
  return v;
}

struct Timeout {};

// Runs a fixed command line (no user input in it) under coreutils' timeout and returns its
// stdout, or nullopt on failure; throws Timeout when it ran out of time.
std::optional<std::string> run(const std::string& tool_command) {
  const std::string command = fmt::format("timeout -k 1 {} {}", timeout_seconds(), tool_command);
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return std::nullopt;
  std::string out;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) {
    out.append(buf.data(), n);
    if (out.size() > (1U << 20)) break;  // no real tool prints a megabyte here
  }
  const int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status) && (WEXITSTATUS(status) == 124 || WEXITSTATUS(status) == 137)) throw Timeout{};
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
}

std::vector<LocalGpu> query_tools();

}  // namespace

std::vector<LocalGpu> query_local_gpus() {
  try {
    return query_tools();
  } catch (const Timeout&) {
    throw InputError(
        fmt::format("the GPU driver tool did not answer within {} s (LLMMEM_SMI_TIMEOUT)", timeout_seconds()));
  }
}

namespace {
std::vector<LocalGpu> query_tools() {
  if (on_path("nvidia-smi")) {
    const auto out =
        run("nvidia-smi --query-gpu=index,name,memory.total,memory.used,memory.free "
            "--format=csv,noheader,nounits 2>/dev/null");
    if (!out) throw InputError("nvidia-smi failed: no NVIDIA GPU or driver is available");
    auto gpus = parse_nvidia_smi_csv(*out);
    if (gpus.empty()) throw InputError("nvidia-smi reported no GPU");
    return gpus;
  }
  if (on_path("rocm-smi")) {
    const auto out = run("rocm-smi --showmeminfo vram --showproductname --json 2>/dev/null");
    if (!out) throw InputError("rocm-smi failed: no AMD GPU or driver is available");
    auto gpus = parse_rocm_smi_json(*out);
    if (gpus.empty()) throw InputError("rocm-smi reported no GPU");
    return gpus;
  }
  throw InputError("no local GPU found: neither nvidia-smi nor rocm-smi is on PATH");
}
}  // namespace

}  // namespace llmmem::cli
