#include "request_builder.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "llmmem/error.hpp"
#include "llmmem/fit.hpp"
#include "llmmem/render.hpp"

namespace llmmem::cli {

namespace {

std::uint64_t parse_u64(const std::string& text, std::string_view flag) {
  try {
    return parse_count(text);
  } catch (const UsageError&) {
    throw UsageError(fmt::format("{} expects a whole number, got '{}'", flag, text));
  }
}

double parse_double(const std::string& text, std::string_view flag) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
    throw UsageError(fmt::format("{} expects a number, got '{}'", flag, text));
  return v;
}

}  // namespace

std::uint64_t parse_positive(const std::string& text, std::string_view flag) {
  const std::uint64_t v = parse_u64(text, flag);
  if (v == 0) throw UsageError(fmt::format("{} must be at least 1, got '{}'", flag, text));
  return v;
}

double parse_fraction(const std::string& text, std::string_view flag) {
  const double v = parse_double(text, flag);
  if (v <= 0 || v > 1) throw UsageError(fmt::format("{} must be in (0, 1], got '{}'", flag, text));
  return v;
}

Request build_request(const Options& o) {
  Request r;
  r.mode = o.command == "train" ? Mode::training : Mode::inference;
  r.method = parse_method(o.method);
  if (!o.precision.empty()) r.precision = &find_precision(o.precision);
  if (!o.kv_precision.empty()) r.kv_format = &find_kv_format(o.kv_precision);
  r.batch = parse_positive(o.batch, "--batch");
  r.seq_len = parse_positive(o.seq_len, "--seq-len");
  r.concurrency = parse_positive(o.concurrency, "--concurrency");
  if (!o.params.empty()) {
    r.params_override = parse_count(o.params);
    if (*r.params_override == 0) throw UsageError("--params must be positive");
  }
  r.attention = parse_attention(o.attention);
  r.logits = parse_logits(o.logits);
  r.prefill_chunk = parse_u64(o.prefill_chunk, "--prefill-chunk");
  if (!o.overhead.empty()) r.overhead = parse_size(o.overhead);
  r.optimizer = parse_optimizer(o.optimizer);
  r.trainable_percent = parse_double(o.trainable_percent, "--trainable-percent");
  r.recipe = parse_recipe(o.recipe);
  r.checkpointing = parse_checkpointing(o.checkpointing);
  r.loss = parse_loss(o.loss);
  r.lora_rank = parse_u64(o.lora_rank, "--lora-rank");
  r.lora_targets = o.lora_targets;
  r.layout.tp = parse_positive(o.tp, "--tp");
  r.layout.pp = parse_positive(o.pp, "--pp");
  r.layout.dp = parse_positive(o.dp, "--dp");
  r.layout.ep = parse_positive(o.ep, "--ep");
  const std::uint64_t zero = parse_u64(o.zero, "--zero");
  if (zero > 3) throw UsageError(fmt::format("--zero must be 0, 1, 2 or 3, got '{}'", o.zero));
  r.layout.zero = o.fsdp ? 3 : static_cast<int>(zero);
  for (const auto& what : o.offload) {
    if (what == "optimizer")
      r.layout.offload_optimizer = true;
    else if (what == "params")
      r.layout.offload_params = true;
    else
      throw UsageError(fmt::format("--offload takes optimizer and/or params, not '{}'", what));
  }
  validate(r);
  return r;
}

std::vector<std::filesystem::path> models_dirs(const Options& o) {
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("LLMMEM_MODELS_DIR"); env && *env) {
    std::string_view rest = env;
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      if (colon != 0) dirs.emplace_back(std::string(rest.substr(0, colon)));
      rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    }
  }
  for (const auto& d : o.models_dirs) dirs.emplace_back(d);
  return dirs;
}

std::string context_curve(const Model& model, const Request& request, const std::optional<GpuTarget>& target,
                          const Options& o, Units units) {
  if (!o.plot && o.plot_csv.empty()) return "";
  const auto points = memory_by_context(model, request, target);
  const std::optional<Bytes> capacity = target ? std::optional<Bytes>(target->memory) : std::nullopt;
  if (!o.plot_csv.empty()) {
    std::ofstream csv(o.plot_csv);
    if (!csv) throw InputError(fmt::format("{}: cannot write", o.plot_csv));
    csv << render_context_csv(points, capacity);
  }
  if (!o.plot) return "";
  std::string chart(1, '\n');
  chart += render_context_chart(points, capacity, units);
  return chart;
}

}  // namespace llmmem::cli
