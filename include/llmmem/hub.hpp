#pragma once
// Models on the Hugging Face Hub, read the way its own client (huggingface_hub) reads them, but only
// their headers: the models API for the commit and the file list, config.json and
// model.safetensors.index.json whole, each safetensors shard's header and each GGUF file's metadata
// and tensor table by HTTP range requests. Every byte goes through the same readers (and bounds) as
// a local file. What was fetched is cached, keyed by commit, so a second run needs no network.
// The network sits behind HttpTransport (http.hpp); nothing here reads the environment.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmmem/estimate.hpp"
#include "llmmem/http.hpp"
#include "llmmem/model_files.hpp"

namespace llmmem {

// org/name[@revision][:QUANT] (the quant in llama.cpp's -hf and Ollama's hf.co/ spelling).
struct HubId {
  std::string repo;      // "org/name"
  std::string revision;  // branch, tag or commit
  std::string quant;     // "Q4_K_M"; empty: not given
};

// Parses `text`; nullopt when it is not of that form (one '/', both sides non-empty, characters the
// Hub allows in repo names: letters, digits, '-', '_', '.'; no "--" or ".." ). A revision given
// after '@' must pass is_safe_revision, a quant is letters, digits and '_' (else UsageError).
// `default_revision` applies when no '@' is given.
[[nodiscard]] std::optional<HubId> parse_hub_id(std::string_view text, std::string_view default_revision = "main");

// Progress of a fetch, for a front end that wants to show it (never printed by the library).
struct HubProgress {
  std::string what;  // "headers of org/name"
  std::size_t done = 0, total = 0;
};

struct HubSettings {
  std::string endpoint = "https://huggingface.co";  // HF_ENDPOINT (huggingface_hub constants.py)
  std::string token;                                // HF_TOKEN or the token file; empty: anonymous
  bool offline = false;                             // --offline, HF_HUB_OFFLINE=1: cache only
  std::filesystem::path hf_hub_cache;  // configs go to models--org--name/snapshots/<commit>/; empty: not written
  std::filesystem::path cache_dir;     // llmmem's own cache of header bytes; empty: nothing cached
  // Retries on 429 and 5xx, as huggingface_hub utils/_http.py http_backoff: up to max_retries more
  // tries, waiting base_wait_s, doubling up to max_wait_s; a Retry-After of N seconds waits N, but at
  // most max_retry_after_s.
  unsigned max_retries = 5;
  double base_wait_s = 1, max_wait_s = 8, max_retry_after_s = 20;
  unsigned max_redirects = 10;
  // The first range asked of each safetensors shard: the 8-byte length and, usually, the whole header.
  std::uint64_t first_range = 100'000;
  std::function<void(double seconds)> sleep;  // empty: std::this_thread::sleep_for
  std::function<void(const HubProgress&)> progress;
};

// The GGUF quants of a repository (excluding multimodal projector files, mmproj*).
[[nodiscard]] std::vector<GgufQuant> gguf_quants(const std::vector<std::pair<std::string, std::uint64_t>>& files);

class Hub {
 public:
  Hub(HttpTransport& transport, HubSettings settings);

  // What `llmmem inspect org/name` shows: the headers of the model load_model reads (for a GGUF
  // repository, the quant given or its default) and, for a GGUF repository, every quant with its size.
  [[nodiscard]] Inspection inspect(const HubId& id);

  // Whether the network is forbidden (HubSettings::offline).
  [[nodiscard]] bool offline() const { return m_settings.offline; }

  // The model `id` names from llmmem's cache alone (no request); nullopt when the cache lacks it.
  [[nodiscard]] std::optional<Model> cached_model(const HubId& id) const;

  // The model `id` names: from the cache when it holds that commit (no request at all), else from
  // the Hub. A GGUF repository (no config.json, or a quant given) needs a quant matching exactly one
  // file set unless it holds only one. Throws NetworkError (gated, not found, rate limited, timeout,
  // hostile response, offline and not cached), InputError (malformed files), UsageError.
  [[nodiscard]] Model load_model(const HubId& id);

 private:
  struct Impl;
  // From the network: the model and the repository's file list (path, size).
  std::pair<Model, std::vector<std::pair<std::string, std::uint64_t>>> fetch_model(const HubId& id);
  HttpTransport& m_transport;
  HubSettings m_settings;
};

}  // namespace llmmem
