#pragma once
// The Hub as the command line sets it up: huggingface_hub's environment variables, llmmem's cache
// folder, the timeouts and the progress line, and the libcurl transport.
#include <memory>

#include "llmmem/http.hpp"
#include "llmmem/hub.hpp"
#include "options.hpp"

namespace llmmem::cli {

struct HubSetup {
  std::unique_ptr<HttpTransport> transport;
  std::unique_ptr<Hub> hub;  // null in a build without network (the WebAssembly page)
};

// Reads HF_ENDPOINT, HF_TOKEN (else the token file: HF_TOKEN_PATH, else $HF_HOME/token, else
// ~/.cache/huggingface/token), HF_HUB_OFFLINE, HF_HUB_CACHE/HF_HOME, XDG_CACHE_HOME and the
// options --offline, --connect-timeout, --timeout. Throws UsageError for a bad timeout.
[[nodiscard]] HubSetup make_hub(const Options& o, const std::filesystem::path& hf_hub_cache);

}  // namespace llmmem::cli
