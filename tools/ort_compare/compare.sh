#!/usr/bin/env bash
# portrait3d vs ONNX Runtime on the CPU, same frozen graph, same input, same thread count:
# for each full-size network in build-fixtures/tf/ (tools/make_tf_fixtures.sh --only rnet_full
# --only depth_net_full: --full would also rewrite the committed fixtures), runs
# `portrait3d infer --repeat N` and tools/ort_compare/ort_compare.py --repeat N in turn,
# ROUNDS times, and prints each side's in-process median per round, the ratio
# portrait3d / ONNX Runtime per round (below 1: portrait3d is faster), the median of those
# ratios, and the ratio of the best single runs (on a shared, loaded machine the fastest run
# is the one least disturbed by other processes). Both outputs are also checked against
# TensorFlow's expected output.
#
#   tools/ort_compare/compare.sh [NET ...]     # default: rnet_full depth_net_full
#   NET is a folder name under build-fixtures/tf/ or any folder holding graph.pb, meta.json
#   and the input_/expected_ .npy files (tools/tf_fixtures writes that layout).
#   BATCH         batch size: the inputs (and expected outputs) are tiled to it (default 1)
#   P3D_CLI       portrait3d binary (default build/apps/portrait3d)
#   REPEAT        timed runs per process (default 10)
#   ROUNDS        process pairs per network (default 5)
#   THREADS       threads for both (default 2)
#   ORT_ARGS      extra ort_compare.py flags (e.g. --no-spinning)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
cli="${P3D_CLI:-build/apps/portrait3d}"
repeat="${REPEAT:-10}"
rounds="${ROUNDS:-5}"
threads="${THREADS:-2}"
batch="${BATCH:-1}"
python=.venv-ort/bin/python
[ -x "$cli" ] || { echo "compare: $cli not built (cmake --build build --target portrait3d_cli)" >&2; exit 1; }
[ -x "$python" ] || tools/ort_compare/setup_venv.sh
nets=("$@")
[ ${#nets[@]} -gt 0 ] || nets=(rnet_full depth_net_full)
out="build-ort"
mkdir -p "$out"

median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
field() { sed -n 's/^timing *median \([0-9.]*\) ms.*/\1/p'; }
best() { sed -n 's/^timing.*, min \([0-9.]*\) ms.*/\1/p'; }

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores;" \
  "widest vector ISA: $(grep -o -m1 -w 'avx512f' /proc/cpuinfo || grep -o -m1 -w 'avx2' /proc/cpuinfo || echo sse2)" \
  "${P3D_CPU_ISA:+(portrait3d forced to P3D_CPU_ISA=$P3D_CPU_ISA)}"
echo "load: $(uptime | sed 's/.*load average/load average/')"
for net in "${nets[@]}"; do
  dir="build-fixtures/tf/$net"
  [ -d "$net" ] && dir="$net" && net="$(basename "$net")"
  [ -f "$dir/graph.pb" ] || { echo "compare: $dir/graph.pb absent (tools/make_tf_fixtures.sh --only rnet_full --only depth_net_full)" >&2; exit 1; }
  read -r input output < <("$python" -c 'import json, sys; m = json.load(open(sys.argv[1]))
print(m["inputs"][0]["tensor"].split(":")[0], m["outputs"][0]["tensor"].split(":")[0])' "$dir/meta.json")
  onnx="$out/$net.onnx"
  in_file="$dir/input_$input.npy"
  expected_file="$dir/expected_$output.npy"
  if [ "$batch" != 1 ]; then  # the batch-1 fixture repeated BATCH times
    in_file="$out/$net.input_b$batch.npy"
    expected_file="$out/$net.expected_b$batch.npy"
    "$python" - "$dir/input_$input.npy" "$in_file" "$dir/expected_$output.npy" "$expected_file" "$batch" <<'PY'
import sys, numpy as np
n = int(sys.argv[5])
for src, dst in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    a = np.load(src)
    np.save(dst, np.concatenate([a] * n, axis=0))
PY
  fi
  "$python" tools/ort_compare/ort_compare.py "$dir/graph.pb" --input "$input=$dir/input_$input.npy" \
    --output "$output" --onnx "$onnx" --convert-only
  ratios=()
  ours_all=()
  ort_all=()
  ours_best=()
  ort_best=()
  for round in $(seq "$rounds"); do
    ours_log="$out/$net.portrait3d.$round.log"
    ort_log="$out/$net.ort.$round.log"
    "$cli" infer "$dir/graph.pb" --input "$input=$in_file" --output "$output" \
      --save "$out/$net.portrait3d" --repeat "$repeat" --threads "$threads" >"$ours_log"
    "$python" tools/ort_compare/ort_compare.py "$dir/graph.pb" --input "$input=$in_file" \
      --output "$output" --onnx "$onnx" --repeat "$repeat" --threads "$threads" \
      --expected "$output=$expected_file" ${ORT_ARGS:-} >"$ort_log"
    ours=$(field <"$ours_log")
    ort=$(field <"$ort_log")
    ratio=$(awk -v a="$ours" -v b="$ort" 'BEGIN {printf "%.3f", a / b}')
    echo "$net round $round: portrait3d median $ours ms, onnxruntime median $ort ms, ratio $ratio"
    ratios+=("$ratio")
    ours_all+=("$ours")
    ort_all+=("$ort")
    ours_best+=("$(best <"$ours_log")")
    ort_best+=("$(best <"$ort_log")")
  done
  check=$("$python" - "$out/$net.portrait3d/$output.npy" "$expected_file" <<'PY'
import sys, numpy as np
got, want = np.load(sys.argv[1]), np.load(sys.argv[2])
print(f"{float(np.abs(got - want).max()) / float(np.abs(want).max()):.3e}")
PY
)
  echo "$net: portrait3d $(printf '%s\n' "${ours_all[@]}" | median) ms, onnxruntime" \
       "$(printf '%s\n' "${ort_all[@]}" | median) ms (medians of $rounds rounds x $repeat runs," \
       "batch $batch, $threads threads); ratio portrait3d/onnxruntime median $(printf '%s\n' "${ratios[@]}" | median)"
  ours_min=$(printf '%s\n' "${ours_best[@]}" | sort -g | head -1)
  ort_min=$(printf '%s\n' "${ort_best[@]}" | sort -g | head -1)
  echo "$net: best single run: portrait3d $ours_min ms, onnxruntime $ort_min ms, ratio" \
       "$(awk -v a="$ours_min" -v b="$ort_min" 'BEGIN {printf "%.3f", a / b}')"
  echo "$net: vs TensorFlow, max |diff| / max |expected|: portrait3d $check," \
       "onnxruntime $(sed -n 's/^check.*= //p' "$out/$net.ort.$rounds.log")"
done
echo "load: $(uptime | sed 's/.*load average/load average/')"
