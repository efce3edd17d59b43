// Op benchmarks: every case of the bench-sized op table (tests/support/op_cases.h,
// bench_cases()) on the CPU backend, and on the CUDA backend when this build and machine
// have one. Each reports its time and what it moved and computed:
//   GB     bytes read + written per run, shown as a rate (GB/s);
//   GFLOP  arithmetic per run for conv / conv_transpose / matmul, shown as a rate (GFLOP/s).
// Timing is wall clock around launch + synchronize, so CUDA figures include the launch
// overhead a batch-1 network pays too.
//
// Without --benchmark_min_time the run uses 0.2 s per benchmark to keep the whole suite
// short; --benchmark_filter=cpu/conv2d (etc.) picks a subset.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/support/cuda_skip.h"
#include "engine/backend.h"
#include "tests/support/op_cases.h"

// The case table and its references live in tests/support (library p3d_op_cases) so that
// the tests and these benchmarks share one list.

namespace {

using p3d::Backend;
using p3d::test::OpCase;

void run_case_benchmark(benchmark::State& state, Backend* backend, const OpCase* c) {
  const std::vector<p3d::Tensor> inputs = p3d::test::make_inputs(*c);
  p3d::test::CaseInstance instance(*c, *backend, inputs);
  instance.launch();  // warm-up: first touch of the buffers, backend plan caches
  backend->synchronize();
  for (auto _ : state) {
    instance.launch();
    backend->synchronize();
  }
  using benchmark::Counter;
  if (c->bytes > 0)
    state.counters["GB"] = Counter(c->bytes * 1e-9, Counter::kIsIterationInvariantRate);
  if (c->flops > 0)
    state.counters["GFLOP"] = Counter(c->flops * 1e-9, Counter::kIsIterationInvariantRate);
}

// Backends and cases live for the whole run; benchmarks hold raw pointers to them.
struct Registry {
  std::vector<std::unique_ptr<Backend>> backends;
  std::vector<OpCase> cases;
};

void register_all(Registry& registry) {
  registry.cases = p3d::test::bench_cases();
  registry.backends.push_back(p3d::make_cpu_backend());
  std::string reason;
  if (p3d::bench::cuda_ready(&reason))
    registry.backends.push_back(p3d::make_cuda_backend(0));
  else
    std::fprintf(stderr, "ops_bench: CUDA benchmarks skipped: %s\n", reason.c_str());
  for (const auto& backend : registry.backends) {
    const std::string prefix = backend->device().kind == p3d::DeviceKind::CPU ? "cpu/" : "cuda/";
    for (const OpCase& c : registry.cases) {
      benchmark::RegisterBenchmark((prefix + p3d::test::identifier(c.name)).c_str(),
                                   run_case_benchmark, backend.get(), &c)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  // A shorter default than Google Benchmark's 0.5 s; an explicit flag still wins.
  std::vector<char*> args(argv, argv + argc);
  bool has_min_time = false;
  for (int i = 1; i < argc; ++i)
    has_min_time |= std::strncmp(argv[i], "--benchmark_min_time", 20) == 0;
  static char default_min_time[] = "--benchmark_min_time=0.2";
  if (!has_min_time) args.insert(args.begin() + 1, default_min_time);
  int count = static_cast<int>(args.size());

  Registry registry;
  register_all(registry);
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
