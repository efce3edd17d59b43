// Op benchmarks: every case of the bench-sized op table (tests/support/op_cases.h,
// bench_cases()) on the CPU backend, and on the CUDA backend when this build and machine
// have one; timing and counters as benchmarks/support/case_bench.h describes.
//
// Without --benchmark_min_time the run uses 0.2 s per benchmark to keep the whole suite
// short; --benchmark_filter=cpu/conv2d (etc.) picks a subset.
#include "benchmarks/support/bench_main.h"
#include "benchmarks/support/case_bench.h"
#include "tests/support/op_cases.h"

int main(int argc, char** argv) {
  p3d::bench::CaseBenchmarks registry;
  p3d::bench::register_case_benchmarks(registry, p3d::test::bench_cases(), "ops_bench");
  return p3d::bench::run_benchmarks(argc, argv, "--benchmark_min_time=0.2");
}
