#pragma once
// A stand-in for the Hugging Face Hub on the loopback interface, for tests: fixture repositories
// served the way the Hub serves them. Two ports: the Hub (models API, resolve URLs) and a "storage"
// host that resolve URLs of weights files redirect to, as the Hub redirects LFS files to its CDN.
// A tiny HTTP/1.1 server of its own (one thread per connection, Connection: close) rather than a
// library, so that tests can send exactly the hostile bytes they need: lying lengths, stalls,
// oversized headers. Every request is logged for the tests to read.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace llmmem::test {

struct HttpIn {
  std::string method, path, query;
  std::map<std::string, std::string> headers;  // lower-case names
  [[nodiscard]] std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpOut {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::optional<std::uint64_t> content_length;  // a lie, when set
  double stall_seconds = 0;                     // wait before answering (the timeout test)
  std::string raw;                              // when set, sent as is instead of the above
};

// One listening socket on 127.0.0.1 with an ephemeral port.
class LoopbackServer {
 public:
  using Handler = std::function<HttpOut(const HttpIn&)>;
  explicit LoopbackServer(Handler handler) : m_handler(std::move(handler)) {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(m_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(m_fd, 512) != 0)
      throw std::runtime_error("stand-in: cannot listen on 127.0.0.1");
    socklen_t len = sizeof addr;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    m_port = ntohs(addr.sin_port);
    m_accept = std::thread([this] { accept_loop(); });
  }
  ~LoopbackServer() {
    m_stop = true;
    ::shutdown(m_fd, SHUT_RDWR);
    ::close(m_fd);
    m_accept.join();
    std::lock_guard<std::mutex> lock(m_mutex);
    for (auto& t : m_threads) t.join();
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  [[nodiscard]] int port() const { return m_port; }
  [[nodiscard]] bool stopping() const { return m_stop; }

 private:
  void accept_loop() {
    while (!m_stop) {
      const int c = ::accept(m_fd, nullptr, nullptr);
      if (c < 0) {
        if (m_stop) return;
        continue;
      }
      std::lock_guard<std::mutex> lock(m_mutex);
      m_threads.emplace_back([this, c] { serve(c); });
    }
  }

  void serve(int c) {
    timeval tv{5, 0};
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string in;
    char buf[4096];
    while (in.find("\r\n\r\n") == std::string::npos && in.size() < 65536) {
      const auto n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) {
        ::close(c);
        return;
      }
      in.append(buf, static_cast<std::size_t>(n));
    }
    HttpIn req;
    const auto line_end = in.find("\r\n");
    const std::string line = in.substr(0, line_end);
    const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
    req.method = line.substr(0, sp1);
    std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    std::size_t pos = line_end + 2;
    while (true) {
      const auto e = in.find("\r\n", pos);
      if (e == std::string::npos || e == pos) break;
      const std::string h = in.substr(pos, e - pos);
      const auto colon = h.find(':');
      if (colon != std::string::npos) {
        std::string name = h.substr(0, colon);
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        std::string value = h.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        req.headers[name] = value;
      }
      pos = e + 2;
    }
    HttpOut out = m_handler(req);
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(out.stall_seconds);
    while (!m_stop && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::string wire = out.raw;
    if (wire.empty()) {
      wire = fmt::format("HTTP/1.1 {} X\r\n", out.status);
      for (const auto& [k, v] : out.headers) wire += k + ": " + v + "\r\n";
      wire +=
          fmt::format("Content-Length: {}\r\nConnection: close\r\n\r\n", out.content_length.value_or(out.body.size()));
      if (req.method != "HEAD") wire += out.body;
    }
    std::size_t sent = 0;
    while (sent < wire.size()) {
      const auto n = ::send(c, wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    ::shutdown(c, SHUT_WR);
    while (::recv(c, buf, sizeof buf, 0) > 0) {
    }
    ::close(c);
  }

  Handler m_handler;
  int m_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::thread m_accept;
  std::mutex m_mutex;
  std::vector<std::thread> m_threads;
};

// The Hub: repositories of files, the models API, resolve URLs, and the storage host.
class HubStandIn {
 public:
  struct Repo {
    std::string commit;
    std::map<std::string, std::string> files;  // path -> bytes
    bool gated = false;
  };
  struct Logged {
    std::string host;  // "hub" or "storage"
    std::string method, path, range, authorization;
    std::uint64_t body_bytes = 0;
  };
  // Called first for every request; an answer replaces the Hub's own.
  using Intercept = std::function<std::optional<HttpOut>(const std::string& host, const HttpIn&)>;

  HubStandIn()
      : m_storage([this](const HttpIn& r) { return handle("storage", r); }),
        m_hub([this](const HttpIn& r) { return handle("hub", r); }) {}

  void add(const std::string& repo, Repo r) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_repos[repo] = std::move(r);
  }
  void intercept(Intercept f) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_intercept = std::move(f);
  }
  void latency_ms(int ms) { m_latency_ms = ms; }
  void token(std::string t) { m_token = std::move(t); }
  [[nodiscard]] std::string endpoint() const { return fmt::format("http://127.0.0.1:{}", m_hub.port()); }
  [[nodiscard]] std::string storage() const { return fmt::format("http://127.0.0.1:{}", m_storage.port()); }
  [[nodiscard]] std::vector<Logged> log() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_log;
  }
  [[nodiscard]] std::size_t count(const std::string& host) const {
    const auto l = log();
    return static_cast<std::size_t>(std::count_if(l.begin(), l.end(), [&](const Logged& e) { return e.host == host; }));
  }
  void clear_log() {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_log.clear();
  }
  // Weights files (safetensors, GGUF) are LFS files on the Hub: resolve redirects them to storage.
  static bool is_lfs(const std::string& path) {
    return path.ends_with(".safetensors") || path.ends_with(".gguf") || path.ends_with(".bin");
  }

 private:
  static HttpOut error(int status, const std::string& code, const std::string& message) {
    HttpOut o;
    o.status = status;
    if (!code.empty()) o.headers.emplace_back("X-Error-Code", code);
    o.headers.emplace_back("X-Error-Message", message);
    o.body = nlohmann::json{{"error", message}}.dump();
    return o;
  }

  // RFC 9110 14.2: bytes=FIRST-LAST -> 206 with Content-Range; no Range -> 200.
  static HttpOut serve_bytes(const HttpIn& r, const std::string& bytes) {
    HttpOut o;
    const std::string range = r.header("range");
    if (range.empty()) {
      o.body = bytes;
      return o;
    }
    std::uint64_t a = 0, b = 0;
    if (std::sscanf(range.c_str(), "bytes=%lu-%lu", &a, &b) != 2 || b < a) return error(400, "", "bad range");
    if (a >= bytes.size()) {
      o.status = 416;
      o.headers.emplace_back("Content-Range", fmt::format("bytes */{}", bytes.size()));
      return o;
    }
    b = std::min<std::uint64_t>(b, bytes.size() - 1);
    o.status = 206;
    o.headers.emplace_back("Content-Range", fmt::format("bytes {}-{}/{}", a, b, bytes.size()));
    o.body = bytes.substr(a, b - a + 1);
    return o;
  }

  HttpOut handle(const std::string& host, const HttpIn& r) {
    if (m_latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(m_latency_ms.load()));
    Intercept hook;
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      hook = m_intercept;
    }
    HttpOut out;
    if (auto o = hook ? hook(host, r) : std::nullopt)
      out = *o;
    else
      out = host == "hub" ? hub(r) : storage(r);
    std::lock_guard<std::mutex> lock(m_mutex);
    m_log.push_back({host, r.method, r.path + (r.query.empty() ? "" : "?" + r.query), r.header("range"),
                     r.header("authorization"), r.method == "HEAD" ? 0 : out.body.size()});
    return out;
  }

  // /blobs/<org>/<name>/<file>
  HttpOut storage(const HttpIn& r) {
    std::lock_guard<std::mutex> lock(m_mutex);
    for (const auto& [name, repo] : m_repos)
      for (const auto& [file, bytes] : repo.files)
        if (r.path == "/blobs/" + name + "/" + file) return serve_bytes(r, bytes);
    return error(404, "", "no such blob");
  }

  HttpOut hub(const HttpIn& r) {
    std::lock_guard<std::mutex> lock(m_mutex);
    const bool authorized = !m_token.empty() && r.header("authorization") == "Bearer " + m_token;
    // /api/models/<org>/<name>/revision/<rev>
    if (r.path.starts_with("/api/models/")) {
      const std::string rest = r.path.substr(12);
      const auto rev_at = rest.find("/revision/");
      const std::string name = rest.substr(0, rev_at);
      const auto it = m_repos.find(name);
      // The Hub answers 401 for a repository it does not show to this caller (hf_raise_for_status).
      if (it == m_repos.end()) return error(401, "RepoNotFound", "Repository not found");
      const std::string rev = rev_at == std::string::npos ? "main" : rest.substr(rev_at + 10);
      if (rev != "main" && rev != it->second.commit) return error(404, "RevisionNotFound", "Invalid rev id: " + rev);
      nlohmann::json j;
      j["id"] = name;
      j["sha"] = it->second.commit;
      j["gated"] = it->second.gated ? nlohmann::json("manual") : nlohmann::json(false);
      j["siblings"] = nlohmann::json::array();
      for (const auto& [file, bytes] : it->second.files)
        j["siblings"].push_back({{"rfilename", file}, {"size", bytes.size()}});
      HttpOut o;
      o.body = j.dump();
      return o;
    }
    // /<org>/<name>/resolve/<rev>/<file>
    const auto res_at = r.path.find("/resolve/");
    if (res_at == std::string::npos) return error(404, "", "not found");
    const std::string name = r.path.substr(1, res_at - 1);
    const auto it = m_repos.find(name);
    if (it == m_repos.end()) return error(401, "RepoNotFound", "Repository not found");
    const std::string after = r.path.substr(res_at + 9);
    const auto slash = after.find('/');
    const std::string rev = after.substr(0, slash), file = after.substr(slash + 1);
    if (rev != "main" && rev != it->second.commit) return error(404, "RevisionNotFound", "Invalid rev id: " + rev);
    if (it->second.gated && !authorized)
      return error(r.header("authorization").empty() ? 401 : 403, "GatedRepo",
                   "Access to model " + name + " is restricted. You must have access to it and be authenticated.");
    const auto f = it->second.files.find(file);
    if (f == it->second.files.end()) return error(404, "EntryNotFound", "Entry not found");
    if (is_lfs(file)) {
      HttpOut o;
      o.status = 302;
      o.headers.emplace_back("Location", fmt::format("{}/blobs/{}/{}", storage(), name, file));
      return o;
    }
    return serve_bytes(r, f->second);
  }

  mutable std::mutex m_mutex;
  std::map<std::string, Repo> m_repos;
  std::vector<Logged> m_log;
  Intercept m_intercept;
  std::string m_token;
  std::atomic<int> m_latency_ms{0};
  LoopbackServer m_storage;
  LoopbackServer m_hub;
};

}  // namespace llmmem::test
