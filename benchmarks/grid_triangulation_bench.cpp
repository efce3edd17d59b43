// Benchmarks of the grid triangulation of binary masks (kernels/grid_triangulation.h) on the
// step-2 workload: 256 x 256 hair-like masks — a ring around a face-sized hole with a wavy
// outline and scattered one-pixel holes and notches (the Delaunay bridges) — at batch 1 and
// 8, on the CPU and, when this build has CUDA and a GPU is present, on the GPU; and for
// comparison the original's route, a real Delaunay (CGAL's Delaunay_triangulation_2) plus
// the sqrt(5) filter, when CGAL was found at configure time.
//
// Counters: masks/s, triangles (per mask, the first mask's). CPU times are wall clock over
// the whole call (count, scan, emit, output vectors); CUDA times are CUDA events around the
// count launch, the offsets' read-back and the emit launch, inputs and outputs on the GPU.
//
//   build/benchmarks/grid_triangulation_bench
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
#include "kernels/cpu/grid_triangulation.h"
#include "kernels/grid_triangulation.h"

#if defined(P3D_WITH_CUDA)
#include "benchmarks/support/cuda_timing.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/grid_triangulation.h"
#include "kernels/cuda/owners.h"
#endif

#if defined(P3D_BENCH_WITH_CGAL)
#include <CGAL/Delaunay_triangulation_2.h>
#include <CGAL/Exact_predicates_inexact_constructions_kernel.h>
#include <CGAL/Triangulation_vertex_base_with_info_2.h>
#endif

namespace p3d {
namespace {

constexpr int32_t kSize = 256;

// Mask n of a batch: hair between a wavy outer outline and an elliptic face, 2% of its
// pixels knocked out at random.
std::vector<uint8_t> make_masks(int32_t batch) {
  std::vector<uint8_t> masks(static_cast<size_t>(batch) * kSize * kSize, 0);
  std::mt19937 rng(12345);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  for (int32_t n = 0; n < batch; ++n)
    for (int32_t r = 0; r < kSize; ++r)
      for (int32_t c = 0; c < kSize; ++c) {
        const float y = r - 120.f, x = c - 128.f - 2.f * n;
        const float th = std::atan2(y, x), rad = std::sqrt(x * x + y * y);
        const float outer = 105.f + 9.f * std::sin(7.f * th + n) + 3.f * std::sin(23.f * th);
        const bool face = (x * x) / (55.f * 55.f) + ((y - 25.f) * (y - 25.f)) / (75.f * 75.f) < 1.f;
        const bool on = rad < outer && !face && u(rng) > 0.02f;
        masks[(static_cast<size_t>(n) * kSize + r) * kSize + c] = on ? 1 : 0;
      }
  return masks;
}

GridTriangulationParams params(int32_t batch) {
  GridTriangulationParams p;
  p.batch = batch;
  p.height = p.width = kSize;
  return p;
}

void bench_cpu(benchmark::State& state, int32_t batch) {
  const std::vector<uint8_t> masks = make_masks(batch);
  const GridTriangulationParams p = params(batch);
  cpu::ThreadPool& pool = cpu::ThreadPool::global();
  int32_t triangles = 0;
  for (auto _ : state) {
    const cpu::GridTriangulation t = cpu::triangulate_grid(pool, p, masks.data());
    triangles = t.triangle_offsets[1];
    benchmark::DoNotOptimize(t.triangles.data());
  }
  state.counters["masks/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * batch,
                                                 benchmark::Counter::kIsRate);
  state.counters["triangles"] = triangles;
  state.counters["threads"] = pool.size();
}

#if defined(P3D_BENCH_WITH_CGAL)
using Kernel = CGAL::Exact_predicates_inexact_constructions_kernel;
using Tds = CGAL::Triangulation_data_structure_2<
    CGAL::Triangulation_vertex_base_with_info_2<int32_t, Kernel>>;
using Delaunay = CGAL::Delaunay_triangulation_2<Kernel, Tds>;

// The original's route for each mask, one after the other: np.where, Delaunay, filter_tri.
void bench_cgal(benchmark::State& state, int32_t batch) {
  const std::vector<uint8_t> masks = make_masks(batch);
  int32_t triangles = 0;
  for (auto _ : state) {
    for (int32_t n = 0; n < batch; ++n) {
      std::vector<std::pair<Kernel::Point_2, int32_t>> points;
      const uint8_t* m = masks.data() + static_cast<size_t>(n) * kSize * kSize;
      for (int32_t r = 0; r < kSize; ++r)
        for (int32_t c = 0; c < kSize; ++c)
          if (m[r * kSize + c])
            points.push_back({Kernel::Point_2(r, c), static_cast<int32_t>(points.size())});
      Delaunay dt(points.begin(), points.end());
      std::vector<int32_t> kept;
      for (auto f = dt.finite_faces_begin(); f != dt.finite_faces_end(); ++f) {
        bool short_edges = true;
        for (int i = 0; i < 3; ++i) {
          const auto& a = f->vertex(i)->point();
          const auto& b = f->vertex((i + 1) % 3)->point();
          if (CGAL::squared_distance(a, b) > 5.0) short_edges = false;
        }
        if (!short_edges) continue;
        for (int i = 0; i < 3; ++i) kept.push_back(f->vertex(i)->info());
      }
      if (n == 0) triangles = static_cast<int32_t>(kept.size() / 3);
      benchmark::DoNotOptimize(kept.data());
    }
  }
  state.counters["masks/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * batch,
                                                 benchmark::Counter::kIsRate);
  state.counters["triangles"] = triangles;
}
#endif

#if defined(P3D_WITH_CUDA)
void bench_cuda(benchmark::State& state, int32_t batch) {
  using cuda::DeviceBuffer;
  const std::vector<uint8_t> masks = make_masks(batch);
  const GridTriangulationParams p = params(batch);
  const size_t pixels = masks.size();
  cuda::Stream stream;
  // Outputs at their upper bounds (a planar triangulation has < 2 triangles per vertex).
  DeviceBuffer d_masks(pixels), workspace(cuda::grid_triangulation_workspace_bytes(p)),
      offsets(2 * (batch + 1) * sizeof(int32_t)), pixel_vertex(pixels * 4), points(pixels * 8),
      triangles(pixels * 24);
  cuda::upload(d_masks.get(), masks.data(), pixels, stream.get());
  const auto* dm = static_cast<const uint8_t*>(d_masks.get());
  int32_t* vertex_offsets = static_cast<int32_t*>(offsets.get());
  int32_t* triangle_offsets = vertex_offsets + batch + 1;
  GridTriangulationOutputs out;
  out.pixel_vertex = static_cast<int32_t*>(pixel_vertex.get());
  out.points = static_cast<int32_t*>(points.get());
  out.triangles = static_cast<int32_t*>(triangles.get());
  std::vector<int32_t> host_offsets(2 * (batch + 1));
  auto once = [&] {
    cuda::grid_triangulation_count(p, dm, workspace.get(), vertex_offsets, triangle_offsets,
                                   stream.get());
    P3D_CUDA_CHECK(cudaMemcpyAsync(host_offsets.data(), offsets.get(),
                                   host_offsets.size() * sizeof(int32_t), cudaMemcpyDeviceToHost,
                                   stream.get()));
    P3D_CUDA_CHECK(cudaStreamSynchronize(stream.get()));  // the host sizes outputs here
    cuda::grid_triangulation_emit(p, dm, workspace.get(), out, stream.get());
  };
  once();  // warm-up
  bench::time_on_stream(state, stream.get(), once);
  state.counters["masks/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * batch,
                                                 benchmark::Counter::kIsRate);
  state.counters["triangles"] = host_offsets[batch + 1 + 1] - host_offsets[batch + 1];
}
#endif

}  // namespace
}  // namespace p3d

int main(int argc, char** argv) {
  using namespace p3d::bench;
  for (int32_t batch : {1, 8}) {
    const std::string b = std::to_string(batch);
    register_cpu_benchmark("grid_triangulation/cpu/256x256/batch:" + b,
                           [batch](benchmark::State& s) { p3d::bench_cpu(s, batch); });
#if defined(P3D_BENCH_WITH_CGAL)
    register_cpu_benchmark("cgal_delaunay_filtered/cpu/256x256/batch:" + b,
                           [batch](benchmark::State& s) { p3d::bench_cgal(s, batch); });
#endif
  }
  register_cuda_benchmarks("grid_triangulation_bench", [] {
#if defined(P3D_WITH_CUDA)
    for (int32_t batch : {1, 8})
      register_cuda_benchmark("grid_triangulation/cuda/256x256/batch:" + std::to_string(batch),
                              [batch](benchmark::State& s) { p3d::bench_cuda(s, batch); });
#endif
  });
  return run_benchmarks(argc, argv);
}
