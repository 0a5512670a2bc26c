// The Hugging Face Hub protocol over HttpTransport. Conventions are huggingface_hub's (v1.x,
// src/huggingface_hub): hf_api.py model_info, file_download.py hf_hub_url / hf_hub_download,
// utils/_http.py hf_raise_for_status and http_backoff, constants.py.
#include "llmmem/hub.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "llmmem/error.hpp"
#include "llmmem/gguf.hpp"
#include "llmmem/model_config.hpp"
#include "llmmem/safetensors.hpp"
#include "text.hpp"

namespace llmmem {

namespace {

using Json = nlohmann::json;
using text::lower;

// Size caps for what is fetched whole. The models API lists every file of a repository (a few
// hundred KB for the largest); configs are a few KB; an index lists every tensor (about 2 MB for
// the largest MoE checkpoints).
constexpr std::uint64_t k_max_api_body = 16ULL << 20;
constexpr std::uint64_t k_max_config = 16ULL << 20;
constexpr std::uint64_t k_max_index = 64ULL << 20;
// GGUF metadata and tensor tables: read from a first range of k_gguf_first, doubling as the reader
// needs more (a Llama 3 tokenizer is about 8 MB), never past k_max_gguf_header.
constexpr std::uint64_t k_gguf_first = 4ULL << 20;
constexpr std::uint64_t k_max_gguf_header = 256ULL << 20;

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
}

// huggingface_hub utils/_validators.py validate_repo_id: letters, digits, '-', '_', '.'; no "--"
// or ".."; not starting or ending with '-' or '.'; at most 96 characters.
bool valid_repo_part(std::string_view s) {
  if (s.empty() || s.size() > 96 || s.front() == '-' || s.front() == '.' || s.back() == '-' || s.back() == '.')
    return false;
  if (s.find("--") != std::string_view::npos || s.find("..") != std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), is_name_char);
}

// RFC 3986 percent-encoding of everything but unreserved characters (and '/' where kept), as
// huggingface_hub quotes revisions (quote(revision, safe="")) and file paths (quote(filename)).
std::string percent_encode(std::string_view s, bool keep_slash) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/'))
      out += c;
    else
      out += fmt::format("%{:02X}", u);
  }
  return out;
}

// A short, printable rendering of text a server sent, for messages.
std::string shown(std::string_view s, std::size_t max = 200) {
  std::string out;
  for (const char c : s.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? '?' : c;
  }
  if (s.size() > max) out += "...";
  return out;
}

struct Url {
  std::string scheme, host, port, path;  // path includes the query
};

std::optional<Url> parse_url(std::string_view url) {
  const auto colon = url.find("://");
  if (colon == std::string_view::npos) return std::nullopt;
  Url u;
  u.scheme = lower(url.substr(0, colon));
  if (u.scheme != "http" && u.scheme != "https") return std::nullopt;
  const std::string_view rest = url.substr(colon + 3);
  const auto end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, end);
  // Credentials in a URL ("user:pass@host") are refused: a redirect must not choose them.
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  for (const char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) return std::nullopt;
  const auto port_colon = authority.rfind(':');
  if (port_colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    u.host = lower(authority.substr(0, port_colon));
    u.port = std::string(authority.substr(port_colon + 1));
  } else {
    u.host = lower(authority);
  }
  if (u.port.empty()) u.port = u.scheme == "https" ? "443" : "80";
  u.path = end == std::string_view::npos ? "/" : std::string(rest.substr(end));
  return u;
}

// The origin a token may be sent to (RFC 6454: scheme, host, port).
std::string origin_of(const Url& u) { return u.scheme + "://" + u.host + ":" + u.port; }

// A Location header against the URL it answered (RFC 9110 10.2.2, RFC 3986 5.2 for the common forms).
std::optional<std::string> resolve_location(const std::string& base, std::string_view location) {
  const auto b = parse_url(base);
  if (!b) return std::nullopt;
  std::string out;
  const std::string loc_lower = lower(location.substr(0, 8));
  // Any other scheme ("file:", "ftp:") is refused: a letter, then letters, digits, '+', '-', '.'
  // up to the first ':' (RFC 3986 3.1).
  const auto scheme_end = location.find(':');
  const bool has_scheme =
      scheme_end != std::string_view::npos && scheme_end > 0 && std::isalpha(static_cast<unsigned char>(location[0])) &&
      std::all_of(location.begin(), location.begin() + static_cast<std::ptrdiff_t>(scheme_end), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
      });
  if (loc_lower.starts_with("http://") || loc_lower.starts_with("https://"))
    out = std::string(location);
  else if (has_scheme)
    return std::nullopt;
  else if (location.starts_with("//"))
    out = b->scheme + ":" + std::string(location);
  else if (location.starts_with("/"))
    out = fmt::format("{}://{}:{}{}", b->scheme, b->host, b->port, location);
  else {
    std::string dir = b->path.substr(0, b->path.find('?'));
    dir = dir.substr(0, dir.rfind('/') + 1);
    out = fmt::format("{}://{}:{}{}{}", b->scheme, b->host, b->port, dir, location);
  }
  if (!parse_url(out)) return std::nullopt;
  return out;
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// huggingface_hub utils/_http.py _DEFAULT_RETRY_ON_STATUS_CODES, less 408 (a request timeout is
// reported, as a stalled server is).
bool is_retryable(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

// Retry-After as delay-seconds (huggingface_hub _parse_retry_after; the HTTP-date form is ignored).
std::optional<double> retry_after(const HttpResponse& r) {
  const auto v = r.header("Retry-After");
  if (!v) return std::nullopt;
  const std::string_view t = text::trim(*v);
  if (t.empty() || t.size() > 9 || !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stod(std::string(t));
}

// The file list of a repository, as the models API gives it.
struct RepoInfo {
  std::string commit;
  std::vector<std::pair<std::string, std::uint64_t>> files;  // path, size (0 when not listed)
  [[nodiscard]] bool has(std::string_view f) const {
    return std::any_of(files.begin(), files.end(), [&](const auto& p) { return p.first == f; });
  }
  [[nodiscard]] std::uint64_t size_of(std::string_view f) const {
    for (const auto& [name, size] : files)
      if (name == f) return size;
    return 0;
  }
};

// A repository path the Hub may list: relative, no "..", no backslash, printable, not too long.
bool safe_repo_path(std::string_view f) {
  if (f.empty() || f.size() > 1000 || f.front() == '/' || f.find('\\') != std::string_view::npos) return false;
  std::string_view rest = f;
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    if (part.empty() || part == "." || part == "..") return false;
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  }
  return std::all_of(f.begin(), f.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
}

RepoInfo parse_repo_info(const std::string& body, const std::string& where) {
  Json j;
  try {
    j = Json::parse(body);
  } catch (const Json::exception& e) {
    throw NetworkError(fmt::format("{}: the models API sent malformed JSON: {}", where, text::json_error_reason(e)));
  }
  RepoInfo info;
  const auto sha = j.is_object() ? j.find("sha") : j.end();
  if (sha == j.end() || !sha->is_string() || !is_safe_revision(sha->get<std::string>()))
    throw NetworkError(fmt::format("{}: the models API gave no commit sha", where));
  info.commit = sha->get<std::string>();
  const auto siblings = j.find("siblings");
  if (siblings == j.end() || !siblings->is_array())
    throw NetworkError(fmt::format("{}: the models API gave no file list (siblings)", where));
  if (siblings->size() > 1'000'000) throw NetworkError(fmt::format("{}: the models API lists too many files", where));
  for (const auto& s : *siblings) {
    const auto name = s.is_object() ? s.find("rfilename") : s.end();
    if (name == s.end() || !name->is_string())
      throw NetworkError(fmt::format("{}: the models API lists a file without a name", where));
    const std::string f = name->get<std::string>();
    if (!safe_repo_path(f))
      throw NetworkError(fmt::format("{}: the models API lists an unsafe file name '{}'", where, shown(f)));
    std::uint64_t size = 0;
    if (const auto sz = s.find("size"); sz != s.end() && sz->is_number_unsigned()) size = sz->get<std::uint64_t>();
    info.files.emplace_back(f, size);
  }
  return info;
}

std::string info_to_json(const RepoInfo& info) {
  Json j;
  j["sha"] = info.commit;
  j["siblings"] = Json::array();
  for (const auto& [f, size] : info.files) j["siblings"].push_back({{"rfilename", f}, {"size", size}});
  return j.dump();
}

// Cache file name of a repository path (paths may hold folders: "Q4_K_M/model-00001-of-00002.gguf").
std::string cache_name(std::string_view repo_path) {
  std::string out;
  for (const char c : repo_path) {
    if (c == '%')
      out += "%25";
    else if (c == '/')
      out += "%2F";
    else
      out += c;
  }
  return out;
}

std::uint64_t u64_le(std::string_view b) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[static_cast<std::size_t>(i)]);
  return v;
}

// Writes `bytes` to `path` through a temporary file and a rename, so a reader never sees half a
// file. Returns false on any failure (the cache is an optimisation).
bool write_atomic(const std::filesystem::path& path, std::string_view bytes) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return false;
  const auto tmp = path.parent_path() / (path.filename().string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) return false;
  }
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

std::optional<std::string> read_cached(const std::filesystem::path& path, std::uint64_t cap) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  return read_text_file(path, cap);
}

// The quant a GGUF file name carries: its last '-' or '.' separated token that names a llama.cpp
// quant type (Q4_K_M, IQ2_XXS, Q8_0, TQ1_0, F16, BF16, MXFP4_MOE), with unsloth's "UD-" kept.
std::string quant_of(std::string_view path) {
  std::string base(path.substr(path.rfind('/') + 1));
  if (const auto split = parse_gguf_split_name(base)) base = split->prefix + ".gguf";
  if (lower(base).ends_with(".gguf")) base.resize(base.size() - 5);
  static const std::regex k_quant(R"((I?Q[0-9]+(_[A-Z0-9]+)*|TQ[0-9]_[0-9]|B?F16|F32|MXFP4(_MOE)?))",
                                  std::regex::icase);
  std::vector<std::string> tokens;
  std::string cur;
  for (const char c : base) {
    if (c == '-' || c == '.') {
      tokens.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  tokens.push_back(cur);
  for (std::size_t i = tokens.size(); i-- > 0;)
    if (std::regex_match(tokens[i], k_quant))
      return i > 0 && lower(tokens[i - 1]) == "ud" ? "UD-" + tokens[i] : tokens[i];
  return {};
}

// Whether `quant` appears in `path` case-insensitively with no letter, digit or '_' on either side
// (llama.cpp's -hf tag matching: "Q4_K" does not pick "Q4_K_M").
bool names_quant(std::string_view path, std::string_view quant) {
  const std::string p = lower(path), q = lower(quant);
  for (std::size_t at = p.find(q); at != std::string::npos; at = p.find(q, at + 1)) {
    const auto bound = [&](std::size_t i) {
      return i >= p.size() || !(std::isalnum(static_cast<unsigned char>(p[i])) || p[i] == '_');
    };
    if ((at == 0 || bound(at - 1)) && bound(at + q.size())) return true;
  }
  return false;
}

bool is_gguf_path(std::string_view f) { return lower(f).ends_with(".gguf"); }

bool is_mmproj(std::string_view f) { return lower(f.substr(f.rfind('/') + 1)).starts_with("mmproj"); }

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& h : headers)
    if (lower(h.name) == lower(name)) return h.value;
  return std::nullopt;
}

std::optional<HubId> parse_hub_id(std::string_view text, std::string_view default_revision) {
  const auto colon = text.find(':');
  const std::string_view before_quant = text.substr(0, colon);
  const auto at = before_quant.find('@');
  const std::string_view repo = before_quant.substr(0, at);
  const auto slash = repo.find('/');
  if (slash == std::string_view::npos || !valid_repo_part(repo.substr(0, slash)) ||
      !valid_repo_part(repo.substr(slash + 1)))
    return std::nullopt;
  HubId id;
  id.repo = std::string(repo);
  id.revision = std::string(at == std::string_view::npos ? default_revision : before_quant.substr(at + 1));
  if (!is_safe_revision(id.revision)) throw UsageError(fmt::format("invalid revision '{}'", shown(id.revision)));
  if (colon != std::string_view::npos) {
    id.quant = std::string(text.substr(colon + 1));
    if (id.quant.empty() || id.quant.size() > 64 || !std::all_of(id.quant.begin(), id.quant.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        }))
      throw UsageError(fmt::format("'{}': a quant after ':' is letters, digits, '_' and '-' (Q4_K_M)", shown(text)));
  }
  return id;
}

std::vector<GgufQuant> gguf_quants(const std::vector<std::pair<std::string, std::uint64_t>>& files) {
  // One entry per file set: a single file, or every part of a split one (same prefix and count).
  std::map<std::string, GgufQuant> sets;
  for (const auto& [f, size] : files) {
    if (!is_gguf_path(f) || is_mmproj(f)) continue;
    const std::string dir = f.substr(0, f.rfind('/') + 1);
    std::string key = f;
    const std::string base = f.substr(dir.size());
    if (const auto split = parse_gguf_split_name(base)) key = dir + split->prefix + fmt::format("-of-{}", split->count);
    auto& q = sets[key];
    q.quant = quant_of(f);
    if (q.quant.empty()) q.quant = base;
    q.files.push_back(f);
    q.size += Bytes(size);
  }
  std::vector<GgufQuant> out;
  for (auto& [key, q] : sets) {
    std::sort(q.files.begin(), q.files.end());
    out.push_back(std::move(q));
  }
  std::sort(out.begin(), out.end(), [](const GgufQuant& a, const GgufQuant& b) { return a.size < b.size; });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The protocol: one fetch of many files at once, with redirects, credentials and retries.

struct Hub::Impl {
  Hub& hub;
  const HubSettings& s;
  std::string repo;  // for messages

  struct Fetch {
    std::string url;
    std::string file;  // repository path or "models API", for messages
    std::uint64_t max_body = 1ULL << 20;
    std::optional<std::pair<std::uint64_t, std::uint64_t>> range;  // [first, last] bytes
  };
  struct Fetched {
    HttpResponse response;
    std::string final_url;
  };

  [[nodiscard]] std::string endpoint_origin() const {
    const auto u = parse_url(s.endpoint);
    return u ? origin_of(*u) : std::string();
  }

  void sleep_for(double seconds) const {
    if (seconds <= 0) return;
    if (s.sleep)
      s.sleep(seconds);
    else
      std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  }

  // Fetches every job, following redirects (at most max_redirects each) and retrying 429 and 5xx
  // (at most max_retries more tries, backing off). The token goes only to the endpoint's origin:
  // huggingface_hub sends it to the Hub and follows the redirect to the storage host without it
  // (file_download.py: relative redirects are followed with the headers, the CDN URL is fetched
  // anonymously; the signed URL is the credential).
  std::vector<Fetched> fetch(const std::vector<Fetch>& jobs, const std::string& progress_what) {
    std::vector<Fetched> out(jobs.size());
    std::vector<std::string> urls;
    std::vector<unsigned> hops(jobs.size(), 0), tries(jobs.size(), 0);
    urls.reserve(jobs.size());
    for (const auto& j : jobs) urls.push_back(j.url);
    // The token goes into an HTTP header: control characters or spaces would change the request.
    for (const char c : s.token)
      if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
        throw UsageError("the Hub token (HF_TOKEN or the token file) holds characters a token cannot hold");
    std::vector<std::size_t> pending(jobs.size());
    for (std::size_t i = 0; i < jobs.size(); ++i) pending[i] = i;
    const std::string hub_origin = endpoint_origin();
    double wait = s.base_wait_s;
    while (!pending.empty()) {
      std::vector<HttpRequest> requests;
      for (const std::size_t i : pending) {
        HttpRequest r;
        r.url = urls[i];
        r.max_body = jobs[i].max_body;
        const auto u = parse_url(r.url);
        if (!u) throw NetworkError(fmt::format("{}: bad URL for {}: '{}'", repo, jobs[i].file, shown(r.url)));
        if (!s.token.empty() && origin_of(*u) == hub_origin)
          r.headers.push_back({"Authorization", "Bearer " + s.token});
        if (jobs[i].range)
          r.headers.push_back({"Range", fmt::format("bytes={}-{}", jobs[i].range->first, jobs[i].range->second)});
        r.headers.push_back({"User-Agent", std::string("llmmem/") + LLMMEM_VERSION});
        requests.push_back(std::move(r));
      }
      HttpTransport::Progress report;
      if (s.progress && !progress_what.empty())
        report = [&](std::size_t done, std::size_t total) { s.progress(HubProgress{progress_what, done, total}); };
      const std::vector<HttpResponse> responses = hub.m_transport.perform(requests, report);
      if (responses.size() != requests.size()) throw NetworkError("internal: the transport lost responses");
      std::vector<std::size_t> next;
      std::optional<double> pause;
      for (std::size_t k = 0; k < pending.size(); ++k) {
        const std::size_t i = pending[k];
        const HttpResponse& r = responses[k];
        if (r.failure == HttpFailure::none && is_redirect(r.status)) {
          const auto loc = r.header("Location");
          const auto where = loc ? resolve_location(urls[i], *loc) : std::nullopt;
          if (!where)
            throw NetworkError(fmt::format("{}: {} redirected {} to an unusable location '{}'", repo, host_of(urls[i]),
                                           jobs[i].file, shown(loc.value_or(""))));
          if (++hops[i] > s.max_redirects)
            throw NetworkError(fmt::format("{}: {} redirected more than {} times (a redirect loop?)", repo,
                                           jobs[i].file, s.max_redirects));
          urls[i] = *where;
          next.push_back(i);
          continue;
        }
        if (r.failure == HttpFailure::none && is_retryable(r.status) && tries[i] < s.max_retries) {
          ++tries[i];
          const auto after = retry_after(r);
          const double w = after ? std::min(*after, s.max_retry_after_s) : wait;
          pause = std::max(pause.value_or(0.0), w);
          next.push_back(i);
          continue;
        }
        out[i] = {r, urls[i]};
      }
      if (pause) {
        sleep_for(*pause);
        wait = std::min(s.max_wait_s, wait * 2);
      }
      pending = std::move(next);
    }
    return out;
  }

  static std::string host_of(const std::string& url) {
    const auto u = parse_url(url);
    return u ? u->host + ((u->port == "80" || u->port == "443") ? "" : ":" + u->port) : std::string("?");
  }

  // Throws the one-line error a failed response means (huggingface_hub utils/_http.py
  // hf_raise_for_status reads X-Error-Code: GatedRepo, RepoNotFound, RevisionNotFound,
  // EntryNotFound; a 401 without a code is a missing or private repository).
  void check(const Fetched& f, const Fetch& job, const std::string& revision, std::initializer_list<int> ok) const {
    const HttpResponse& r = f.response;
    const std::string host = host_of(f.final_url);
    if (r.failure == HttpFailure::timeout)
      throw NetworkError(fmt::format("{}: timed out fetching {} from {} ({})", repo, job.file, host, shown(r.error)));
    if (r.failure == HttpFailure::too_large)
      throw NetworkError(fmt::format("{}: {} from {} is larger than the {} bytes allowed ({})", repo, job.file, host,
                                     job.max_body, shown(r.error)));
    if (r.failure != HttpFailure::none)
      throw NetworkError(fmt::format("{}: cannot fetch {} from {}: {}", repo, job.file, host, shown(r.error)));
    if (std::find(ok.begin(), ok.end(), r.status) != ok.end()) return;
    const std::string code = r.header("X-Error-Code").value_or("");
    const std::string said = r.header("X-Error-Message").has_value()
                                 ? fmt::format(" ({})", shown(*r.header("X-Error-Message")))
                                 : std::string();
    const std::string page = fmt::format("{}/{}", s.endpoint, repo);
    if (code == "GatedRepo" || ((r.status == 401 || r.status == 403) && gated))
      throw NetworkError(
          s.token.empty()
              ? fmt::format("{} is a gated repository: accept its licence at {} and set HF_TOKEN to a token of that "
                            "account (HTTP {})",
                            repo, page, r.status)
              : fmt::format("{} is a gated repository and the token given has no access: accept its licence at {} "
                            "with the token's account (HTTP {})",
                            repo, page, r.status));
    if (code == "RevisionNotFound")
      throw NetworkError(fmt::format("{}: revision '{}' not found on {}{}", repo, shown(revision), host, said));
    if (code == "EntryNotFound" || (r.status == 404 && job.file != "models API"))
      throw NetworkError(
          fmt::format("{}: {} not found at revision '{}' on {}{}", repo, job.file, shown(revision), host, said));
    if (code == "RepoNotFound" || r.status == 404 || r.status == 401)
      throw NetworkError(fmt::format("{}: repository not found on {} (or private: set HF_TOKEN){}", repo, host, said));
    if (r.status == 403)
      throw NetworkError(fmt::format("{}: {} refused access to {} (HTTP 403){}", repo, host, job.file, said));
    if (r.status == 429)
      throw NetworkError(fmt::format("{}: rate limited by {} (HTTP 429) after {} tries; try again later{}", repo, host,
                                     s.max_retries + 1, said));
    if (r.status >= 500)
      throw NetworkError(fmt::format("{}: {} answered HTTP {} for {} after {} tries{}", repo, host, r.status, job.file,
                                     s.max_retries + 1, said));
    throw NetworkError(fmt::format("{}: unexpected HTTP {} from {} for {}{}", repo, r.status, host, job.file, said));
  }

  bool gated = false;

  [[nodiscard]] std::string resolve_url(const std::string& revision, const std::string& file) const {
    // file_download.py hf_hub_url: {endpoint}/{repo_id}/resolve/{quote(revision, safe="")}/{quote(filename)}
    return fmt::format("{}/{}/resolve/{}/{}", s.endpoint, repo, percent_encode(revision, false),
                       percent_encode(file, true));
  }

  RepoInfo repo_info(const std::string& revision) {
    // hf_api.py model_info: GET {endpoint}/api/models/{repo_id}/revision/{quote(revision, safe="")},
    // blobs=True for the files' sizes (files_metadata).
    Fetch job{fmt::format("{}/api/models/{}/revision/{}?blobs=true", s.endpoint, repo, percent_encode(revision, false)),
              "models API", k_max_api_body, std::nullopt};
    const auto got = fetch({job}, "");
    check(got[0], job, revision, {200});
    RepoInfo info = parse_repo_info(got[0].response.body, repo);
    try {
      const Json j = Json::parse(got[0].response.body);
      const auto g = j.find("gated");
      gated =
          g != j.end() && ((g->is_string() && !g->get<std::string>().empty()) || (g->is_boolean() && g->get<bool>()));
    } catch (const Json::exception&) {
      gated = false;
    }
    return info;
  }

  // Whole small files (config.json, the index), in parallel.
  std::vector<std::string> whole_files(const std::string& revision, const std::vector<std::string>& files,
                                       std::uint64_t cap) {
    std::vector<Fetch> jobs;
    jobs.reserve(files.size());
    for (const auto& f : files) jobs.push_back({resolve_url(revision, f), f, cap, std::nullopt});
    const auto got = fetch(jobs, "files of " + repo);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < got.size(); ++i) {
      check(got[i], jobs[i], revision, {200});
      out.push_back(got[i].response.body);
    }
    return out;
  }

  // The first bytes of remote files by range requests; what the readers need beyond them is
  // fetched by `widen`. Each result knows the file's size (Content-Range) and its final URL.
  struct Head {
    std::string file;
    std::uint64_t size = 0;
    std::string bytes;
    std::string url;  // after redirects: where further ranges go
  };

  // Checks a range response and returns {bytes, total size}.
  std::pair<std::string, std::uint64_t> range_body(const Fetched& f, const Fetch& job, const std::string& revision,
                                                   std::uint64_t listed_size) const {
    check(f, job, revision, {200, 206});
    const HttpResponse& r = f.response;
    const std::uint64_t first = job.range ? job.range->first : 0;
    std::uint64_t total = 0;
    if (r.status == 206) {
      // RFC 9110 14.4: Content-Range: bytes FIRST-LAST/COMPLETE
      const auto cr = r.header("Content-Range");
      static const std::regex k_range(R"(\s*bytes\s+(\d{1,19})-(\d{1,19})/(\d{1,19})\s*)");
      std::smatch m;
      const std::string v = cr.value_or("");
      if (!std::regex_match(v, m, k_range))
        throw NetworkError(fmt::format("{}: {} sent a partial response for {} without a usable Content-Range ('{}')",
                                       repo, host_of(f.final_url), job.file, shown(v)));
      const std::uint64_t a = std::stoull(m[1].str()), b = std::stoull(m[2].str());
      total = std::stoull(m[3].str());
      if (a != first || b < a || b >= total || r.body.size() != b - a + 1)
        throw NetworkError(fmt::format("{}: {} sent bytes {}-{} of {} ({} in the body) for {} when asked for {}-{}",
                                       repo, host_of(f.final_url), a, b, total, r.body.size(), job.file, first,
                                       job.range ? job.range->second : 0));
    } else {
      // 200: the server ignored the Range and sent the whole file (accepted only within max_body).
      total = r.body.size();
      if (first != 0)
        throw NetworkError(
            fmt::format("{}: {} ignored the range request for {}", repo, host_of(f.final_url), job.file));
    }
    if (listed_size != 0 && total != listed_size)
      throw NetworkError(fmt::format("{}: {} is {} bytes according to the models API but {} bytes according to {}",
                                     repo, job.file, listed_size, total, host_of(f.final_url)));
    if (r.status == 200) return {r.body, total};
    return {r.body, total};
  }

  std::vector<Head> heads(const std::string& revision, const RepoInfo& info, const std::vector<std::string>& files,
                          std::uint64_t first_bytes) {
    std::vector<Fetch> jobs;
    for (const auto& f : files) {
      const std::uint64_t listed = info.size_of(f);
      std::uint64_t n = first_bytes;
      if (listed != 0) n = std::min(n, listed);
      if (n == 0) n = 1;
      jobs.push_back({resolve_url(revision, f), f, n, std::make_pair<std::uint64_t, std::uint64_t>(0, n - 1)});
    }
    const auto got = fetch(jobs, "headers of " + repo);
    std::vector<Head> out;
    for (std::size_t i = 0; i < got.size(); ++i) {
      auto [bytes, total] = range_body(got[i], jobs[i], revision, info.size_of(files[i]));
      out.push_back({files[i], total, std::move(bytes), got[i].final_url});
    }
    return out;
  }

  // Bytes [from, to) of a file whose final URL is known (one range request, still checked).
  std::string more_bytes(const Head& h, const std::string& revision, std::uint64_t from, std::uint64_t to) {
    Fetch job{h.url, h.file, to - from, std::make_pair(from, to - 1)};
    const auto got = fetch({job}, "");
    auto [bytes, total] = range_body(got[0], job, revision, h.size);
    if (got[0].response.status == 200)
      return bytes.substr(static_cast<std::size_t>(std::min<std::uint64_t>(from, bytes.size())));
    (void)total;
    return bytes;
  }
};

Hub::Hub(HttpTransport& transport, HubSettings settings) : m_transport(transport), m_settings(std::move(settings)) {
  while (!m_settings.endpoint.empty() && m_settings.endpoint.back() == '/') m_settings.endpoint.pop_back();
}

namespace {

bool is_commit_hash(std::string_view rev) {
  return rev.size() == 40 &&
         std::all_of(rev.begin(), rev.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// What a model is read from: the file list, config.json and the index when it has them, and the
// header bytes of each weights file. The network and the cache both produce this; one function
// builds the Model from it, so a cached model is read exactly as a fetched one.
struct Plan {
  bool gguf = false;
  std::string quant;               // GGUF: the quant chosen
  std::vector<std::string> files;  // GGUF parts, or the single model.safetensors (shards: from the index)
  bool index = false;              // safetensors: model.safetensors.index.json lists the shards
};

std::string quant_list(const std::vector<GgufQuant>& quants) {
  std::string out;
  for (const auto& q : quants) out += (out.empty() ? "" : ", ") + q.quant;
  return out;
}

// The files a model needs. llama.cpp -hf (common/arg.cpp): "quant is optional, case-insensitive,
// default to Q4_K_M, or falls back to the first file in the repo if Q4_K_M doesn't exist".
Plan plan_for(const RepoInfo& info, const HubId& id) {
  Plan p;
  const auto quants = gguf_quants(info.files);
  if (!id.quant.empty() || (!info.has("config.json") && !quants.empty())) {
    if (quants.empty()) throw InputError(fmt::format("{}: holds no GGUF file to take :{} from", id.repo, id.quant));
    std::vector<const GgufQuant*> pick;
    const std::string want = id.quant.empty() ? "Q4_K_M" : id.quant;
    for (const auto& q : quants)
      if (lower(q.quant) == lower(want)) pick.push_back(&q);
    if (pick.empty())
      for (const auto& q : quants)
        if (std::any_of(q.files.begin(), q.files.end(), [&](const std::string& f) { return names_quant(f, want); }))
          pick.push_back(&q);
    if (pick.empty() && id.quant.empty()) pick.push_back(&quants.front());
    if (pick.empty())
      throw UsageError(fmt::format("{}: no GGUF file of quant {} (it has {})", id.repo, id.quant, quant_list(quants)));
    if (pick.size() > 1)
      throw UsageError(fmt::format("{}: quant {} matches {} file sets ({}, ...); name one", id.repo, want, pick.size(),
                                   pick[0]->files.front()));
    p.gguf = true;
    p.quant = pick[0]->quant;
    p.files = pick[0]->files;
    return p;
  }
  if (!info.has("config.json"))
    throw InputError(fmt::format("{}: the repository has neither config.json nor GGUF files", id.repo));
  if (info.has("model.safetensors.index.json"))
    p.index = true;
  else if (info.has("model.safetensors"))
    p.files = {"model.safetensors"};
  return p;
}

struct Parts {
  RepoInfo info;
  Plan plan;
  std::string config, index;
  struct File {
    std::string name;
    std::uint64_t size = 0;
    std::string bytes;
  };
  std::vector<File> files;
};

std::string source_name(const std::string& repo, const std::string& file) { return repo + "/" + file; }

Model build_model(const HubId& id, const Parts& parts) {
  if (parts.plan.gguf) {
    std::vector<GgufFile> ggufs;
    for (const auto& f : parts.files)
      ggufs.push_back(read_gguf(PrefixSource(f.bytes, f.size, source_name(id.repo, f.name))));
    Model m = model_from_gguf(fmt::format("{}:{}", id.repo, parts.plan.quant), merge_gguf_parts(std::move(ggufs)));
    m.hf_id = id.repo;
    return m;
  }
  ModelConfig config = parse_model_config(parts.config, source_name(id.repo, "config.json"));
  if (parts.files.empty()) {
    Model m = make_model(id.repo, id.repo, std::move(config));
    return m;
  }
  std::vector<TensorFile> shards;
  for (const auto& f : parts.files)
    shards.push_back(read_safetensors(PrefixSource(f.bytes, f.size, source_name(id.repo, f.name))));
  TensorFile files;
  if (parts.plan.index) {
    const std::string origin = source_name(id.repo, "model.safetensors.index.json");
    files = merge_safetensors_shards(parse_safetensors_index(parts.index, origin), std::move(shards), id.repo, origin);
  } else {
    files = std::move(shards.front());
  }
  Model m = model_from_safetensors(id.repo, std::move(config), std::move(files));
  m.hf_id = id.repo;
  return m;
}

// llmmem's cache: <cache_dir>/hub/models--ORG--NAME/refs/<revision> (the commit, as the HF cache
// keeps refs) and <cache_dir>/hub/models--ORG--NAME/<commit>/{info.json, config.json,
// model.safetensors.index.json, heads/<path with '/' as %2F>} (each head: its file size on the
// first line, then the header bytes).
std::filesystem::path repo_dir(const std::filesystem::path& cache_dir, const std::string& repo) {
  const auto slash = repo.find('/');
  return cache_dir / "hub" / fmt::format("models--{}--{}", repo.substr(0, slash), repo.substr(slash + 1));
}

std::optional<Parts> read_cache(const HubSettings& s, const HubId& id) {
  if (s.cache_dir.empty()) return std::nullopt;
  const auto dir = repo_dir(s.cache_dir, id.repo);
  std::string commit = id.revision;
  if (!is_commit_hash(commit)) {
    const auto ref = read_cached(dir / "refs" / id.revision, 256);
    if (!ref) return std::nullopt;
    commit = std::string(text::trim(*ref));
    if (!is_safe_revision(commit)) return std::nullopt;
  }
  const auto at = dir / commit;
  const auto info_text = read_cached(at / "info.json", k_max_api_body);
  if (!info_text) return std::nullopt;
  Parts parts;
  try {
    parts.info = parse_repo_info(*info_text, (at / "info.json").string());
  } catch (const NetworkError&) {
    return std::nullopt;  // a damaged cache entry is fetched again
  }
  parts.plan = plan_for(parts.info, id);
  std::vector<std::string> files = parts.plan.files;
  if (!parts.plan.gguf) {
    const auto config = read_cached(at / "config.json", k_max_config);
    if (!config) return std::nullopt;
    parts.config = *config;
    if (parts.plan.index) {
      const auto index = read_cached(at / "model.safetensors.index.json", k_max_index);
      if (!index) return std::nullopt;
      parts.index = *index;
      files = parse_safetensors_index(parts.index, source_name(id.repo, "model.safetensors.index.json")).shards;
    }
  }
  for (const auto& f : files) {
    const auto head = read_cached(at / "heads" / cache_name(f), k_max_gguf_header + 64);
    if (!head) return std::nullopt;
    const auto nl = head->find('\n');
    if (nl == std::string::npos || nl == 0 || nl > 20) return std::nullopt;
    const std::string size_text = head->substr(0, nl);
    if (!std::all_of(size_text.begin(), size_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    parts.files.push_back({f, std::stoull(size_text), head->substr(nl + 1)});
  }
  return parts;
}

// Writes what was fetched; returns false when any write failed.
bool write_cache(const HubSettings& s, const HubId& id, const Parts& parts) {
  bool ok = true;
  const std::string& commit = parts.info.commit;
  if (!s.cache_dir.empty()) {
    const auto dir = repo_dir(s.cache_dir, id.repo);
    const auto at = dir / commit;
    for (const auto& f : parts.files)
      ok &= write_atomic(at / "heads" / cache_name(f.name), fmt::format("{}\n", f.size) + f.bytes);
    if (!parts.plan.gguf) ok &= write_atomic(at / "config.json", parts.config);
    if (parts.plan.index) ok &= write_atomic(at / "model.safetensors.index.json", parts.index);
    ok &= write_atomic(at / "info.json", info_to_json(parts.info));  // last: it marks the entry complete
    if (id.revision != commit) ok &= write_atomic(dir / "refs" / id.revision, commit);
  }
  // The HF cache layout (file_download.py: snapshots/<commit>/<file>, refs/<revision> holding the
  // commit), so transformers and huggingface_hub find the config without fetching it again.
  if (!s.hf_hub_cache.empty() && !parts.plan.gguf) {
    if (const auto folder = hf_cache_repo_folder(s.hf_hub_cache, id.repo)) {
      std::error_code ec;
      const auto config = *folder / "snapshots" / commit / "config.json";
      if (!std::filesystem::exists(config, ec)) ok &= write_atomic(config, parts.config);
      if (id.revision != commit) ok &= write_atomic(*folder / "refs" / id.revision, commit);
    }
  }
  return ok;
}

}  // namespace

std::optional<Model> Hub::cached_model(const HubId& id) const {
  const auto parts = read_cache(m_settings, id);
  if (!parts) return std::nullopt;
  return build_model(id, *parts);
}

Model Hub::load_model(const HubId& id) {
  if (auto cached = read_cache(m_settings, id)) return build_model(id, *cached);
  return fetch_model(id).first;
}

Inspection Hub::inspect(const HubId& id) {
  auto cached = read_cache(m_settings, id);
  std::pair<Model, std::vector<std::pair<std::string, std::uint64_t>>> got =
      cached ? std::make_pair(build_model(id, *cached), cached->info.files) : fetch_model(id);
  const Model& m = got.first;
  Inspection out;
  out.path = m.name;
  out.format = m.files ? m.files->format : "config";
  out.config = m.config;
  if (m.params) out.config_parameters = m.params->total;
  out.tensors = m.files;
  out.quants = gguf_quants(got.second);
  return out;
}

std::pair<Model, std::vector<std::pair<std::string, std::uint64_t>>> Hub::fetch_model(const HubId& id) {
  if (m_settings.offline)
    throw NetworkError(fmt::format("{}@{} is not in the cache and the network is off (--offline or HF_HUB_OFFLINE=1)",
                                   id.repo, shown(id.revision)));
  Impl impl{*this, m_settings, id.repo};
  Parts parts;
  parts.info = impl.repo_info(id.revision);
  const std::string& commit = parts.info.commit;  // every later request names the commit read
  parts.plan = plan_for(parts.info, id);
  std::vector<std::string> files = parts.plan.files;
  if (!parts.plan.gguf) {
    std::vector<std::string> whole{"config.json"};
    if (parts.plan.index) whole.emplace_back("model.safetensors.index.json");
    auto texts = impl.whole_files(commit, whole, k_max_index);
    if (texts[0].size() > k_max_config)
      throw NetworkError(
          fmt::format("{}: config.json is {} bytes, more than the {} allowed", id.repo, texts[0].size(), k_max_config));
    parts.config = std::move(texts[0]);
    if (parts.plan.index) {
      parts.index = std::move(texts[1]);
      files = parse_safetensors_index(parts.index, source_name(id.repo, "model.safetensors.index.json")).shards;
      for (const auto& f : files)
        if (!parts.info.has(f))
          throw InputError(
              fmt::format("{}: model.safetensors.index.json names shard {}, which the repository lacks", id.repo, f));
    }
  }
  if (!files.empty()) {
    auto heads = impl.heads(commit, parts.info, files, parts.plan.gguf ? k_gguf_first : m_settings.first_range);
    if (!parts.plan.gguf) {
      // safetensors: the 8-byte length says where the header ends; what the first range missed is
      // fetched in one more range per shard, all shards at once.
      std::vector<Impl::Fetch> more;
      std::vector<std::size_t> which;
      for (std::size_t i = 0; i < heads.size(); ++i) {
        auto& h = heads[i];
        if (h.bytes.size() < 8) continue;  // the reader reports the truncation
        const std::uint64_t n = u64_le(h.bytes);
        if (n > k_max_safetensors_header || n > h.size - 8) continue;  // the reader reports it
        const std::uint64_t need = 8 + n;
        if (need > h.bytes.size()) {
          more.push_back({h.url, h.file, need - h.bytes.size(),
                          std::make_pair<std::uint64_t, std::uint64_t>(h.bytes.size(), need - 1)});
          which.push_back(i);
        } else {
          h.bytes.resize(static_cast<std::size_t>(need));
        }
      }
      if (!more.empty()) {
        const auto got = impl.fetch(more, "headers of " + id.repo);
        for (std::size_t k = 0; k < got.size(); ++k) {
          auto& h = heads[which[k]];
          auto [bytes, total] = impl.range_body(got[k], more[k], commit, h.size);
          (void)total;
          if (got[k].response.status == 200) bytes = bytes.substr(std::min(bytes.size(), h.bytes.size()));
          h.bytes += bytes;
        }
      }
      for (auto& h : heads) parts.files.push_back({h.file, h.size, std::move(h.bytes)});
    } else {
      // GGUF: the reader walks the metadata and tensor table; each read past the bytes held asks
      // for more, doubling what is held, up to k_max_gguf_header.
      for (auto& h : heads) {
        const PrefixSource src(
            h.bytes, h.size, source_name(id.repo, h.file),
            [&impl, &h, &commit](std::uint64_t from, std::uint64_t to) {
              const std::uint64_t want = std::min(h.size, std::min(k_max_gguf_header, std::max(to, 2 * from)));
              return impl.more_bytes(h, commit, from, want);
            },
            k_max_gguf_header);
        (void)read_gguf(src);
        // All the bytes read are kept (the reader reads ahead in 64 KiB steps, and reads the same
        // way from the cache).
        parts.files.push_back({h.file, h.size, src.held()});
      }
    }
  }
  Model m = build_model(id, parts);
  if (!write_cache(m_settings, id, parts))
    m.notes.push_back(fmt::format("could not write the cache under {}; the next run fetches {} again",
                                  m_settings.cache_dir.string(), id.repo));
  return {std::move(m), std::move(parts.info.files)};
}

}  // namespace llmmem
