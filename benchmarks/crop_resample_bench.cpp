// Benchmarks of the head-crop resampling (kernels/crop_resample.h): the 256 x 256 window of
// a 960 x 1280 BGR photo resized by 1/4.4 (the seed portraits' typical head-crop scale),
// cubic for the photo and nearest for the 1-channel labels, at batch 1 and 16, on the CPU.
// Counters: output pixels/s and crops/s.
//
//   build/benchmarks/crop_resample_bench
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/cpu/crop_resample.h"

namespace p3d {
namespace {

constexpr int32_t kW = 960, kH = 1280, kCrop = 256;

struct Workload {
  std::vector<uint8_t> photos, labels;
  std::vector<CropResampleParams> items;
};

Workload make_workload(int32_t batch, int32_t channels) {
  Workload w;
  std::mt19937 rng(3);
  w.photos.resize(static_cast<size_t>(batch) * kW * kH * channels);
  for (auto& p : w.photos) p = static_cast<uint8_t>(rng());
  for (int32_t b = 0; b < batch; ++b) {
    const int32_t sw = 218 + b, sh = 291 + b;  // round(960 / 4.4), round(1280 / 4.4)
    w.items.push_back(CropResampleParams{static_cast<int64_t>(b) * kW * kH * channels, kW, kH, sw,
                                         sh, -19 + b, -17});
  }
  return w;
}

void BM_CropCubicCpu(benchmark::State& state) {
  const int32_t batch = static_cast<int32_t>(state.range(0));
  Workload w = make_workload(batch, 3);
  std::vector<uint8_t> out(static_cast<size_t>(batch) * kCrop * kCrop * 3);
  const CropBatchParams p{batch, kCrop, kCrop, 3};
  for (auto _ : state) {
    cpu::crop_resample_cubic(p, w.items.data(), w.photos.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["pixels/s"] = benchmark::Counter(double(batch) * kCrop * kCrop,
                                                  benchmark::Counter::kIsIterationInvariantRate);
  state.counters["crops/s"] =
      benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_CropCubicCpu)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CropNearestCpu(benchmark::State& state) {
  const int32_t batch = static_cast<int32_t>(state.range(0));
  Workload w = make_workload(batch, 1);
  std::vector<uint8_t> out(static_cast<size_t>(batch) * kCrop * kCrop);
  const CropBatchParams p{batch, kCrop, kCrop, 1};
  for (auto _ : state) {
    cpu::crop_resample_nearest(p, w.items.data(), w.photos.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["pixels/s"] = benchmark::Counter(double(batch) * kCrop * kCrop,
                                                  benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_CropNearestCpu)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace p3d
