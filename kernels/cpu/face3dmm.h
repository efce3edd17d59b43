// CPU entry points of the 3D morphable face model passes (docs/pipeline.md: stage 1, step 3):
// the basis product as one GEMM over the batch, then per-vertex loops over the P3D_HD math
// of kernels/face3dmm.h. The CUDA twins are in kernels/cuda/face3dmm.h; both are driven by
// pipeline/face_reconstruction.h. All arrays are row-major floats; "N" is the batch.
#pragma once

#include <cstdint>

#include "kernels/face3dmm.h"

namespace p3d::cpu {

// out[N, rows] = coeffs[N, k] · basis[rows, k]^T, where row b of coeffs starts at
// coeffs + b * coeff_stride (so the id|expression block of a 257-float row is used in
// place). Split over `rows` across the global thread pool.
void face_basis_product(int32_t batch, int64_t rows, int32_t k, const float* coeffs,
                        int32_t coeff_stride, const float* basis, float* out);

// The per-vertex pass: for face b and vertex v, with delta = delta[b, 3v..3v+2] and
// mean = mean[3v..], R and t from coeffs[b] (angles and translation, FaceCoeff offsets) and
// camera cameras[b], writes canonical[b, v, :3], posed[b, v, :3], projection[b, v, :2]
// (each may be null). delta and canonical may alias (in-place update).
void face_vertices(const FaceVertexParams& p, const float* delta, const float* mean,
                   const float* coeffs, const FaceCamera* cameras, float* canonical, float* posed,
                   float* projection);

// Projects points[N, V, 3] with cameras[b]: projection[N, V, 2].
void face_project_points(int32_t batch, int32_t vertex_count, const float* points,
                         const FaceCamera* cameras, float* projection);

// Unit normals of every triangle of every face: normals[N, F + 1, 3] where slot F is the
// zero normal point_buf's padding refers to. triangles [F, 3] 0-based vertex ids into
// vertices[N, V, 3].
void face_triangle_normals(int32_t batch, int32_t vertex_count, int32_t triangle_count,
                           const float* vertices, const int32_t* triangles, float* normals);

// Vertex colours (previews): for each vertex the normalised sum of the normals of its
// point_buf triangles [V, 8] (0-based, padding = F), rotated by the face's R (angles from
// coeffs[b]), lit with its gamma and the albedo tex[N, 3V] (texture product + meantex, RGB):
// colors[N, V, 3], RGB, unclamped.
void face_vertex_colors(const FaceVertexParams& p, int32_t triangle_count,
                        const float* triangle_normals, const int32_t* point_buf,
                        const float* coeffs, const float* albedo, float* colors);

// POS moments of one projected face against a fixed 3D shape: for each face b,
// moments[b] = (Σ X·u, Σ Y·u, Σ Z·u, Σ u, Σ X·v, Σ Y·v, Σ Z·v, Σ v) over the V points, with
// (X, Y, Z) = shape[v] and (u, v) = projection[b, v] (accumulated in double). With the
// shape's fixed Gram matrix these give POS's least-squares solution (pipeline/head_crop).
void face_pos_moments(int32_t batch, int32_t vertex_count, const float* projection,
                      const float* shape, double* moments);

}  // namespace p3d::cpu
