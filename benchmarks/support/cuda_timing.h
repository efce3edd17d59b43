// The benchmarks' one way to time CUDA work: per iteration, events recorded around what
// `launch` queues on `stream`, their elapsed time handed to Google Benchmark as manual time
// (register with UseManualTime(), e.g. bench_main.h's register_cuda_benchmark). Host-side
// launch overhead outside the stream is not counted; the device's time is.
#pragma once

#if defined(P3D_WITH_CUDA)
#include <benchmark/benchmark.h>
#include <cuda_runtime_api.h>

#include "kernels/cuda/owners.h"

namespace p3d::bench {

template <typename Launch>
void time_on_stream(benchmark::State& state, cudaStream_t stream, Launch&& launch) {
  cuda::Event begin, end;
  for (auto _ : state) {
    begin.record(stream);
    launch();
    end.record(stream);
    state.SetIterationTime(cuda::Event::elapsed_ms(begin, end) * 1e-3);
  }
}

}  // namespace p3d::bench
#endif
