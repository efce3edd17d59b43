// CUDA launchers of the 3D morphable face model passes: the twins of kernels/cpu/face3dmm.h
// (same arguments, device pointers, plus the stream), running the P3D_HD math of
// kernels/face3dmm.h. The basis product is one cuBLAS SGEMM over the batch. Read by g++ too:
// only CUDA runtime / cuBLAS API types appear here.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "kernels/face3dmm.h"

namespace p3d::cuda {

// out[N, rows] = coeffs[N, k] · basis[rows, k]^T (coeff rows coeff_stride floats apart), as
// one SGEMM on `handle` (which must be bound to the caller's stream). FP32, no TF32.
void face_basis_product(cublasHandle_t handle, int32_t batch, int64_t rows, int32_t k,
                        const float* coeffs, int32_t coeff_stride, const float* basis, float* out);

// See p3d::cpu::face_vertices. cameras is a device array of N FaceCamera.
void face_vertices(const FaceVertexParams& p, const float* delta, const float* mean,
                   const float* coeffs, const FaceCamera* cameras, float* canonical, float* posed,
                   float* projection, cudaStream_t stream);

void face_project_points(int32_t batch, int32_t vertex_count, const float* points,
                         const FaceCamera* cameras, float* projection, cudaStream_t stream);

void face_triangle_normals(int32_t batch, int32_t vertex_count, int32_t triangle_count,
                           const float* vertices, const int32_t* triangles, float* normals,
                           cudaStream_t stream);

void face_vertex_colors(const FaceVertexParams& p, int32_t triangle_count,
                        const float* triangle_normals, const int32_t* point_buf,
                        const float* coeffs, const float* albedo, float* colors,
                        cudaStream_t stream);

// The doubles of scratch face_pos_moments needs for its per-block partial sums.
size_t face_pos_moments_partials(int32_t batch, int32_t vertex_count);

// moments must hold N x 8 doubles; they are overwritten. partials is device scratch of
// face_pos_moments_partials(batch, vertex_count) doubles. The sum order is fixed (blocks
// add their vertices in a tree, then the blocks' partials are added in block order), so
// repeated runs give the same bits; they differ from the CPU's sequential sum in the last
// bits only.
void face_pos_moments(int32_t batch, int32_t vertex_count, const float* projection,
                      const float* shape, double* partials, double* moments, cudaStream_t stream);

}  // namespace p3d::cuda
