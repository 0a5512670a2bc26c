#pragma once
// HttpTransport over libcurl: a batch of requests performed in parallel on one curl multi handle
// (connections are kept and reused between batches). TLS certificates and host names are always
// verified; proxies come from the environment as curl reads them (http_proxy, https_proxy,
// no_proxy); only http and https are spoken; redirects are returned, never followed. libcurl
// (libcurl.so.4) is loaded on the first request; when it cannot be, perform() throws NetworkError.
#include <cstdint>
#include <memory>

#include "llmmem/http.hpp"

namespace llmmem::net {

struct CurlSettings {
  long connect_timeout_ms = 10'000;  // huggingface_hub constants.py HF_HUB_ETAG_TIMEOUT: 10 s
  long total_timeout_ms = 60'000;    // each request, from its start to its last byte
  long max_connections = 32;         // transfers in flight at once (per host too)
  std::uint64_t max_header_bytes = 64ULL << 10;
};

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(CurlSettings settings = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;
  [[nodiscard]] std::vector<HttpResponse> perform(const std::vector<HttpRequest>& requests,
                                                  const Progress& progress) override;

 private:
  struct State;
  CurlSettings m_settings;
  std::unique_ptr<State> m_state;
};

}  // namespace llmmem::net
