#!/usr/bin/env bash
# One-command GPU check. GPU time comes in short slots, so everything that can be done
# without a GPU is done here first and the slot only runs prepared binaries.
#
#   tools/gpu_check.sh prepare [BUNDLE.tar.xz]
#       (here, no GPU needed) builds the CUDA suites, the benchmarks and `portrait3d` for
#       sm_90 in its own build folder, strips them, packs the non-CUDA shared libraries they
#       need (../shared/gpu/pack-libs.sh), the test fixtures and the seed examples, and
#       writes one compressed bundle (default build-gpu/p3d-gpu-bundle.tar.xz, at most
#       48 MiB). Environment: P3D_GPU_BUILD_DIR (default build-gpu), P3D_GPU_ARCH (90).
#   tools/gpu_check.sh run [OUT_DIR]
#       (on the GPU machine, inside the unpacked bundle) prints the environment, runs the
#       CUDA tests with P3D_REQUIRE_CUDA=1 (a skip for want of a device is a failure),
#       compute-sanitizer memcheck and racecheck on the CUDA suites, the CUDA benchmarks,
#       `portrait3d selftest`, `infer --profile` and `run --device cuda` on the seed
#       examples with the stand-in networks, and `bench --device cuda` at each precision
#       (--precision fp32,tf32,fp16). Every log goes to OUT_DIR ($OUT when set,
#       else ./gpu-check-out); summary.txt lists each step with its status and time.
#       Steps have time limits so the whole run stays within about 8 minutes.
#       P3D_GPU_CHECK_QUICK=1 skips the sanitizers (for a fast rerun after a fix).
set -uo pipefail

mode=${1:-}
here=$(cd "$(dirname "$0")" && pwd)

# ---- prepare (build machine) --------------------------------------------------------------
prepare() {
  set -e
  local root build arch bundle stage
  root=$(cd "$here/.." && pwd)
  build=${P3D_GPU_BUILD_DIR:-build-gpu}
  [[ $build = /* ]] || build="$root/$build"
  arch=${P3D_GPU_ARCH:-90}
  bundle=${1:-$build/p3d-gpu-bundle.tar.xz}
  local shared="$root/../shared"
  [ -x "$shared/gpu/pack-libs.sh" ] || { echo "prepare: $shared/gpu/pack-libs.sh not found" >&2; exit 1; }

  # The suites with CUDA cases: every test that steps aside for want of a device.
  local suites=()
  for f in "$root"/tests/*_test.cpp; do
    if grep -qE 'P3D_SKIP_WITHOUT_CUDA|P3D_CUDA_SKIP|SKIP_WITHOUT_CUDA' "$f"; then
      suites+=("$(basename "$f" .cpp)")
    fi
  done
  local benches=()
  for f in "$root"/benchmarks/*_bench.cpp; do benches+=("$(basename "$f" .cpp)"); done
  echo "prepare: ${#suites[@]} CUDA suites: ${suites[*]}"

  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
  cmake -S "$root" -B "$build" -G Ninja -DP3D_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$arch" \
    "${launcher[@]}" >/dev/null
  cmake --build "$build" -j "$(nproc)" --target portrait3d_cli "${suites[@]}" "${benches[@]}"

  stage=$(mktemp -d)
  trap "rm -rf '$stage'" EXIT
  local b="$stage/p3d-gpu"
  mkdir -p "$b/bin" "$b/src/tests" "$b/shared"
  cp "$build/apps/portrait3d" "$b/bin/"
  for s in "${suites[@]}"; do cp "$build/tests/$s" "$b/bin/"; done
  for s in "${benches[@]}"; do cp "$build/benchmarks/$s" "$b/bin/"; done
  strip --strip-unneeded "$b"/bin/*
  "$shared/gpu/pack-libs.sh" "$b/lib" "$b"/bin/* >/dev/null
  # Parts of glibc the packer does not skip: they must come from the GPU machine's own C
  # library (they use its private symbols), never from ours.
  rm -f "$b"/lib/libresolv.so* "$b"/lib/libnsl.so* "$b"/lib/libutil.so* "$b"/lib/libanl.so*
  cp -r "$root/tests/fixtures" "$b/src/tests/"
  [ -d "$shared/seed-examples" ] && cp -r "$shared/seed-examples" "$b/shared/"
  cp "$here/gpu_check.sh" "$b/"
  printf '%s\n' "${suites[@]}" > "$b/suites.txt"
  printf '%s\n' "${benches[@]}" > "$b/benches.txt"
  {
    echo "built $(date -u +%FT%TZ) on $(hostname) for sm_$arch"
    echo "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null) (+ uncommitted changes: $(git -C "$root" status --porcelain 2>/dev/null | wc -l) files)"
    /usr/local/cuda/bin/nvcc --version 2>/dev/null | tail -2
  } > "$b/BUILD_INFO.txt"

  mkdir -p "$(dirname "$bundle")"
  # xz with a 64 MiB dictionary: the binaries share most of their code and GPU images, which
  # the dictionary then stores once.
  tar -C "$stage" -cf - p3d-gpu | xz -9e -T"$(nproc)" --lzma2=preset=9e,dict=64MiB > "$bundle"
  local bytes
  bytes=$(stat -c %s "$bundle")
  echo "prepare: unpacked $(du -sh "$b" | cut -f1), bundle $bundle: $bytes bytes ($((bytes / 1048576)) MiB)"
  if [ "$bytes" -gt $((48 * 1048576)) ]; then
    echo "prepare: the bundle is over 48 MiB" >&2
    exit 1
  fi
  echo "on the GPU machine:  tar -xJf $(basename "$bundle") && p3d-gpu/gpu_check.sh run [OUT_DIR]"
}

# ---- run (GPU machine) ----------------------------------------------------------------------
run() {
  local b out start summary
  b=$here  # the unpacked bundle
  out=${1:-${OUT:-$PWD/gpu-check-out}}
  mkdir -p "$out"/{tests,sanitizer,bench,cli}
  summary="$out/summary.txt"
  : > "$summary"
  start=$(date +%s)
  [ -d "$b/bin" ] || { echo "run: $b/bin not found (run from the unpacked bundle)" >&2; exit 2; }

  export LD_LIBRARY_PATH="$b/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
  export P3D_SOURCE_DIR="$b/src" P3D_SHARED_DIR="$b/shared" P3D_CLI="$b/bin/portrait3d"
  export P3D_REQUIRE_CUDA=1
  # cuDNN may only exist inside a Python environment (PyTorch's wheel) on the GPU machine.
  if ! ldconfig -p 2>/dev/null | grep -q 'libcudnn.so.9' && ! ls /usr/local/cuda/lib64/libcudnn.so.9* >/dev/null 2>&1; then
    local cudnn
    cudnn=$(find / -xdev -name 'libcudnn.so.9*' -not -path '*/proc/*' 2>/dev/null | head -1)
    [ -n "$cudnn" ] && export LD_LIBRARY_PATH="$(dirname "$cudnn"):$LD_LIBRARY_PATH"
  fi
  local failures=0

  # The whole run's time budget (seconds): each step's limit is cut to what is left, and a
  # step with under 5 s left is skipped, so the run ends on time with every log so far.
  local budget=${P3D_GPU_CHECK_BUDGET:-470}
  # step NAME LIMIT_S LOG CMD...: runs CMD with a time limit, logs it, records the outcome.
  step() {
    local name=$1 limit=$2 log=$3
    shift 3
    local t0 rc left
    t0=$(date +%s)
    left=$((budget - (t0 - start)))
    if [ "$left" -lt 5 ]; then
      printf '%-48s %-14s\n' "$name" "SKIPPED(budget)" | tee -a "$summary"
      failures=$((failures + 1))
      return
    fi
    [ "$limit" -gt "$left" ] && limit=$left
    timeout --kill-after=5 "$limit" "$@" > "$log" 2>&1
    rc=$?
    local status=ok
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then status="TIMEOUT(${limit}s)"; elif [ $rc -ne 0 ]; then status="FAIL(rc=$rc)"; fi
    [ "$status" = ok ] || failures=$((failures + 1))
    printf '%-48s %-14s %4ss  %s\n' "$name" "$status" "$(( $(date +%s) - t0 ))" "${log#$out/}" | tee -a "$summary"
  }

  {
    echo "== environment"
    date -u
    cat "$b/BUILD_INFO.txt"
    nvidia-smi 2>&1 || echo "nvidia-smi failed"
    nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv 2>&1
    echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    echo "-- libraries not found:"
    for f in "$b"/bin/*; do ldd "$f" | grep 'not found' | sed "s|^|$(basename "$f"): |"; done
    echo "-- CUDA libraries resolved for portrait3d:"
    ldd "$b/bin/portrait3d" | grep -E 'cudart|cublas|cudnn'
    echo "-- compute-sanitizer: $(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)"
    nproc; free -g | head -2
  } > "$out/environment.txt" 2>&1
  cat "$out/environment.txt"

  local filter='*Cuda*:*CUDA*:*cuda*'
  # 1. The CUDA tests, failing on any skip for want of a device.
  while read -r s; do
    step "test $s" 150 "$out/tests/$s.log" \
      "$b/bin/$s" --gtest_filter="$filter" --gtest_output="xml:$out/tests/$s.xml"
  done < "$b/suites.txt"

  # 2. The whole method on the GPU, and the engine self-check.
  local bfm="$out/cli/bfm"
  step "make-face-model" 60 "$out/cli/make_face_model.log" "$b/bin/portrait3d" make-face-model --out "$bfm"
  step "portrait3d selftest" 120 "$out/cli/selftest.log" "$b/bin/portrait3d" selftest
  local tf="$b/src/tests/fixtures/tf"
  step "infer --profile rnet_reduced (cuda)" 60 "$out/cli/infer_profile.log" \
    "$b/bin/portrait3d" infer "$tf/rnet_reduced/graph.pb" \
    --input "input_imgs=$tf/rnet_reduced/input_input_imgs.npy" --device cuda --repeat 5 --profile --top 60
  if [ -d "$b/shared/seed-examples" ]; then
    step "run --device cuda (seed examples)" 150 "$out/cli/run_cuda.log" \
      "$b/bin/portrait3d" run "$b/shared/seed-examples" --rnet "$tf/rnet_reduced/graph.pb" \
      --depth-net "$tf/depth_net_reduced/graph.pb" --bfm "$bfm" --out "$out/cli/heads_cuda" \
      --device cuda --coeff-override damped --formats obj,png
  fi

  # 2b. `bench` on CUDA at each precision (engine/precision.h, docs/precision.md): first on
  # the reduced golden networks (quick, always there), then on the demo's full-size
  # stand-ins (the real architectures; made on first use, hence the longer limit).
  if [ -d "$b/shared/seed-examples" ]; then
    step "bench --precision fp32,tf32,fp16 (reduced)" 90 "$out/bench/cli_bench_reduced.log" \
      "$b/bin/portrait3d" bench "$b/shared/seed-examples" --rnet "$tf/rnet_reduced/graph.pb" \
      --depth-net "$tf/depth_net_reduced/graph.pb" --bfm "$bfm" --device cuda \
      --precision fp32,tf32,fp16 --batch 1,8 --warmup 1 --repeat 3 --coeff-override damped \
      --json "$out/bench/cli_bench_reduced.json"
    step "bench --precision fp32,tf32,fp16 (full size)" 150 "$out/bench/cli_bench_full.log" \
      "$b/bin/portrait3d" bench "$b/shared/seed-examples" --device cuda \
      --precision fp32,tf32,fp16 --batch 1,8 --warmup 1 --repeat 3 --coeff-override zero \
      --json "$out/bench/cli_bench_full.json"
  fi
  step "infer --precision fp16 --profile rnet_reduced (cuda)" 60 "$out/cli/infer_profile_fp16.log" \
    "$b/bin/portrait3d" infer "$tf/rnet_reduced/graph.pb" \
    --input "input_imgs=$tf/rnet_reduced/input_input_imgs.npy" --device cuda --precision fp16 \
    --repeat 5 --profile --top 60

  # 3. compute-sanitizer on the CUDA suites (several at once: the tools are CPU-bound).
  local sanitizer
  sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)
  if [ "${P3D_GPU_CHECK_QUICK:-0}" = 1 ]; then
    echo "sanitizers skipped (P3D_GPU_CHECK_QUICK=1)" | tee -a "$summary"
  elif [ -z "$sanitizer" ]; then
    echo "compute-sanitizer not found: sanitizer steps skipped" | tee -a "$summary"
    failures=$((failures + 1))
  else
    local pids=() tool s
    for tool in memcheck racecheck; do
      while read -r s; do
        # cuDNN's and cuBLAS's kernels are what the tools slow most (the agreement table);
        # a suite that runs out of time still leaves every report it printed.
        ( step "$tool $s" 60 "$out/sanitizer/$tool-$s.log" "$sanitizer" --tool "$tool" \
            --error-exitcode 99 --print-limit 50 "$b/bin/$s" --gtest_filter="$filter" ) &
        pids+=($!)
        if [ ${#pids[@]} -ge 8 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
      done < "$b/suites.txt"
    done
    wait
    failures=$((failures + $(grep -cE '^(memcheck|racecheck) .* (FAIL|TIMEOUT|SKIPPED)' "$summary")))
  fi

  # 4. The CUDA benchmarks, one at a time so they do not share the GPU.
  while read -r s; do
    step "bench $s" 45 "$out/bench/$s.log" "$b/bin/$s" --benchmark_filter='[Cc][Uu][Dd][Aa]' \
      --benchmark_min_time=0.05 --benchmark_out="$out/bench/$s.json" --benchmark_out_format=json
  done < "$b/benches.txt"

  echo "total $(( $(date +%s) - start ))s, $failures failed step(s); logs in $out" | tee -a "$summary"
  [ "$failures" -eq 0 ]
}

case "$mode" in
  prepare) shift; prepare "$@" ;;
  run) shift; run "$@" ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
