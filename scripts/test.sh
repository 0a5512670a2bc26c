#!/usr/bin/env bash
# Sets up a fresh machine (scripts/setup.sh) and runs every test: the Catch2 suite through CTest
# (warnings as errors), the founding article's figures through the built binary, a benchmark smoke
# run, the web page (WebAssembly) in headless Chromium, clang-format/clang-tidy, install + find_package
# consumer, the .deb, the suite again under ASan/UBSan, and each fuzz target for LLMMEM_FUZZ_SECONDS
# (15) seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
# Test-only packages: Google Benchmark (the bench target must keep compiling), clang and its
# libFuzzer runtime, clang-format and clang-tidy for the lint step, Debian's CPU PyTorch and pytest
# for the GPU measurement harness's CPU tests (tools/measure); emscripten and chromium for the web
# page (built to WebAssembly, then tested in headless Chromium); pybind11, Python's headers, venv,
# pip, setuptools and wheel to build and install the Python module offline (python/).
extra=(libbenchmark-dev clang libclang-rt-14-dev clang-format clang-tidy python3-torch python3-pytest emscripten
       chromium pybind11-dev python3-dev python3-venv python3-pip python3-setuptools python3-wheel)
missing=()
for p in "${extra[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

scripts/setup.sh build-ci -DLLMMEM_WARNINGS_AS_ERRORS=ON -DLLMMEM_BUILD_BENCHMARKS=ON -DLLMMEM_WEB=ON \
  -DLLMMEM_BUILD_PYTHON=ON -DPython_EXECUTABLE=/usr/bin/python3
ctest --test-dir build-ci --output-on-failure -j "$(nproc)"
# The web page (build-ci/web, WebAssembly) in headless Chromium, against the CLI (docs/web.md).
/usr/bin/python3 tests/web/page_test.py build-ci
# Every Catch2 case is one CTest entry that runs it (a name with ';' was once split into entries
# that ran nothing and passed; --warn NoTests now fails such an entry, and this catches the rest).
# (Catch2 v2 exits with the number of cases listed, hence the `|| true`.)
names=$(build-ci/tests/llmmem_tests --list-test-names-only || true)
cases=$(grep -c . <<<"$names")
entries=$(ctest --test-dir build-ci -N | grep -c "Test *#")
if [[ "$cases" != "$entries" ]]; then echo "ctest has $entries entries for $cases Catch2 test cases"; exit 1; fi
if [[ -x ../shared/checks/seed-figures ]] && command -v python3 >/dev/null; then
  ../shared/checks/seed-figures build-ci/llmmem
fi
# The measurement harness (issue 17) on a CPU with a tiny model: Debian's python3, whatever else is first on PATH.
/usr/bin/python3 -m pytest -q -p no:cacheprovider tools/measure
# The Python module (issue 15), as the README installs it: offline into a virtual environment, from
# the build above (LLMMEM_BUILD_DIR: the core is not compiled twice); then the issue's one-liner must
# print the CLI's total_bytes, and its pytest suite compares it with the CLI.
venv=$(mktemp -d)
/usr/bin/python3 -m venv --system-site-packages "$venv"
LLMMEM_BUILD_DIR="$PWD/build-ci" "$venv/bin/pip" install -q --no-index --no-build-isolation ./python
ours=$(cd "$venv" && bin/python -c "import llmmem; print(llmmem.infer(model='llama3-70b', precision='fp16')['total_bytes'])")
theirs=$(build-ci/llmmem infer --model llama3-70b --precision fp16 --format json |
  /usr/bin/python3 -c "import json, sys; print(json.load(sys.stdin)['total_bytes'])")
if [[ "$ours" != "$theirs" ]]; then echo "python: total_bytes $ours, the CLI's $theirs"; exit 1; fi
LLMMEM_CLI="$PWD/build-ci/llmmem" "$venv/bin/python" -m pytest -q -p no:cacheprovider python/tests
rm -rf "$venv"
build-ci/bench/llmmem_bench --benchmark_filter='Estimate|CatalogLookup' --benchmark_min_time=0.01 >/dev/null
# `llmmem serve` answers 1,000 sequential API requests without error (issue 16; about a second).
build-ci/bench/serve_requests 1000
scripts/lint.sh build-ci

# Install into a prefix, then build and run a tiny consumer project against it with find_package.
prefix=$(mktemp -d)
cmake --install build-ci --prefix "$prefix" >/dev/null
cmake -S tests/consumer -B "$prefix/consumer-build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/consumer-build" >/dev/null
"$prefix/consumer-build/consumer"
test -f "$prefix/share/man/man1/llmmem.1" && test -f "$prefix/share/bash-completion/completions/llmmem"
test -x "$prefix/libexec/llmmem/llmmem-serve"  # what `llmmem serve` runs
rm -rf "$prefix"

# The Debian package: build it, install it, run it, remove it (root only: it touches /usr).
(cd build-ci && cpack -G DEB >/dev/null)
if [[ $(id -u) -eq 0 ]] && ! dpkg-query -W llmmem >/dev/null 2>&1; then
  dpkg -i build-ci/llmmem_*.deb >/dev/null
  /usr/bin/llmmem infer --model llama3-8b | tail -1
  dpkg -r llmmem >/dev/null
fi
# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
# -g1: line tables and function names, all a sanitizer report needs, at a fraction of -g's compile time.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" -DLLMMEM_SANITIZE=ON \
  -DLLMMEM_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build build-asan -j "$(nproc)"
ctest --test-dir build-asan --output-on-failure -j "$(nproc)"
# Fuzz the untrusted-input parsers (config.json, safetensors, GGUF, Ollama manifests) with libFuzzer for a
# bounded time each, starting from the corpus in fuzz/corpus (copied, so the repository stays unchanged).
fuzz_seconds=${LLMMEM_FUZZ_SECONDS:-15}
# -O1 with line tables only: what libFuzzer's own docs build with, faster to compile than -O2 -g.
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" \
  -DLLMMEM_FUZZ=ON -DLLMMEM_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz --target fuzz_config fuzz_safetensors fuzz_gguf fuzz_ollama_manifest
work=$(mktemp -d)
for target in config safetensors gguf ollama_manifest; do
  mkdir -p "$work/$target" && cp fuzz/corpus/$target/* "$work/$target/"
  (cd "$work" && "$OLDPWD/build-fuzz/fuzz_$target" "$work/$target" -max_total_time="$fuzz_seconds" -timeout=10 \
     -rss_limit_mb=2048 -print_final_stats=1 2>&1 | grep -E "^(stat::number_of_executed_units|==.*ERROR|SUMMARY)" |
     sed "s/^/fuzz_$target: /") || { echo "fuzz_$target failed"; exit 1; }
  if ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* >/dev/null 2>&1; then echo "fuzz_$target found a crash"; exit 1; fi
done
rm -rf "$work"
