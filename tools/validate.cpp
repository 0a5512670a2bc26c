// Writes docs/validation.md: every public measurement of shared/reference/measured-public.jsonl,
// measured vs estimated, or the reason it cannot be expressed yet (tests/validation_cases.hpp).
// Usage: build/tests/llmmem_validate > docs/validation.md
#include <iostream>

#include "../tests/validation_cases.hpp"

int main() {
  const llmmem::Catalog catalog;
  std::cout << llmmem::validation::render_markdown(llmmem::validation::run(catalog));
  return 0;
}
