#include "llmmem/render.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "llmmem/error.hpp"
#include "text.hpp"

namespace llmmem {

namespace {

using Json = nlohmann::ordered_json;

std::string unit_label(Units u) { return u == Units::binary ? "GiB" : "GB"; }

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

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

Json layout_json(const Layout& l) {
  return Json{{"tp", l.tp}, {"pp", l.pp}, {"dp", l.dp}, {"ep", l.ep}, {"zero", l.zero}};
}

Json settings_json(const Estimate& e) {
  const Request& r = e.request;
  Json s;
  s["precision"] = e.precision;
  s["kv_precision"] = e.kv_precision;
  s["batch"] = r.batch;
  s["seq_len"] = r.seq_len;
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
    s["trainable_percent"] = r.trainable_percent;
    if (e.method == Method::detailed) {
      s["recipe"] = to_string(r.recipe);
      s["gradient_checkpointing"] = to_string(r.checkpointing);
      s["loss"] = to_string(r.loss);
      s["lora_rank"] = r.lora_rank;
      if (r.lora_rank > 0)
        s["lora_targets"] = r.lora_targets.empty() ? std::vector<std::string>{"q", "k", "v", "o"} : r.lora_targets;
    }
  }
  if (e.method == Method::detailed) s["layout"] = layout_json(r.layout);
  return s;
}

Json gpu_json(const GpuVerdict& v) {
  Json g;
  g["name"] = v.name;
  g["memory_bytes"] = v.memory_per_gpu.count();
  g["count"] = v.count;
  g["needed"] = v.needed;
  g["fits"] = v.fits;
  if (v.fits_now) g["fits_now"] = *v.fits_now;
  g["layout"] = layout_json(v.layout);
  Json per = Json::array();
  for (const auto& u : v.per_gpu)
    per.push_back({{"bytes", u.bytes.count()},
                   {"capacity_bytes", u.capacity.count()},
                   {"free_bytes", u.free_bytes.count()},
                   {"fits", u.fits}});
  g["per_gpu"] = per;
  return g;
}

std::string estimate_json(const Estimate& e, const std::optional<GpuVerdict>& gpu) {
  Json j;
  j["schema_version"] = k_schema_version;
  j["command"] = to_string(e.mode);
  j["method"] = to_string(e.method);
  Json m;
  m["name"] = e.model_name;
  m["hf_id"] = e.hf_id ? Json(*e.hf_id) : Json(nullptr);
  m["model_type"] = e.model_type;
  m["parameters"] = e.parameters;
  m["active_parameters"] = e.active_parameters;
  if (e.mode == Mode::training) m["trainable_parameters"] = e.trainable_parameters;
  j["model"] = m;
  j["settings"] = settings_json(e);
  Json comps = Json::array();
  for (const auto& c : e.components) {
    Json inputs = Json::object();
    for (const auto& in : c.inputs) inputs[in.name] = input_json(in.value);
    comps.push_back({{"id", c.id},
                     {"label", c.label},
                     {"bytes", c.bytes.count()},
                     {"formula", c.explanation()},
                     {"inputs", inputs}});
  }
  j["components"] = comps;
  j["total_bytes"] = e.total.count();
  if (gpu) j["gpu"] = gpu_json(*gpu);
  j["notes"] = e.notes;
  return j.dump(2) + "\n";
}

std::string verdict_line(const GpuVerdict& v, const RenderOptions& o) {
  const std::string per = v.per_gpu.empty() ? "" : format_size(v.per_gpu.front().bytes, o.units);
  std::string line =
      fmt::format("GPU: {} × {} ({} each); {} needed", v.count, v.name, format_size(v.memory_per_gpu, o.units),
                  v.needed ? fmt::format("{}", v.needed) : std::string("more than 64"));
  line += fmt::format("; layout tp={} pp={} dp={}; {} per GPU", v.layout.tp, v.layout.pp, v.layout.dp, per);
  line += v.fits ? paint(o, "32", " — fits") : paint(o, "31", " — does not fit");
  if (v.fits_now) {
    line += *v.fits_now ? " (fits in free memory now)" : " (not in the memory free now)";
    // Local GPUs differ in what is free: show each one's headroom.
    for (std::size_t i = 0; i < v.per_gpu.size(); ++i)
      line += fmt::format("\n  GPU {}: needs {}, {} left after it", i, format_size(v.per_gpu[i].bytes, o.units),
                          format_size(v.per_gpu[i].free_bytes, o.units));
  }
  return line;
}

std::string estimate_table(const Estimate& e, const std::optional<GpuVerdict>& gpu, const RenderOptions& o) {
  std::string out;
  out += fmt::format("{}{}\n", paint(o, "1", e.model_name), e.hf_id ? fmt::format(" ({})", *e.hf_id) : "");
  std::string params = fmt::format("{} parameters", human_count(e.parameters));
  if (e.active_parameters != e.parameters) params += fmt::format(" ({} active)", human_count(e.active_parameters));
  out += fmt::format("{} · {} · precision {} · batch {} · seq-len {} · method {}\n", params,
                     e.mode == Mode::inference ? "inference" : "training", e.precision, e.request.batch,
                     e.request.seq_len, to_string(e.method));
  if (e.mode == Mode::training)
    out += fmt::format("trainable {} · optimizer {}{}\n", human_count(e.trainable_parameters),
                       to_string(e.request.optimizer),
                       e.method == Method::detailed ? fmt::format(" · recipe {}", to_string(e.request.recipe)) : "");
  out += "\n";
  std::size_t width = 5;
  for (const auto& c : e.components) width = std::max(width, c.label.size());
  const std::string unit = unit_label(o.units);
  out += fmt::format("  {:<{}}  {:>10}\n", "Component", width, unit);
  for (const auto& c : e.components) {
    out += fmt::format("  {:<{}}  {:>10}\n", c.label, width, format_gib_number(c.bytes, o.units));
    if (o.explain) {
      out += fmt::format("      = {}\n", c.explanation());
      std::string ins;
      for (const auto& in : c.inputs)
        ins += fmt::format("{}{}={}", ins.empty() ? "" : ", ", in.name, input_value(in.value));
      if (!ins.empty()) out += fmt::format("      with {}\n", ins);
      out += fmt::format("      = {} bytes\n", c.bytes.count());
    }
  }
  out += fmt::format("  {}\n", std::string(width + 12, '-'));
  out += paint(o, "1", fmt::format("  {:<{}}  {:>10}", "Total", width, format_gib_number(e.total, o.units))) +
         fmt::format(" {}\n", unit);
  if (gpu) out += "\n" + verdict_line(*gpu, o) + "\n";
  for (const auto& n : e.notes) out += fmt::format("note: {}\n", n);
  return out;
}

std::string estimate_csv(const Estimate& e, const RenderOptions& o) {
  std::string out = fmt::format("id,label,bytes,{}\n", o.units == Units::binary ? "gib" : "gb");
  for (const auto& c : e.components)
    out += fmt::format("{},{},{},{}\n", c.id, csv_field(c.label), c.bytes.count(), format_gib_number(c.bytes, o.units));
  out += fmt::format("total,Total,{},{}\n", e.total.count(), format_gib_number(e.total, o.units));
  return out;
}

std::string estimate_markdown(const Estimate& e, const std::optional<GpuVerdict>& gpu, const RenderOptions& o) {
  std::string out = fmt::format("**{}** · {} · precision {} · batch {} · seq-len {} · method {}\n\n", e.model_name,
                                e.mode == Mode::inference ? "inference" : "training", e.precision, e.request.batch,
                                e.request.seq_len, to_string(e.method));
  out += fmt::format("| Component | {} | bytes |\n|---|---:|---:|\n", unit_label(o.units));
  for (const auto& c : e.components)
    out += fmt::format("| {} | {} | {} |\n", c.label, format_gib_number(c.bytes, o.units), c.bytes.count());
  out += fmt::format("| **Total** | **{}** | {} |\n", format_gib_number(e.total, o.units), e.total.count());
  if (gpu) out += "\n" + verdict_line(*gpu, RenderOptions{Format::markdown, o.units, false, false}) + "\n";
  return out;
}

}  // namespace

Format parse_format(std::string_view name) {
  const std::string key = text::lower(name);
  if (key == "table") return Format::table;
  if (key == "json") return Format::json;
  if (key == "csv") return Format::csv;
  if (key == "markdown" || key == "md") return Format::markdown;
  throw UsageError(fmt::format("unknown format '{}' (valid: table, json, csv, markdown)", name));
}

std::string render_estimate(const Estimate& e, const std::optional<GpuVerdict>& gpu, const RenderOptions& o) {
  switch (o.format) {
    case Format::json:
      return estimate_json(e, gpu);
    case Format::csv:
      return estimate_csv(e, o);
    case Format::markdown:
      return estimate_markdown(e, gpu, o);
    case Format::table:
      break;
  }
  return estimate_table(e, gpu, o);
}

std::string render_fit(const FitQuery& q, const FitResult& r, const RenderOptions& o) {
  if (o.format == Format::json) {
    Json j;
    j["schema_version"] = k_schema_version;
    j["model"] = q.model.name;
    j["gpu"] = {{"name", q.gpu.name}, {"memory_bytes", q.gpu.memory.count()}, {"count", q.gpu.count.value_or(1)}};
    j["batch"] = q.request.batch;
    j["seq_len"] = q.request.seq_len;
    j["max_seq_len"] = r.max_seq_len;
    j["max_batch"] = r.max_batch;
    j["max_concurrent_requests"] = r.max_concurrent_requests;
    j["min_gpus"] = r.min_gpus;
    j["layout"] = layout_json(r.layout);
    j["best_precision"] = r.best_precision.empty() ? Json(nullptr) : Json(r.best_precision);
    j["layouts_searched"] = r.layouts_searched;
    return j.dump(2) + "\n";
  }
  const std::uint64_t n = q.gpu.count.value_or(1);
  std::string out =
      fmt::format("{} on {} × {} ({} each)\n\n", q.model.name, n, q.gpu.name, format_size(q.gpu.memory, o.units));
  auto row = [&](const std::string& label, const std::string& value) {
    out += fmt::format("  {:<50} {}\n", label + ":", value);
  };
  row(fmt::format("longest context at batch {}", q.request.batch),
      r.max_seq_len ? fmt::format("{} tokens", r.max_seq_len) : std::string("none fits"));
  row(fmt::format("largest batch at seq-len {}", q.request.seq_len),
      r.max_batch ? fmt::format("{}", r.max_batch) : std::string("none fits"));
  row(fmt::format("concurrent {}-token requests (KV pool at {:.0f}%)", q.request.seq_len,
                  q.gpu_memory_utilization * 100),
      fmt::format("{}", r.max_concurrent_requests));
  row("fewest GPUs", r.min_gpus ? fmt::format("{} (tp={} pp={})", r.min_gpus, r.layout.tp, r.layout.pp)
                                : fmt::format("more than {}", q.max_gpus));
  row("best precision that fits", r.best_precision.empty() ? "none" : r.best_precision);
  return out;
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
    out += fmt::format("{:>9} {} {}\n", p.seq_len, bar, format_size(p.bytes, units));
  }
  return out;
}

std::string render_context_csv(const std::vector<ContextPoint>& points, std::optional<Bytes> capacity) {
  std::string out = "seq_len,total_bytes,capacity_bytes\n";
  for (const auto& p : points)
    out += fmt::format("{},{},{}\n", p.seq_len, p.bytes.count(), capacity ? fmt::format("{}", capacity->count()) : "");
  return out;
}

std::string render_inspection(const Inspection& in, const RenderOptions& o) {
  const auto totals = in.tensors ? in.tensors->by_dtype() : std::vector<DtypeTotal>{};
  if (o.format == Format::json) {
    Json j;
    j["schema_version"] = k_schema_version;
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
    if (in.config_parameters) j["config_parameters"] = *in.config_parameters;
    if (in.tensors) {
      j["files"] = in.tensors->files;
      j["tensor_count"] = in.tensors->tensors.size();
      j["total_elements"] = in.tensors->total_elements();
      j["total_bytes"] = in.tensors->total_bytes().count();
      Json d = Json::array();
      for (const auto& t : totals)
        d.push_back({{"dtype", t.dtype}, {"tensors", t.tensors}, {"elements", t.elements}, {"bytes", t.bytes.count()}});
      j["by_dtype"] = d;
    }
    return j.dump(2) + "\n";
  }
  std::string out = fmt::format("{} ({})\n", in.path, in.format);
  if (in.config) {
    const auto& c = *in.config;
    out += fmt::format(
        "architecture {} · {} layers · hidden {} · {} heads ({} KV, head_dim {}) · vocab {} · context {}{}\n",
        c.model_type, c.n_layers, c.hidden_size, c.n_heads, c.n_kv_heads, c.head_dim, c.vocab_size,
        c.max_position_embeddings,
        c.moe ? fmt::format(" · {} experts, {} per token", c.moe->n_experts, c.moe->n_experts_per_token) : "");
  }
  if (in.config_parameters) out += fmt::format("parameters from config: {}\n", *in.config_parameters);
  if (in.tensors) {
    out += fmt::format("{} tensors in {} file(s)\n\n", in.tensors->tensors.size(), in.tensors->files.size());
    out += fmt::format("  {:<10} {:>8} {:>16} {:>12}\n", "DTYPE", "TENSORS", "ELEMENTS", unit_label(o.units));
    for (const auto& t : totals)
      out += fmt::format("  {:<10} {:>8} {:>16} {:>12}\n", t.dtype, t.tensors, t.elements,
                         format_gib_number(t.bytes, o.units));
    out += fmt::format("  {:<10} {:>8} {:>16} {:>12}\n", "total", in.tensors->tensors.size(),
                       in.tensors->total_elements(), format_gib_number(in.tensors->total_bytes(), o.units));
  }
  return out;
}

std::string render_models(const Catalog& catalog, const RenderOptions& o) {
  struct Row {
    std::string name, hf_id, type, description;
    std::uint64_t params = 0, active = 0;
    bool supported = true;
  };
  std::vector<Row> rows;
  for (const auto& item : catalog.items()) {
    Row row{item.alias, item.hf_id, "", item.description};
    try {
      const Model m = catalog.load(item);
      row.type = m.config.model_type;
      row.supported = m.params.has_value();
      if (m.params) {
        row.params = m.params->total;
        row.active = m.params->active;
      }
    } catch (const Error& e) {
      row.type = "error";
      row.supported = false;
      row.description = e.what();
    }
    rows.push_back(row);
  }
  if (o.format == Format::json) {
    Json models = Json::array();
    for (const auto& r : rows)
      models.push_back({{"name", r.name},
                        {"hf_id", r.hf_id.empty() ? Json(nullptr) : Json(r.hf_id)},
                        {"parameters", r.supported ? Json(r.params) : Json(nullptr)},
                        {"active_parameters", r.supported ? Json(r.active) : Json(nullptr)},
                        {"architecture", r.type},
                        {"supported", r.supported},
                        {"description", r.description}});
    return Json{{"schema_version", k_schema_version}, {"models", models}}.dump(2) + "\n";
  }
  std::string out;
  if (o.format == Format::csv) {
    out = "name,hf_id,parameters,active_parameters,architecture,supported\n";
    for (const auto& r : rows)
      out += fmt::format("{},{},{},{},{},{}\n", r.name, r.hf_id, r.params, r.active, r.type, r.supported);
    return out;
  }
  out = fmt::format("{:<20} {:<42} {:>10} {:>10}  {}\n", "NAME", "HF ID", "PARAMS", "ACTIVE", "ARCHITECTURE");
  for (const auto& r : rows)
    out +=
        fmt::format("{:<20} {:<42} {:>10} {:>10}  {}{}\n", r.name, r.hf_id, r.supported ? human_count(r.params) : "-",
                    r.supported ? human_count(r.active) : "-", r.type, r.supported ? "" : " (not supported yet)");
  return out;
}

std::string render_precisions(const RenderOptions& o) {
  if (o.format == Format::json) {
    Json list = Json::array();
    for (const auto& p : all_precisions())
      list.push_back({{"name", p.name},
                      {"bits_per_weight", p.linear.bits_per_value()},
                      {"description", p.description},
                      {"source", p.source}});
    Json kv = Json::array();
    for (const auto& f : all_kv_formats()) kv.push_back({{"name", f.name}, {"bits_per_value", f.bits_per_value()}});
    return Json{{"schema_version", k_schema_version}, {"precisions", list}, {"kv_precisions", kv}}.dump(2) + "\n";
  }
  std::string out = fmt::format("{:<10} {:>6}  {:<58} {}\n", "NAME", "BITS", "DESCRIPTION", "SOURCE");
  for (const auto& p : all_precisions())
    out += fmt::format("{:<10} {:>6.3f}  {:<58} {}\n", p.name, p.linear.bits_per_value(), p.description, p.source);
  out += "\nKV-cache precisions (--kv-precision):";
  for (const auto& f : all_kv_formats()) out += fmt::format(" {} ({:.2f} bits)", f.name, f.bits_per_value());
  out += "\nBits are for the quantized linear layers; embeddings, LM head and norms stay as the engine keeps them.\n";
  return out;
}

std::string render_gpus(const std::vector<GpuSpec>& gpus, const RenderOptions& o) {
  if (o.format == Format::json) {
    Json list = Json::array();
    for (const auto& g : gpus)
      list.push_back({{"id", g.id},
                      {"name", g.name},
                      {"vendor", g.vendor},
                      {"memory_bytes", g.memory.count()},
                      {"marketing", g.marketing}});
    return Json{{"schema_version", k_schema_version}, {"gpus", list}}.dump(2) + "\n";
  }
  std::string out = fmt::format("{:<16} {:<44} {:>10}  {}\n", "ID", "NAME", unit_label(o.units), "ADVERTISED");
  for (const auto& g : gpus)
    out += fmt::format("{:<16} {:<44} {:>10}  {}\n", g.id, g.name, format_gib_number(g.memory, o.units), g.marketing);
  return out;
}

std::string render_local_gpus(const std::vector<LocalGpu>& gpus, const RenderOptions& o) {
  if (o.format == Format::json) {
    Json list = Json::array();
    for (const auto& g : gpus)
      list.push_back({{"index", g.index},
                      {"name", g.name},
                      {"total_bytes", g.total.count()},
                      {"used_bytes", g.used.count()},
                      {"free_bytes", g.free.count()}});
    return Json{{"schema_version", k_schema_version}, {"gpus", list}}.dump(2) + "\n";
  }
  std::string out = fmt::format("{:<5} {:<36} {:>10} {:>10} {:>10}\n", "INDEX", "NAME", "TOTAL", "USED", "FREE");
  for (const auto& g : gpus)
    out += fmt::format("{:<5} {:<36} {:>10} {:>10} {:>10}\n", g.index, g.name, format_size(g.total, o.units),
                       format_size(g.used, o.units), format_size(g.free, o.units));
  return out;
}

}  // namespace llmmem
