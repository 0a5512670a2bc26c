#include "llmmem/render.hpp"

#include "llmmem/framework.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <variant>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "llmmem/error.hpp"
#include "text.hpp"

namespace llmmem {

namespace {

using Json = nlohmann::ordered_json;

// Invalid UTF-8 from a hostile file must not make dump() throw: replace it.
std::string dump(const Json& j) { return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n"; }

std::string unit_label(Units u) { return u == Units::binary ? "GiB" : "GB"; }

// Every string that reaches a table, CSV or markdown line passes through here.
std::string safe(std::string_view s) { return escape_control(s); }

std::string paint(const RenderOptions& o, std::string_view code, const std::string& text) {
  return o.color ? fmt::format("\033[{}m{}\033[0m", code, text) : text;
}

std::string human_count(std::uint64_t n) {
  if (n >= 1000000000ULL) return fmt::format("{:.2f} B", static_cast<double>(n) / 1e9);
  if (n >= 1000000ULL) return fmt::format("{:.2f} M", static_cast<double>(n) / 1e6);
  return fmt::format("{}", n);
}

std::string input_value(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{:g}", v);
}

Json input_json(double v) {
  if (std::floor(v) == v && v >= 0 && v < 9e15) return Json(static_cast<std::uint64_t>(v));
  return Json(v);
}

std::string csv_field(std::string_view text) {
  std::string s = safe(text);
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string md_field(std::string_view text) {
  std::string out;
  for (char c : safe(text)) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

// A signed byte count as "-1.25 GiB".
std::string signed_size(std::int64_t bytes, Units u) {
  const Bytes magnitude(bytes < 0 ? static_cast<std::uint64_t>(-(bytes + 1)) + 1 : static_cast<std::uint64_t>(bytes));
  return (bytes < 0 ? "-" : "") + format_size(magnitude, u);
}

std::string layout_text(const Layout& l) {
  std::string s = fmt::format("tp={} pp={} dp={}", l.tp, l.pp, l.dp);
  if (l.ep > 1) s += fmt::format(" ep={}", l.ep);
  if (l.zero > 0) s += fmt::format(" zero={}", l.zero);
  if (l.offload_optimizer) s += l.offload_params ? " offload=optimizer,params" : " offload=optimizer";
  return s;
}

Json layout_json(const Layout& l) {
  return Json{{"tp", l.tp},
              {"pp", l.pp},
              {"dp", l.dp},
              {"ep", l.ep},
              {"zero", l.zero},
              {"offload_optimizer", l.offload_optimizer},
              {"offload_params", l.offload_params}};
}

// ---------------------------------------------------------------------------------------------
// Lists (models, gpus, precisions, local gpus, inspect's dtypes): fields defined once, every
// printer iterates them (llama-bench's get_fields()/get_values()).

enum class Kind { text, count, bytes, number, flag };
struct Column {
  std::string_view key;    // JSON and CSV key
  std::string_view title;  // table and markdown heading
  Kind kind = Kind::text;
};
using Cell = std::variant<std::monostate, std::string, std::uint64_t, double, bool>;
struct Listing {
  std::string_view json_key;
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;
};

std::string cell_text(const Cell& c, Kind kind, Units u) {
  if (std::holds_alternative<std::monostate>(c)) return "-";
  if (const auto* s = std::get_if<std::string>(&c)) return safe(*s);
  if (const auto* b = std::get_if<bool>(&c)) return *b ? "yes" : "no";
  if (const auto* d = std::get_if<double>(&c)) return fmt::format("{:.3f}", *d);
  const std::uint64_t v = std::get<std::uint64_t>(c);
  if (kind == Kind::bytes) return format_gib_number(Bytes(v), u);
  return fmt::format("{}", v);
}

std::string cell_csv(const Cell& c) {
  if (std::holds_alternative<std::monostate>(c)) return "";
  if (const auto* s = std::get_if<std::string>(&c)) return csv_field(*s);
  if (const auto* b = std::get_if<bool>(&c)) return *b ? "true" : "false";
  if (const auto* d = std::get_if<double>(&c)) return fmt::format("{}", *d);
  return fmt::format("{}", std::get<std::uint64_t>(c));
}

Json cell_json(const Cell& c) {
  if (std::holds_alternative<std::monostate>(c)) return Json(nullptr);
  if (const auto* s = std::get_if<std::string>(&c)) return Json(*s);
  if (const auto* b = std::get_if<bool>(&c)) return Json(*b);
  if (const auto* d = std::get_if<double>(&c)) return Json(*d);
  return Json(std::get<std::uint64_t>(c));
}

std::string heading(const Column& col, Units u) {
  return col.kind == Kind::bytes ? fmt::format("{} ({})", col.title, unit_label(u)) : std::string(col.title);
}

Json listing_json(const Listing& l) {
  Json rows = Json::array();
  for (const auto& row : l.rows) {
    Json o = Json::object();
    for (std::size_t i = 0; i < l.columns.size(); ++i) o[std::string(l.columns[i].key)] = cell_json(row[i]);
    rows.push_back(o);
  }
  return rows;
}

std::string listing_text(const Listing& l, Format f, Units u) {
  std::string out;
  if (f == Format::csv) {
    for (std::size_t i = 0; i < l.columns.size(); ++i) out += fmt::format("{}{}", i ? "," : "", l.columns[i].key);
    out += "\n";
    for (const auto& row : l.rows) {
      for (std::size_t i = 0; i < row.size(); ++i) out += fmt::format("{}{}", i ? "," : "", cell_csv(row[i]));
      out += "\n";
    }
    return out;
  }
  if (f == Format::markdown) {
    std::string rule;
    for (const auto& col : l.columns) {
      out += "| " + heading(col, u) + " ";
      rule += col.kind == Kind::text || col.kind == Kind::flag ? "|---" : "|---:";
    }
    out += "|\n" + rule + "|\n";
    for (const auto& row : l.rows) {
      for (std::size_t i = 0; i < row.size(); ++i)
        out += "| " + md_field(cell_text(row[i], l.columns[i].kind, u)) + " ";
      out += "|\n";
    }
    return out;
  }
  std::vector<std::size_t> width;
  for (const auto& col : l.columns) width.push_back(heading(col, u).size());
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : l.rows) {
    cells.emplace_back();
    for (std::size_t i = 0; i < row.size(); ++i) {
      cells.back().push_back(cell_text(row[i], l.columns[i].kind, u));
      width[i] = std::max(width[i], cells.back().back().size());
    }
  }
  auto line = [&](const std::vector<std::string>& values) {
    std::string s;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const bool right = l.columns[i].kind != Kind::text && l.columns[i].kind != Kind::flag;
      const bool last = i + 1 == values.size();
      s += right ? fmt::format("{:>{}}", values[i], width[i])
                 : (last ? values[i] : fmt::format("{:<{}}", values[i], width[i]));
      if (!last) s += "  ";
    }
    return s + "\n";
  };
  std::vector<std::string> titles;
  for (const auto& col : l.columns) titles.push_back(heading(col, u));
  out += line(titles);
  for (const auto& row : cells) out += line(row);
  return out;
}

Json envelope(std::string_view command) {
  Json j;
  j["schema_version"] = k_schema_version;
  j["command"] = command;
  return j;
}

// ---------------------------------------------------------------------------------------------
// infer / train

Json model_json(const Estimate& e) {
  Json m;
  m["name"] = e.model_name;
  m["hf_id"] = e.hf_id ? Json(*e.hf_id) : Json(nullptr);
  m["model_type"] = e.model_type;
  m["parameters"] = e.parameters;
  m["active_parameters"] = e.active_parameters;
  if (e.mode == Mode::training) m["trainable_parameters"] = e.trainable_parameters;
  return m;
}

Json vllm_json(const VllmStartup& v) {
  Json j;
  j["total_bytes"] = v.total.count();
  j["requested_bytes"] = v.requested.count();
  j["weights_bytes"] = v.weights.count();
  j["activation_peak_bytes"] = v.activation_peak.count();
  j["sampler_logits_bytes"] = v.sampler_logits.count();
  j["non_torch_bytes"] = v.non_torch.count();
  j["kv_pool_bytes"] = v.kv_budget.count();
  j["block_size"] = v.block_size;
  j["num_gpu_blocks"] = v.num_gpu_blocks;
  j["kv_tokens"] = v.kv_tokens;
  j["max_model_len"] = v.max_model_len;
  j["max_model_len_fits"] = v.max_model_len_fits;
  j["max_concurrency"] = v.max_concurrency;
  j["max_num_seqs"] = v.max_num_seqs;
  j["max_num_batched_tokens"] = v.max_num_batched_tokens;
  j["starts"] = v.starts;
  j["error"] = v.error.empty() ? Json(nullptr) : Json(v.error);
  j["enforce_eager"] = v.enforce_eager;
  j["cudagraph_batch_sizes"] = v.graph_sizes;
  j["max_cudagraph_capture_size"] = v.largest_graph;
  j["cudagraph_margin_bytes"] = v.graph_margin.count();
  return j;
}

// vLLM's start-up, in the words of its own log lines.
std::vector<std::string> vllm_lines(const VllmStartup& v, Units u) {
  std::vector<std::string> out;
  out.push_back(
      fmt::format("vLLM start-up: {} × gpu_memory_utilization = {}; weights {}, profile peak {} ({} "
                  "tokens) + sampler {}, non-torch {}",
                  format_size(v.total, u), format_size(v.requested, u), format_size(v.weights, u),
                  format_size(v.activation_peak, u), v.max_num_batched_tokens, format_size(v.sampler_logits, u),
                  format_size(v.non_torch, u)));
  out.push_back(fmt::format("  Available KV cache memory: {}", format_size(v.kv_budget, u)));
  out.push_back(
      fmt::format("  GPU KV cache size: {} tokens ({} blocks of {})", v.kv_tokens, v.num_gpu_blocks, v.block_size));
  out.push_back(
      fmt::format("  Maximum concurrency for {} tokens per request: {:.2f}x", v.max_model_len, v.max_concurrency));
  if (v.enforce_eager)
    out.emplace_back("  CUDA graphs: none (--enforce-eager)");
  else
    out.push_back(
        fmt::format("  CUDA graphs: {} batch sizes up to {}, captured after the pool in the {} outside "
                    "gpu_memory_utilization (measured by vLLM, not sized here)",
                    v.graph_sizes, v.largest_graph, format_size(v.graph_margin, u)));
  if (!v.starts) out.push_back("  vLLM would not start: " + v.error);
  return out;
}

Json llama_cpp_json(const LlamaCppStartup& l) {
  Json j;
  j["n_ctx"] = l.n_ctx;
  j["n_ubatch"] = l.n_ubatch;
  j["n_seq_max"] = l.n_seq_max;
  j["flash_attn"] = l.flash_attn;
  Json buffers = Json::array();
  for (const auto& b : l.buffers)
    buffers.push_back({{"name", b.name}, {"device", b.device}, {"bytes", b.bytes.count()}});
  j["buffers"] = buffers;
  j["gpu_bytes"] = l.gpu_total.count();
  j["host_bytes"] = l.host_total.count();
  return j;
}

// The buffer lines llama.cpp prints at load, in its own MiB format.
std::vector<std::string> llama_cpp_lines(const LlamaCppStartup& l) {
  std::vector<std::string> out;
  out.push_back(fmt::format("llama.cpp buffers (n_ctx {}, n_ubatch {}, {} sequence{}, flash_attn {}):", l.n_ctx,
                            l.n_ubatch, l.n_seq_max, l.n_seq_max == 1 ? "" : "s", l.flash_attn ? "on" : "off"));
  for (const auto& b : l.buffers)
    out.push_back(fmt::format("  {:>10} {:<7} buffer size = {:8.2f} MiB", b.device, b.name,
                              static_cast<double>(b.bytes.count()) / (1024.0 * 1024.0)));
  return out;
}

Json ollama_json(const OllamaEstimate& o) {
  Json j;
  j["modelled_version"] = k_ollama_estimate_version;
  j["architecture"] = o.architecture;
  j["flash_attn"] = o.flash_attn;
  j["kv_cache_type"] = o.kv_cache_type;
  j["layers_requested"] = o.layers_requested;
  j["layers_model"] = o.layers_model;
  j["layers_offload"] = o.layers_offload;
  j["layers_split"] = o.layers_split;
  Json alloc = Json::array();
  for (const auto& a : o.allocations) alloc.push_back(a.count());
  j["allocations_bytes"] = alloc;
  j["required_full_bytes"] = o.memory_required_full.count();
  j["required_partial_bytes"] = o.memory_required_partial.count();
  j["required_kv_bytes"] = o.memory_required_kv.count();
  j["weights_total_bytes"] = o.weights_total.count();
  j["weights_repeating_bytes"] = o.weights_repeating.count();
  j["weights_nonrepeating_bytes"] = o.weights_nonrepeating.count();
  j["graph_full_bytes"] = o.graph_full.count();
  j["graph_partial_bytes"] = o.graph_partial.count();
  j["fully_offloaded"] = o.fully_offloaded;
  return j;
}

// Ollama's `msg=offload` line (MemoryEstimate.LogValue), one field per line.
std::vector<std::string> ollama_lines(const OllamaEstimate& o, Units u) {
  std::vector<std::string> alloc;
  for (const auto& a : o.allocations) alloc.push_back(format_size(a, u));
  const std::string split = fmt::format("{}", fmt::join(o.layers_split, ","));
  return {
      fmt::format("Ollama {} estimate before loading (llm/memory.go):", k_ollama_estimate_version),
      fmt::format("  layers.model={} layers.offload={} layers.split=\"{}\"", o.layers_model, o.layers_offload, split),
      fmt::format("  memory.required.full=\"{}\" memory.required.partial=\"{}\" memory.required.kv=\"{}\"",
                  format_size(o.memory_required_full, u), format_size(o.memory_required_partial, u),
                  format_size(o.memory_required_kv, u)),
      fmt::format("  memory.required.allocations=\"[{}]\" memory.weights.total=\"{}\"", fmt::join(alloc, " "),
                  format_size(o.weights_total, u)),
      fmt::format("  memory.graph.full=\"{}\" memory.graph.partial=\"{}\"", format_size(o.graph_full, u),
                  format_size(o.graph_partial, u))};
}

Json sglang_json(const SglangStartup& g) {
  Json j;
  j["gpu_mem_mib"] = g.gpu_mem_mib;
  j["chunked_prefill_size"] = g.chunked_prefill_size;
  j["cuda_graph_max_bs"] = g.cuda_graph_max_bs;
  j["mem_fraction_static"] = g.mem_fraction_static;
  j["free_at_init_bytes"] = g.free_at_init.count();
  j["weights_bytes"] = g.weights.count();
  j["kv_pool_bytes"] = g.kv_pool.count();
  j["cell_bytes"] = g.cell_bytes;
  j["max_total_num_tokens"] = g.max_total_num_tokens;
  j["context_len"] = g.context_len;
  j["max_running_requests"] = g.max_running_requests;
  j["starts"] = g.starts;
  j["error"] = g.error.empty() ? Json(nullptr) : Json(g.error);
  return j;
}

std::vector<std::string> sglang_lines(const SglangStartup& g, Units u) {
  std::vector<std::string> out;
  out.push_back(fmt::format("SGLang start-up: mem_fraction_static {:.3f} of {} free at init; weights {}, KV pool {}",
                            g.mem_fraction_static, format_size(g.free_at_init, u), format_size(g.weights, u),
                            format_size(g.kv_pool, u)));
  out.push_back(fmt::format("  KV Cache is allocated. #tokens: {}", g.max_total_num_tokens));
  out.push_back(fmt::format("  max_running_requests: {} (context_len {}, chunked_prefill_size {})",
                            g.max_running_requests, g.context_len, g.chunked_prefill_size));
  if (!g.starts) out.push_back("  SGLang would not start: " + g.error);
  return out;
}

// The engine's start-up in the words of its own log, for the table and markdown.
std::vector<std::string> startup_lines(const EngineStartup& s, Units u) {
  if (s.vllm) return vllm_lines(*s.vllm, u);
  if (s.sglang) return sglang_lines(*s.sglang, u);
  if (s.llama_cpp) {
    auto lines = llama_cpp_lines(*s.llama_cpp);
    if (s.ollama)
      for (auto& line : ollama_lines(*s.ollama, u)) lines.push_back(std::move(line));
    return lines;
  }
  return {};
}

Json startup_json(const EngineStartup& s) {
  if (s.vllm) return vllm_json(*s.vllm);
  if (s.sglang) return sglang_json(*s.sglang);
  if (s.llama_cpp) {
    Json j = llama_cpp_json(*s.llama_cpp);
    if (s.ollama) j["ollama_estimate"] = ollama_json(*s.ollama);
    return j;
  }
  return Json(nullptr);
}

Json engine_json(const Estimate& e, const EstimateReport* rep = nullptr) {
  if (!e.engine) return Json(nullptr);
  const EngineProfile& en = *e.engine;
  Json j;
  j["id"] = en.id;
  j["name"] = en.name;
  j["modelled_version"] = en.modelled_version;
  if (e.mode == Mode::inference) j["prefill_chunk"] = e.prefill_chunk;
  j["context_padding"] = en.context_padding;
  j["kv_block_tokens"] = en.kv_block_tokens;
  j["token_embeddings_on_host"] = en.token_embeddings_on_host;
  if (rep && (rep->startup.vllm || rep->startup.sglang || rep->startup.llama_cpp))
    j["startup"] = startup_json(rep->startup);
  return j;
}

// "engine vLLM 0.11: prefill 2048 tokens per step, KV blocks of 16 tokens"
std::string engine_text(const Estimate& e) {
  // Training names the framework it assumed instead of an inference engine.
  if (e.mode == Mode::training && e.request.framework)
    return fmt::format("framework {} {}", e.request.framework->name, e.request.framework->modelled_version);
  if (!e.engine) return "";
  const EngineProfile& en = *e.engine;
  std::string s = fmt::format("engine {} {}", en.name, en.modelled_version);
  std::vector<std::string> facts;
  if (e.mode == Mode::inference)
    facts.push_back(e.prefill_chunk ? fmt::format("prefill {} tokens per step", e.prefill_chunk)
                                    : std::string("the whole prompt in one prefill"));
  if (en.context_padding > 1) facts.push_back(fmt::format("KV padded to {} tokens", en.context_padding));
  if (en.kv_block_tokens > 1) facts.push_back(fmt::format("KV blocks of {} tokens", en.kv_block_tokens));
  if (en.token_embeddings_on_host) facts.emplace_back("token embeddings in host memory");
  for (std::size_t i = 0; i < facts.size(); ++i) s += (i ? ", " : ": ") + facts[i];
  return s;
}

Json settings_json(const Estimate& e) {
  const Request& r = e.request;
  Json s;
  s["precision"] = e.precision;
  s["kv_precision"] = e.kv_precision;
  s["batch"] = r.batch;
  s["seq_len"] = r.seq_len;
  if (e.image_tokens_per_image > 0) {  // vision-language models
    s["images"] = r.images;
    s["image_size"] =
        r.image_size.given() ? Json{{"width", r.image_size.width}, {"height", r.image_size.height}} : Json(nullptr);
    s["image_tokens_per_image"] = e.image_tokens_per_image;
    s["image_tokens"] = e.image_tokens;
  }
  if (e.method == Method::document) s["concurrency"] = r.concurrency;
  if (r.params_override) s["params_override"] = *r.params_override;
  if (e.method == Method::detailed) {
    s["attention"] = to_string(r.attention);
    if (e.mode == Mode::inference) {
      s["logits"] = to_string(r.logits);
      s["prefill_chunk"] = r.prefill_chunk;
    }
  }
  if (e.mode == Mode::training) {
    s["optimizer"] = to_string(r.optimizer);
    if (r.lora_rank == 0) s["trainable_percent"] = r.trainable_percent;
    if (e.method == Method::detailed) {
      s["recipe"] = to_string(r.recipe);
      s["gradient_checkpointing"] = to_string(r.checkpointing);
      s["loss"] = to_string(r.loss);
      s["optimizer_in_bwd"] = r.optimizer_in_bwd;
      s["activation_offload"] = r.activation_offload;
      s["upcast_unquantized"] = r.upcast_unquantized;
      s["framework"] = r.framework ? Json(r.framework->id) : Json(nullptr);
      s["lora_rank"] = r.lora_rank;
      if (r.lora_rank > 0) s["lora_targets"] = lora_targets_or_default(r);
    }
  }
  if (e.method == Method::detailed) {
    s["expandable_segments"] = r.expandable_segments;
    s["layout"] = layout_json(r.layout);
  }
  return s;
}

Json gpu_json(const GpuVerdict& v) {
  Json g;
  g["name"] = v.name;
  g["memory_bytes"] = v.memory_per_gpu.count();
  g["count"] = v.count;
  g["fits"] = v.fits;
  if (v.fits_now) g["fits_now"] = *v.fits_now;
  g["needed"] = v.needed ? Json(*v.needed) : Json(nullptr);
  g["needed_layout"] = v.needed_layout ? layout_json(*v.needed_layout) : Json(nullptr);
  g["layout"] = layout_json(v.layout);
  g["split"] = v.split == Split::even ? "even" : "proportional";
  Json per = Json::array();
  for (const auto& u : v.per_gpu) {
    Json d;
    d["device"] = u.device;
    d["name"] = u.name;
    d["bytes"] = u.bytes.count();
    d["capacity_bytes"] = u.capacity.count();
    d["headroom_bytes"] = u.headroom;
    if (u.free) d["free_bytes"] = u.free->count();
    if (u.headroom_now) d["headroom_now_bytes"] = *u.headroom_now;
    d["fits"] = u.fits;
    per.push_back(d);
  }
  g["per_gpu"] = per;
  if (v.host)
    g["host"] = {{"needed_bytes", v.host->needed.count()},
                 {"available_bytes", v.host->available.count()},
                 {"source", v.host->source},
                 {"unified", v.host->unified},
                 {"fits", v.host->fits}};
  g["notes"] = v.notes;
  return g;
}

Json curve_json(const std::vector<ContextPoint>& points) {
  Json a = Json::array();
  for (const auto& p : points) {
    Json o{{"seq_len", p.seq_len}, {"bytes", p.bytes.count()}};
    if (p.fits) o["fits"] = *p.fits;
    a.push_back(o);
  }
  return a;
}

Json components_json(const Estimate& e) {
  Json comps = Json::array();
  for (const auto& c : e.components) {
    Json inputs = Json::object();
    for (const auto& in : c.inputs) inputs[std::string(in.name)] = input_json(in.value);
    comps.push_back({{"id", c.id},
                     {"label", c.label},
                     {"bytes", c.bytes.count()},
                     {"host_bytes", c.host.count()},
                     {"formula", c.explanation()},
                     {"inputs", inputs}});
  }
  return comps;
}

std::string_view smallest_or_each(const GpuVerdict& v) {
  return v.count == 1 ? "" : (v.uniform ? " each" : " the smallest");
}

std::string needed_text(const GpuVerdict& v, const RenderOptions& o) {
  if (!v.needed) return "no layout holds it";
  if (*v.needed <= v.count) {
    if (v.host && !v.host->fits) return "the GPUs would hold it, but host memory is short";
    if (v.split == Split::proportional)
      return fmt::format("{} of these GPUs would hold it split evenly ({})", *v.needed, layout_text(*v.needed_layout));
    return "the memory would hold it, but the engine would not start (see the note)";
  }
  return fmt::format("{} GPU{} of {} needed ({})", *v.needed, *v.needed == 1 ? "" : "s",
                     format_size(v.per_gpu.empty() ? v.memory_per_gpu : v.per_gpu.front().capacity, o.units),
                     layout_text(*v.needed_layout));
}

// The verdict as lines of text: a summary, then one line per GPU when there is more than one or
// they are this machine's.
std::vector<std::string> verdict_lines(const GpuVerdict& v, const RenderOptions& o) {
  std::vector<std::string> lines;
  const Bytes top = v.per_gpu.empty()
                        ? Bytes(0)
                        : std::max_element(v.per_gpu.begin(), v.per_gpu.end(), [](const GpuUse& a, const GpuUse& b) {
                            return a.bytes < b.bytes;
                          })->bytes;
  std::string line = fmt::format("GPU: {} × {} ({}{}); layout {}; {} on the most loaded GPU", v.count, safe(v.name),
                                 format_size(v.memory_per_gpu, o.units), smallest_or_each(v), layout_text(v.layout),
                                 format_size(top, o.units));
  line += v.fits ? paint(o, "32", " — fits") : paint(o, "31", " — does not fit");
  if (v.fits_now) line += *v.fits_now ? " (fits in the memory free now)" : " (not in the memory free now)";
  if (!v.fits) line += fmt::format("; {}", needed_text(v, o));
  lines.push_back(line);
  if (v.per_gpu.size() > 1 || v.fits_now || v.per_gpu.size() == 1) {
    for (const auto& u : v.per_gpu) {
      std::string l =
          fmt::format("  GPU {} {}: {} of {}, headroom {}", u.device, safe(u.name), format_size(u.bytes, o.units),
                      format_size(u.capacity, o.units), signed_size(u.headroom, o.units));
      if (u.headroom_now)
        l += fmt::format("; {} free now, headroom {}", format_size(*u.free, o.units),
                         signed_size(*u.headroom_now, o.units));
      lines.push_back(l);
    }
  }
  if (v.host)
    lines.push_back(fmt::format("  {}: {} needed of {} ({}){}", v.host->unified ? "unified memory" : "host memory",
                                format_size(v.host->needed, o.units), format_size(v.host->available, o.units),
                                safe(v.host->source),
                                v.host->fits ? paint(o, "32", " — fits") : paint(o, "31", " — does not fit")));
  for (const auto& n : v.notes) lines.push_back("note: " + safe(n));
  return lines;
}

std::string estimate_heading(const Estimate& e) {
  const std::string images = e.request.images > 0 ? fmt::format(" + {} image{} ({} tokens)", e.request.images,
                                                                e.request.images == 1 ? "" : "s", e.image_tokens)
                                                  : "";
  return fmt::format("{} · precision {} · batch {} · seq-len {}{} · method {}",
                     e.mode == Mode::inference ? "inference" : "training", safe(e.precision), e.request.batch,
                     e.request.seq_len, images, to_string(e.method));
}

std::string estimate_table(const EstimateReport& rep, const RenderOptions& o) {
  const Estimate& e = rep.estimate;
  std::string out;
  out += fmt::format("{}{}\n", paint(o, "1", safe(e.model_name)), e.hf_id ? fmt::format(" ({})", safe(*e.hf_id)) : "");
  std::string params = fmt::format("{} parameters", human_count(e.parameters));
  if (e.active_parameters != e.parameters) params += fmt::format(" ({} active)", human_count(e.active_parameters));
  out += fmt::format("{} · {}\n", params, estimate_heading(e));
  if (e.mode == Mode::training)
    out += fmt::format("trainable {} · optimizer {}{}\n", human_count(e.trainable_parameters),
                       to_string(e.request.optimizer),
                       e.method == Method::detailed ? fmt::format(" · recipe {}", to_string(e.request.recipe)) : "");
  if (e.engine) out += engine_text(e) + "\n";
  out += "\n";
  std::size_t width = 5;
  for (const auto& c : e.components) width = std::max(width, safe(c.label).size());
  const std::string unit = unit_label(o.units);
  // A host column only when some component keeps memory there (offload, embeddings on the CPU).
  const bool host = e.host_total.count() > 0;
  const auto host_cell = [&](Bytes b) { return host ? fmt::format("  {:>10}", format_gib_number(b, o.units)) : ""; };
  out += fmt::format("  {:<{}}  {:>10}{}\n", "Component", width, host ? "GPU " + unit : unit,
                     host ? fmt::format("  {:>10}", "host " + unit) : "");
  for (const auto& c : e.components) {
    out += fmt::format("  {:<{}}  {:>10}{}\n", safe(c.label), width, format_gib_number(c.bytes, o.units),
                       host_cell(c.host));
    if (o.explain) {
      out += fmt::format("      = {}\n", safe(c.explanation()));
      std::string ins;
      for (const auto& in : c.inputs)
        ins += fmt::format("{}{}={}", ins.empty() ? "" : ", ", in.name, input_value(in.value));
      if (!ins.empty()) out += fmt::format("      with {}\n", ins);
      out += fmt::format("      = {} bytes\n", c.bytes.count());
    }
  }
  out += fmt::format("  {}\n", std::string(width + (host ? 24 : 12), '-'));
  out += paint(o, "1",
               fmt::format("  {:<{}}  {:>10}{}", "Total", width, format_gib_number(e.total, o.units),
                           host_cell(e.host_total))) +
         fmt::format(" {}\n", unit);
  if (e.method == Method::detailed) {
    const MemoryFigures m = memory_figures(e);
    out += fmt::format("  as measured: torch allocated {} · reserved {} · device (nvidia-smi) {}\n",
                       format_size(m.allocated, o.units), format_size(m.reserved, o.units),
                       format_size(m.device, o.units));
  }
  if (rep.gpu) {
    out += "\n";
    for (const auto& l : verdict_lines(*rep.gpu, o)) out += l + "\n";
  }
  if (const auto lines = startup_lines(rep.startup, o.units); !lines.empty()) {
    out += "\n";
    for (const auto& l : lines) out += l + "\n";
  }
  for (const auto& n : e.notes) out += fmt::format("note: {}\n", safe(n));
  if (!rep.curve.empty()) {
    out += '\n';
    out += render_context_chart(rep.curve, rep.curve_capacity, o.units);
  }
  return out;
}

std::string estimate_json(const EstimateReport& rep) {
  const Estimate& e = rep.estimate;
  Json j = envelope(to_string(e.mode));
  j["method"] = to_string(e.method);
  j["model"] = model_json(e);
  j["settings"] = settings_json(e);
  j["engine"] = engine_json(e, &rep);
  j["components"] = components_json(e);
  j["total_bytes"] = e.total.count();
  j["host_total_bytes"] = e.host_total.count();
  const MemoryFigures m = memory_figures(e);
  j["memory"] = {{"allocated_bytes", m.allocated.count()},
                 {"reserved_bytes", m.reserved.count()},
                 {"device_bytes", m.device.count()}};
  if (rep.gpu) j["gpu"] = gpu_json(*rep.gpu);
  if (!rep.curve.empty()) j["context_curve"] = curve_json(rep.curve);
  j["notes"] = e.notes;
  return dump(j);
}

// CSV: one row per component, the total, then the verdict, each GPU and each note as rows of the
// same four columns, so that nothing the table says is lost.
std::string estimate_csv(const EstimateReport& rep, const RenderOptions& o) {
  const Estimate& e = rep.estimate;
  std::string out = fmt::format("id,label,bytes,{}\n", o.units == Units::binary ? "gib" : "gb");
  auto row = [&](std::string_view id, std::string_view label, std::optional<Bytes> b) {
    out += fmt::format("{},{},{},{}\n", id, csv_field(label), b ? fmt::format("{}", b->count()) : "",
                       b ? format_gib_number(*b, o.units) : "");
  };
  for (const auto& c : e.components) row(c.id, c.label, c.bytes);
  row("total", "Total", e.total);
  // Host memory, when any component keeps some there: one row per such component, then the total.
  for (const auto& c : e.components)
    if (c.host.count() > 0) row("host_" + c.id, c.label + " (host memory)", c.host);
  if (e.host_total.count() > 0) row("host_total", "Total host memory", e.host_total);
  if (e.engine) row("engine", engine_text(e), std::nullopt);
  if (rep.startup.vllm) {
    row("vllm_kv_pool",
        fmt::format("Available KV cache memory, {} blocks of {} tokens", rep.startup.vllm->num_gpu_blocks,
                    rep.startup.vllm->block_size),
        rep.startup.vllm->kv_budget);
    row("vllm_max_concurrency",
        fmt::format("{:.2f}x for {} tokens per request", rep.startup.vllm->max_concurrency,
                    rep.startup.vllm->max_model_len),
        std::nullopt);
    if (!rep.startup.vllm->starts) row("vllm_error", rep.startup.vllm->error, std::nullopt);
  }
  if (rep.startup.sglang) {
    row("sglang_kv_pool", fmt::format("KV pool, {} tokens", rep.startup.sglang->max_total_num_tokens),
        rep.startup.sglang->kv_pool);
    row("sglang_max_running_requests", fmt::format("{}", rep.startup.sglang->max_running_requests), std::nullopt);
    if (!rep.startup.sglang->starts) row("sglang_error", rep.startup.sglang->error, std::nullopt);
  }
  if (rep.startup.llama_cpp)
    for (const auto& b : rep.startup.llama_cpp->buffers)
      row(fmt::format("llama_cpp_{}", b.name), fmt::format("{} {} buffer", b.device, b.name), b.bytes);
  if (rep.startup.ollama) {
    row("ollama_required_full", "memory.required.full", rep.startup.ollama->memory_required_full);
    row("ollama_required_partial",
        fmt::format("memory.required.partial, {} of {} layers", rep.startup.ollama->layers_offload,
                    rep.startup.ollama->layers_model),
        rep.startup.ollama->memory_required_partial);
  }
  if (rep.gpu) {
    const GpuVerdict& v = *rep.gpu;
    row("gpu", fmt::format("{} × {}: {}", v.count, v.name, v.fits ? "fits" : "does not fit"),
        v.per_gpu.empty() ? std::nullopt : std::optional<Bytes>(v.per_gpu.front().bytes));
    if (v.fits_now) row("gpu_now", *v.fits_now ? "fits in free memory" : "not in free memory", std::nullopt);
    row("gpu_needed", v.needed ? fmt::format("{} ({})", *v.needed, layout_text(*v.needed_layout)) : "none",
        std::nullopt);
    for (const auto& u : v.per_gpu)
      row(fmt::format("gpu{}", u.device), fmt::format("{} headroom {}", u.name, u.headroom), u.bytes);
    for (const auto& n : v.notes) row("note", n, std::nullopt);
  }
  for (const auto& p : rep.curve)
    row("context", fmt::format("{} tokens{}", p.seq_len, p.fits ? (*p.fits ? " fits" : " does not fit") : ""), p.bytes);
  for (const auto& n : e.notes) row("note", n, std::nullopt);
  return out;
}

std::string estimate_markdown(const EstimateReport& rep, const RenderOptions& o) {
  const Estimate& e = rep.estimate;
  std::string out = fmt::format("**{}** · {}\n\n", md_field(e.model_name), estimate_heading(e));
  if (e.engine) out += md_field(engine_text(e)) + "\n\n";
  const bool host = e.host_total.count() > 0;
  out += fmt::format("| Component | {}{} | bytes |{}{}\n|---|---:|---:|{}{}\n", host ? "GPU " : "", unit_label(o.units),
                     host ? fmt::format(" host {} |", unit_label(o.units)) : "", o.explain ? " formula |" : "",
                     host ? "---:|" : "", o.explain ? "---|" : "");
  for (const auto& c : e.components)
    out += fmt::format("| {} | {} | {} |{}{}\n", md_field(c.label), format_gib_number(c.bytes, o.units),
                       c.bytes.count(), host ? fmt::format(" {} |", format_gib_number(c.host, o.units)) : "",
                       o.explain ? " " + md_field(c.explanation()) + " |" : "");
  out += fmt::format("| **Total** | **{}** | {} |{}{}\n", format_gib_number(e.total, o.units), e.total.count(),
                     host ? fmt::format(" **{}** |", format_gib_number(e.host_total, o.units)) : "",
                     o.explain ? " |" : "");
  RenderOptions plain = o;
  plain.color = false;
  if (rep.gpu) {
    out += "\n";
    for (const auto& l : verdict_lines(*rep.gpu, plain)) out += "- " + l.substr(l.find_first_not_of(' ')) + "\n";
  }
  if (const auto lines = startup_lines(rep.startup, o.units); !lines.empty()) {
    out += "\n";
    for (const auto& l : lines) out += "- " + md_field(l.substr(l.find_first_not_of(' '))) + "\n";
  }
  if (!e.notes.empty()) out += "\n";
  for (const auto& n : e.notes) out += fmt::format("- note: {}\n", md_field(n));
  if (!rep.curve.empty()) {
    out += fmt::format("\n| context (tokens) | {} per GPU | fits |\n|---:|---:|---|\n", unit_label(o.units));
    for (const auto& p : rep.curve)
      out += fmt::format("| {} | {} | {} |\n", p.seq_len, format_gib_number(p.bytes, o.units),
                         p.fits ? (*p.fits ? "yes" : "no") : "-");
  }
  return out;
}

std::string render_estimate_report(const EstimateReport& rep, const RenderOptions& o) {
  switch (o.format) {
    case Format::json:
      return estimate_json(rep);
    case Format::csv:
      return estimate_csv(rep, o);
    case Format::markdown:
      return estimate_markdown(rep, o);
    case Format::table:
      break;
  }
  return estimate_table(rep, o);
}

// ---------------------------------------------------------------------------------------------
// fit: question → answer rows, rendered by the list printers; JSON as infer's plus the answers.

Listing fit_listing(const FitReport& rep, const RenderOptions& o) {
  const FitQuery& q = rep.query;
  const FitResult& r = rep.result;
  Listing l{"answers", {{"question", "QUESTION", Kind::text}, {"answer", "ANSWER", Kind::text}}, {}};
  auto add = [&](std::string question, std::string answer) {
    l.rows.push_back({Cell(std::move(question)), Cell(std::move(answer))});
  };
  const GpuVerdict& v = r.verdict;
  add(fmt::format("batch {} at seq-len {} on the GPUs given", q.request.batch, q.request.seq_len),
      v.fits ? fmt::format("fits ({})", layout_text(v.layout)) : "does not fit");
  add(fmt::format("longest context at batch {}", q.request.batch),
      r.max_seq_len ? fmt::format("{} tokens{}", r.max_seq_len,
                                  r.max_seq_len_is_model_limit ? " (the model's limit, not memory)" : " (memory)")
                    : std::string("none fits"));
  add(fmt::format("largest batch at seq-len {}", q.request.seq_len),
      r.max_batch ? fmt::format("{}", r.max_batch) : std::string("none fits"));
  if (q.request.mode == Mode::inference)
    add(r.engine_answers ? fmt::format("concurrent {}-token requests ({}'s own pool)", q.request.seq_len,
                                       rep.estimate.engine ? rep.estimate.engine->name : "the engine")
                         : fmt::format("concurrent {}-token requests (KV pool at {:.0f}%)", q.request.seq_len,
                                       q.gpu_memory_utilization * 100),
        fmt::format("{}", r.max_concurrent_requests));
  add(fmt::format("fewest GPUs of {}", format_size(q.gpu.largest(), o.units)),
      r.min_gpus ? fmt::format("{} ({})", *r.min_gpus, layout_text(r.layout))
                 : fmt::format("more than {}", q.limits.max_gpus));
  add("best precision that fits", r.best_precision.empty() ? "none" : r.best_precision);
  const auto offload = [&](const OffloadAnswer& a, const char* what) {
    return fmt::format("{} {}: {} on the GPU, {} in host memory{}", what, a.value, format_size(a.gpu, o.units),
                       format_size(a.host, o.units), a.host_fits ? "" : " (more than the RAM given)");
  };
  if (rep.estimate.engine && rep.estimate.engine->places_layers && q.gpu.count() == 1)
    add("most layers on the GPU (--gpu-layers)",
        r.max_gpu_layers ? offload(*r.max_gpu_layers, "--gpu-layers") : std::string("none fits"));
  if (r.min_cpu_moe_layers)
    add("fewest layers with experts in host memory (--n-cpu-moe)", offload(*r.min_cpu_moe_layers, "--n-cpu-moe"));
  return l;
}

std::string fit_json(const FitReport& rep) {
  const FitQuery& q = rep.query;
  const FitResult& r = rep.result;
  Json j = envelope("fit");
  j["method"] = to_string(rep.estimate.method);
  j["model"] = model_json(rep.estimate);
  j["settings"] = settings_json(rep.estimate);
  j["engine"] = engine_json(rep.estimate);
  j["gpu"] = gpu_json(r.verdict);
  Json a;
  a["fits"] = r.verdict.fits;
  a["max_seq_len"] = r.max_seq_len ? Json(r.max_seq_len) : Json(nullptr);
  a["max_seq_len_limited_by"] = r.max_seq_len ? Json(r.max_seq_len_is_model_limit ? "model" : "memory") : Json(nullptr);
  a["max_batch"] = r.max_batch ? Json(r.max_batch) : Json(nullptr);
  a["max_concurrent_requests"] = r.max_concurrent_requests;
  a["gpu_memory_utilization"] = q.gpu_memory_utilization;
  a["min_gpus"] = r.min_gpus ? Json(*r.min_gpus) : Json(nullptr);
  a["min_gpus_layout"] = r.min_gpus ? layout_json(r.layout) : Json(nullptr);
  a["best_precision"] = r.best_precision.empty() ? Json(nullptr) : Json(r.best_precision);
  a["layouts_searched"] = r.layouts_searched;
  const auto offload_json = [](const std::optional<OffloadAnswer>& answer) {
    if (!answer) return Json(nullptr);
    return Json{{"value", answer->value},
                {"gpu_bytes", answer->gpu.count()},
                {"host_bytes", answer->host.count()},
                {"host_fits", answer->host_fits}};
  };
  a["max_gpu_layers"] = offload_json(r.max_gpu_layers);
  a["min_cpu_moe_layers"] = offload_json(r.min_cpu_moe_layers);
  a["answered_by"] = r.engine_answers && rep.estimate.engine ? Json(rep.estimate.engine->id) : Json("llmmem");
  j["answers"] = a;
  if (!rep.curve.empty()) j["context_curve"] = curve_json(rep.curve);
  j["notes"] = rep.estimate.notes;
  return dump(j);
}

std::string render_fit_report(const FitReport& rep, const RenderOptions& o) {
  if (o.format == Format::json) return fit_json(rep);
  const Listing l = fit_listing(rep, o);
  const GpuVerdict& v = rep.result.verdict;
  RenderOptions plain = o;
  plain.color = o.color && o.format == Format::table;
  if (o.format == Format::csv) {
    std::string out = listing_text(l, o.format, o.units);
    for (const auto& line : verdict_lines(v, RenderOptions{Format::csv, o.units, false, false}))
      out += fmt::format("gpu,{}\n", csv_field(line.substr(line.find_first_not_of(' '))));
    for (const auto& n : rep.estimate.notes) out += fmt::format("note,{}\n", csv_field(n));
    return out;
  }
  std::string title = fmt::format("{} on {} × {} ({}{})", safe(rep.query.model.name), v.count, safe(v.name),
                                  format_size(v.memory_per_gpu, o.units), smallest_or_each(v));
  std::string out = o.format == Format::markdown ? "**" + md_field(title) + "**\n\n" : title + "\n\n";
  out += listing_text(l, o.format, o.units);
  out += "\n";
  for (const auto& line : verdict_lines(v, plain))
    out += o.format == Format::markdown ? "- " + line.substr(line.find_first_not_of(' ')) + "\n" : line + "\n";
  for (const auto& n : rep.estimate.notes)
    out += o.format == Format::markdown ? "- note: " + md_field(n) + "\n" : "note: " + safe(n) + "\n";
  if (!rep.curve.empty() && o.format == Format::table) {
    out += '\n';  // two appends, not "\n" + chart: GCC 12 -O3 -Werror=restrict false positive
    out += render_context_chart(rep.curve, v.memory_per_gpu, o.units);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// inspect

Listing dtype_listing(const Inspection& in) {
  Listing l{"by_dtype",
            {{"dtype", "DTYPE", Kind::text},
             {"tensors", "TENSORS", Kind::count},
             {"elements", "ELEMENTS", Kind::count},
             {"bytes", "SIZE", Kind::bytes}},
            {}};
  if (!in.tensors) return l;
  for (const auto& t : in.tensors->by_dtype())
    l.rows.push_back({Cell(t.dtype), Cell(std::uint64_t(t.tensors)), Cell(t.elements), Cell(t.bytes.count())});
  l.rows.push_back({Cell(std::string("total")), Cell(std::uint64_t(in.tensors->tensors.size())),
                    Cell(in.tensors->total_elements()), Cell(in.tensors->total_bytes().count())});
  return l;
}

// A GGUF repository's quants (inspect org/name on the Hub), smallest first.
Listing quant_listing(const Inspection& in) {
  Listing l{"quants",
            {{"quant", "QUANT", Kind::text}, {"files", "FILES", Kind::count}, {"size_bytes", "SIZE", Kind::bytes}},
            {}};
  const bool judged = !in.judged_on.empty();
  if (judged) {
    l.columns.push_back({"estimate_bytes", "ESTIMATE", Kind::bytes});
    l.columns.push_back({"fits", "FITS", Kind::flag});
    l.columns.push_back({"gpus_needed", "GPUS NEEDED", Kind::count});
  }
  for (const auto& q : in.quants) {
    std::vector<Cell> row{Cell(q.quant), Cell(std::uint64_t(q.files.size())), Cell(q.size.count())};
    if (judged) {
      row.push_back(q.estimate ? Cell(q.estimate->count()) : Cell());
      row.push_back(q.fits ? Cell(*q.fits) : Cell());
      row.push_back(q.gpus_needed ? Cell(*q.gpus_needed) : Cell());
    }
    l.rows.push_back(std::move(row));
  }
  return l;
}

// inspect --gpu: which quant to pick.
std::string best_fit_line(const Inspection& in) {
  return in.best_fit ? fmt::format("best that fits on {}: {}", safe(in.judged_on), safe(*in.best_fit))
                     : fmt::format("no quant fits on {}", safe(in.judged_on));
}

std::string render_inspect_report(const InspectReport& rep, const RenderOptions& o) {
  const Inspection& in = rep.inspection;
  const Listing dtypes = dtype_listing(in);
  const Listing quants = quant_listing(in);
  if (o.format == Format::json) {
    Json j = envelope("inspect");
    j["path"] = in.path;
    j["format"] = in.format;
    if (in.config) {
      const auto& c = *in.config;
      j["architecture"] = {{"model_type", c.model_type},
                           {"layers", c.n_layers},
                           {"hidden_size", c.hidden_size},
                           {"heads", c.n_heads},
                           {"kv_heads", c.n_kv_heads},
                           {"head_dim", c.head_dim},
                           {"vocab_size", c.vocab_size},
                           {"context_length", c.max_position_embeddings},
                           {"sliding_window", c.sliding_window},
                           {"experts", c.moe ? c.moe->n_experts : 0},
                           {"experts_per_token", c.moe ? c.moe->n_experts_per_token : 0}};
    }
    j["config_parameters"] = in.config_parameters ? Json(*in.config_parameters) : Json(nullptr);
    if (in.tensors) {
      j["files"] = in.tensors->files;
      j["tensor_count"] = in.tensors->tensors.size();
      j["total_elements"] = in.tensors->total_elements();
      j["total_bytes"] = in.tensors->total_bytes().count();
      Json rows = listing_json(dtypes);
      rows.erase(rows.size() - 1);  // the total row: the keys above carry it
      j["by_dtype"] = rows;
    }
    if (!in.quants.empty()) j["quants"] = listing_json(quants);
    if (!in.judged_on.empty()) {
      j["judged_on"] = in.judged_on;
      j["best_fit"] = in.best_fit ? Json(*in.best_fit) : Json(nullptr);
    }
    return dump(j);
  }
  // CSV holds one table: a GGUF repository's quants (what inspect of one answers), else the dtypes.
  if (o.format == Format::csv) return listing_text(in.quants.empty() ? dtypes : quants, Format::csv, o.units);
  std::string summary = fmt::format("{} ({})\n", safe(in.path), safe(in.format));
  if (in.config) {
    const auto& c = *in.config;
    summary += fmt::format(
        "architecture {} · {} layers · hidden {} · {} heads ({} KV, head_dim {}) · vocab {} · context {}{}\n",
        safe(c.model_type), c.n_layers, c.hidden_size, c.n_heads, c.n_kv_heads, c.head_dim, c.vocab_size,
        c.max_position_embeddings,
        c.moe ? fmt::format(" · {} experts, {} per token", c.moe->n_experts, c.moe->n_experts_per_token) : "");
  }
  if (in.config_parameters) summary += fmt::format("parameters from config: {}\n", *in.config_parameters);
  if (in.tensors)
    summary += fmt::format("{} tensors in {} file(s)\n", in.tensors->tensors.size(), in.tensors->files.size());
  if (o.format == Format::markdown) {
    std::string out;
    std::string_view rest = summary;
    while (!rest.empty()) {
      const auto nl = rest.find('\n');
      out += "- " + md_field(rest.substr(0, nl)) + "\n";
      rest = rest.substr(nl + 1);
    }
    if (in.tensors) out += "\n" + listing_text(dtypes, Format::markdown, o.units);
    if (!in.quants.empty()) out += "\n" + listing_text(quants, Format::markdown, o.units);
    if (!in.judged_on.empty()) out += fmt::format("\n- {}\n", md_field(best_fit_line(in)));
    return out;
  }
  std::string out = in.tensors ? summary + "\n" + listing_text(dtypes, Format::table, o.units) : summary;
  if (!in.quants.empty()) out += "\nquants in the repository:\n" + listing_text(quants, Format::table, o.units);
  if (!in.judged_on.empty()) out += best_fit_line(in) + "\n";
  return out;
}

// ---------------------------------------------------------------------------------------------
// models, precisions, gpus

Listing models_listing(const ModelsReport& rep) {
  Listing l{"models",
            {{"name", "NAME", Kind::text},
             {"hf_id", "HF ID", Kind::text},
             {"parameters", "PARAMS", Kind::count},
             {"active_parameters", "ACTIVE", Kind::count},
             {"architecture", "ARCHITECTURE", Kind::text},
             {"family", "FAMILY", Kind::text},
             {"supported", "SUPPORTED", Kind::flag},
             {"description", "DESCRIPTION", Kind::text}},
            {}};
  for (const auto& m : rep.models) {
    auto opt = [](const std::optional<std::uint64_t>& v) { return v ? Cell(*v) : Cell(); };
    l.rows.push_back({Cell(m.name), m.hf_id.empty() ? Cell() : Cell(m.hf_id), opt(m.parameters),
                      opt(m.active_parameters), Cell(m.architecture), m.family.empty() ? Cell() : Cell(m.family),
                      Cell(m.supported), Cell(m.description)});
  }
  return l;
}

Listing local_models_listing(const LocalModelsReport& rep) {
  Listing l{"local_models",
            {{"store", "STORE", Kind::text},
             {"name", "NAME", Kind::text},
             {"bytes", "SIZE", Kind::bytes},
             {"file", "FILE", Kind::text}},
            {}};
  for (const auto& m : rep.models)
    l.rows.push_back({Cell(m.store), Cell(m.name), m.bytes ? Cell(*m.bytes) : Cell(), Cell(m.file)});
  return l;
}

Listing precisions_listing() {
  Listing l{"precisions",
            {{"name", "NAME", Kind::text},
             {"kind", "KIND", Kind::text},
             {"bits_per_value", "BITS", Kind::number},
             {"quality_rank", "RANK", Kind::count},
             {"description", "DESCRIPTION", Kind::text},
             {"source", "SOURCE", Kind::text}},
            {}};
  for (const auto& p : all_precisions())
    l.rows.push_back({Cell(std::string(p.name)), Cell(std::string("weights")), Cell(p.linear.bits_per_value()),
                      p.quality_rank ? Cell(std::uint64_t{p.quality_rank}) : Cell(), Cell(std::string(p.description)),
                      Cell(std::string(p.source))});
  for (const auto& f : all_kv_formats())
    l.rows.push_back({Cell(std::string(f.name)), Cell(std::string("kv-cache")), Cell(f.bits_per_value()), Cell(),
                      Cell(std::string("KV-cache storage (--kv-precision)")), Cell()});
  return l;
}

Listing gpus_listing(const GpusReport& rep) {
  Listing l{"gpus",
            {{"id", "ID", Kind::text},
             {"name", "NAME", Kind::text},
             {"vendor", "VENDOR", Kind::text},
             {"memory_bytes", "MEMORY", Kind::bytes},
             {"marketing", "ADVERTISED", Kind::text}},
            {}};
  for (const auto& g : rep.gpus)
    l.rows.push_back({Cell(std::string(g.id)), Cell(std::string(g.name)), Cell(std::string(g.vendor)),
                      Cell(g.memory.count()), Cell(std::string(g.marketing))});
  return l;
}

Listing local_gpus_listing(const LocalGpusReport& rep) {
  Listing l{"gpus",
            {{"index", "INDEX", Kind::count},
             {"name", "NAME", Kind::text},
             {"total_bytes", "TOTAL", Kind::bytes},
             {"used_bytes", "USED", Kind::bytes},
             {"free_bytes", "FREE", Kind::bytes}},
            {}};
  for (const auto& g : rep.gpus)
    l.rows.push_back({Cell(g.index), Cell(g.name), Cell(g.total.count()), Cell(g.used.count()), Cell(g.free.count())});
  return l;
}

std::string render_listing(std::string_view command, const Listing& l, const RenderOptions& o) {
  if (o.format == Format::json) {
    Json j = envelope(command);
    j[std::string(l.json_key)] = listing_json(l);
    return dump(j);
  }
  return listing_text(l, o.format, o.units);
}

}  // namespace

Format parse_format(std::string_view name) {
  const std::string key = text::lower(name);
  if (key == "table") return Format::table;
  if (key == "json") return Format::json;
  if (key == "csv") return Format::csv;
  if (key == "markdown" || key == "md") return Format::markdown;
  throw UsageError(fmt::format("unknown format '{}' (valid: table, json, csv, markdown)", escape_control(name)));
}

ModelsReport models_report(const Catalog& catalog) {
  ModelsReport rep;
  for (const auto& item : catalog.items()) {
    ModelRow row{item.alias, item.hf_id, "", "", item.description, std::nullopt, std::nullopt, true};
    try {
      const Model m = catalog.load(item);
      row.architecture = m.config.model_type;
      row.family = architecture_family(m.config);
      row.supported = m.params.has_value();
      if (m.params) {
        row.parameters = m.params->total;
        row.active_parameters = m.params->active;
      }
    } catch (const Error& e) {
      row.architecture = "error";
      row.supported = false;
      row.description = e.what();
    }
    rep.models.push_back(std::move(row));
  }
  return rep;
}

std::string render(const Report& report, const RenderOptions& o) {
  struct Visitor {
    const RenderOptions& o;
    std::string operator()(const EstimateReport& r) const { return render_estimate_report(r, o); }
    std::string operator()(const FitReport& r) const { return render_fit_report(r, o); }
    std::string operator()(const InspectReport& r) const { return render_inspect_report(r, o); }
    std::string operator()(const ModelsReport& r) const { return render_listing("models", models_listing(r), o); }
    std::string operator()(const PrecisionsReport&) const {
      std::string out = render_listing("precisions", precisions_listing(), o);
      if (o.format == Format::table)
        out +=
            "\nBits are for the quantized linear layers; embeddings, LM head and norms stay as the engine keeps "
            "them.\n";
      return out;
    }
    std::string operator()(const GpusReport& r) const { return render_listing("gpus", gpus_listing(r), o); }
    std::string operator()(const LocalGpusReport& r) const { return render_listing("gpus", local_gpus_listing(r), o); }
    std::string operator()(const LocalModelsReport& r) const {
      return render_listing("models", local_models_listing(r), o);
    }
  };
  return std::visit(Visitor{o}, report);
}

std::string render_context_chart(const std::vector<ContextPoint>& points, std::optional<Bytes> capacity, Units units) {
  constexpr std::size_t k_width = 50;
  Bytes top = capacity.value_or(Bytes(1));
  for (const auto& p : points) top = std::max(top, p.bytes);
  auto column = [&](Bytes b) {
    return static_cast<std::size_t>(static_cast<long double>(b.count()) / static_cast<long double>(top.count()) *
                                    k_width);
  };
  const std::size_t cap_col = capacity ? std::min(column(*capacity), k_width) : k_width + 1;
  std::string out = fmt::format("memory vs context length{}\n",
                                capacity ? fmt::format(" (| = {} per GPU)", format_size(*capacity, units)) : "");
  for (const auto& p : points) {
    std::string bar;
    const std::size_t n = std::min(column(p.bytes), k_width);
    for (std::size_t i = 0; i <= k_width; ++i) bar += i == cap_col ? '|' : (i < n ? '#' : ' ');
    out += fmt::format("{:>9} {} {}{}\n", p.seq_len, bar, format_size(p.bytes, units),
                       p.fits && !*p.fits ? " — does not fit" : "");
  }
  return out;
}

std::string render_context_csv(const std::vector<ContextPoint>& points, std::optional<Bytes> capacity) {
  std::string out = "seq_len,total_bytes,capacity_bytes,fits\n";
  for (const auto& p : points)
    out +=
        fmt::format("{},{},{},{}\n", p.seq_len, p.bytes.count(), capacity ? fmt::format("{}", capacity->count()) : "",
                    p.fits ? (*p.fits ? "true" : "false") : "");
  return out;
}

std::string escape_control(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    if (c < 0x20 || c == 0x7f) {
      if (c == '\n' && keep_newlines)
        out += '\n';
      else
        out += fmt::format("\\x{:02x}", c);
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // A well-formed UTF-8 sequence (RFC 3629) passes, except the C1 controls U+0080..U+009F.
    std::size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
    bool ok = len > 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) ok = (s[i + k] & 0xc0) == 0x80;
    if (ok && len == 3 && ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed && s[i + 1] >= 0xa0))) ok = false;
    if (ok && len == 4 && ((c == 0xf0 && s[i + 1] < 0x90) || (c == 0xf4 && s[i + 1] >= 0x90))) ok = false;
    if (!ok) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
      continue;
    }
    if (len == 2 && c == 0xc2 && s[i + 1] < 0xa0) {
      out += fmt::format("\\u{:04x}", s[i + 1]);
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

}  // namespace llmmem
