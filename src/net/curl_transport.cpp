// libcurl's multi interface (https://curl.se/libcurl/c/libcurl-multi.html): every request of a
// batch is added at once and driven by curl_multi_perform / curl_multi_poll until all are done.
//
// libcurl is loaded with dlopen on the first request, not linked: linked, the loader maps it and
// its ~30 dependencies (OpenSSL, GSSAPI, LDAP, SSH, nghttp2...) at every start, which made a whole
// `llmmem infer` run four times slower (docs/benchmarks.md) though most runs never touch the network.
#include "curl_transport.hpp"

#include <curl/curl.h>
#include <dlfcn.h>

#include <string>
#include <string_view>

#include <fmt/format.h>

#include "llmmem/error.hpp"

namespace llmmem::net {

namespace {

struct Transfer {
  HttpResponse response;
  std::uint64_t max_body = 0, max_header = 0, header_bytes = 0;
  bool too_large = false;
  curl_slist* headers = nullptr;
  CURL* easy = nullptr;
  char error[CURL_ERROR_SIZE] = {};
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t bytes = size * n;
  if (t->response.body.size() + bytes > t->max_body) {
    t->too_large = true;
    return 0;  // CURLE_WRITE_ERROR ends the transfer
  }
  t->response.body.append(data, bytes);
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t bytes = size * n;
  t->header_bytes += bytes;
  if (t->header_bytes > t->max_header) {
    t->too_large = true;
    return 0;
  }
  std::string_view line(data, bytes);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();  // a new response (after 100 Continue): its headers only
    return bytes;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  t->response.headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  return bytes;
}

HttpFailure failure_of(CURLcode code, bool too_large) {
  if (too_large || code == CURLE_FILESIZE_EXCEEDED) return HttpFailure::too_large;
  switch (code) {
    case CURLE_OK:
      return HttpFailure::none;
    case CURLE_OPERATION_TIMEDOUT:
      return HttpFailure::timeout;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      return HttpFailure::connect;
    default:
      return HttpFailure::transfer;
  }
}

// The libcurl functions used, from libcurl.so.4 (the soname of libcurl 7.x and 8.x).
struct CurlApi {
  decltype(&curl_global_init) global_init;
  decltype(&curl_multi_init) multi_init;
  decltype(&curl_multi_setopt) multi_setopt;
  decltype(&curl_multi_cleanup) multi_cleanup;
  decltype(&curl_multi_add_handle) multi_add_handle;
  decltype(&curl_multi_remove_handle) multi_remove_handle;
  decltype(&curl_multi_perform) multi_perform;
  decltype(&curl_multi_poll) multi_poll;
  decltype(&curl_multi_info_read) multi_info_read;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
};

template <typename F>
void bind(void* lib, const char* name, F& out) {
  void* sym = dlsym(lib, name);
  if (!sym) throw NetworkError(fmt::format("libcurl.so.4 lacks {}: libcurl 7.66 or later is needed for the Hub", name));
  out = reinterpret_cast<F>(sym);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): dlsym's contract
}

const CurlApi& curl_api() {
  static const CurlApi api = [] {
    void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* why = dlerror();
      throw NetworkError(fmt::format("cannot load libcurl to reach the Hub ({}); install libcurl4",
                                     why ? why : "libcurl.so.4 not found"));
    }
    CurlApi a{};
    bind(lib, "curl_global_init", a.global_init);
    bind(lib, "curl_multi_init", a.multi_init);
    bind(lib, "curl_multi_setopt", a.multi_setopt);
    bind(lib, "curl_multi_cleanup", a.multi_cleanup);
    bind(lib, "curl_multi_add_handle", a.multi_add_handle);
    bind(lib, "curl_multi_remove_handle", a.multi_remove_handle);
    bind(lib, "curl_multi_perform", a.multi_perform);
    bind(lib, "curl_multi_poll", a.multi_poll);
    bind(lib, "curl_multi_info_read", a.multi_info_read);
    bind(lib, "curl_easy_init", a.easy_init);
    bind(lib, "curl_easy_setopt", a.easy_setopt);
    bind(lib, "curl_easy_getinfo", a.easy_getinfo);
    bind(lib, "curl_easy_cleanup", a.easy_cleanup);
    bind(lib, "curl_easy_strerror", a.easy_strerror);
    bind(lib, "curl_slist_append", a.slist_append);
    bind(lib, "curl_slist_free_all", a.slist_free_all);
    a.global_init(CURL_GLOBAL_DEFAULT);
    return a;
  }();
  return api;
}

}  // namespace

struct CurlTransport::State {
  CURLM* multi = nullptr;
};

CurlTransport::CurlTransport(CurlSettings settings) : m_settings(settings), m_state(std::make_unique<State>()) {}

CurlTransport::~CurlTransport() {
  if (m_state && m_state->multi) curl_api().multi_cleanup(m_state->multi);
}

std::vector<HttpResponse> CurlTransport::perform(const std::vector<HttpRequest>& requests, const Progress& progress) {
  const CurlApi& c = curl_api();
  if (!m_state->multi) {
    m_state->multi = c.multi_init();
    if (!m_state->multi) throw NetworkError("libcurl: curl_multi_init failed");
    c.multi_setopt(m_state->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, m_settings.max_connections);
    c.multi_setopt(m_state->multi, CURLMOPT_MAX_HOST_CONNECTIONS, m_settings.max_connections);
  }
  std::vector<Transfer> transfers(requests.size());
  CURLM* multi = m_state->multi;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const HttpRequest& r = requests[i];
    Transfer& t = transfers[i];
    t.max_body = r.max_body;
    t.max_header = m_settings.max_header_bytes;
    t.easy = c.easy_init();
    if (!t.easy) throw NetworkError("libcurl: curl_easy_init failed");
    CURL* e = t.easy;
    c.easy_setopt(e, CURLOPT_URL, r.url.c_str());
    c.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    c.easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    c.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    c.easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    c.easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    c.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, m_settings.connect_timeout_ms);
    c.easy_setopt(e, CURLOPT_TIMEOUT_MS, m_settings.total_timeout_ms);
    c.easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(r.max_body));
    c.easy_setopt(e, CURLOPT_ERRORBUFFER, t.error);
    c.easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    c.easy_setopt(e, CURLOPT_WRITEDATA, &t);
    c.easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    c.easy_setopt(e, CURLOPT_HEADERDATA, &t);
    c.easy_setopt(e, CURLOPT_PRIVATE, &t);
    if (r.method == "HEAD") c.easy_setopt(e, CURLOPT_NOBODY, 1L);
    for (const auto& h : r.headers) t.headers = c.slist_append(t.headers, (h.name + ": " + h.value).c_str());
    if (t.headers) c.easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
    c.multi_add_handle(multi, e);
  }
  int running = 0;
  std::size_t finished = 0;
  do {
    const CURLMcode mc = c.multi_perform(multi, &running);
    if (mc != CURLM_OK) break;
    if (running > 0) c.multi_poll(multi, nullptr, 0, 100, nullptr);
    int left = 0;
    while (CURLMsg* msg = c.multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      c.easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
      const CURLcode code = msg->data.result;
      t->response.failure = failure_of(code, t->too_large);
      if (t->response.failure == HttpFailure::none) {
        long status = 0;
        c.easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        t->response.status = static_cast<int>(status);
      } else {
        t->response.error = t->error[0] ? std::string(t->error) : std::string(c.easy_strerror(code));
        if (t->response.failure == HttpFailure::too_large && !t->error[0])
          t->response.error = fmt::format("more than {} bytes", t->max_body);
        t->response.body.clear();
      }
      ++finished;
      if (progress) progress(finished, requests.size());
    }
  } while (running > 0);
  std::vector<HttpResponse> out;
  for (auto& t : transfers) {
    c.multi_remove_handle(multi, t.easy);
    c.easy_cleanup(t.easy);
    c.slist_free_all(t.headers);
    if (t.response.status == 0 && t.response.failure == HttpFailure::none) {
      t.response.failure = HttpFailure::transfer;
      t.response.error = "the transfer did not complete";
    }
    out.push_back(std::move(t.response));
  }
  return out;
}

}  // namespace llmmem::net
