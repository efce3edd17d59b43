// Benchmarks of the face alignment's resampling (kernels/alignment.h): N photos of 1024 x 768
// -> [N, 224, 224, 3] float, for both of the original's paths (OpenCV: warpAffine + linear
// resize, 68-landmark default; Pillow: nearest transform + bilinear resize, 5-landmark),
// at batch 1 and 64, on the CPU and — when this build has CUDA and a GPU is present — on
// the GPU. The geometry is a typical seed portrait's (face scale s = 250: the photo shrinks
// to ~40%, so a Pillow window spans ~5 x 5 source pixels per output pixel).
//
// Counters: faces/s and output Mpixel/s. CPU times are wall clock (all pool threads); CUDA
// times are CUDA events around the launch, photos already on the GPU (the upload of the
// photos, ~2.4 MB each, is the caller's and is not timed).
//
//   build/benchmarks/alignment_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "benchmarks/support/cuda_skip.h"
#include "kernels/alignment.h"
#include "kernels/cpu/alignment.h"

#if defined(P3D_WITH_CUDA)
#include "benchmarks/support/cuda_timing.h"
#include "engine/backend.h"
#include "kernels/cuda/alignment.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/owners.h"
#endif

namespace p3d {
namespace {

constexpr int32_t kPhotoW = 1024, kPhotoH = 768;
constexpr size_t kPhotoBytes = static_cast<size_t>(kPhotoW) * kPhotoH * 3;
constexpr double kFaceScale = 250.0;

struct Workload {
  std::vector<uint8_t> photos;  // [N, H, W, 3]
  std::vector<AlignItemParams> items;
};

Workload make_workload(int32_t batch, AlignResampler resampler) {
  Workload w;
  w.photos.resize(kPhotoBytes * batch);
  std::mt19937 rng(23);
  for (uint8_t& v : w.photos) v = static_cast<uint8_t>(rng());
  for (int32_t b = 0; b < batch; ++b) {
    AlignItemParams p{};
    p.src_offset = static_cast<int64_t>(kPhotoBytes) * b;
    p.src_w = kPhotoW;
    p.src_h = kPhotoH;
    p.resampler = resampler;
    p.shift_ix = -13 - b % 5;  // a face slightly off centre, a fractional shift
    p.shift_iy = 9 + b % 3;
    p.shift_fx = 7;
    p.shift_fy = 21;
    p.pil_dx = p.shift_ix + 0.4;
    p.pil_dy = p.shift_iy + 0.7;
    const double scale = (b % 2 ? 102.0 : 100.0) / kFaceScale;
    p.scaled_w = static_cast<int32_t>(kPhotoW * scale);
    p.scaled_h = static_cast<int32_t>(kPhotoH * scale);
    p.left = p.scaled_w / 2 - kAlignCropSize / 2;
    p.up = p.scaled_h / 2 - kAlignCropSize / 2;
    w.items.push_back(p);
  }
  return w;
}

void set_counters(benchmark::State& state, int32_t batch) {
  const double pixels = static_cast<double>(batch) * kAlignCropSize * kAlignCropSize;
  state.counters["faces/s"] =
      benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["Mpix/s"] =
      benchmark::Counter(pixels * 1e-6, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_AlignCpu(benchmark::State& state) {
  const int32_t batch = static_cast<int32_t>(state.range(0));
  const auto resampler = static_cast<AlignResampler>(state.range(1));
  const Workload w = make_workload(batch, resampler);
  std::vector<float> out(static_cast<size_t>(batch) * kAlignCropSize * kAlignCropSize * 3);
  const AlignBatchParams p{batch, kAlignCropSize, 3};
  for (auto _ : state) {
    cpu::align_faces(p, w.items.data(), w.photos.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, batch);
}
BENCHMARK(BM_AlignCpu)
    ->ArgNames({"batch", "pillow"})
    ->Args({1, 0})
    ->Args({64, 0})
    ->Args({1, 1})
    ->Args({64, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

#if defined(P3D_WITH_CUDA)
void BM_AlignCuda(benchmark::State& state) {
  if (!bench::cuda_or_skip(state)) return;
  using cuda::DeviceBuffer;
  using cuda::Stream;
  const int32_t batch = static_cast<int32_t>(state.range(0));
  const auto resampler = static_cast<AlignResampler>(state.range(1));
  const Workload w = make_workload(batch, resampler);
  Stream stream;
  DeviceBuffer photos(w.photos.size()), items(w.items.size() * sizeof(AlignItemParams)),
      out(static_cast<size_t>(batch) * kAlignCropSize * kAlignCropSize * 3 * sizeof(float));
  cuda::upload(photos.get(), w.photos.data(), photos.bytes(), stream.get());
  cuda::upload(items.get(), w.items.data(), items.bytes(), stream.get());
  const AlignBatchParams p{batch, kAlignCropSize, 3};
  bench::time_on_stream(state, stream.get(), [&] {
    cuda::align_faces(p, nullptr, static_cast<const AlignItemParams*>(items.get()),
                      static_cast<const uint8_t*>(photos.get()), static_cast<float*>(out.get()),
                      stream.get());
  });
  set_counters(state, batch);
}
BENCHMARK(BM_AlignCuda)
    ->ArgNames({"batch", "pillow"})
    ->Args({1, 0})
    ->Args({64, 0})
    ->Args({1, 1})
    ->Args({64, 1})
    ->Unit(benchmark::kMicrosecond)
    ->UseManualTime();
#endif

}  // namespace
}  // namespace p3d
