// CUDA kernels of the grid triangulation (kernels/cuda/grid_triangulation.h), the math of
// kernels/grid_triangulation.h. One thread per pixel in both kernels: the count kernel
// evaluates the pixel's 32 templates (a few dozen byte reads of its neighbourhood, which
// neighbouring threads share through the cache) and writes its bits, vertex flag and
// triangle count; CUB's exclusive sums (in place) turn flags and counts into output slots;
// the emit kernel writes each pixel's vertex and triangles at its slots. The order is the
// CPU twin's: pixels row-major over the batch, templates in table order.
#include <cub/device/device_scan.cuh>

#include "kernels/cuda/check.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/grid_triangulation.h"
#include "kernels/error.h"

namespace p3d::cuda {
namespace {

constexpr int kBlock = 256;

struct Workspace {
  uint32_t* bits;
  int32_t* vertex_scan;
  int32_t* triangle_scan;
  void* cub_temp;
  size_t cub_bytes;
};

size_t align256(size_t bytes) { return (bytes + 255) / 256 * 256; }

size_t cub_scan_bytes(int64_t pixels) {
  size_t bytes = 0;
  P3D_CUDA_CHECK(cub::DeviceScan::ExclusiveSum(nullptr, bytes, static_cast<int32_t*>(nullptr),
                                               static_cast<int32_t*>(nullptr),
                                               static_cast<int>(pixels)));
  return bytes;
}

Workspace carve(const GridTriangulationParams& p, void* workspace) {
  const int64_t pixels = static_cast<int64_t>(p.batch) * p.height * p.width;
  const size_t plane = align256(static_cast<size_t>(pixels) * 4);
  char* base = static_cast<char*>(workspace);
  Workspace w;
  w.bits = reinterpret_cast<uint32_t*>(base);
  w.vertex_scan = reinterpret_cast<int32_t*>(base + plane);
  w.triangle_scan = reinterpret_cast<int32_t*>(base + 2 * plane);
  w.cub_temp = base + 3 * plane;
  w.cub_bytes = cub_scan_bytes(pixels);
  return w;
}

static __global__ void count_kernel(GridTriangulationParams p, const uint8_t* __restrict__ masks,
                                    Workspace w, int64_t pixels) {
  const int64_t image_pixels = static_cast<int64_t>(p.height) * p.width;
  for (int64_t i = detail::grid_thread_index(); i < pixels; i += detail::grid_thread_count()) {
    const int64_t n = i / image_pixels;
    const int64_t in_image = i - n * image_pixels;
    const int32_t r = static_cast<int32_t>(in_image / p.width);
    const int32_t c = static_cast<int32_t>(in_image - static_cast<int64_t>(r) * p.width);
    const uint32_t bits = grid_pixel_templates(masks + n * image_pixels, p.height, p.width, r, c);
    w.bits[i] = bits;
    w.vertex_scan[i] = masks[i] != 0 ? 1 : 0;
    w.triangle_scan[i] = grid_popcount(bits);
  }
}

// After the in-place scans: mask n starts at the scan of its first pixel; the totals are
// the last scan entry plus the last pixel's own count.
static __global__ void offsets_kernel(GridTriangulationParams p, const uint8_t* __restrict__ masks,
                                      Workspace w, int32_t* vertex_offsets,
                                      int32_t* triangle_offsets) {
  const int64_t image_pixels = static_cast<int64_t>(p.height) * p.width;
  const int64_t last = p.batch * image_pixels - 1;
  for (int64_t n = detail::grid_thread_index(); n <= p.batch; n += detail::grid_thread_count()) {
    if (n < p.batch) {
      vertex_offsets[n] = w.vertex_scan[n * image_pixels];
      triangle_offsets[n] = w.triangle_scan[n * image_pixels];
    } else {
      vertex_offsets[n] = w.vertex_scan[last] + (masks[last] != 0 ? 1 : 0);
      triangle_offsets[n] = w.triangle_scan[last] + grid_popcount(w.bits[last]);
    }
  }
}

static __global__ void emit_kernel(GridTriangulationParams p, const uint8_t* __restrict__ masks,
                                   Workspace w, GridTriangulationOutputs out, int64_t pixels) {
  GridTriangulationScratch s;
  s.bits = w.bits;
  s.vertex_scan = w.vertex_scan;
  s.triangle_scan = w.triangle_scan;
  for (int64_t i = detail::grid_thread_index(); i < pixels; i += detail::grid_thread_count())
    grid_emit_pixel(p, masks, s, out, i);
}

}  // namespace

size_t grid_triangulation_workspace_bytes(const GridTriangulationParams& p) {
  check_grid_triangulation_params(p);
  const int64_t pixels = static_cast<int64_t>(p.batch) * p.height * p.width;
  return 3 * align256(static_cast<size_t>(pixels) * 4) + cub_scan_bytes(pixels);
}

void grid_triangulation_count(const GridTriangulationParams& p, const uint8_t* masks,
                              void* workspace, int32_t* vertex_offsets, int32_t* triangle_offsets,
                              cudaStream_t stream) {
  check_grid_triangulation_params(p);
  const int64_t pixels = static_cast<int64_t>(p.batch) * p.height * p.width;
  if (pixels == 0) {
    if (p.batch >= 0) {
      P3D_CUDA_CHECK(cudaMemsetAsync(vertex_offsets, 0, (p.batch + 1) * sizeof(int32_t), stream));
      P3D_CUDA_CHECK(cudaMemsetAsync(triangle_offsets, 0, (p.batch + 1) * sizeof(int32_t), stream));
    }
    return;
  }
  P3D_CHECK(masks != nullptr && workspace != nullptr && vertex_offsets != nullptr &&
                triangle_offsets != nullptr,
            "grid triangulation (CUDA): null masks, workspace or offsets");
  Workspace w = carve(p, workspace);
  count_kernel<<<detail::grid_blocks(pixels, kBlock), kBlock, 0, stream>>>(p, masks, w, pixels);
  P3D_CUDA_CHECK(cudaGetLastError());
  size_t bytes = w.cub_bytes;
  P3D_CUDA_CHECK(cub::DeviceScan::ExclusiveSum(w.cub_temp, bytes, w.vertex_scan, w.vertex_scan,
                                               static_cast<int>(pixels), stream));
  bytes = w.cub_bytes;
  P3D_CUDA_CHECK(cub::DeviceScan::ExclusiveSum(w.cub_temp, bytes, w.triangle_scan, w.triangle_scan,
                                               static_cast<int>(pixels), stream));
  offsets_kernel<<<detail::grid_blocks(p.batch + 1, kBlock), kBlock, 0, stream>>>(
      p, masks, w, vertex_offsets, triangle_offsets);
  P3D_CUDA_CHECK(cudaGetLastError());
}

void grid_triangulation_emit(const GridTriangulationParams& p, const uint8_t* masks,
                             void* workspace, const GridTriangulationOutputs& out,
                             cudaStream_t stream) {
  check_grid_triangulation_params(p);
  const int64_t pixels = static_cast<int64_t>(p.batch) * p.height * p.width;
  if (pixels == 0) return;
  P3D_CHECK(masks != nullptr && workspace != nullptr && out.pixel_vertex != nullptr,
            "grid triangulation (CUDA): null masks, workspace or pixel_vertex");
  const Workspace w = carve(p, workspace);
  emit_kernel<<<detail::grid_blocks(pixels, kBlock), kBlock, 0, stream>>>(p, masks, w, out, pixels);
  P3D_CUDA_CHECK(cudaGetLastError());
}

}  // namespace p3d::cuda
