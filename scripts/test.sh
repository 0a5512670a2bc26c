#!/usr/bin/env bash
# Sets up a fresh machine (scripts/setup.sh) and runs every test: the Catch2 suite through CTest
# (warnings as errors), and the founding article's figures through the built binary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build-ci -DLLMMEM_WARNINGS_AS_ERRORS=ON
ctest --test-dir build-ci --output-on-failure -j "$(nproc)"
if [[ -x ../shared/checks/seed-figures ]] && command -v python3 >/dev/null; then
  ../shared/checks/seed-figures build-ci/llmmem
fi
# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLLMMEM_SANITIZE=ON -DLLMMEM_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build build-asan -j "$(nproc)"
ctest --test-dir build-asan --output-on-failure -j "$(nproc)"
