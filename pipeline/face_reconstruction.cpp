// Face reconstruction (face_reconstruction.h): model preparation, the CPU implementation
// and the dispatch to the CUDA one (face_reconstruction_cuda.cpp).
#include "pipeline/face_reconstruction.h"

#include <cmath>
#include <string>

#include "engine/backend.h"
#include "kernels/cpu/face3dmm.h"
#include "kernels/error.h"
#include "pipeline/face_reconstruction_impl.h"

namespace p3d {

FaceCamera photo_camera(float crop_to_photo_scale, float offset_x, float offset_y) {
  return FaceCamera{kFaceFocal, kFaceCenter, kFaceCenter, crop_to_photo_scale, offset_x, offset_y};
}

int first_nonfinite_coefficient(const float* row, int32_t count) {
  for (int32_t i = 0; i < count; ++i)
    if (!std::isfinite(row[i])) return i;
  return -1;
}

FaceModelArrays prepare_face_model_arrays(const FaceModel& m) {
  validate_face_model(m, "face model");
  FaceModelArrays a;
  a.vertex_count = m.vertex_count;
  a.triangle_count = m.triangle_count;
  const int64_t rows = 3 * static_cast<int64_t>(m.vertex_count);
  constexpr int kId = FaceModel::kIdDims, kExp = FaceModel::kExpDims;
  static_assert(kId + kExp == FaceCoeff::kShapeDims, "id + expression = 144");
  a.shape_basis.resize(static_cast<size_t>(rows) * FaceCoeff::kShapeDims);
  for (int64_t r = 0; r < rows; ++r) {
    float* dst = a.shape_basis.data() + r * FaceCoeff::kShapeDims;
    const float* id = m.id_base.data() + r * kId;
    const float* ex = m.exp_base.data() + r * kExp;
    for (int k = 0; k < kId; ++k) dst[k] = id[k];
    for (int k = 0; k < kExp; ++k) dst[kId + k] = ex[k];
  }
  // The original subtracts np.mean(meanshape.reshape([-1, 3]), axis=0): the mean vertex.
  double centre[3] = {0, 0, 0};
  for (int32_t v = 0; v < m.vertex_count; ++v)
    for (int c = 0; c < 3; ++c) centre[c] += m.mean_shape[v * 3 + c];
  for (double& c : centre) c /= m.vertex_count;
  a.mean_raw = m.mean_shape;
  a.mean_centred.resize(static_cast<size_t>(rows));
  for (int32_t v = 0; v < m.vertex_count; ++v)
    for (int c = 0; c < 3; ++c)
      a.mean_centred[v * 3 + c] = static_cast<float>(m.mean_shape[v * 3 + c] - centre[c]);
  a.tex_basis = m.tex_base;
  a.mean_tex = m.mean_tex;
  a.triangles = m.triangles;
  a.point_buf = m.point_buf;
  a.keypoints = m.keypoints;
  return a;
}

FaceGeometry sized_face_geometry(int32_t batch, int32_t vertex_count, bool colors) {
  const size_t values = static_cast<size_t>(batch) * vertex_count;
  FaceGeometry g;
  g.batch = batch;
  g.vertex_count = vertex_count;
  g.canonical.resize(values * 3);
  g.posed.resize(values * 3);
  g.projection.resize(values * 2);
  if (colors) g.colors.resize(values * 3);
  return g;
}

std::vector<float> gather_landmarks(const std::vector<float>& projection, int32_t batch,
                                    int32_t vertex_count, const std::vector<int32_t>& keypoints) {
  const size_t k = keypoints.size();
  std::vector<float> out(static_cast<size_t>(batch) * k * 2);
  for (int32_t b = 0; b < batch; ++b)
    for (size_t i = 0; i < k; ++i) {
      const int64_t v = keypoints[i];
      const float* src = projection.data() + (static_cast<int64_t>(b) * vertex_count + v) * 2;
      out[(b * k + i) * 2 + 0] = src[0];
      out[(b * k + i) * 2 + 1] = src[1];
    }
  return out;
}

namespace {

void check_run_args(const float* coeffs, int32_t batch, int32_t coeff_stride,
                    const FaceCamera* cameras) {
  P3D_CHECK(batch >= 0, "face reconstruction: negative batch ", batch);
  P3D_CHECK(coeff_stride >= FaceCoeff::kCount, "face reconstruction: coefficient rows of ",
            coeff_stride, " floats, need at least ", FaceCoeff::kCount);
  P3D_CHECK(batch == 0 || (coeffs && cameras), "face reconstruction: null coefficients or cameras");
  for (int32_t b = 0; b < batch; ++b) {
    const int bad = first_nonfinite_coefficient(coeffs + static_cast<int64_t>(b) * coeff_stride,
                                                FaceCoeff::kCount);
    if (bad >= 0)
      P3D_THROW("face reconstruction: face ", b, " has a non-finite coefficient at index ", bad);
  }
}

class CpuFaceReconstructor final : public FaceReconstructor::Impl {
 public:
  explicit CpuFaceReconstructor(FaceModelArrays arrays) { model = std::move(arrays); }

  Device device() const override { return Device{}; }

  FaceGeometry run(const float* coeffs, int32_t batch, int32_t coeff_stride,
                   const FaceCamera* cameras, const FaceReconstructionOptions& options) override {
    const int32_t v = model.vertex_count;
    const int64_t rows = 3 * static_cast<int64_t>(v);
    FaceGeometry g = sized_face_geometry(batch, v, options.colors);
    // canonical first holds the basis product, then is updated in place.
    cpu::face_basis_product(batch, rows, FaceCoeff::kShapeDims, coeffs + FaceCoeff::kId,
                            coeff_stride, model.shape_basis.data(), g.canonical.data());
    const FaceVertexParams p{batch, v, coeff_stride};
    cpu::face_vertices(p, g.canonical.data(), model.mean_centred.data(), coeffs, cameras,
                       g.canonical.data(), g.posed.data(), g.projection.data());
    g.landmarks = gather_landmarks(g.projection, batch, v, model.keypoints);
    if (options.colors) {
      std::vector<float> albedo(static_cast<size_t>(batch) * rows);
      cpu::face_basis_product(batch, rows, FaceModel::kTexDims, coeffs + FaceCoeff::kTex,
                              coeff_stride, model.tex_basis.data(), albedo.data());
      for (int32_t b = 0; b < batch; ++b)
        for (int64_t i = 0; i < rows; ++i) albedo[b * rows + i] += model.mean_tex[i];
      std::vector<float> tri_normals(static_cast<size_t>(batch) * (model.triangle_count + 1) * 3);
      cpu::face_triangle_normals(batch, v, model.triangle_count, g.canonical.data(),
                                 model.triangles.data(), tri_normals.data());
      cpu::face_vertex_colors(p, model.triangle_count, tri_normals.data(), model.point_buf.data(),
                              coeffs, albedo.data(), g.colors.data());
    }
    return g;
  }

  std::vector<float> project(const float* points, int32_t batch,
                             const FaceCamera* cameras) override {
    std::vector<float> out(static_cast<size_t>(batch) * model.vertex_count * 2);
    cpu::face_project_points(batch, model.vertex_count, points, cameras, out.data());
    return out;
  }

  std::vector<double> pos_moments(const float* projection, int32_t batch) override {
    std::vector<double> out(static_cast<size_t>(batch) * 8);
    cpu::face_pos_moments(batch, model.vertex_count, projection, model.mean_raw.data(), out.data());
    return out;
  }
};

}  // namespace

FaceReconstructor::FaceReconstructor(const FaceModel& model, Device device) {
  FaceModelArrays arrays = prepare_face_model_arrays(model);
  if (device.kind == DeviceKind::CPU) {
    impl_ = std::make_unique<CpuFaceReconstructor>(std::move(arrays));
    return;
  }
  std::string reason;
  if (!cuda_available(&reason)) P3D_THROW("face reconstruction on ", device.str(), ": ", reason);
#if defined(P3D_WITH_CUDA)
  impl_ = make_cuda_face_reconstructor(std::move(arrays), device.index);
#endif
}

FaceReconstructor::~FaceReconstructor() = default;

Device FaceReconstructor::device() const { return impl_->device(); }
int32_t FaceReconstructor::vertex_count() const { return impl_->model.vertex_count; }

FaceGeometry FaceReconstructor::run(const float* coeffs, int32_t batch, int32_t coeff_stride,
                                    const FaceCamera* cameras,
                                    const FaceReconstructionOptions& options) {
  check_run_args(coeffs, batch, coeff_stride, cameras);
  return impl_->run(coeffs, batch, coeff_stride, cameras, options);
}

std::vector<float> FaceReconstructor::project(const float* points, int32_t batch,
                                              const FaceCamera* cameras) {
  P3D_CHECK(batch >= 0 && (batch == 0 || (points && cameras)), "face projection: bad arguments");
  return impl_->project(points, batch, cameras);
}

std::vector<double> FaceReconstructor::pos_moments(const float* projection, int32_t batch) {
  P3D_CHECK(batch >= 0 && (batch == 0 || projection), "face POS moments: bad arguments");
  return impl_->pos_moments(projection, batch);
}

}  // namespace p3d
