#include "hub_setup.hpp"

#ifndef LLMMEM_NO_NETWORK
#include "curl_transport.hpp"
#endif

#include <unistd.h>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

#include "../text.hpp"
#include "llmmem/error.hpp"
#include "llmmem/model_config.hpp"

namespace llmmem::cli {

#ifdef LLMMEM_NO_NETWORK

// A build without network (the WebAssembly page, whose policy forbids any request): the Hub is
// never asked; org/name resolves from local files only.
HubSetup make_hub(const Options&, const std::filesystem::path&) { return {}; }

#else

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// huggingface_hub constants.py _is_true: "1", "ON", "YES", "TRUE" in any case.
bool env_true(const char* name) {
  const std::string v = text::lower(env(name));
  return v == "1" || v == "on" || v == "yes" || v == "true";
}

long parse_seconds(const std::string& typed, const char* flag) {
  double v = 0;
  if (!text::parse_double(typed, v) || !(v > 0) || v > 3600)
    throw UsageError(fmt::format("{} takes seconds between 0 and 3600, not '{}'", flag, typed));
  return static_cast<long>(v * 1000);
}

// huggingface_hub constants.py: HF_HOME = $HF_HOME, else $XDG_CACHE_HOME/huggingface, else
// ~/.cache/huggingface; HF_TOKEN_PATH = $HF_TOKEN_PATH, else $HF_HOME/token. utils/_auth.py
// get_token: HF_TOKEN first, then the token file, stripped.
std::string token() {
  std::string t = env("HF_TOKEN");
  if (!t.empty()) return std::string(text::trim(t));
  std::filesystem::path file = env("HF_TOKEN_PATH");
  if (file.empty()) {
    std::filesystem::path home = env("HF_HOME");
    if (home.empty()) {
      const std::string xdg = env("XDG_CACHE_HOME");
      home = (xdg.empty() ? std::filesystem::path(env("HOME")) / ".cache" : std::filesystem::path(xdg)) / "huggingface";
    }
    file = home / "token";
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return {};
  return std::string(text::trim(read_text_file(file, 4096)));
}

}  // namespace

HubSetup make_hub(const Options& o, const std::filesystem::path& hf_hub_cache) {
  net::CurlSettings cs;
  if (o.has("--connect-timeout")) cs.connect_timeout_ms = parse_seconds(o.connect_timeout, "--connect-timeout");
  if (o.has("--timeout")) cs.total_timeout_ms = parse_seconds(o.timeout, "--timeout");
  HubSettings s;
  const std::string endpoint = env("HF_ENDPOINT");
  if (!endpoint.empty()) s.endpoint = endpoint;
  s.token = token();
  s.offline = o.offline || env_true("HF_HUB_OFFLINE");
  s.hf_hub_cache = hf_hub_cache;
  // llmmem's own cache: $XDG_CACHE_HOME/llmmem, else ~/.cache/llmmem (XDG Base Directory spec).
  const std::string xdg = env("XDG_CACHE_HOME");
  const std::string home = env("HOME");
  if (!xdg.empty())
    s.cache_dir = std::filesystem::path(xdg) / "llmmem";
  else if (!home.empty())
    s.cache_dir = std::filesystem::path(home) / ".cache" / "llmmem";
  // A progress line on stderr, only on a terminal and only once a fetch has taken half a second.
  if (isatty(STDERR_FILENO)) {
    const auto start = std::chrono::steady_clock::now();
    s.progress = [start, shown = false](const HubProgress& p) mutable {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (p.done < p.total && elapsed < 0.5) return;
      if (p.done >= p.total) {
        if (shown) std::cerr << "\r\033[K" << std::flush;
        shown = false;
        return;
      }
      shown = true;
      std::cerr << fmt::format("\rllmmem: {}: {}/{}\033[K", p.what, p.done, p.total) << std::flush;
    };
  }
  HubSetup out;
  out.transport = std::make_unique<net::CurlTransport>(cs);
  out.hub = std::make_unique<Hub>(*out.transport, std::move(s));
  return out;
}

#endif

}  // namespace llmmem::cli
