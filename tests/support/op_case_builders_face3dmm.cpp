// Builders for the 3D morphable face model's passes (kernels/cpu/face3dmm.h and its CUDA
// twin) on random faces with the real model's sizes. face_pos_moments is not among them:
// its output is double, which no case dtype holds (tests/face3dmm_test.cpp compares it).
#include <string>

#include "kernels/cpu/face3dmm.h"
#include "tests/support/kernel_launch.h"
#include "tests/support/op_case_builders.h"

#if defined(P3D_WITH_CUDA)
#include "kernels/cuda/face3dmm.h"
#include "kernels/cuda/owners.h"
#endif

namespace p3d::test::cases {
namespace {

static_assert(sizeof(FaceCamera) == 6 * sizeof(float), "FaceCamera is read as 6 floats");
#if defined(P3D_WITH_CUDA)
constexpr size_t kCublasWorkspace = size_t{4} << 20;  // as the CUDA FaceReconstructor's
#endif

// Coefficient rows in the ranges R-Net produces: O(1) shape, texture and spare entries,
// small angles, lighting near the ambient default and a translation near the origin.
FillFn face_coefficients() {
  return [](std::mt19937& rng, Tensor& t) {
    uniform(-1, 1)(rng, t);
    const int64_t stride = t.shape()[1];
    for (int64_t b = 0; b < t.shape()[0]; ++b) {
      float* row = t.data<float>() + b * stride;
      for (int i = 0; i < 3; ++i) row[FaceCoeff::kAngles + i] *= 0.4f;
      for (int i = 0; i < 27; ++i) row[FaceCoeff::kGamma + i] *= 0.2f;
      row[FaceCoeff::kTranslation + 0] *= 0.1f;
      row[FaceCoeff::kTranslation + 1] *= 0.1f;
      row[FaceCoeff::kTranslation + 2] *= 0.5f;
    }
  };
}

// The original's crop camera followed by a different photo mapping per face.
InputSpec face_cameras(int32_t batch) {
  std::vector<float> cameras;
  for (int32_t b = 0; b < batch; ++b)
    cameras.insert(cameras.end(),
                   {kFaceFocal, kFaceCenter, kFaceCenter, 1.f + 0.5f * b, 3.f * b, -2.f * b});
  return input("cameras", Shape{batch, 6}, contents(cameras));
}
const FaceCamera* cameras_of(const void* p) { return static_cast<const FaceCamera*>(p); }
const int32_t* i32(const void* p) { return static_cast<const int32_t*>(p); }

// A strip topology over the vertices (triangle i = vertices i, i+1, i+2), as every vertex
// then lies in up to three triangles.
int32_t strip_triangles(int32_t vertex_count) { return vertex_count - 2; }
std::vector<int32_t> strip(int32_t vertex_count) {
  std::vector<int32_t> t;
  for (int32_t i = 0; i + 2 < vertex_count; ++i) t.insert(t.end(), {i, i + 1, i + 2});
  return t;
}
// point_buf of the strip: each vertex's triangles, padded with F (the zero normal).
std::vector<int32_t> strip_point_buf(int32_t vertex_count) {
  const int32_t f = strip_triangles(vertex_count);
  std::vector<int32_t> buf(static_cast<size_t>(vertex_count) * 8, f);
  std::vector<int32_t> used(static_cast<size_t>(vertex_count), 0);
  for (int32_t t = 0; t < f; ++t)
    for (int32_t v : {t, t + 1, t + 2}) buf[static_cast<size_t>(v) * 8 + used[v]++] = t;
  return buf;
}

std::string face_size(int32_t batch, int32_t vertex_count) {
  return "n" + std::to_string(batch) + " v" + std::to_string(vertex_count);
}

}  // namespace

OpCase face_basis_product_case(int32_t batch, int64_t rows, int32_t k, int32_t coeff_stride) {
  OpCase c;
  c.op = "face_basis_product";
  c.name = "face_basis_product n" + std::to_string(batch) + " rows" + std::to_string(rows) + " k" +
           std::to_string(k) + " stride" + std::to_string(coeff_stride);
  c.inputs.push_back(input("coeffs", Shape{batch, coeff_stride}, uniform(-1, 1)));
  c.inputs.push_back(input("basis", Shape{rows, k}, uniform(-0.01, 0.01)));
  c.out_shape = Shape{batch, rows};
  c.vs_cpu = kDense;  // FP32 GEMMs on both (cuBLAS without TF32)
  c.flops = 2.0 * batch * double(rows) * k;
  c.bytes = byte_count(c);
  c.launch = [=](Backend& b, const LaunchArgs& a) {
    run_kernel(
        b,
        [&] {
          cpu::face_basis_product(batch, rows, k, f32(a.inputs[0]), coeff_stride, f32(a.inputs[1]),
                                  f32(a.output));
        },
        [&](DeviceStream stream) {
#if defined(P3D_WITH_CUDA)
          const cudaStream_t s = static_cast<cudaStream_t>(stream);
          cuda::DeviceBuffer workspace(kCublasWorkspace);
          cuda::CublasHandle cublas(s, workspace.get(), kCublasWorkspace);
          cuda::face_basis_product(cublas.get(), batch, rows, k, f32(a.inputs[0]), coeff_stride,
                                   f32(a.inputs[1]), f32(a.output));
#endif
        });
  };
  return c;
}

OpCase face_vertices_case(int32_t batch, int32_t vertex_count, int32_t coeff_stride,
                          FaceVertexOutput output) {
  const FaceVertexParams p{batch, vertex_count, coeff_stride};
  const char* what = output == FaceVertexOutput::Canonical ? "canonical"
                     : output == FaceVertexOutput::Posed   ? "posed"
                                                           : "projection";
  OpCase c;
  c.op = "face_vertices";
  c.name = "face_vertices " + face_size(batch, vertex_count) + " stride" +
           std::to_string(coeff_stride) + " " + what;
  c.inputs.push_back(input("delta", Shape{batch, vertex_count, 3}, uniform(-0.05, 0.05)));
  c.inputs.push_back(input("mean", Shape{vertex_count, 3}, uniform(-1, 1)));
  c.inputs.push_back(input("coeffs", Shape{batch, coeff_stride}, face_coefficients()));
  c.inputs.push_back(face_cameras(batch));
  c.out_shape = Shape{batch, vertex_count, output == FaceVertexOutput::Projection ? 2 : 3};
  // Rotations from sinf / cosf, which differ in the last ulp between the two libraries.
  c.vs_cpu = Tolerance::close(1e-5, 1e-5);
  c.bytes = byte_count(c);
  c.launch = [p, output](Backend& b, const LaunchArgs& a) {
    float* out = f32(a.output);
    float* canonical = output == FaceVertexOutput::Canonical ? out : nullptr;
    float* posed = output == FaceVertexOutput::Posed ? out : nullptr;
    float* projection = output == FaceVertexOutput::Projection ? out : nullptr;
    const float *delta = f32(a.inputs[0]), *mean = f32(a.inputs[1]), *coeffs = f32(a.inputs[2]);
    const FaceCamera* cameras = cameras_of(a.inputs[3]);
    run_kernel(
        b,
        [&] { cpu::face_vertices(p, delta, mean, coeffs, cameras, canonical, posed, projection); },
        [&](DeviceStream stream) {
#if defined(P3D_WITH_CUDA)
          cuda::face_vertices(p, delta, mean, coeffs, cameras, canonical, posed, projection,
                              static_cast<cudaStream_t>(stream));
#endif
        });
  };
  return c;
}

OpCase face_project_points_case(int32_t batch, int32_t vertex_count) {
  OpCase c;
  c.op = "face_project_points";
  c.name = "face_project_points " + face_size(batch, vertex_count);
  c.inputs.push_back(input("points", Shape{batch, vertex_count, 3}, uniform(-1, 1)));
  c.inputs.push_back(face_cameras(batch));
  c.out_shape = Shape{batch, vertex_count, 2};
  c.vs_cpu = Tolerance::close(1e-6, 1e-6);
  c.bytes = byte_count(c);
  c.launch = [=](Backend& b, const LaunchArgs& a) {
    run_kernel(
        b,
        [&] {
          cpu::face_project_points(batch, vertex_count, f32(a.inputs[0]), cameras_of(a.inputs[1]),
                                   f32(a.output));
        },
        [&](DeviceStream stream) {
#if defined(P3D_WITH_CUDA)
          cuda::face_project_points(batch, vertex_count, f32(a.inputs[0]), cameras_of(a.inputs[1]),
                                    f32(a.output), static_cast<cudaStream_t>(stream));
#endif
        });
  };
  return c;
}

OpCase face_triangle_normals_case(int32_t batch, int32_t vertex_count) {
  const int32_t triangles = strip_triangles(vertex_count);
  OpCase c;
  c.op = "face_triangle_normals";
  c.name =
      "face_triangle_normals " + face_size(batch, vertex_count) + " f" + std::to_string(triangles);
  c.inputs.push_back(input("vertices", Shape{batch, vertex_count, 3}, uniform(-1, 1)));
  c.inputs.push_back(
      input("triangles", Shape{triangles, 3}, contents(strip(vertex_count)), DType::I32));
  c.out_shape = Shape{batch, triangles + 1, 3};
  c.vs_cpu = Tolerance::close(1e-5, 1e-5);
  c.bytes = byte_count(c);
  c.launch = [=](Backend& b, const LaunchArgs& a) {
    run_kernel(
        b,
        [&] {
          cpu::face_triangle_normals(batch, vertex_count, triangles, f32(a.inputs[0]),
                                     i32(a.inputs[1]), f32(a.output));
        },
        [&](DeviceStream stream) {
#if defined(P3D_WITH_CUDA)
          cuda::face_triangle_normals(batch, vertex_count, triangles, f32(a.inputs[0]),
                                      i32(a.inputs[1]), f32(a.output),
                                      static_cast<cudaStream_t>(stream));
#endif
        });
  };
  return c;
}

OpCase face_vertex_colors_case(int32_t batch, int32_t vertex_count, int32_t coeff_stride) {
  const FaceVertexParams p{batch, vertex_count, coeff_stride};
  const int32_t triangles = strip_triangles(vertex_count);
  OpCase c;
  c.op = "face_vertex_colors";
  c.name = "face_vertex_colors " + face_size(batch, vertex_count) + " stride" +
           std::to_string(coeff_stride);
  // Any normals do (the pass normalises their sums), but slot F must be the zero normal.
  c.inputs.push_back(input("triangle_normals", Shape{batch, triangles + 1, 3},
                           [triangles](std::mt19937& rng, Tensor& t) {
                             uniform(-1, 1)(rng, t);
                             for (int64_t b = 0; b < t.shape()[0]; ++b)
                               for (int k = 0; k < 3; ++k)
                                 t.data<float>()[(b * (triangles + 1) + triangles) * 3 + k] = 0.f;
                           }));
  c.inputs.push_back(input("point_buf", Shape{vertex_count, 8},
                           contents(strip_point_buf(vertex_count)), DType::I32));
  c.inputs.push_back(input("coeffs", Shape{batch, coeff_stride}, face_coefficients()));
  c.inputs.push_back(input("albedo", Shape{batch, vertex_count * 3}, uniform(0, 255)));
  c.out_shape = Shape{batch, vertex_count, 3};
  c.vs_cpu = Tolerance::close(1e-4, 1e-4);  // sums of lit terms of O(100)
  c.bytes = byte_count(c);
  c.launch = [p, triangles](Backend& b, const LaunchArgs& a) {
    run_kernel(
        b,
        [&] {
          cpu::face_vertex_colors(p, triangles, f32(a.inputs[0]), i32(a.inputs[1]),
                                  f32(a.inputs[2]), f32(a.inputs[3]), f32(a.output));
        },
        [&](DeviceStream stream) {
#if defined(P3D_WITH_CUDA)
          cuda::face_vertex_colors(p, triangles, f32(a.inputs[0]), i32(a.inputs[1]),
                                   f32(a.inputs[2]), f32(a.inputs[3]), f32(a.output),
                                   static_cast<cudaStream_t>(stream));
#endif
        });
  };
  return c;
}

}  // namespace p3d::test::cases
