#pragma once
// Helpers shared by the tests: catalog models and requests in one line.
#include <string>

#include "llmmem/catalog.hpp"
#include "llmmem/estimate.hpp"

namespace llmmem::test {

inline const Catalog& catalog() {
  static const Catalog c;
  return c;
}

inline Model model(const std::string& name) { return resolve_model(catalog(), name); }

inline Request infer(const char* precision = nullptr, std::uint64_t batch = 1, std::uint64_t seq = 2048) {
  Request r;
  r.mode = Mode::inference;
  if (precision) r.precision = &find_precision(precision);
  r.batch = batch;
  r.seq_len = seq;
  return r;
}

inline Request train(const char* precision = "bf16", std::uint64_t batch = 1, std::uint64_t seq = 2048) {
  Request r = infer(precision, batch, seq);
  r.mode = Mode::training;
  return r;
}

inline std::uint64_t bytes_of(const Estimate& e, std::string_view id) {
  const auto* c = e.find(id);
  return c ? c->bytes.count() : 0;
}

// The invariant every estimate keeps: its components add up to its total.
inline bool sums_to_total(const Estimate& e) {
  std::uint64_t sum = 0;
  for (const auto& c : e.components) sum += c.bytes.count();
  return sum == e.total.count();
}

}  // namespace llmmem::test
