// Mesh export speed on a head-sized mesh: about 60,000 vertices and 120,000 triangles (a
// 245 x 245 grid bent into a half sphere, colours with fractions), written as OBJ, binary
// PLY and GLB to /tmp through the atomic writer (fsync and rename included, as `portrait3d
// run` pays them). Reports the file size and bytes per second (MB/s).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "pipeline/head_mesh.h"
#include "pipeline/mesh_export.h"

namespace p3d {
namespace {

HeadMesh head_sized_mesh() {
  constexpr int n = 245;
  HeadMesh m;
  m.positions.reserve(3 * n * n);
  m.colors.reserve(3 * n * n);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const double theta = M_PI * (x + 0.5) / n, phi = M_PI * (y + 0.5) / n;
      m.positions.insert(m.positions.end(),
                         {static_cast<float>(0.9 * std::cos(theta) * std::sin(phi)),
                          static_cast<float>(1.1 * std::cos(phi)),
                          static_cast<float>(0.8 * std::sin(theta) * std::sin(phi))});
      m.colors.insert(m.colors.end(), {static_cast<float>(180.3 + 70 * std::sin(0.1 * x)),
                                       static_cast<float>(140.7 + 50 * std::cos(0.07 * y)),
                                       static_cast<float>(120.1 + 0.37 * (x % 100))});
    }
  for (int y = 0; y + 1 < n; ++y)
    for (int x = 0; x + 1 < n; ++x) {
      const int a = y * n + x, b = a + 1, c = a + n, d = c + 1;
      m.triangles.insert(m.triangles.end(), {a, d, b, a, c, d});
    }
  m.face_vertex_count = 35000;
  m.hair_ear_vertex_count = n * n - 35000 - 1000;
  m.stitch_vertex_count = 1000;
  return m;
}

const HeadMesh& mesh() {
  static const HeadMesh m = head_sized_mesh();
  return m;
}

template <MeshExportStats (*Write)(const std::string&, const HeadMesh&)>
void BM_Write(benchmark::State& state, const char* path) {
  MeshExportStats s;
  for (auto _ : state) s = Write(path, mesh());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(s.bytes));
  state.counters["MB"] = static_cast<double>(s.bytes) / 1e6;
  state.counters["vertices"] = s.vertices;
  state.counters["triangles"] = s.triangles;
  std::remove(path);
}

// The validation and triangle cleaning every writer runs first.
void BM_CleanTriangles(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(clean_mesh_triangles(mesh(), "bench"));
}
BENCHMARK(BM_CleanTriangles)->Unit(benchmark::kMillisecond);

void BM_WriteObj(benchmark::State& state) { BM_Write<write_obj>(state, "/tmp/p3d_mesh_bench.obj"); }
void BM_WritePly(benchmark::State& state) { BM_Write<write_ply>(state, "/tmp/p3d_mesh_bench.ply"); }
void BM_WriteGlb(benchmark::State& state) { BM_Write<write_glb>(state, "/tmp/p3d_mesh_bench.glb"); }

BENCHMARK(BM_WriteObj)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WritePly)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WriteGlb)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace p3d
