// Benchmarks of the face/hair stitch (pipeline/stitching.h) at portrait size: the synthetic
// scene of tools/oracle/stitch.py rebuilt from its formulas (256 x 256 masks, ~12k hair/ear
// vertices, ~35k face vertices, ~600 border ids; the ring here is the plain 1-pixel ring of
// the face mask, without the small-component removal, which does not change the cost), on
// the CPU and — when this build has CUDA and a GPU answers — with the searches on the GPU
// (wall clock of the whole call, uploads and downloads included). The parts alone: the CPU
// nearest-face kd-tree search and our Delaunay triangulation of the stitch vertices.
//
//   build/benchmarks/stitching_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "benchmarks/support/cuda_skip.h"
#include "engine/backend.h"
#include "kernels/cpu/stitch_search.h"
#include "pipeline/delaunay_2d.h"
#include "pipeline/stitching.h"
#include "tests/support/stitch_scene.h"

namespace p3d {
namespace {

constexpr int kSize = 256;

using Scene = test::StitchScene;

const Scene& scene() {
  static const Scene s = [] {
    Scene s;
    s.size = kSize;
    std::vector<uint8_t> face(kSize * kSize), hair(kSize * kSize);
    for (int64_t r = 0; r < kSize; ++r)
      for (int64_t c = 0; c < kSize; ++c) {
        const bool oval =
            ((r - 132) * 58) * ((r - 132) * 58) + ((c - 128) * 72) * ((c - 128) * 72) <=
            (72 * 58) * (72 * 58);
        const bool below = r >= 86 + (c - 128) * (c - 128) / 120;
        const bool head =
            ((r - 120) * 82) * ((r - 120) * 82) + ((c - 128) * 100) * ((c - 128) * 100) <=
            (100 * 82) * (100 * 82);
        face[r * kSize + c] = oval && below;
        hair[r * kSize + c] = head && !(oval && below) && r < 170;
      }
    s.ring.assign(kSize * kSize, 0);
    for (int r = 0; r < kSize; ++r)
      for (int c = 0; c < kSize; ++c) {
        if (face[r * kSize + c]) continue;
        for (int dr = -1; dr <= 1; ++dr)
          for (int dc = -1; dc <= 1; ++dc) {
            const int rr = r + dr, cc = c + dc;
            if (rr >= 0 && rr < kSize && cc >= 0 && cc < kSize && face[rr * kSize + cc])
              s.ring[r * kSize + c] = 1;
          }
      }
    for (int r = 0; r < kSize; ++r)
      for (int c = 0; c < kSize; ++c) {
        if (!hair[r * kSize + c]) continue;
        s.points_index.insert(s.points_index.end(), {r, c});
        const double x = (c - 128) * 3.0 / 256, y = (128 - r) * 3.0 / 256;
        s.hair_xyz.insert(s.hair_xyz.end(),
                          {float(x), float(y), float(0.28 - (x * x + y * y) / 4)});
        s.hair_colors.insert(s.hair_colors.end(), {1.f, 2.f, 3.f});
      }
    const int64_t ci = 96, cj = 117;
    for (int64_t j = 0; j < 235; ++j)
      for (int64_t i = 0; i < 193; ++i) {
        const int64_t u = i - ci, w = j - cj;
        const int64_t e = (u * cj) * (u * cj) + (w * ci) * (w * ci), limit = (ci * cj) * (ci * cj);
        if (e > limit) continue;
        if (e > limit - 2 * ci * cj * cj * 2)
          s.border.push_back(static_cast<int32_t>(s.face_xyz.size() / 3));
        const double x = u * 15.0 / 2048 + ((i * 7 + j * 13) % 17 - 8) / 8192.0;
        const double y = w * 15.0 / 2048 - 3.0 / 64 + ((i * 11 + j * 5) % 19 - 9) / 8192.0;
        s.face_xyz.insert(s.face_xyz.end(), {float(x), float(y), float(0.3 - (x * x + y * y) / 4)});
        s.face_colors.insert(s.face_colors.end(), {4.f, 5.f, 6.f});
      }
    return s;
  }();
  return s;
}

void BM_StitchCpu(benchmark::State& state) {
  const StitchInput in = scene().input();
  StitchResult r;
  for (auto _ : state) {
    r = stitch(in, DeviceKind::CPU);
    benchmark::DoNotOptimize(r.triangles.data());
  }
  state.counters["stitch_vertices"] = r.vertex_count();
  state.counters["triangles"] = r.triangle_count();
  state.counters["hair_boundary"] = static_cast<double>(r.hair_boundary_ind.size());
  state.counters["face_vertices"] = in.face_count;
}
BENCHMARK(BM_StitchCpu)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_StitchCuda(benchmark::State& state) {
  if (!bench::cuda_or_skip(state)) return;
  const StitchInput in = scene().input();
  StitchResult r = stitch(in, DeviceKind::CUDA);  // warm-up: context, module load
  for (auto _ : state) {
    r = stitch(in, DeviceKind::CUDA);
    benchmark::DoNotOptimize(r.triangles.data());
  }
  state.counters["stitch_vertices"] = r.vertex_count();
}
BENCHMARK(BM_StitchCuda)->Unit(benchmark::kMillisecond)->UseRealTime();

// The 3D search alone: every hair vertex (not only the boundary) against the face, so the
// kd-tree is measured on ~12k queries, many of them far from the face.
void BM_NearestFaceCpu(benchmark::State& state) {
  const Scene& s = scene();
  NearestFaceParams p;
  p.query_count = static_cast<int32_t>(state.range(0));
  p.face_count = static_cast<int32_t>(s.face_xyz.size() / 3);
  std::vector<int32_t> nearest(p.query_count);
  for (auto _ : state) {
    cpu::nearest_face_vertices(cpu::ThreadPool::global(), p, {s.hair_xyz.data(), s.face_xyz.data()},
                               nearest.data());
    benchmark::DoNotOptimize(nearest.data());
  }
  state.SetItemsProcessed(state.iterations() * p.query_count);
}
BENCHMARK(BM_NearestFaceCpu)->Arg(1000)->Arg(12000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Delaunay(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> xy(2 * n);
  for (double& c : xy) c = u(rng);
  Delaunay2D d;
  for (auto _ : state) {
    d = delaunay_2d(xy.data(), n);
    benchmark::DoNotOptimize(d.triangles.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["triangles"] = d.triangle_count();
}
BENCHMARK(BM_Delaunay)->Arg(1200)->Arg(5000)->Arg(50000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace p3d
