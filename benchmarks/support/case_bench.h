// Benchmarks over a table of op cases (tests/support/op_cases.h): each case on the CPU
// backend and, when this build and machine have one, on the CUDA backend, timed by wall
// clock around launch + synchronize (so CUDA figures include the launch overhead a batch-1
// network pays too), with counters for what a run moves and computes:
//   GB     bytes read + written per run, shown as a rate (GB/s);
//   GFLOP  arithmetic per run where the case states it, shown as a rate (GFLOP/s).
// Shared by ops_bench (bench_cases()) and conv_bench (conv_bench_cases()).
#pragma once

#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "engine/backend.h"
#include "tests/support/op_cases.h"

namespace p3d::bench {

// One timed run of a case: uploads once, one warm-up launch, then launch + synchronize
// per iteration.
void run_case_benchmark(benchmark::State& state, Backend* backend, const test::OpCase* c);

// Backends and cases live for the whole run; the registered benchmarks point into it.
struct CaseBenchmarks {
  std::vector<std::unique_ptr<Backend>> backends;
  std::vector<test::OpCase> cases;
};

// Registers "cpu/<case>" and, when CUDA is ready (benchmarks/support/cuda_skip.h),
// "cuda/<case>" for every case (<case>: test::identifier of its name); otherwise says on
// stderr, naming `program`, why the CUDA ones are missing.
void register_case_benchmarks(CaseBenchmarks& registry, std::vector<test::OpCase> cases,
                              const char* program);

}  // namespace p3d::bench
