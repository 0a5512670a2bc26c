// Links llmmem::core from an installed tree and estimates Llama-3-8B: 2 × 8,030,261,248 weight bytes.
#include <iostream>

#include "llmmem/catalog.hpp"

int main() {
  const llmmem::Catalog catalog;
  const llmmem::Estimate e = llmmem::estimate(llmmem::resolve_model(catalog, "llama3-8b"), llmmem::Request{});
  const auto* weights = e.find("weights");
  if (!weights || weights->bytes.count() != 16'060'522'496ULL) return 1;
  std::cout << "consumer ok: " << llmmem::format_size(e.total) << "\n";
  return 0;
}
