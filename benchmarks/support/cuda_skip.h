// The benchmarks' one way to step aside for want of a GPU, the twin of the tests'
// tests/support/require_cuda.h: without a device a CUDA benchmark is skipped with
// cuda_available()'s reason; with P3D_REQUIRE_CUDA=1 (the GPU check sets it) the benchmark
// program exits with status 1 instead, since Google Benchmark reports a skipped benchmark
// as a success and a GPU run made only of skips must not look like one.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/support/require_cuda.h"

namespace p3d::bench {

// True when CUDA benchmarks can run. Otherwise: under P3D_REQUIRE_CUDA=1 prints why and
// exits 1; else returns false with the reason in *why (if not null).
inline bool cuda_ready(std::string* why = nullptr) {
  const std::string reason = test::cuda_unavailable_reason();
  if (reason.empty()) return true;
  if (test::cuda_required()) {
    std::fprintf(stderr, "P3D_REQUIRE_CUDA is set but CUDA is unavailable: %s\n", reason.c_str());
    std::exit(1);
  }
  if (why) *why = reason;
  return false;
}

// For the body of a CUDA benchmark: true when it may run; false after marking `state`
// skipped with the reason (or, under P3D_REQUIRE_CUDA=1, never: the program exits).
inline bool cuda_or_skip(benchmark::State& state) {
  std::string why;
  if (cuda_ready(&why)) return true;
  state.SkipWithError(("CUDA unavailable: " + why).c_str());
  return false;
}

}  // namespace p3d::bench
