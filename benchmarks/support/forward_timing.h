// How the network benchmarks time one forward pass, the same way for every network: one
// untimed run that plans this batch size and warms the caches, then timed runs each waiting
// for the backend, and the counters they all report.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

#include "engine/backend.h"
#include "engine/executor.h"

namespace p3d::bench {

// Times executor.run(inputs) on `backend`; counts GFLOP/s and images/s from the batch and
// the graph's FLOPs per image, and the arena's size in MiB.
inline void time_forward(benchmark::State& state, Executor& executor, Backend& backend,
                         const TensorMap& inputs, int64_t flops_per_image, int batch) {
  executor.run(inputs);
  backend.synchronize();
  for (auto _ : state) {
    executor.run(inputs);
    backend.synchronize();
  }
  using benchmark::Counter;
  state.counters["GFLOP"] = Counter(static_cast<double>(flops_per_image) * batch * 1e-9,
                                    Counter::kIsIterationInvariantRate);
  state.counters["img"] = Counter(batch, Counter::kIsIterationInvariantRate);
  state.counters["arena_MiB"] = static_cast<double>(executor.arena_bytes()) / (1 << 20);
}

}  // namespace p3d::bench
