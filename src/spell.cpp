#include "llmmem/spell.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace llmmem {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  auto low = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (low(a[i - 1]) == low(b[j - 1]) ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates) {
  constexpr std::size_t k_max_edits = 3;
  std::optional<std::string> best;
  std::size_t best_distance = k_max_edits + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance && d < std::max<std::size_t>(word.size(), 2)) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

namespace {
std::string squash(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '.' && c != '-' && c != '_' && c != ' ' && c != '+')
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

bool names_row(std::string_view typed, std::string_view id, std::string_view name) {
  const std::string key = squash(typed);
  return key == squash(id) || key == squash(name);
}

UsageError unknown_row(std::string_view what, std::string_view typed, const std::vector<std::string>& ids) {
  std::string list;
  for (const auto& id : ids) list += (list.empty() ? "" : ", ") + id;
  const auto hint = nearest(typed, ids);
  return UsageError(fmt::format("unknown {} '{}'{} (valid: {})", what, typed,
                                hint ? fmt::format(" (did you mean {}?)", *hint) : "", list));
}

}  // namespace llmmem
