// Benchmarks of the step-2 / step-4 head masks at the kernel level (kernels/head_masks.h,
// kernels/connected_components.h): the four passes compute_head_masks runs — split, remove
// stitch components < 20, dilation ring, remove ring components < 200 — and the component
// removal alone, at batch 1 and 8 of 256 x 256, on the CPU and, when this build has CUDA
// and a GPU is present, on the GPU.
//
// The workload is a drawn portrait layout, different per image: a face ellipse (labels 1,
// inner mouth 5), a hair cap around its top, two ears, the render ellipse a little smaller
// and shifted so face labels stick out of it, plus 3% salt noise of random labels (hundreds
// of tiny components, the removal's real work on parser speckle).
//
// Counters: pixels/s = N·256·256 per run. CPU times are wall clock over the calls; CUDA times
// are CUDA events around the kernels (inputs already on the GPU).
//
//   build/benchmarks/head_masks_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "benchmarks/support/bench_main.h"
#include "benchmarks/support/cuda_skip.h"
#include "engine/backend.h"
#include "kernels/connected_components.h"
#include "kernels/cpu/connected_components.h"
#include "kernels/cpu/head_masks.h"
#include "kernels/head_masks.h"

#if defined(P3D_WITH_CUDA)
#include "benchmarks/support/cuda_timing.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/connected_components.h"
#include "kernels/cuda/head_masks.h"
#include "kernels/cuda/owners.h"
#endif

namespace p3d {
namespace {

constexpr int32_t kSize = 256;
constexpr size_t kPlane = static_cast<size_t>(kSize) * kSize;

struct Workload {
  int32_t batch;
  std::vector<uint8_t> labels, coverage;
};

Workload make_workload(int32_t batch) {
  Workload w{batch, std::vector<uint8_t>(batch * kPlane), std::vector<uint8_t>(batch * kPlane)};
  std::mt19937 rng(42);
  for (int32_t n = 0; n < batch; ++n) {
    const double cx = 128 + 4 * n, cy = 140 - 2 * n, rx = 60 + n, ry = 78;
    for (int32_t y = 0; y < kSize; ++y)
      for (int32_t x = 0; x < kSize; ++x) {
        const double u = (x - cx) / rx, v = (y - cy) / ry;
        const double face = u * u + v * v;
        const double hair_u = (x - cx) / (rx * 1.25), hair_v = (y - cy + 18) / (ry * 1.2);
        uint8_t l = kLabelBackground;
        if (hair_u * hair_u + hair_v * hair_v <= 1.0 && y < cy) l = kLabelHair;
        if (face <= 1.0) l = kLabelFace;
        if (face <= 1.0 && v > 0.45 && v < 0.6 && u * u < 0.08) l = kLabelInnerMouth;
        const double ear_u = (std::abs(x - cx) - rx - 6) / 9.0, ear_v = (y - cy) / 22.0;
        if (ear_u * ear_u + ear_v * ear_v <= 1.0) l = x < cx ? kLabelLeftEar : kLabelRightEar;
        if (rng() % 100 < 3) l = static_cast<uint8_t>(rng() % 6);
        const double ru = (x - cx) / (rx * 0.92), rv = (y - cy - 5) / (ry * 0.9);
        const size_t i = n * kPlane + static_cast<size_t>(y) * kSize + x;
        w.labels[i] = l;
        w.coverage[i] = ru * ru + rv * rv <= 1.0 ? 1 : 0;
      }
  }
  return w;
}

void set_counters(benchmark::State& state, int32_t batch) {
  state.counters["pixels/s"] = benchmark::Counter(static_cast<double>(batch) * kPlane,
                                                  benchmark::Counter::kIsIterationInvariantRate);
}

// ---- CPU -----------------------------------------------------------------------------------

struct CpuBuffers {
  std::vector<uint8_t> hair, stitch, fwoh, ring;
  std::vector<int32_t> workspace;
  explicit CpuBuffers(int32_t batch)
      : hair(batch * kPlane),
        stitch(batch * kPlane),
        fwoh(batch * kPlane),
        ring(batch * kPlane),
        workspace(2 * batch * kPlane) {}
};

void run_cpu(const Workload& w, CpuBuffers& b) {
  cpu::ThreadPool& pool = cpu::ThreadPool::global();
  const HeadMaskParams p{w.batch, kSize, kSize};
  cpu::head_mask_split(pool, p, {w.labels.data(), w.coverage.data()},
                       {b.hair.data(), b.stitch.data(), b.fwoh.data()});
  cpu::remove_small_components(pool, {w.batch, kSize, kSize, 20},
                               {b.stitch.data(), b.stitch.data(), nullptr}, b.workspace.data());
  cpu::dilation_ring(pool, p, b.fwoh.data(), b.ring.data());
  cpu::remove_small_components(pool, {w.batch, kSize, kSize, 200},
                               {b.ring.data(), b.ring.data(), nullptr}, b.workspace.data());
}

void bench_cpu_all(benchmark::State& state, int32_t batch) {
  const Workload w = make_workload(batch);
  CpuBuffers b(batch);
  for (auto _ : state) {
    run_cpu(w, b);
    benchmark::DoNotOptimize(b.ring.data());
  }
  set_counters(state, batch);
  state.counters["threads"] = cpu::ThreadPool::global().size();
}

void bench_cpu_components(benchmark::State& state, int32_t batch) {
  const Workload w = make_workload(batch);
  CpuBuffers b(batch);
  run_cpu(w, b);
  // The raw stitch mask again (the run above removed its small components in place).
  cpu::head_mask_split(cpu::ThreadPool::global(), {batch, kSize, kSize},
                       {w.labels.data(), w.coverage.data()},
                       {b.hair.data(), b.stitch.data(), b.fwoh.data()});
  std::vector<uint8_t> kept(batch * kPlane);
  for (auto _ : state) {
    cpu::remove_small_components(cpu::ThreadPool::global(), {batch, kSize, kSize, 20},
                                 {b.stitch.data(), kept.data(), nullptr}, b.workspace.data());
    benchmark::DoNotOptimize(kept.data());
  }
  set_counters(state, batch);
}

// ---- CUDA ----------------------------------------------------------------------------------

#if defined(P3D_WITH_CUDA)
void bench_cuda(benchmark::State& state, int32_t batch, bool components_only) {
  using cuda::DeviceBuffer;
  const Workload w = make_workload(batch);
  const size_t pixels = batch * kPlane;
  cuda::Stream stream;
  DeviceBuffer labels(pixels), coverage(pixels), hair(pixels), stitch(pixels), fwoh(pixels),
      ring(pixels), kept(pixels), workspace(2 * pixels * sizeof(int32_t));
  cuda::upload(labels.get(), w.labels.data(), pixels, stream.get());
  cuda::upload(coverage.get(), w.coverage.data(), pixels, stream.get());
  auto u8 = [](const DeviceBuffer& b) { return static_cast<uint8_t*>(b.get()); };
  const HeadMaskParams p{batch, kSize, kSize};
  auto run = [&] {
    if (components_only) {
      cuda::remove_small_components({batch, kSize, kSize, 20}, {u8(stitch), u8(kept), nullptr},
                                    workspace.get(), stream.get());
      return;
    }
    cuda::head_mask_split(p, {u8(labels), u8(coverage)}, {u8(hair), u8(stitch), u8(fwoh)},
                          stream.get());
    cuda::remove_small_components({batch, kSize, kSize, 20}, {u8(stitch), u8(stitch), nullptr},
                                  workspace.get(), stream.get());
    cuda::dilation_ring(p, u8(fwoh), u8(ring), stream.get());
    cuda::remove_small_components({batch, kSize, kSize, 200}, {u8(ring), u8(ring), nullptr},
                                  workspace.get(), stream.get());
  };
  cuda::head_mask_split(p, {u8(labels), u8(coverage)}, {u8(hair), u8(stitch), u8(fwoh)},
                        stream.get());
  run();  // warm-up
  bench::time_on_stream(state, stream.get(), run);
  set_counters(state, batch);
}
#endif

}  // namespace
}  // namespace p3d

int main(int argc, char** argv) {
  using namespace p3d::bench;
  for (int32_t batch : {1, 8}) {
    const std::string b = std::to_string(batch);
    register_cpu_benchmark(
        "head_masks/cpu/all/256x256/batch:" + b,
        [batch](benchmark::State& s) { p3d::bench_cpu_all(s, batch); }, benchmark::kMicrosecond);
    register_cpu_benchmark(
        "head_masks/cpu/components<20/256x256/batch:" + b,
        [batch](benchmark::State& s) { p3d::bench_cpu_components(s, batch); },
        benchmark::kMicrosecond);
  }
  register_cuda_benchmarks("head_masks_bench", [] {
#if defined(P3D_WITH_CUDA)
    for (int32_t batch : {1, 8})
      for (bool only : {false, true})
        register_cuda_benchmark(
            "head_masks/cuda/" + std::string(only ? "components<20" : "all") +
                "/256x256/batch:" + std::to_string(batch),
            [batch, only](benchmark::State& s) { p3d::bench_cuda(s, batch, only); });
#endif
  });
  return run_benchmarks(argc, argv);
}
