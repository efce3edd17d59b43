#!/usr/bin/env bash
# Fuzzes the TensorFlow importer with libFuzzer (importer/fuzz/graph_def_fuzzer.cpp) for a
# bounded time: configures a clang build in build-fuzz/ (CPU only, ASan + UBSan + coverage),
# builds the fuzzer, copies the committed fixtures' small graph.pb files into a fresh corpus
# and runs over it. Exit status 0 = no finding; otherwise libFuzzer's report is printed and
# the reproducer is left in build-fuzz/artifacts/ (re-run it: build-fuzz/importer/fuzz/graph_def_fuzzer FILE).
#   P3D_FUZZ_SECONDS   how long to fuzz (default 60)
#   P3D_FUZZ_JOBS      parallel fuzzing processes (default 1)
#   P3D_FUZZ_SEED_KB   largest fixture graph.pb to seed with, KiB (default 64: the one-op
#                      graphs; 400 adds the reduced R-Net and depth net, slower per input)
#   P3D_FUZZ_ARGS      extra libFuzzer flags (e.g. "-seed=1 -runs=100000")
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${P3D_FUZZ_SECONDS:-60}"
jobs="${P3D_FUZZ_JOBS:-1}"
build=build-fuzz
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

cmake -S . -B "$build" -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DP3D_CUDA=OFF -DP3D_FUZZ=ON \
  -DP3D_BUILD_BENCHMARKS=OFF -DP3D_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target graph_def_fuzzer

# A fresh corpus each run, seeded with the committed one-op graphs (a few KiB each; the
# reduced nets, 170-340 KiB, slow every execution down). What libFuzzer adds stays in the copy.
corpus="$build/corpus"
rm -rf "$corpus"
mkdir -p "$corpus" "$build/artifacts"
find tests/fixtures/tf -name graph.pb -size -"${P3D_FUZZ_SEED_KB:-64}"k | while read -r pb; do
  cp "$pb" "$corpus/$(basename "$(dirname "$pb")").pb"
done
echo "fuzz: $(ls "$corpus" | wc -l) seed graphs, ${seconds} s, ${jobs} job(s)"

# -rss_limit_mb / -malloc_limit_mb: a single input that needs gigabytes is a finding (the
# importer runs with 1 MiB caps). Leaks are findings too (ASan's leak check is on).
args=(-dict=importer/fuzz/graph_def.dict -max_total_time="$seconds" -timeout=20
      -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$build/artifacts/")
# -jobs runs separate processes, each logging to fuzz-N.log in the working directory.
if [ "$jobs" -gt 1 ]; then args+=(-jobs="$jobs" -workers="$jobs"); fi
# shellcheck disable=SC2206
args+=(${P3D_FUZZ_ARGS:-})
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$build/importer/fuzz/graph_def_fuzzer" "$corpus" "${args[@]}"
