#pragma once
// Bisection over whole numbers for the solvers (fit.cpp, engine_defaults.cpp, startup.cpp): each
// answer is the boundary of a monotone predicate that asks the estimator itself.
#include <cstdint>
#include <optional>

namespace llmmem::bisect {

// The largest x in [lo, hi] with pred(x), pred being true up to a point and false after it;
// nullopt when pred(lo) is false.
template <typename Pred>
std::optional<std::uint64_t> largest_true(std::uint64_t lo, std::uint64_t hi, Pred pred) {
  if (lo > hi || !pred(lo)) return std::nullopt;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo + 1) / 2;
    if (pred(mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

// The smallest x in [lo, hi] with pred(x), pred being false up to a point and true after it;
// nullopt when pred(hi) is false.
template <typename Pred>
std::optional<std::uint64_t> smallest_true(std::uint64_t lo, std::uint64_t hi, Pred pred) {
  if (lo > hi || !pred(hi)) return std::nullopt;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    if (pred(mid))
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

}  // namespace llmmem::bisect
