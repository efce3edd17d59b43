// Op case benchmarks; see case_bench.h.
#include "benchmarks/support/case_bench.h"

#include <cstdio>
#include <string>
#include <utility>

#include "benchmarks/support/cuda_skip.h"

namespace p3d::bench {

void run_case_benchmark(benchmark::State& state, Backend* backend, const test::OpCase* c) {
  const std::vector<Tensor> inputs = test::make_inputs(*c);
  test::CaseInstance instance(*c, *backend, inputs);
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
  if (c->workspace) state.counters["workspace_KiB"] = double(c->workspace(*backend)) / 1024.0;
}

void register_case_benchmarks(CaseBenchmarks& registry, std::vector<test::OpCase> cases,
                              const char* program) {
  registry.cases = std::move(cases);
  registry.backends.push_back(make_cpu_backend());
  std::string reason;
  if (cuda_ready(&reason))
    registry.backends.push_back(make_cuda_backend(0));
  else
    std::fprintf(stderr, "%s: CUDA benchmarks skipped: %s\n", program, reason.c_str());
  for (const auto& backend : registry.backends) {
    const std::string prefix = backend->device().kind == DeviceKind::CPU ? "cpu/" : "cuda/";
    for (const test::OpCase& c : registry.cases) {
      benchmark::RegisterBenchmark((prefix + test::identifier(c.name)).c_str(), run_case_benchmark,
                                   backend.get(), &c)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace p3d::bench
