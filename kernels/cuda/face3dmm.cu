// CUDA kernels of the 3D morphable face model passes (kernels/cuda/face3dmm.h). Every
// per-vertex and per-triangle formula comes from kernels/face3dmm.h, shared with the CPU
// loops. Grids are 2-D: x over vertices (or triangles), y over the batch; the first thread
// of a block derives the face's rotation into shared memory so the block's threads do not
// each evaluate six sines and cosines.
#include <climits>

#include "kernels/cuda/check.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/face3dmm.h"
#include "kernels/error.h"

namespace p3d::cuda {
namespace {

constexpr int kVertexBlock = 256;
constexpr int kMomentBlock = 256;

dim3 batched_grid(int64_t items, int32_t batch, int block) {
  const int64_t blocks = (items + block - 1) / block;
  P3D_CHECK(batch <= 65535, "face3dmm: batch ", batch, " exceeds the grid's y limit 65535");
  return dim3(static_cast<unsigned int>(blocks < 1 ? 1 : blocks), static_cast<unsigned int>(batch));
}

// The face's R (9) and t (3) in shared memory, from its coefficient row.
__device__ __forceinline__ void load_pose(const float* coeff_row, float* pose) {
  if (threadIdx.x == 0) {
    const float* a = coeff_row + FaceCoeff::kAngles;
    face_rotation(a[0], a[1], a[2], pose);
    const float* t = coeff_row + FaceCoeff::kTranslation;
    pose[9] = t[0];
    pose[10] = t[1];
    pose[11] = t[2];
  }
  __syncthreads();
}

__global__ void face_vertices_kernel(FaceVertexParams p, const float* delta,
                                     const float* __restrict__ mean,
                                     const float* __restrict__ coeffs,
                                     const FaceCamera* __restrict__ cameras, float* canonical,
                                     float* posed, float* projection) {
  __shared__ float pose[12];
  const int32_t b = blockIdx.y;
  load_pose(coeffs + static_cast<int64_t>(b) * p.coeff_stride, pose);
  const int64_t v = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (v >= p.vertex_count) return;
  const int64_t i = static_cast<int64_t>(b) * p.vertex_count + v;
  // delta and canonical may alias: read the vertex before any write.
  const float d[3] = {delta[i * 3 + 0], delta[i * 3 + 1], delta[i * 3 + 2]};
  face_vertex(d, mean + v * 3, pose, pose + 9, cameras[b], canonical ? canonical + i * 3 : nullptr,
              posed ? posed + i * 3 : nullptr, projection ? projection + i * 2 : nullptr);
}

__global__ void face_project_kernel(int32_t vertex_count, const float* __restrict__ points,
                                    const FaceCamera* __restrict__ cameras,
                                    float* __restrict__ projection) {
  const int32_t b = blockIdx.y;
  const int64_t v = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (v >= vertex_count) return;
  const int64_t i = static_cast<int64_t>(b) * vertex_count + v;
  face_project(points + i * 3, cameras[b], projection + i * 2);
}

__global__ void face_triangle_normals_kernel(int32_t vertex_count, int32_t triangle_count,
                                             const float* __restrict__ vertices,
                                             const int32_t* __restrict__ triangles,
                                             float* __restrict__ normals) {
  const int32_t b = blockIdx.y;
  const int64_t f = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (f > triangle_count) return;
  float* out = normals + (static_cast<int64_t>(b) * (triangle_count + 1) + f) * 3;
  if (f == triangle_count) {  // the zero normal point_buf's padding refers to
    out[0] = out[1] = out[2] = 0.f;
    return;
  }
  const float* verts = vertices + static_cast<int64_t>(b) * vertex_count * 3;
  int32_t id[3];
  for (int k = 0; k < 3; ++k) {
    id[k] = triangles[f * 3 + k];
    // Guard against corrupt indices (the host validated the model): a NaN normal, no fault.
    if (id[k] < 0 || id[k] >= vertex_count) {
      out[0] = out[1] = out[2] = __int_as_float(0x7fc00000);
      return;
    }
  }
  triangle_normal(verts + id[0] * 3, verts + id[1] * 3, verts + id[2] * 3, out);
}

__global__ void face_vertex_colors_kernel(FaceVertexParams p, int32_t triangle_count,
                                          const float* __restrict__ triangle_normals,
                                          const int32_t* __restrict__ point_buf,
                                          const float* __restrict__ coeffs,
                                          const float* __restrict__ albedo,
                                          float* __restrict__ colors) {
  __shared__ float pose[12];
  const int32_t b = blockIdx.y;
  const float* coeff_row = coeffs + static_cast<int64_t>(b) * p.coeff_stride;
  load_pose(coeff_row, pose);
  const int64_t v = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (v >= p.vertex_count) return;
  const float* tri_n = triangle_normals + static_cast<int64_t>(b) * (triangle_count + 1) * 3;
  float n[3] = {0.f, 0.f, 0.f};
  for (int k = 0; k < 8; ++k) {
    int32_t f = point_buf[v * 8 + k];
    if (f < 0 || f > triangle_count) f = triangle_count;  // corrupt index: the zero normal
    n[0] += tri_n[f * 3 + 0];
    n[1] += tri_n[f * 3 + 1];
    n[2] += tri_n[f * 3 + 2];
  }
  l2_normalize3(n);
  float n_rot[3];
  rotate_row(n, pose, n_rot);
  const int64_t i = static_cast<int64_t>(b) * p.vertex_count + v;
  sh_shade(n_rot, coeff_row + FaceCoeff::kGamma, albedo + i * 3, colors + i * 3);
}

// Block-reduces the 8 POS moments of its vertices in double into its own slot of
// `partials` ([batch][blocks][8]). No atomics: the order of a sum of doubles decides its
// last bits, and those feed the integer roundings of the head crop, so every run must add
// the same numbers in the same order (face_pos_moments_sum finishes in block order).
__global__ void face_pos_moments_kernel(int32_t vertex_count, const float* __restrict__ projection,
                                        const float* __restrict__ shape, double* partials) {
  __shared__ double partial[kMomentBlock][8];
  const int32_t b = blockIdx.y;
  double m[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  const float* uv = projection + static_cast<int64_t>(b) * vertex_count * 2;
  for (int64_t v = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; v < vertex_count;
       v += static_cast<int64_t>(gridDim.x) * blockDim.x)
    add_pos_moments(shape + v * 3, uv + v * 2, m);
  for (int k = 0; k < 8; ++k) partial[threadIdx.x][k] = m[k];
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride)
      for (int k = 0; k < 8; ++k) partial[threadIdx.x][k] += partial[threadIdx.x + stride][k];
    __syncthreads();
  }
  if (threadIdx.x < 8)
    partials[(static_cast<int64_t>(b) * gridDim.x + blockIdx.x) * 8 + threadIdx.x] =
        partial[0][threadIdx.x];
}

// One thread per (face, moment): adds the blocks' partials in block order.
__global__ void face_pos_moments_sum_kernel(int32_t batch, int32_t blocks,
                                            const double* __restrict__ partials,
                                            double* __restrict__ moments) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<int64_t>(batch) * 8) return;
  const int64_t b = i / 8, k = i % 8;
  double sum = 0;
  for (int32_t j = 0; j < blocks; ++j) sum += partials[(b * blocks + j) * 8 + k];
  moments[i] = sum;
}

// A few blocks per face: enough to fill the GPU at batch 1 with few partials to add.
int32_t moment_blocks(int32_t vertex_count) {
  const int64_t blocks =
      (static_cast<int64_t>(vertex_count) + kMomentBlock * 8 - 1) / (kMomentBlock * 8);
  return static_cast<int32_t>(blocks < 1 ? 1 : blocks);
}

}  // namespace

void face_basis_product(cublasHandle_t handle, int32_t batch, int64_t rows, int32_t k,
                        const float* coeffs, int32_t coeff_stride, const float* basis, float* out) {
  P3D_CHECK(batch >= 0 && rows >= 0 && rows <= INT_MAX && k >= 0 && coeff_stride >= k,
            "face_basis_product: bad sizes (batch ", batch, ", rows ", rows, ", k ", k, ", stride ",
            coeff_stride, ")");
  if (batch == 0 || rows == 0) return;
  // Row-major out[N, rows] is column-major out^T[rows, N] = basis[rows, k] · coeffs^T[k, N];
  // row-major basis[rows, k] is column-major [k, rows], hence OP_T on it.
  const float alpha = 1.f, beta = 0.f;
  P3D_CUBLAS_CHECK(cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(rows), batch, k,
                               &alpha, basis, k, coeffs, coeff_stride, &beta, out,
                               static_cast<int>(rows)));
}

void face_vertices(const FaceVertexParams& p, const float* delta, const float* mean,
                   const float* coeffs, const FaceCamera* cameras, float* canonical, float* posed,
                   float* projection, cudaStream_t stream) {
  P3D_CHECK(p.batch >= 0 && p.vertex_count >= 0 && p.coeff_stride >= FaceCoeff::kCount,
            "face_vertices: bad params (batch ", p.batch, ", vertices ", p.vertex_count,
            ", stride ", p.coeff_stride, ")");
  if (p.batch == 0 || p.vertex_count == 0) return;
  face_vertices_kernel<<<batched_grid(p.vertex_count, p.batch, kVertexBlock), kVertexBlock, 0,
                         stream>>>(p, delta, mean, coeffs, cameras, canonical, posed, projection);
  P3D_CUDA_CHECK_LAUNCH();
}

void face_project_points(int32_t batch, int32_t vertex_count, const float* points,
                         const FaceCamera* cameras, float* projection, cudaStream_t stream) {
  P3D_CHECK(batch >= 0 && vertex_count >= 0, "face_project_points: negative size");
  if (batch == 0 || vertex_count == 0) return;
  face_project_kernel<<<batched_grid(vertex_count, batch, kVertexBlock), kVertexBlock, 0, stream>>>(
      vertex_count, points, cameras, projection);
  P3D_CUDA_CHECK_LAUNCH();
}

void face_triangle_normals(int32_t batch, int32_t vertex_count, int32_t triangle_count,
                           const float* vertices, const int32_t* triangles, float* normals,
                           cudaStream_t stream) {
  P3D_CHECK(batch >= 0 && vertex_count >= 0 && triangle_count >= 0,
            "face_triangle_normals: negative size");
  if (batch == 0) return;
  face_triangle_normals_kernel<<<batched_grid(static_cast<int64_t>(triangle_count) + 1, batch,
                                              kVertexBlock),
                                 kVertexBlock, 0, stream>>>(vertex_count, triangle_count, vertices,
                                                            triangles, normals);
  P3D_CUDA_CHECK_LAUNCH();
}

void face_vertex_colors(const FaceVertexParams& p, int32_t triangle_count,
                        const float* triangle_normals, const int32_t* point_buf,
                        const float* coeffs, const float* albedo, float* colors,
                        cudaStream_t stream) {
  P3D_CHECK(p.batch >= 0 && p.vertex_count >= 0 && p.coeff_stride >= FaceCoeff::kCount &&
                triangle_count >= 0,
            "face_vertex_colors: bad params");
  if (p.batch == 0 || p.vertex_count == 0) return;
  face_vertex_colors_kernel<<<batched_grid(p.vertex_count, p.batch, kVertexBlock), kVertexBlock, 0,
                              stream>>>(p, triangle_count, triangle_normals, point_buf, coeffs,
                                        albedo, colors);
  P3D_CUDA_CHECK_LAUNCH();
}

size_t face_pos_moments_partials(int32_t batch, int32_t vertex_count) {
  P3D_CHECK(batch >= 0 && vertex_count >= 0, "face_pos_moments_partials: negative size");
  return static_cast<size_t>(batch) * moment_blocks(vertex_count) * 8;
}

void face_pos_moments(int32_t batch, int32_t vertex_count, const float* projection,
                      const float* shape, double* partials, double* moments, cudaStream_t stream) {
  P3D_CHECK(batch >= 0 && vertex_count >= 0, "face_pos_moments: negative size");
  if (batch == 0) return;
  if (vertex_count == 0) {
    P3D_CUDA_CHECK(cudaMemsetAsync(moments, 0, sizeof(double) * 8 * batch, stream));
    return;
  }
  P3D_CHECK(partials != nullptr, "face_pos_moments: no partials buffer");
  const int32_t blocks = moment_blocks(vertex_count);
  face_pos_moments_kernel<<<batched_grid(static_cast<int64_t>(blocks) * kMomentBlock, batch,
                                         kMomentBlock),
                            kMomentBlock, 0, stream>>>(vertex_count, projection, shape, partials);
  P3D_CUDA_CHECK_LAUNCH();
  const int64_t sums = static_cast<int64_t>(batch) * 8;
  face_pos_moments_sum_kernel<<<detail::grid_blocks(sums, kMomentBlock), kMomentBlock, 0, stream>>>(
      batch, blocks, partials, moments);
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace p3d::cuda
