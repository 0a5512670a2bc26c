#include "llmmem/estimate.hpp"

#include <fmt/format.h>

#include "llmmem/error.hpp"

namespace llmmem {

Model make_model(std::string name, std::optional<std::string> hf_id, ModelConfig config) {
  Model m{std::move(name), std::move(hf_id), std::move(config), std::nullopt, std::nullopt, nullptr, {}, {}};
  if (m.config.supported) m.params = count_parameters(m.config);
  return m;
}

const Component* Estimate::find(std::string_view id) const {
  for (const auto& c : components)
    if (c.id == id) return &c;
  return nullptr;
}

std::optional<std::string> layout_problem(const Model& model, const Layout& l) {
  const auto& c = model.config;
  if (l.tp > 1) {
    // Megatron-LM / vLLM shard attention by whole heads: tp must divide the query heads, and KV heads
    // are either split (tp divides them) or replicated (tp a multiple of them).
    if (c.n_heads % l.tp != 0)
      return fmt::format("--tp {} does not divide the {} attention heads of {}", l.tp, c.n_heads, model.name);
    if (!c.mla && c.n_kv_heads % l.tp != 0 && l.tp % c.n_kv_heads != 0)
      return fmt::format("--tp {} neither divides nor is a multiple of the {} KV heads of {}", l.tp, c.n_kv_heads,
                         model.name);
  }
  if (l.pp > c.n_layers) return fmt::format("--pp {} is larger than the {} layers of {}", l.pp, c.n_layers, model.name);
  if (l.ep > 1) {
    if (!c.moe) return fmt::format("--ep needs a mixture-of-experts model; {} is dense", model.name);
    if (c.moe->n_experts % l.ep != 0)
      return fmt::format("--ep {} does not divide the {} experts of {}", l.ep, c.moe->n_experts, model.name);
    if (l.ep > l.tp * l.dp) return fmt::format("--ep {} is larger than tp × dp = {}", l.ep, l.tp * l.dp);
  }
  return std::nullopt;
}

void validate_layout(const Model& model, const Layout& l) {
  if (auto problem = layout_problem(model, l)) throw UsageError(*problem);
}

Estimate estimate(const Model& model, const Request& request) {
  validate(request);
  // An encoder's learned position table has no row past its last: BertEmbeddings indexes
  // position_embeddings by position id, and a longer input fails there (RoBERTa's ids start at
  // pad_token_id + 1, see read_roberta). Decoders, and encoders with rotary positions (ModernBERT: no
  // table), only get a note below; this is refused.
  if (const std::uint64_t limit = model.config.max_position_embeddings;
      model.config.encoder && model.config.learned_positions > 0 && limit > 0 && request.seq_len > limit)
    throw UsageError(
        fmt::format("seq-len {} is beyond {}'s {} positions: an encoder's learned position embeddings "
                    "hold no more tokens per sequence (--seq-len {} at most)",
                    request.seq_len, model.name, limit, limit));
  // Encoder-decoders: --target-len is the decoder's length; BART's learned position tables (one per stack,
  // max_position_embeddings + 2 rows with the offset of 2) hold no more than max_position_embeddings tokens on
  // either side. T5's relative buckets have no table.
  if (request.target_len > 0 && !model.config.is_encoder_decoder())
    throw UsageError(fmt::format("--target-len applies to encoder-decoder models (t5, mt5, bart); {} is {}", model.name,
                                 model.config.model_type));
  if (const std::uint64_t limit = model.config.max_position_embeddings;
      model.config.is_encoder_decoder() && model.config.learned_positions > 0 && limit > 0 &&
      std::max(request.seq_len, request.decoder_tokens()) > limit)
    throw UsageError(
        fmt::format("{} input and {} target tokens: {}'s learned position embeddings hold {} tokens "
                    "per sequence on each side (--seq-len and --target-len {} at most)",
                    request.seq_len, request.decoder_tokens(), model.name, limit, limit));
  if (request.method == Method::detailed) validate_layout(model, request.layout);
  Estimate e =
      request.method == Method::document ? estimate_document(model, request) : estimate_detailed(model, request);
  e.notes.insert(e.notes.begin(), model.notes.begin(), model.notes.end());
  const std::uint64_t limit = model.config.max_position_embeddings;
  if (limit > 0 && request.seq_len > limit)
    e.notes.push_back(
        fmt::format("seq-len {} is beyond {}'s context length of {} tokens (max_position_embeddings): "
                    "the model was not trained for it",
                    request.seq_len, model.name, limit));
  return e;
}

MemoryFigures memory_figures(const Estimate& e) {
  MemoryFigures m;
  m.device = e.total;
  const Component* overhead = e.find("overhead");
  if (!overhead) {
    m.allocated = m.reserved = e.total;
    return m;
  }
  m.allocated = saturating_sub(e.total, overhead->bytes);
  m.reserved = saturating_sub(e.total, std::min(cuda_context(e), overhead->bytes));
  return m;
}

Bytes cuda_context(const Estimate& e) {
  if (const Component* overhead = e.find("overhead"))
    for (const auto& in : overhead->inputs)
      if (std::string_view(in.name) == "cuda_context_bytes") return Bytes(static_cast<std::uint64_t>(in.value));
  return Bytes(0);
}

}  // namespace llmmem
