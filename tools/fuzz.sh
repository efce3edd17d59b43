#!/usr/bin/env bash
# Fuzzes every parser of user input with libFuzzer for a bounded time each: the TensorFlow
# importer (importer/fuzz/graph_def_fuzzer.cpp) and the readers in fuzz/ (.mat files, the
# face-model folder, landmark / detection text, JPEG and PNG photos, .npy, run manifests).
# Configures a clang build (CPU only, ASan + UBSan + coverage), builds the fuzzers, seeds a
# fresh corpus per target from the committed fixtures (and from ../shared/seed-examples when
# present: its small masks and landmark files, and, when the oracle venv is there, 64-pixel
# thumbnails of two photos as JPEG and PNG) and runs each over it. Exit status 0 = no
# finding; otherwise each finding's report is printed and its reproducer is left in
# BUILD/artifacts/TARGET/ (re-run it: BUILD/fuzz/TARGET_fuzzer FILE; the importer's is
# BUILD/importer/fuzz/graph_def_fuzzer).
#   P3D_FUZZ_SECONDS   how long to fuzz each target (default 20: under 2.5 minutes for all)
#   P3D_FUZZ_TARGETS   which targets, space-separated (default: graph_def mat face_model
#                      landmarks image npy manifest; the _fuzzer suffix is implied)
#   P3D_FUZZ_JOBS      parallel fuzzing processes per target (default 1)
#   P3D_FUZZ_BUILD     build folder (default build-fuzz)
#   P3D_FUZZ_SEED_KB   largest fixture graph.pb to seed the importer with, KiB (default 64:
#                      the one-op graphs; 400 adds the reduced R-Net and depth net)
#   P3D_FUZZ_ARGS      extra libFuzzer flags for every target (e.g. "-seed=1 -runs=100000")
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${P3D_FUZZ_SECONDS:-20}"
jobs="${P3D_FUZZ_JOBS:-1}"
build="${P3D_FUZZ_BUILD:-build-fuzz}"
read -r -a targets <<<"${P3D_FUZZ_TARGETS:-graph_def mat face_model landmarks image npy manifest}"
shared=../shared/seed-examples
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

cmake -S . -B "$build" -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DP3D_CUDA=OFF -DP3D_FUZZ=ON \
  -DP3D_BUILD_BENCHMARKS=OFF -DP3D_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/%/_fuzzer}"

# Copies the files `find` lists (NUL-separated on stdin) into corpus folder $1, prefixed so
# equal names from different folders do not collide.
seed_from() {
  local dir="$1" prefix="$2"
  while IFS= read -r -d '' f; do cp "$f" "$dir/${prefix}_$(basename "$f")"; done
}

# Tiny JPEG and PNG versions of two seed photos: real camera files' structure (JFIF, EXIF,
# quantisation and Huffman tables), at a size that decodes in microseconds.
thumbnails() {
  local dir="$1" python=.venv-oracle/bin/python
  [ -x "$python" ] && [ -d "$shared" ] || return 0
  "$python" - "$shared" "$dir" <<'EOF' || echo "fuzz: photo thumbnails skipped (PIL failed)"
import pathlib, sys
from PIL import Image
shared, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for photo in sorted(shared.glob("*.jp*g"))[:2]:
    im = Image.open(photo)
    im.thumbnail((64, 64))
    im.save(out / f"thumb_{photo.stem}.jpg", quality=80)
    im.save(out / f"thumb_{photo.stem}.png")
    im.convert("L").save(out / f"thumb_{photo.stem}_grey.png")
EOF
}

seed() {
  local target="$1" dir="$2"
  case "$target" in
    graph_def)
      find tests/fixtures/tf -name graph.pb -size -"${P3D_FUZZ_SEED_KB:-64}"k -print0 |
        while IFS= read -r -d '' pb; do cp "$pb" "$dir/$(basename "$(dirname "$pb")").pb"; done ;;
    mat)
      find tests/fixtures -name '*.mat' -size -32k -print0 | seed_from "$dir" fixture
      [ -d "$shared" ] && find "$shared" -name '*.mat' -size -8k -print0 | seed_from "$dir" seed ;;
    face_model)
      find tests/fixtures/bfm09_fake -name '*.mat' -size -32k -print0 | seed_from "$dir" fixture
      [ -d "$shared" ] && find "$shared" -name '*.mat' -size -4k -print0 | seed_from "$dir" seed ;;
    landmarks)
      printf '1 2\n3 4 # comment\n' >"$dir/tiny.txt"
      [ -d "$shared" ] && find "$shared" -name '*.txt' -print0 | head -z -n 6 | seed_from "$dir" seed ;;
    image)
      find tests/fixtures -\( -name '*.jpg' -o -name '*.png' \) -size -8k -print0 |
        seed_from "$dir" fixture
      thumbnails "$dir" ;;
    manifest)
      printf 'a.jpg\nb/c.png b_landmark.txt b.mat # comment\n' >"$dir/spaces.txt"
      printf 'with space.jpg\tlm.txt\t/abs/m.mat\n\n# only a comment\n' >"$dir/tabs.txt" ;;
    npy)
      find tests/fixtures -name '*.npy' -size -4k -print0 | head -z -n 40 | seed_from "$dir" fixture ;;
  esac
  return 0
}

failed=()
for target in "${targets[@]}"; do
  exe="$build/fuzz/${target}_fuzzer"
  dict=()
  if [ "$target" = graph_def ]; then
    exe="$build/importer/fuzz/graph_def_fuzzer"
    dict=(-dict=importer/fuzz/graph_def.dict)
  fi
  # A fresh corpus each run; what libFuzzer adds stays in the copy.
  corpus="$build/corpus/$target" artifacts="$build/artifacts/$target"
  rm -rf "$corpus"
  mkdir -p "$corpus" "$artifacts"
  seed "$target" "$corpus" || true  # `head` in a seeding pipeline may end `find` early
  echo "== fuzz ${target}: $(ls "$corpus" | wc -l) seeds, ${seconds} s, ${jobs} job(s)"
  # -rss_limit_mb / -malloc_limit_mb: a single input that needs gigabytes is a finding (the
  # importer runs with 1 MiB caps, the readers with a 64 MiB input cap). Leaks are findings
  # too (ASan's leak check is on).
  args=("${dict[@]}" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048
        -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$artifacts/")
  # -jobs runs separate processes, each logging to fuzz-N.log in the working directory.
  if [ "$jobs" -gt 1 ]; then args+=(-jobs="$jobs" -workers="$jobs"); fi
  # shellcheck disable=SC2206
  args+=(${P3D_FUZZ_ARGS:-})
  log="$build/fuzz-$target.log" rc=0
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$exe" "$corpus" "${args[@]}" >"$log" 2>&1 || rc=$?
  # The report and the final stats, without libFuzzer's progress lines (#N NEW/REDUCE/pulse).
  grep -v -E '^#[0-9]+' "$log" || true
  if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$artifacts")" ]; then failed+=("$target"); fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: FINDINGS in ${failed[*]} (reproducers under $build/artifacts/)"
  exit 1
fi
echo "fuzz: no findings in ${targets[*]}"
