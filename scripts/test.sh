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
# Fuzz the untrusted-input parsers (config.json, safetensors, GGUF) with libFuzzer for a bounded
# time each, starting from the corpus in fuzz/corpus (copied, so the repository stays unchanged).
fuzz_seconds=${LLMMEM_FUZZ_SECONDS:-30}
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_clang=1
done
if [[ -n ${need_clang:-} ]]; then
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev >/dev/null
fi
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLLMMEM_FUZZ=ON -DLLMMEM_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz --target fuzz_config fuzz_safetensors fuzz_gguf
work=$(mktemp -d)
for target in config safetensors gguf; do
  mkdir -p "$work/$target" && cp fuzz/corpus/$target/* "$work/$target/"
  (cd "$work" && "$OLDPWD/build-fuzz/fuzz_$target" "$work/$target" -max_total_time="$fuzz_seconds" -timeout=10 \
     -rss_limit_mb=2048 -print_final_stats=1 2>&1 | grep -E "^(stat::number_of_executed_units|==.*ERROR|SUMMARY)" |
     sed "s/^/fuzz_$target: /") || { echo "fuzz_$target failed"; exit 1; }
  if ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* >/dev/null 2>&1; then echo "fuzz_$target found a crash"; exit 1; fi
done
rm -rf "$work"
