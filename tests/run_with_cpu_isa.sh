#!/usr/bin/env bash
# Runs a test program with the dense CPU kernels forced onto one instruction set:
#   tests/run_with_cpu_isa.sh avx2 build/tests/backend_ops_test --gtest_filter=...
# Exits 77 (ctest's SKIP_RETURN_CODE) when this CPU lacks the set, so every path the
# machine has is tested and the others are reported as skipped, not passed.
set -euo pipefail
isa="$1"
shift
case "$isa" in
  baseline) needed=() ;;
  avx2) needed=(avx2 fma) ;;
  avx512) needed=(avx512f avx512vl avx512dq fma) ;;
  *) echo "run_with_cpu_isa: unknown instruction set '$isa'" >&2; exit 2 ;;
esac
flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
for flag in "${needed[@]}"; do
  if [[ "$flags" != *" $flag "* ]]; then
    echo "skipped: this CPU has no $flag, so the $isa path cannot run here"
    exit 77
  fi
done
export P3D_CPU_ISA="$isa"
exec "$@"
