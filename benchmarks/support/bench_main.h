// The tail every benchmark program's own main() shares: registering its CUDA benchmarks
// only where CUDA is ready (Google Benchmark would report skips as successes), and running
// what was registered. A program has its own main so that the CUDA cases are registered
// only when a GPU is there (the linked benchmark_main archive member is then not pulled in).
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "benchmarks/support/cuda_skip.h"

namespace p3d::bench {

// Calls register_cuda() when CUDA benchmarks can run; otherwise says on stderr, naming
// `program`, why they are not registered (under P3D_REQUIRE_CUDA=1 the program exits 1).
inline void register_cuda_benchmarks(const char* program,
                                     const std::function<void()>& register_cuda) {
  std::string why;
  if (cuda_ready(&why))
    register_cuda();
  else
    std::fprintf(stderr, "%s: CUDA cases not registered (%s)\n", program, why.c_str());
}

// Initialises Google Benchmark from the command line (with `default_min_time`, e.g.
// "--benchmark_min_time=0.2", unless the line names one) and runs every registered
// benchmark; the program's exit status.
inline int run_benchmarks(int argc, char** argv, const char* default_min_time = nullptr) {
  std::vector<char*> args(argv, argv + argc);
  bool has_min_time = false;
  for (int i = 1; i < argc; ++i)
    has_min_time |= std::strncmp(argv[i], "--benchmark_min_time", 20) == 0;
  std::string min_time = default_min_time ? default_min_time : "";
  if (!has_min_time && !min_time.empty()) args.insert(args.begin() + 1, &min_time[0]);
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// Registers a CPU benchmark timed by wall clock, and a CUDA one timed by the device
// (the body calls state.SetIterationTime, e.g. through cuda_timing.h).
inline benchmark::internal::Benchmark* register_cpu_benchmark(
    const std::string& name, std::function<void(benchmark::State&)> body,
    benchmark::TimeUnit unit = benchmark::kMillisecond) {
  return benchmark::RegisterBenchmark(name.c_str(), std::move(body))->UseRealTime()->Unit(unit);
}
inline benchmark::internal::Benchmark* register_cuda_benchmark(
    const std::string& name, std::function<void(benchmark::State&)> body,
    benchmark::TimeUnit unit = benchmark::kMicrosecond) {
  return benchmark::RegisterBenchmark(name.c_str(), std::move(body))->UseManualTime()->Unit(unit);
}

}  // namespace p3d::bench
