// p3d::cpu::rasterize_triangles: the CPU loops around the P3D_HD math of
// kernels/rasterizer.h (tf_mesh_renderer semantics). Three passes, as on the GPU:
//   1. project every vertex of every image (ScreenVertex);
//   2. per (image, triangle): the bounding-box loop of rasterize_triangles_impl.cc, each
//      accepted pixel offering key = (ordered NDC z, ~triangle id) to the pixel's slot by an
//      atomic minimum. The minimum does not depend on which thread gets there first, so the
//      result is the original's sequential z-buffer whatever the scheduling;
//   3. per output row: resolve each pixel's key into id, barycentrics, attributes, mask.
// Parallel over items of each pass with the shared thread pool; for a batch the (image,
// triangle) ranges are contiguous, so threads mostly work on different images.
#include "kernels/cpu/rasterizer.h"

#include <algorithm>
#include <cstdint>

#include "kernels/error.h"

namespace p3d {

void check_rasterize_params(const RasterizeParams& p) {
  P3D_CHECK(p.batch >= 0, "rasterize: batch ", p.batch, " is negative");
  P3D_CHECK(p.vertex_count >= 0, "rasterize: vertex_count ", p.vertex_count, " is negative");
  P3D_CHECK(p.triangle_count >= 0, "rasterize: triangle_count ", p.triangle_count, " is negative");
  P3D_CHECK(p.width >= 1 && p.width <= kRasterMaxImageSide && p.height >= 1 &&
                p.height <= kRasterMaxImageSide,
            "rasterize: image size ", p.width, "x", p.height, " outside 1..", kRasterMaxImageSide);
  P3D_CHECK(p.channels >= 0, "rasterize: channels ", p.channels, " is negative");
  // Pixel and vertex indices are int64 everywhere; keep the products far from overflow.
  const double pixels = static_cast<double>(p.batch) * p.height * p.width;
  const double values = pixels * std::max(p.channels, 3);
  P3D_CHECK(values < 9.0e15, "rasterize: ", p.batch, " images of ", p.width, "x", p.height, "x",
            p.channels, " are too large");
}

void check_rasterize_triangles(const RasterizeParams& p, const int32_t* host_triangles) {
  if (p.triangle_count == 0) return;
  P3D_CHECK(host_triangles != nullptr, "rasterize: no triangles given for ", p.triangle_count);
  for (int64_t i = 0; i < 3 * static_cast<int64_t>(p.triangle_count); ++i) {
    const int32_t v = host_triangles[i];
    if (v < 0 || v >= p.vertex_count)
      P3D_THROW("rasterize: triangle ", i / 3, " corner ", i % 3, " is vertex ", v,
                ", outside [0, ", p.vertex_count, ")");
  }
}

namespace cpu {
namespace {

constexpr int64_t kVertexGrain = 4096;
constexpr int64_t kTriangleGrain = 512;
constexpr int64_t kRowGrain = 8;

// keys[i] = min(keys[i], key), atomically (GCC/Clang builtins: plain uint64_t storage
// shared between threads, C++17 having no atomic_ref).
inline void atomic_min(uint64_t* slot, uint64_t key) {
  uint64_t current = __atomic_load_n(slot, __ATOMIC_RELAXED);
  while (key < current && !__atomic_compare_exchange_n(slot, &current, key, /*weak=*/true,
                                                       __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
}

}  // namespace

void rasterize_triangles(ThreadPool& pool, const RasterizeParams& p, const RasterizeInputs& in,
                         const RasterizeOutputs& out, void* workspace) {
  check_rasterize_params(p);
  check_rasterize_triangles(p, in.triangles);
  const int64_t vertices = static_cast<int64_t>(p.batch) * p.vertex_count;
  P3D_CHECK(vertices == 0 || (in.vertices != nullptr && in.cameras != nullptr),
            "rasterize: vertices and cameras are required");
  P3D_CHECK(p.channels == 0 || in.attributes != nullptr || out.attributes == nullptr,
            "rasterize: ", p.channels, " attribute channels requested but none given");
  P3D_CHECK(workspace != nullptr || rasterize_workspace_bytes(p) == 0, "rasterize: no workspace");
  if (p.batch == 0) return;
  const RasterizeScratch scratch = rasterize_scratch(p, workspace);
  const int64_t image_pixels = static_cast<int64_t>(p.height) * p.width;

  // 1. Vertices.
  pool.parallel_for(vertices, kVertexGrain, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t n = i / p.vertex_count;
      scratch.screen[i] = project_vertex(in.cameras + n * kRasterCameraFloats, in.vertices + 3 * i,
                                         p.width, p.height);
    }
  });

  // 2. Triangles into the keys.
  std::fill(scratch.keys, scratch.keys + p.batch * image_pixels, kRasterEmptyKey);
  const int64_t pairs = static_cast<int64_t>(p.batch) * p.triangle_count;
  pool.parallel_for(pairs, kTriangleGrain, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      const int32_t n = static_cast<int32_t>(i / p.triangle_count);
      const int32_t tri = static_cast<int32_t>(i % p.triangle_count);
      TriangleSetup t;
      int32_t vid[3];
      if (!setup_indexed_triangle(p, in.triangles, scratch.screen + n * int64_t{p.vertex_count},
                                  tri, &t, vid))
        continue;
      uint64_t* keys = scratch.keys + n * image_pixels;
      for (int32_t iy = t.bottom; iy < t.top; ++iy) {
        for (int32_t ix = t.left; ix < t.right; ++ix) {
          PixelSample s;
          if (!sample_pixel(t, ix, iy, &s)) continue;
          atomic_min(keys + static_cast<int64_t>(iy) * p.width + ix, raster_pack_key(s.z, tri));
        }
      }
    }
  });

  // 3. Resolve, one output row per item (output row r is viewport row H - 1 - r).
  const int64_t rows = static_cast<int64_t>(p.batch) * p.height;
  pool.parallel_for(rows, kRowGrain, [&](int64_t begin, int64_t end, int) {
    for (int64_t r = begin; r < end; ++r) {
      const int32_t n = static_cast<int32_t>(r / p.height);
      const int32_t iy = p.height - 1 - static_cast<int32_t>(r % p.height);
      const ScreenVertex* screen = scratch.screen + n * int64_t{p.vertex_count};
      const uint64_t* keys = scratch.keys + n * image_pixels + static_cast<int64_t>(iy) * p.width;
      for (int32_t ix = 0; ix < p.width; ++ix)
        resolve_pixel(p, in, screen, out, n, ix, iy, keys[ix]);
    }
  });
}

}  // namespace cpu
}  // namespace p3d
