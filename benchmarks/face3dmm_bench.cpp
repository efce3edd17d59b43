// Benchmarks of the 3D morphable face model passes (kernels/face3dmm.h) at the real model's
// size (35709 vertices, 144 shape coefficients): the basis product [N, 144] x [144, 3V] and
// the per-vertex pose + projection pass, at batch 1, 8 and 32, on the CPU and — when this
// build has CUDA and a GPU is present — on the GPU (cuBLAS SGEMM + the per-vertex kernel).
//
// Counters: GFLOP/s of the product (2·N·3V·144 per run) and GB/s of basis traffic (the
// 62 MB FP32 basis is read once per run: at batch 1 the product is bandwidth-bound).
// CPU times are wall clock; CUDA times are CUDA events around the two launches (inputs
// already on the GPU).
//
//   build/benchmarks/face3dmm_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "benchmarks/support/cuda_skip.h"
#include "kernels/cpu/face3dmm.h"
#include "kernels/face3dmm.h"

#if defined(P3D_WITH_CUDA)
#include "benchmarks/support/cuda_timing.h"
#include "engine/backend.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/face3dmm.h"
#include "kernels/cuda/owners.h"
#endif

namespace p3d {
namespace {

constexpr int32_t kVertices = 35709;
constexpr int64_t kRows = 3 * static_cast<int64_t>(kVertices);

struct Workload {
  std::vector<float> basis, mean, coeffs;
  std::vector<FaceCamera> cameras;
};

Workload make_workload(int32_t batch) {
  Workload w;
  std::mt19937 rng(17);
  std::normal_distribution<float> n(0.f, 1.f);
  w.basis.resize(kRows * FaceCoeff::kShapeDims);
  for (float& v : w.basis) v = 0.01f * n(rng);
  w.mean.resize(kRows);
  for (float& v : w.mean) v = 0.5f * n(rng);
  w.coeffs.resize(static_cast<size_t>(batch) * FaceCoeff::kCount);
  for (float& v : w.coeffs) v = 0.1f * n(rng);
  w.cameras.assign(batch, FaceCamera{kFaceFocal, kFaceCenter, kFaceCenter, 1.5f, 10.f, 20.f});
  return w;
}

void set_counters(benchmark::State& state, int32_t batch) {
  const double flops = 2.0 * batch * kRows * FaceCoeff::kShapeDims;
  const double bytes = static_cast<double>(kRows) * FaceCoeff::kShapeDims * sizeof(float);
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["basis_GB/s"] =
      benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["faces/s"] =
      benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Face3dmmCpu(benchmark::State& state) {
  const int32_t batch = static_cast<int32_t>(state.range(0));
  Workload w = make_workload(batch);
  std::vector<float> shape(static_cast<size_t>(batch) * kRows), posed(shape.size()),
      projection(static_cast<size_t>(batch) * kVertices * 2);
  const FaceVertexParams p{batch, kVertices, FaceCoeff::kCount};
  for (auto _ : state) {
    cpu::face_basis_product(batch, kRows, FaceCoeff::kShapeDims, w.coeffs.data(), FaceCoeff::kCount,
                            w.basis.data(), shape.data());
    cpu::face_vertices(p, shape.data(), w.mean.data(), w.coeffs.data(), w.cameras.data(),
                       shape.data(), posed.data(), projection.data());
    benchmark::DoNotOptimize(projection.data());
  }
  set_counters(state, batch);
}
BENCHMARK(BM_Face3dmmCpu)
    ->Arg(1)
    ->Arg(4)
    ->Arg(8)
    ->Arg(32)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

#if defined(P3D_WITH_CUDA)
void BM_Face3dmmCuda(benchmark::State& state) {
  if (!bench::cuda_or_skip(state)) return;
  using cuda::CublasHandle;
  using cuda::DeviceBuffer;
  using cuda::Stream;
  const int32_t batch = static_cast<int32_t>(state.range(0));
  Workload w = make_workload(batch);
  Stream stream;
  DeviceBuffer workspace(size_t{4} << 20);
  CublasHandle cublas(stream.get(), workspace.get(), workspace.bytes());
  DeviceBuffer basis(w.basis.size() * 4), mean(w.mean.size() * 4), coeffs(w.coeffs.size() * 4),
      cameras(w.cameras.size() * sizeof(FaceCamera)), shape(static_cast<size_t>(batch) * kRows * 4),
      posed(static_cast<size_t>(batch) * kRows * 4),
      projection(static_cast<size_t>(batch) * kVertices * 2 * 4);
  cuda::upload(basis.get(), w.basis.data(), basis.bytes(), stream.get());
  cuda::upload(mean.get(), w.mean.data(), mean.bytes(), stream.get());
  cuda::upload(coeffs.get(), w.coeffs.data(), coeffs.bytes(), stream.get());
  cuda::upload(cameras.get(), w.cameras.data(), cameras.bytes(), stream.get());
  const FaceVertexParams p{batch, kVertices, FaceCoeff::kCount};
  bench::time_on_stream(state, stream.get(), [&] {
    cuda::face_basis_product(cublas.get(), batch, kRows, FaceCoeff::kShapeDims,
                             static_cast<const float*>(coeffs.get()), FaceCoeff::kCount,
                             static_cast<const float*>(basis.get()),
                             static_cast<float*>(shape.get()));
    cuda::face_vertices(
        p, static_cast<const float*>(shape.get()), static_cast<const float*>(mean.get()),
        static_cast<const float*>(coeffs.get()), static_cast<const FaceCamera*>(cameras.get()),
        static_cast<float*>(shape.get()), static_cast<float*>(posed.get()),
        static_cast<float*>(projection.get()), stream.get());
  });
  set_counters(state, batch);
}
BENCHMARK(BM_Face3dmmCuda)
    ->Arg(1)
    ->Arg(8)
    ->Arg(32)
    ->Arg(256)
    ->Unit(benchmark::kMicrosecond)
    ->UseManualTime();
#endif

}  // namespace
}  // namespace p3d
