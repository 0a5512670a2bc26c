#pragma once
// One spellchecker for every name a user types: commands, flags, models, GPUs, precisions.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmmem/error.hpp"

namespace llmmem {

// Levenshtein distance, case-insensitive.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` when it is close enough to be a typo (ninja's SpellcheckString:
// at most 3 edits, and fewer than the word's length), else nothing.
[[nodiscard]] std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates);

// Whether what the user typed names a row of a table by its id or its name, case-insensitively
// and ignoring '.', '-', '_', '+' and spaces ("llamacpp" is llama.cpp, "HF Trainer" is trainer).
[[nodiscard]] bool names_row(std::string_view typed, std::string_view id, std::string_view name);

// The UsageError for a name no row has: "unknown WHAT 'typed' (did you mean X?) (valid: a, b)".
[[nodiscard]] UsageError unknown_row(std::string_view what, std::string_view typed,
                                     const std::vector<std::string>& ids);

// The row of `rows` (anything with `id` and `name`) that `typed` names, else unknown_row.
template <typename Row>
const Row& find_row(const std::vector<Row>& rows, std::string_view typed, std::string_view what) {
  for (const auto& r : rows)
    if (names_row(typed, r.id, r.name)) return r;
  std::vector<std::string> ids;
  ids.reserve(rows.size());
  for (const auto& r : rows) ids.emplace_back(r.id);
  throw unknown_row(what, typed, ids);
}

}  // namespace llmmem
