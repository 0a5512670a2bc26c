#pragma once
// One spellchecker for every name a user types: commands, flags, models, GPUs, precisions.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmmem {

// Levenshtein distance, case-insensitive.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` when it is close enough to be a typo (ninja's SpellcheckString:
// at most 3 edits, and fewer than the word's length), else nothing.
[[nodiscard]] std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace llmmem
