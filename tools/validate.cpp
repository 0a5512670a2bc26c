// Writes docs/validation.md: every public measurement of shared/reference/measured-public.jsonl,
// measured vs estimated, or the reason it cannot be expressed yet (tests/validation_cases.hpp),
// then our own GPU measurements (tests/validation/measured/*.jsonl, tests/measured_cases.hpp).
// Usage: build/tests/llmmem_validate > docs/validation.md
#include <iostream>

#include "../tests/measured_cases.hpp"
#include "../tests/validation_cases.hpp"

int main() {
  const llmmem::Catalog catalog;
  std::cout << llmmem::validation::render_markdown(llmmem::validation::run(catalog));
  std::cout << llmmem::validation::measured::render_markdown(
      llmmem::validation::measured::run(catalog, LLMMEM_SOURCE_DIR "/tests/validation/measured"));
  return 0;
}
