// CUDA kernels of the triangle rasterizer (kernels/cuda/rasterizer.h), tf_mesh_renderer
// semantics from kernels/rasterizer.h. Design: a z-buffer of 64-bit keys, (order-preserving
// bits of the NDC z) << 32 | ~triangle_id, reduced with atomicMin, then a resolve pass.
// Why not tiles: the face meshes are ~70k triangles of about one pixel each, so a triangle
// touches 1-4 pixels and one thread per triangle costs a few integer edge tests; binning
// would cost more than it saves, and the atomic minimum needs no ordering at all. The key
// makes the result the original's sequential z-buffer (nearest z; on equal z the higher id)
// whatever order the threads run in, identical to the CPU twin. Large triangles make one
// thread loop over their whole box: correct, only slower (none in the portrait meshes).
#include "kernels/cuda/check.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/rasterizer.h"
#include "kernels/error.h"

namespace p3d::cuda {
namespace {

constexpr int kVertexBlock = 256;
constexpr int kTriangleBlock = 128;
constexpr int kResolveBlock = 256;

static __global__ void project_vertices_kernel(RasterizeParams p,
                                               const float* __restrict__ vertices,
                                               const float* __restrict__ cameras,
                                               ScreenVertex* __restrict__ screen, int64_t count) {
  for (int64_t i = detail::grid_thread_index(); i < count; i += detail::grid_thread_count()) {
    const int64_t n = i / p.vertex_count;
    screen[i] =
        project_vertex(cameras + n * kRasterCameraFloats, vertices + 3 * i, p.width, p.height);
  }
}

static __global__ void rasterize_kernel(RasterizeParams p, const int32_t* __restrict__ triangles,
                                        const ScreenVertex* __restrict__ screen,
                                        unsigned long long* keys, int64_t count) {
  const int64_t image_pixels = static_cast<int64_t>(p.height) * p.width;
  for (int64_t i = detail::grid_thread_index(); i < count; i += detail::grid_thread_count()) {
    const int32_t n = static_cast<int32_t>(i / p.triangle_count);
    const int32_t tri = static_cast<int32_t>(i % p.triangle_count);
    TriangleSetup t;
    int32_t vid[3];
    if (!setup_indexed_triangle(p, triangles, screen + n * int64_t{p.vertex_count}, tri, &t, vid))
      continue;
    unsigned long long* image_keys = keys + n * image_pixels;
    for (int32_t iy = t.bottom; iy < t.top; ++iy) {
      for (int32_t ix = t.left; ix < t.right; ++ix) {
        PixelSample s;
        if (!sample_pixel(t, ix, iy, &s)) continue;
        const unsigned long long key = raster_pack_key(s.z, tri);
        unsigned long long* slot = image_keys + static_cast<int64_t>(iy) * p.width + ix;
        // A plain read first: most offers lose to a nearer triangle already there, and a
        // stale read only costs an atomic that then does nothing.
        if (key < *slot) atomicMin(slot, key);
      }
    }
  }
}

static __global__ void resolve_kernel(RasterizeParams p, RasterizeInputs in,
                                      const ScreenVertex* __restrict__ screen,
                                      const unsigned long long* __restrict__ keys,
                                      RasterizeOutputs out, int64_t count) {
  for (int64_t i = detail::grid_thread_index(); i < count; i += detail::grid_thread_count()) {
    // i walks the outputs in order (row 0 = top), so the writes coalesce.
    const int32_t ix = static_cast<int32_t>(i % p.width);
    const int64_t row = i / p.width;
    const int32_t n = static_cast<int32_t>(row / p.height);
    const int32_t iy = p.height - 1 - static_cast<int32_t>(row % p.height);
    const int64_t key_index = (static_cast<int64_t>(n) * p.height + iy) * p.width + ix;
    resolve_pixel(p, in, screen + n * int64_t{p.vertex_count}, out, n, ix, iy, keys[key_index]);
  }
}

}  // namespace

void rasterize_triangles(const RasterizeParams& p, const RasterizeInputs& in,
                         const RasterizeOutputs& out, void* workspace, cudaStream_t stream) {
  check_rasterize_params(p);
  const int64_t vertices = static_cast<int64_t>(p.batch) * p.vertex_count;
  P3D_CHECK(vertices == 0 || (in.vertices != nullptr && in.cameras != nullptr),
            "rasterize: vertices and cameras are required");
  P3D_CHECK(p.triangle_count == 0 || in.triangles != nullptr, "rasterize: no triangles given");
  P3D_CHECK(p.channels == 0 || in.attributes != nullptr || out.attributes == nullptr,
            "rasterize: ", p.channels, " attribute channels requested but none given");
  if (p.batch == 0) return;
  P3D_CHECK(workspace != nullptr && detail::is_aligned(workspace, 256),
            "rasterize: workspace must be 256-byte aligned device memory");
  const RasterizeScratch scratch = rasterize_scratch(p, workspace);
  auto* keys = reinterpret_cast<unsigned long long*>(scratch.keys);
  const int64_t pixels = static_cast<int64_t>(p.batch) * p.height * p.width;

  if (vertices > 0) {
    project_vertices_kernel<<<detail::grid_blocks(vertices, kVertexBlock), kVertexBlock, 0,
                              stream>>>(p, in.vertices, in.cameras, scratch.screen, vertices);
    P3D_CUDA_CHECK_LAUNCH();
  }
  // All-ones bytes are the empty key.
  P3D_CUDA_CHECK(cudaMemsetAsync(keys, 0xff, pixels * sizeof(uint64_t), stream));
  const int64_t pairs = static_cast<int64_t>(p.batch) * p.triangle_count;
  if (pairs > 0) {
    rasterize_kernel<<<detail::grid_blocks(pairs, kTriangleBlock), kTriangleBlock, 0, stream>>>(
        p, in.triangles, scratch.screen, keys, pairs);
    P3D_CUDA_CHECK_LAUNCH();
  }
  resolve_kernel<<<detail::grid_blocks(pixels, kResolveBlock), kResolveBlock, 0, stream>>>(
      p, in, scratch.screen, keys, out, pixels);
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace p3d::cuda
