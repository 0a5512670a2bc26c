#!/usr/bin/env bash
# Lint: clang-format must leave every source unchanged, clang-tidy (.clang-tidy) must find nothing.
# Usage: scripts/lint.sh BUILD_DIR   (a configured build with compile_commands.json)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-ci}
mapfile -t sources < <(git ls-files '*.cpp' '*.hpp')
clang-format --dry-run -Werror "${sources[@]}"
git ls-files 'src/*.cpp' 'src/cli/*.cpp' 'src/server/*.cpp' 'src/net/*.cpp' |
  xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet 2>/dev/null
echo "lint: clang-format and clang-tidy clean"
