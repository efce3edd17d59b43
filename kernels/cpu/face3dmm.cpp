// CPU loops of the 3D morphable face model passes (kernels/cpu/face3dmm.h). The basis
// product uses the project's single-threaded Eigen GEMM (kernels/cpu/gemm.h), split over the
// basis rows across the thread pool, or for a few faces Eigen matrix-vector products (no
// packing copy of the 62 MB basis); the per-vertex passes call the P3D_HD functions of
// kernels/face3dmm.h that the CUDA kernels call too.
#include "kernels/cpu/face3dmm.h"

#include <Eigen/Core>
#include <algorithm>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/error.h"

namespace p3d::cpu {
namespace {

constexpr int64_t kRowGrain = 4096;      // basis rows per task at least
constexpr int64_t kVertexGrain = 2048;   // vertices per task at least
constexpr int32_t kGemvMaxBatch = 4;     // up to this many faces: blocked matrix-vector products
constexpr int64_t kGemvBlockRows = 512;  // 512 x 144 floats = 288 KB, stays in L2 across faces

// Rotation and translation of face b from its coefficient row.
struct Pose {
  float r[9];
  float t[3];
};

Pose pose_of(const float* coeff_row) {
  Pose pose;
  const float* a = coeff_row + FaceCoeff::kAngles;
  face_rotation(a[0], a[1], a[2], pose.r);
  const float* t = coeff_row + FaceCoeff::kTranslation;
  pose.t[0] = t[0];
  pose.t[1] = t[1];
  pose.t[2] = t[2];
  return pose;
}

void check_params(const FaceVertexParams& p) {
  P3D_CHECK(p.batch >= 0 && p.vertex_count >= 0, "face3dmm: negative size (batch ", p.batch,
            ", vertices ", p.vertex_count, ")");
  P3D_CHECK(p.coeff_stride >= FaceCoeff::kCount, "face3dmm: coefficient stride ", p.coeff_stride,
            " is below ", FaceCoeff::kCount);
}

}  // namespace

void face_basis_product(int32_t batch, int64_t rows, int32_t k, const float* coeffs,
                        int32_t coeff_stride, const float* basis, float* out) {
  P3D_CHECK(batch >= 0 && rows >= 0 && k >= 0 && coeff_stride >= k,
            "face_basis_product: bad sizes (batch ", batch, ", rows ", rows, ", k ", k, ", stride ",
            coeff_stride, ")");
  if (batch == 0 || rows == 0) return;
  ThreadPool& pool = ThreadPool::global();
  const int64_t per_task = std::max<int64_t>(kRowGrain, (rows + pool.size() - 1) / pool.size());
  if (batch <= kGemvMaxBatch) {
    // Few faces: matrix-vector products over cache-sized row blocks read the basis once
    // without GEMM's packing copy (the product is memory-bound here).
    using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    pool.parallel_for(rows, per_task, [&](int64_t begin, int64_t end, int) {
      for (int64_t r0 = begin; r0 < end; r0 += kGemvBlockRows) {
        const int64_t n = std::min(kGemvBlockRows, end - r0);
        const Eigen::Map<const RowMajor> block(basis + r0 * k, n, k);
        for (int32_t b = 0; b < batch; ++b) {
          const Eigen::Map<const Eigen::VectorXf> c(coeffs + static_cast<int64_t>(b) * coeff_stride,
                                                    k);
          Eigen::Map<Eigen::VectorXf>(out + b * rows + r0, n).noalias() = block * c;
        }
      }
    });
    return;
  }
  pool.parallel_for(rows, per_task, [&](int64_t begin, int64_t end, int) {
    const int64_t n = end - begin;
    std::vector<float> scratch(gemm_scratch_floats(batch, n, k));
    GemmArgs args;
    args.m = batch;
    args.n = n;
    args.k = k;
    args.a = GemmOperand{coeffs, coeff_stride, false};
    args.b = GemmOperand{basis + begin * k, k, true};  // basis rows are B's columns
    args.c = out + begin;
    args.ldc = rows;
    args.accumulate = false;
    gemm(args, scratch.data());
  });
}

void face_vertices(const FaceVertexParams& p, const float* delta, const float* mean,
                   const float* coeffs, const FaceCamera* cameras, float* canonical, float* posed,
                   float* projection) {
  check_params(p);
  const int64_t v_count = p.vertex_count;
  for (int32_t b = 0; b < p.batch; ++b) {
    const Pose pose = pose_of(coeffs + static_cast<int64_t>(b) * p.coeff_stride);
    const FaceCamera cam = cameras[b];
    const float* d = delta + b * v_count * 3;
    float* c = canonical ? canonical + b * v_count * 3 : nullptr;
    float* q = posed ? posed + b * v_count * 3 : nullptr;
    float* uv = projection ? projection + b * v_count * 2 : nullptr;
    ThreadPool::global().parallel_for(v_count, kVertexGrain, [&](int64_t begin, int64_t end, int) {
      for (int64_t v = begin; v < end; ++v)
        face_vertex(d + v * 3, mean + v * 3, pose.r, pose.t, cam, c ? c + v * 3 : nullptr,
                    q ? q + v * 3 : nullptr, uv ? uv + v * 2 : nullptr);
    });
  }
}

void face_project_points(int32_t batch, int32_t vertex_count, const float* points,
                         const FaceCamera* cameras, float* projection) {
  P3D_CHECK(batch >= 0 && vertex_count >= 0, "face_project_points: negative size");
  const int64_t total = static_cast<int64_t>(batch) * vertex_count;
  ThreadPool::global().parallel_for(total, kVertexGrain, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i)
      face_project(points + i * 3, cameras[i / vertex_count], projection + i * 2);
  });
}

void face_triangle_normals(int32_t batch, int32_t vertex_count, int32_t triangle_count,
                           const float* vertices, const int32_t* triangles, float* normals) {
  P3D_CHECK(batch >= 0 && vertex_count >= 0 && triangle_count >= 0,
            "face_triangle_normals: negative size");
  const int64_t slots = static_cast<int64_t>(triangle_count) + 1;
  for (int32_t b = 0; b < batch; ++b) {
    const float* verts = vertices + static_cast<int64_t>(b) * vertex_count * 3;
    float* out = normals + b * slots * 3;
    ThreadPool::global().parallel_for(
        triangle_count, kVertexGrain, [&](int64_t begin, int64_t end, int) {
          for (int64_t f = begin; f < end; ++f) {
            const int32_t* t = triangles + f * 3;
            for (int k = 0; k < 3; ++k)
              P3D_CHECK(t[k] >= 0 && t[k] < vertex_count, "face_triangle_normals: triangle ", f,
                        " has vertex id ", t[k], " outside [0, ", vertex_count, ")");
            triangle_normal(verts + t[0] * 3, verts + t[1] * 3, verts + t[2] * 3, out + f * 3);
          }
        });
    out[triangle_count * 3 + 0] = 0.f;
    out[triangle_count * 3 + 1] = 0.f;
    out[triangle_count * 3 + 2] = 0.f;
  }
}

void face_vertex_colors(const FaceVertexParams& p, int32_t triangle_count,
                        const float* triangle_normals, const int32_t* point_buf,
                        const float* coeffs, const float* albedo, float* colors) {
  check_params(p);
  const int64_t v_count = p.vertex_count;
  const int64_t slots = static_cast<int64_t>(triangle_count) + 1;
  for (int32_t b = 0; b < p.batch; ++b) {
    const float* coeff_row = coeffs + static_cast<int64_t>(b) * p.coeff_stride;
    const Pose pose = pose_of(coeff_row);
    const float* gamma = coeff_row + FaceCoeff::kGamma;
    const float* tri_n = triangle_normals + b * slots * 3;
    ThreadPool::global().parallel_for(v_count, kVertexGrain, [&](int64_t begin, int64_t end, int) {
      for (int64_t v = begin; v < end; ++v) {
        float n[3] = {0.f, 0.f, 0.f};
        for (int k = 0; k < 8; ++k) {
          const int32_t f = point_buf[v * 8 + k];
          P3D_CHECK(f >= 0 && f <= triangle_count, "face_vertex_colors: point_buf[", v, "][", k,
                    "] = ", f, " outside [0, ", triangle_count, "]");
          n[0] += tri_n[f * 3 + 0];
          n[1] += tri_n[f * 3 + 1];
          n[2] += tri_n[f * 3 + 2];
        }
        l2_normalize3(n);
        float n_rot[3];
        rotate_row(n, pose.r, n_rot);
        const int64_t i = b * v_count + v;
        sh_shade(n_rot, gamma, albedo + i * 3, colors + i * 3);
      }
    });
  }
}

void face_pos_moments(int32_t batch, int32_t vertex_count, const float* projection,
                      const float* shape, double* moments) {
  P3D_CHECK(batch >= 0 && vertex_count >= 0, "face_pos_moments: negative size");
  for (int32_t b = 0; b < batch; ++b) {
    const float* uv = projection + static_cast<int64_t>(b) * vertex_count * 2;
    double m[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int32_t v = 0; v < vertex_count; ++v) add_pos_moments(shape + v * 3, uv + v * 2, m);
    std::copy(m, m + 8, moments + b * 8);
  }
}

}  // namespace p3d::cpu
