// Benchmarks of the triangle rasterizer (kernels/rasterizer.h) on the portrait workload:
// a face-sized mesh of 70789 triangles (the Basel face model's count) rendered into the
// 256 x 256 head crop with one attribute (the 10 - z depth), at batch 1 and 64, on the CPU
// and — when this build has CUDA and a GPU is present — on the GPU.
//
// The mesh is synthetic: a 187 x 190 quad grid over a unit-sphere cap (~1 unit wide, like
// the face model's decimetres), seen from z = 10 with focal 1000, so it covers ~116 px
// across, as a face does in the head crop. Each image of a batch is turned a little
// (yaw), so the images differ.
//
// Counters: triangles/s = N·F per run, pixels/s = N·H·W output pixels per run (each
// resolved into id, attribute and mask), covered = share of pixels the mesh covers.
// CPU times are wall clock over the whole call; CUDA times are CUDA events around the three
// kernels (inputs already on the GPU).
//
//   build/benchmarks/rasterizer_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/support/bench_main.h"
#include "benchmarks/support/cuda_skip.h"
#include "engine/backend.h"
#include "kernels/cpu/rasterizer.h"
#include "kernels/rasterizer.h"

#if defined(P3D_WITH_CUDA)
#include "benchmarks/support/cuda_timing.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/owners.h"
#include "kernels/cuda/rasterizer.h"
#endif

namespace p3d {
namespace {

constexpr int32_t kTriangles = 70789;            // BFM_model_front.mat 'tri'
constexpr int kGridRows = 187, kGridCols = 190;  // 2·187·190 = 71060 >= kTriangles
constexpr int32_t kSize = 256;

struct Workload {
  RasterizeParams p;
  std::vector<float> vertices, cameras, attributes;
  std::vector<int32_t> triangles;
};

Workload make_workload(int32_t batch) {
  Workload w;
  RasterizeParams& p = w.p;
  p.batch = batch;
  p.width = p.height = kSize;
  p.channels = 1;
  p.background = -1.f;
  p.vertex_count = (kGridRows + 1) * (kGridCols + 1);
  for (int32_t n = 0; n < batch; ++n) {
    const float yaw = 0.3f * std::sin(0.7f * n);
    for (int j = 0; j <= kGridRows; ++j)
      for (int i = 0; i <= kGridCols; ++i) {
        const float th = -0.55f + 1.1f * i / kGridCols, ph = -0.65f + 1.3f * j / kGridRows;
        const float x0 = std::sin(th) * std::cos(ph), y = std::sin(ph);
        const float z0 = std::cos(th) * std::cos(ph) - 0.6f;
        const float x = std::cos(yaw) * x0 + std::sin(yaw) * z0;
        const float z = -std::sin(yaw) * x0 + std::cos(yaw) * z0;
        w.vertices.insert(w.vertices.end(), {x, y, z});
        w.attributes.push_back(10.f - z);
      }
    PinholeCamera c{1000.f, 128.f + 2.f * (n % 3), 124.f, {0, 0, 10}, {0, 0, 0}, {0, 1, 0}, 0.01f,
                    30.f};
    const RasterCamera cam = make_pinhole_camera(c, kSize, kSize);
    w.cameras.insert(w.cameras.end(), cam.clip_from_world.m, cam.clip_from_world.m + 16);
    w.cameras.insert(w.cameras.end(), cam.ndc_offset, cam.ndc_offset + 2);
  }
  for (int j = 0; j < kGridRows && p.triangle_count < kTriangles; ++j)
    for (int i = 0; i < kGridCols && p.triangle_count < kTriangles; ++i) {
      const int32_t v00 = j * (kGridCols + 1) + i, v10 = v00 + 1, v01 = v00 + kGridCols + 1,
                    v11 = v01 + 1;
      w.triangles.insert(w.triangles.end(), {v00, v10, v11});
      if (++p.triangle_count == kTriangles) break;
      w.triangles.insert(w.triangles.end(), {v00, v11, v01});
      ++p.triangle_count;
    }
  return w;
}

void set_counters(benchmark::State& state, const RasterizeParams& p, double covered_share) {
  const double runs = static_cast<double>(state.iterations());
  state.counters["triangles/s"] =
      benchmark::Counter(runs * p.batch * p.triangle_count, benchmark::Counter::kIsRate);
  state.counters["pixels/s"] =
      benchmark::Counter(runs * p.batch * double(p.height) * p.width, benchmark::Counter::kIsRate);
  state.counters["covered"] = covered_share;
}

double covered_share(const std::vector<float>& mask) {
  double sum = 0;
  for (float m : mask) sum += m;
  return sum / static_cast<double>(mask.size());
}

void bench_cpu(benchmark::State& state, int32_t batch) {
  const Workload w = make_workload(batch);
  const size_t pixels = static_cast<size_t>(batch) * kSize * kSize;
  std::vector<int32_t> ids(pixels);
  std::vector<float> depth(pixels), mask(pixels);
  std::vector<uint64_t> workspace(rasterize_workspace_bytes(w.p) / 8 + 1);
  RasterizeInputs in;
  in.vertices = w.vertices.data();
  in.cameras = w.cameras.data();
  in.triangles = w.triangles.data();
  in.attributes = w.attributes.data();
  RasterizeOutputs out;
  out.triangle_id = ids.data();
  out.attributes = depth.data();
  out.mask = mask.data();
  cpu::ThreadPool& pool = cpu::ThreadPool::global();
  for (auto _ : state) {
    cpu::rasterize_triangles(pool, w.p, in, out, workspace.data());
    benchmark::DoNotOptimize(ids.data());
  }
  set_counters(state, w.p, covered_share(mask));
  state.counters["threads"] = pool.size();
}

#if defined(P3D_WITH_CUDA)
void bench_cuda(benchmark::State& state, int32_t batch) {
  using cuda::DeviceBuffer;
  const Workload w = make_workload(batch);
  const size_t pixels = static_cast<size_t>(batch) * kSize * kSize;
  cuda::Stream stream;
  DeviceBuffer vertices(w.vertices.size() * 4), cameras(w.cameras.size() * 4),
      triangles(w.triangles.size() * 4), attributes(w.attributes.size() * 4), ids(pixels * 4),
      depth(pixels * 4), mask(pixels * 4), workspace(rasterize_workspace_bytes(w.p));
  auto upload = [&](DeviceBuffer& dst, const void* src, size_t bytes) {
    P3D_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src, bytes, cudaMemcpyHostToDevice, stream.get()));
  };
  upload(vertices, w.vertices.data(), w.vertices.size() * 4);
  upload(cameras, w.cameras.data(), w.cameras.size() * 4);
  upload(triangles, w.triangles.data(), w.triangles.size() * 4);
  upload(attributes, w.attributes.data(), w.attributes.size() * 4);
  check_rasterize_triangles(w.p, w.triangles.data());
  RasterizeInputs in;
  in.vertices = static_cast<const float*>(vertices.get());
  in.cameras = static_cast<const float*>(cameras.get());
  in.triangles = static_cast<const int32_t*>(triangles.get());
  in.attributes = static_cast<const float*>(attributes.get());
  RasterizeOutputs out;
  out.triangle_id = static_cast<int32_t*>(ids.get());
  out.attributes = static_cast<float*>(depth.get());
  out.mask = static_cast<float*>(mask.get());
  cuda::rasterize_triangles(w.p, in, out, workspace.get(), stream.get());  // warm-up
  bench::time_on_stream(state, stream.get(), [&] {
    cuda::rasterize_triangles(w.p, in, out, workspace.get(), stream.get());
  });
  std::vector<float> host_mask(pixels);
  cuda::download(host_mask.data(), mask.get(), pixels * 4, stream.get());
  set_counters(state, w.p, covered_share(host_mask));
}
#endif

}  // namespace
}  // namespace p3d

int main(int argc, char** argv) {
  using namespace p3d::bench;
  for (int32_t batch : {1, 64})
    register_cpu_benchmark("rasterize/cpu/70789tri/256x256/batch:" + std::to_string(batch),
                           [batch](benchmark::State& s) { p3d::bench_cpu(s, batch); });
  register_cuda_benchmarks("rasterizer_bench", [] {
#if defined(P3D_WITH_CUDA)
    for (int32_t batch : {1, 64})
      register_cuda_benchmark("rasterize/cuda/70789tri/256x256/batch:" + std::to_string(batch),
                              [batch](benchmark::State& s) { p3d::bench_cuda(s, batch); });
#endif
  });
  return run_benchmarks(argc, argv);
}
