// CUDA kernels of kernels/cuda/head_geometry.h: one thread per vertex over the shared math of
// kernels/head_geometry.h.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/head_geometry.h"

namespace p3d::cuda {
namespace {

constexpr int kVertexBlock = 256;

__global__ void hair_vertices_kernel(HairBackprojectParams p, const int32_t* points,
                                     const float* depth, const uint8_t* crop, float* xyz,
                                     float* bgr) {
  for (int64_t k = detail::grid_thread_index(); k < p.point_count; k += detail::grid_thread_count())
    hair_vertex(p, points, depth, crop, static_cast<int32_t>(k), xyz + 3 * k, bgr + 3 * k);
}

__global__ void face_colors_kernel(int32_t vertex_count, const float* projection,
                                   const uint8_t* crop, int32_t width, int32_t height, float* bgr) {
  for (int64_t v = detail::grid_thread_index(); v < vertex_count; v += detail::grid_thread_count())
    face_vertex_color(crop, width, height, projection, static_cast<int32_t>(v), bgr + 3 * v);
}

}  // namespace

void hair_vertices(const HairBackprojectParams& p, const int32_t* points, const float* depth,
                   const uint8_t* crop, float* xyz, float* bgr, cudaStream_t stream) {
  P3D_CHECK(p.point_count >= 0 && p.width > 0 && p.height > 0, "hair_vertices: bad sizes");
  if (p.point_count == 0) return;
  hair_vertices_kernel<<<detail::grid_blocks(p.point_count, kVertexBlock), kVertexBlock, 0,
                         stream>>>(p, points, depth, crop, xyz, bgr);
  P3D_CUDA_CHECK_LAUNCH();
}

void face_vertex_colors_from_crop(int32_t vertex_count, const float* projection,
                                  const uint8_t* crop, int32_t width, int32_t height, float* bgr,
                                  cudaStream_t stream) {
  P3D_CHECK(vertex_count >= 0 && width > 0 && height > 0, "face_vertex_colors: bad sizes");
  if (vertex_count == 0) return;
  face_colors_kernel<<<detail::grid_blocks(vertex_count, kVertexBlock), kVertexBlock, 0, stream>>>(
      vertex_count, projection, crop, width, height, bgr);
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace p3d::cuda
