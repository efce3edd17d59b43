// p3d::cpu::triangulate_grid: the CPU loops around the P3D_HD math of
// kernels/grid_triangulation.h, in the three steps the GPU runs:
//   1. count: per pixel, the bits of its accepted templates (grid_pixel_templates);
//   2. scan: exclusive prefix sums over the whole batch of the vertex flags (mask pixels)
//      and of the triangle counts (popcounts), giving every pixel its output slots;
//   3. emit: per pixel, its vertex and triangles at those slots (grid_emit_pixel).
// Steps 1 and 3 are independent per pixel, so parallel over rows; the result does not depend
// on the split.
#include "kernels/cpu/grid_triangulation.h"

#include "kernels/error.h"

namespace p3d {

void check_grid_triangulation_params(const GridTriangulationParams& p) {
  P3D_CHECK(p.batch >= 0, "grid triangulation: batch ", p.batch, " is negative");
  P3D_CHECK(p.height >= 1 && p.height <= kGridMaxSide && p.width >= 1 && p.width <= kGridMaxSide,
            "grid triangulation: mask size ", p.height, "x", p.width, " (rows x cols) outside 1..",
            kGridMaxSide);
  const int64_t pixels = static_cast<int64_t>(p.batch) * p.height * p.width;
  P3D_CHECK(pixels <= kGridMaxPixels, "grid triangulation: ", p.batch, " masks of ", p.height, "x",
            p.width, " exceed ", kGridMaxPixels, " pixels");
}

namespace cpu {
namespace {
constexpr int64_t kRowGrain = 8;
}  // namespace

GridTriangulation triangulate_grid(ThreadPool& pool, const GridTriangulationParams& p,
                                   const uint8_t* masks) {
  check_grid_triangulation_params(p);
  const int64_t image_pixels = static_cast<int64_t>(p.height) * p.width;
  const int64_t pixels = p.batch * image_pixels;
  P3D_CHECK(pixels == 0 || masks != nullptr, "grid triangulation: no masks given");
  GridTriangulation result;
  result.vertex_offsets.assign(static_cast<size_t>(p.batch) + 1, 0);
  result.triangle_offsets.assign(static_cast<size_t>(p.batch) + 1, 0);
  result.pixel_vertex.resize(static_cast<size_t>(pixels));
  if (pixels == 0) return result;

  // 1. Count.
  std::vector<uint32_t> bits(static_cast<size_t>(pixels));
  const int64_t rows = static_cast<int64_t>(p.batch) * p.height;
  pool.parallel_for(rows, kRowGrain, [&](int64_t begin, int64_t end, int) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / p.height;
      const int32_t r = static_cast<int32_t>(row - n * p.height);
      const uint8_t* mask = masks + n * image_pixels;
      for (int32_t c = 0; c < p.width; ++c)
        bits[row * p.width + c] = grid_pixel_templates(mask, p.height, p.width, r, c);
    }
  });

  // 2. Scan (exclusive), noting each mask's first slots.
  std::vector<int32_t> vertex_scan(static_cast<size_t>(pixels)),
      triangle_scan(static_cast<size_t>(pixels));
  int32_t vertices = 0, triangles = 0;
  for (int64_t i = 0; i < pixels; ++i) {
    if (i % image_pixels == 0) {
      result.vertex_offsets[i / image_pixels] = vertices;
      result.triangle_offsets[i / image_pixels] = triangles;
    }
    vertex_scan[i] = vertices;
    triangle_scan[i] = triangles;
    vertices += masks[i] != 0 ? 1 : 0;
    triangles += grid_popcount(bits[i]);
  }
  result.vertex_offsets[p.batch] = vertices;
  result.triangle_offsets[p.batch] = triangles;

  // 3. Emit.
  result.points.resize(2 * static_cast<size_t>(vertices));
  result.triangles.resize(3 * static_cast<size_t>(triangles));
  GridTriangulationScratch s;
  s.bits = bits.data();
  s.vertex_scan = vertex_scan.data();
  s.triangle_scan = triangle_scan.data();
  GridTriangulationOutputs out;
  out.pixel_vertex = result.pixel_vertex.data();
  out.points = result.points.data();
  out.triangles = result.triangles.data();
  pool.parallel_for(rows, kRowGrain, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin * p.width; i < end * p.width; ++i) grid_emit_pixel(p, masks, s, out, i);
  });
  return result;
}

}  // namespace cpu
}  // namespace p3d
