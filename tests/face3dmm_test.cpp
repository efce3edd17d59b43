// Tests of the 3D morphable face model passes (kernels/face3dmm.h, pipeline/face_reconstruction.h):
// the rotation against hand-computed values of the original's compute_rotation_matrix, the
// projection of known points, the whole reconstruction against an independent dense
// double-precision computation with Eigen (rotations built from Eigen::AngleAxis), lighting
// at known normals, input checks, and CUDA against the CPU (skipped without a GPU).
#include "kernels/cpu/face3dmm.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "kernels/error.h"
#include "kernels/face3dmm.h"
#include "pipeline/face_reconstruction.h"
#include "tests/support/require_cuda.h"

namespace p3d {
namespace {

constexpr double kPi = 3.14159265358979323846;

void expect_rotation(float ax, float ay, float az, const double want[9], double tol) {
  float r[9];
  face_rotation(ax, ay, az, r);
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(r[i], want[i], tol) << "element " << i;
}

TEST(FaceRotation, AxisQuarterTurnsMatchTheOriginal) {
  // R = (Rz Ry Rx)^T: a quarter turn about one axis gives the transposed axis rotation.
  const double about_z[9] = {0, 1, 0, -1, 0, 0, 0, 0, 1};
  expect_rotation(0, 0, static_cast<float>(kPi / 2), about_z, 1e-7);
  const double about_x[9] = {1, 0, 0, 0, 0, 1, 0, -1, 0};
  expect_rotation(static_cast<float>(kPi / 2), 0, 0, about_x, 1e-7);
  const double about_y[9] = {0, 0, -1, 0, 1, 0, 1, 0, 0};
  expect_rotation(0, static_cast<float>(kPi / 2), 0, about_y, 1e-7);
  const double identity[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  expect_rotation(0, 0, 0, identity, 0);
}

TEST(FaceRotation, CombinedAnglesMatchHandComputedValues) {
  // numpy: (Rz(0.3) @ Ry(0.2) @ Rx(0.1)).T with the original's element layout.
  const double want[9] = {0.936293363584,  0.289629477626,  -0.198669330795,
                          -0.275095847318, 0.956425085849,  0.097843395007,
                          0.218350663146,  -0.036957013525, 0.975170327202};
  expect_rotation(0.1f, 0.2f, 0.3f, want, 2e-7);
}

TEST(FaceRotation, RowVectorTimesRIsTheColumnRotation) {
  float r[9];
  face_rotation(0.4f, -0.7f, 1.1f, r);
  const Eigen::Matrix3d m = (Eigen::AngleAxisd(1.1, Eigen::Vector3d::UnitZ()) *
                             Eigen::AngleAxisd(-0.7, Eigen::Vector3d::UnitY()) *
                             Eigen::AngleAxisd(0.4, Eigen::Vector3d::UnitX()))
                                .toRotationMatrix();
  const float p[3] = {0.3f, -1.2f, 0.8f};
  float q[3];
  rotate_row(p, r, q);
  const Eigen::Vector3d want = m * Eigen::Vector3d(0.3, -1.2, 0.8);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(q[k], want[k], 1e-6);
}

TEST(FaceProjection, KnownPoints) {
  const FaceCamera crop{kFaceFocal, kFaceCenter, kFaceCenter, 1.f, 0.f, 0.f};
  float uv[2];
  const float origin[3] = {0, 0, 0};
  face_project(origin, crop, uv);
  EXPECT_FLOAT_EQ(uv[0], 112.f);
  EXPECT_FLOAT_EQ(uv[1], 112.f);
  const float a[3] = {1.f, 0.5f, 0.f};  // depth 10: 1015 / 10 px per unit
  face_project(a, crop, uv);
  EXPECT_FLOAT_EQ(uv[0], 213.5f);
  EXPECT_FLOAT_EQ(uv[1], 162.75f);
  const float b[3] = {0.2f, -0.4f, 2.f};  // depth 8
  face_project(b, crop, uv);
  EXPECT_NEAR(uv[0], 137.375, 1e-4);
  EXPECT_NEAR(uv[1], 61.25, 1e-4);
  // The inverse crop into the photo: photo = crop * 2 + (10, -5).
  const FaceCamera photo = photo_camera(2.f, 10.f, -5.f);
  face_project(b, photo, uv);
  EXPECT_NEAR(uv[0], 137.375 * 2 + 10, 2e-4);
  EXPECT_NEAR(uv[1], 61.25 * 2 - 5, 2e-4);
}

TEST(FaceLighting, ShBasisAtKnownNormals) {
  float y[9];
  const float up[3] = {0, 0, 1};
  sh_basis(up, y);
  const double k0 = std::sqrt(kPi) / 2, k1 = std::sqrt(kPi);
  const double k2 = (2 * kPi / std::sqrt(8.0)) * (3 * std::sqrt(5.0) / std::sqrt(12 * kPi));
  const double want_up[9] = {k0, 0, k1, 0, 0, 0, k2 * 0.5 / std::sqrt(3.0) * 2, 0, 0};
  for (int k = 0; k < 9; ++k) EXPECT_NEAR(y[k], want_up[k], 1e-6) << k;
  const float side[3] = {1, 0, 0};
  sh_basis(side, y);
  const double want_side[9] = {k0, 0, 0, -k1, 0, 0, -k2 * 0.5 / std::sqrt(3.0), 0, k2 * 0.5};
  for (int k = 0; k < 9; ++k) EXPECT_NEAR(y[k], want_side[k], 1e-6) << k;
  // Only the ambient term: colour = 0.8 * Y0 * albedo per channel.
  float gamma[27] = {};
  const float albedo[3] = {100, 50, 25};
  float rgb[3];
  sh_shade(up, gamma, albedo, rgb);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(rgb[c], 0.8 * k0 * albedo[c], 1e-4);
}

// A random model of `v` vertices (bases, mean shape off-centre, a triangle strip).
FaceModel random_model(int v, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.f, 1.f);
  FaceModel m;
  m.vertex_count = v;
  for (int i = 0; i < 3 * v; ++i)
    m.mean_shape.push_back(0.5f * n(rng) + (i % 3 == 2 ? 0.3f : 0.1f));
  for (int i = 0; i < 3 * v * 80; ++i) m.id_base.push_back(0.01f * n(rng));
  for (int i = 0; i < 3 * v * 64; ++i) m.exp_base.push_back(0.01f * n(rng));
  for (int i = 0; i < 3 * v * 80; ++i) m.tex_base.push_back(2.f * n(rng));
  for (int i = 0; i < 3 * v; ++i) m.mean_tex.push_back(128.f + 30.f * n(rng));
  for (int i = 0; i + 2 < v; ++i)
    for (int k : {i, i + 1, i + 2}) m.triangles.push_back(k);
  m.triangle_count = v - 2;
  m.point_buf.assign(8 * v, m.triangle_count);
  std::vector<int> fill(v, 0);
  for (int f = 0; f < m.triangle_count; ++f)
    for (int k = 0; k < 3; ++k) {
      const int id = m.triangles[f * 3 + k];
      if (fill[id] < 8) m.point_buf[id * 8 + fill[id]++] = f;
    }
  for (int i = 0; i < 68; ++i) m.keypoints.push_back((i * 7919) % v);
  m.border_index.assign(4, 0);
  return m;
}

std::vector<float> random_coeffs(int batch, int stride, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.f, 1.f);
  std::vector<float> c(static_cast<size_t>(batch) * stride);
  for (int b = 0; b < batch; ++b) {
    float* row = c.data() + b * stride;
    for (int i = 0; i < stride; ++i) row[i] = n(rng);
    for (int i = 0; i < 3; ++i) row[FaceCoeff::kAngles + i] = 0.3f * n(rng);
    for (int i = 0; i < 27; ++i) row[FaceCoeff::kGamma + i] = 0.1f * n(rng);
    row[FaceCoeff::kTranslation + 0] = 0.1f * n(rng);
    row[FaceCoeff::kTranslation + 1] = 0.1f * n(rng);
    row[FaceCoeff::kTranslation + 2] = 0.5f * n(rng);
  }
  return c;
}

// Batch 3 takes the CPU's matrix-vector path, batch 7 its GEMM path.
class FaceReconstructionBatch : public ::testing::TestWithParam<int> {};

TEST_P(FaceReconstructionBatch, MatchesDenseDoubleComputation) {
  const int v = 1500, batch = GetParam(), stride = 258;  // the raw R-Net row: 258 floats
  const FaceModel m = random_model(v, 7);
  const std::vector<float> coeffs = random_coeffs(batch, stride, 11);
  std::vector<FaceCamera> cams;
  for (int b = 0; b < batch; ++b)
    cams.push_back(photo_camera(0.8f + 0.7f * b, 20.f - 9.f * b, 30.f - 4.f * b));
  FaceReconstructor rec(m);
  const FaceGeometry g = rec.run(coeffs.data(), batch, stride, cams.data());
  ASSERT_EQ(g.posed.size(), static_cast<size_t>(batch) * v * 3);

  // Independent reference: dense Eigen in double.
  const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> id(
      m.id_base.data(), 3 * v, 80),
      ex(m.exp_base.data(), 3 * v, 64);
  Eigen::Vector3d centre = Eigen::Vector3d::Zero();
  for (int i = 0; i < v; ++i)
    centre +=
        Eigen::Vector3d(m.mean_shape[i * 3], m.mean_shape[i * 3 + 1], m.mean_shape[i * 3 + 2]);
  centre /= v;
  double max_shape = 0, max_proj = 0;
  for (int b = 0; b < batch; ++b) {
    const float* row = coeffs.data() + b * stride;
    const Eigen::VectorXd ci = Eigen::Map<const Eigen::VectorXf>(row, 80).cast<double>();
    const Eigen::VectorXd ce = Eigen::Map<const Eigen::VectorXf>(row + 80, 64).cast<double>();
    const Eigen::VectorXd s = id.cast<double>() * ci + ex.cast<double>() * ce;
    const float* a = row + FaceCoeff::kAngles;
    const Eigen::Matrix3d rot = (Eigen::AngleAxisd(a[2], Eigen::Vector3d::UnitZ()) *
                                 Eigen::AngleAxisd(a[1], Eigen::Vector3d::UnitY()) *
                                 Eigen::AngleAxisd(a[0], Eigen::Vector3d::UnitX()))
                                    .toRotationMatrix();
    const Eigen::Vector3d t(row[254], row[255], row[256]);
    for (int i = 0; i < v; ++i) {
      Eigen::Vector3d p(s[i * 3] + m.mean_shape[i * 3], s[i * 3 + 1] + m.mean_shape[i * 3 + 1],
                        s[i * 3 + 2] + m.mean_shape[i * 3 + 2]);
      p -= centre;
      for (int k = 0; k < 3; ++k)
        max_shape = std::max(max_shape, std::abs(g.canonical[(b * v + i) * 3 + k] - p[k]));
      const Eigen::Vector3d q = rot * p + t;
      for (int k = 0; k < 3; ++k)
        max_shape = std::max(max_shape, std::abs(g.posed[(b * v + i) * 3 + k] - q[k]));
      const double z = 10.0 - q[2];
      const double u = (1015.0 * q[0] / z + 112.0) * cams[b].scale + cams[b].offset_x;
      const double w = (1015.0 * q[1] / z + 112.0) * cams[b].scale + cams[b].offset_y;
      max_proj = std::max(max_proj, std::abs(g.projection[(b * v + i) * 2] - u));
      max_proj = std::max(max_proj, std::abs(g.projection[(b * v + i) * 2 + 1] - w));
    }
    for (int k = 0; k < 68; ++k)
      for (int c = 0; c < 2; ++c)
        EXPECT_EQ(g.landmarks[(b * 68 + k) * 2 + c],
                  g.projection[(b * v + m.keypoints[k]) * 2 + c]);
  }
  EXPECT_LT(max_shape, 2e-5);
  EXPECT_LT(max_proj, 5e-3);  // pixels, photo scale up to 5
}

INSTANTIATE_TEST_SUITE_P(Batches, FaceReconstructionBatch, ::testing::Values(3, 7));

TEST(FaceReconstruction, NonFiniteCoefficientIsNamed) {
  const FaceModel m = random_model(50, 3);
  std::vector<float> coeffs = random_coeffs(2, 257, 5);
  coeffs[257 + 230] = NAN;
  EXPECT_EQ(first_nonfinite_coefficient(coeffs.data() + 257, 257), 230);
  EXPECT_EQ(first_nonfinite_coefficient(coeffs.data(), 257), -1);
  std::vector<FaceCamera> cams(2, photo_camera(1.f, 0.f, 0.f));
  FaceReconstructor rec(m);
  try {
    rec.run(coeffs.data(), 2, 257, cams.data());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("face 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("index 230"), std::string::npos) << e.what();
  }
}

TEST(FaceReconstruction, PosMomentsSumProjectionTimesShape) {
  const FaceModel m = random_model(40, 9);
  std::vector<float> proj(2 * 40 * 2);
  for (size_t i = 0; i < proj.size(); ++i) proj[i] = static_cast<float>(i % 17) - 3.f;
  FaceReconstructor rec(m);
  const std::vector<double> mom = rec.pos_moments(proj.data(), 2);
  for (int b = 0; b < 2; ++b) {
    double want[8] = {};
    for (int v = 0; v < 40; ++v) {
      const double u = proj[(b * 40 + v) * 2], w = proj[(b * 40 + v) * 2 + 1];
      for (int k = 0; k < 3; ++k) {
        want[k] += m.mean_shape[v * 3 + k] * u;
        want[4 + k] += m.mean_shape[v * 3 + k] * w;
      }
      want[3] += u;
      want[7] += w;
    }
    for (int k = 0; k < 8; ++k)
      EXPECT_NEAR(mom[b * 8 + k], want[k], 1e-9 * (1 + std::abs(want[k])));
  }
}

// ---- CUDA against the CPU -------------------------------------------------------------

TEST(FaceReconstructionCuda, AgreesWithCpu) {
  P3D_SKIP_WITHOUT_CUDA();
  const int v = 35709, batch = 5, stride = 258;  // real sizes
  const FaceModel m = random_model(v, 21);
  const std::vector<float> coeffs = random_coeffs(batch, stride, 23);
  std::vector<FaceCamera> cams;
  for (int b = 0; b < batch; ++b) cams.push_back(photo_camera(1.f + b * 0.5f, 3.f * b, -2.f * b));
  FaceReconstructionOptions opt;
  opt.colors = true;
  FaceReconstructor cpu(m), gpu(m, Device{DeviceKind::CUDA, 0});
  const FaceGeometry a = cpu.run(coeffs.data(), batch, stride, cams.data(), opt);
  const FaceGeometry b = gpu.run(coeffs.data(), batch, stride, cams.data(), opt);
  auto max_rel = [](const std::vector<float>& x, const std::vector<float>& y) {
    EXPECT_EQ(x.size(), y.size());
    double worst = 0;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      EXPECT_TRUE(std::isfinite(y[i])) << i;
      worst = std::max(worst, std::abs(double(x[i]) - y[i]) / (1.0 + std::abs(double(x[i]))));
    }
    return worst;
  };
  EXPECT_LT(max_rel(a.canonical, b.canonical), 1e-5);
  EXPECT_LT(max_rel(a.posed, b.posed), 1e-5);
  EXPECT_LT(max_rel(a.projection, b.projection), 1e-5);
  EXPECT_LT(max_rel(a.landmarks, b.landmarks), 1e-5);
  EXPECT_LT(max_rel(a.colors, b.colors), 1e-4);
  const std::vector<float> pa = cpu.project(a.posed.data(), batch, cams.data());
  const std::vector<float> pb = gpu.project(a.posed.data(), batch, cams.data());
  EXPECT_LT(max_rel(pa, pb), 1e-6);
  const std::vector<double> ma = cpu.pos_moments(a.projection.data(), batch);
  const std::vector<double> mb = gpu.pos_moments(a.projection.data(), batch);
  for (size_t i = 0; i < ma.size(); ++i)
    EXPECT_NEAR(ma[i], mb[i], 1e-9 * (1 + std::abs(ma[i]))) << i;
}

// The moments feed integer roundings of the head crop, so the GPU's sum order must be
// fixed: repeated runs (and a face alone or inside a batch) give the same bits.
TEST(FaceReconstructionCuda, PosMomentsAreRunToRunIdentical) {
  P3D_SKIP_WITHOUT_CUDA();
  const int v = 35709, batch = 4, stride = 258;
  const FaceModel m = random_model(v, 31);
  const std::vector<float> coeffs = random_coeffs(batch, stride, 33);
  std::vector<FaceCamera> cams;
  for (int b = 0; b < batch; ++b) cams.push_back(photo_camera(1.f + b * 0.25f, 2.f * b, -b));
  FaceReconstructor gpu(m, Device{DeviceKind::CUDA, 0});
  const FaceGeometry g = gpu.run(coeffs.data(), batch, stride, cams.data(), {});
  const std::vector<double> first = gpu.pos_moments(g.projection.data(), batch);
  for (int run = 0; run < 20; ++run)
    ASSERT_EQ(gpu.pos_moments(g.projection.data(), batch), first) << "run " << run;
  const std::vector<double> last_alone =
      gpu.pos_moments(g.projection.data() + static_cast<size_t>(batch - 1) * v * 2, 1);
  EXPECT_EQ(last_alone, std::vector<double>(first.end() - 8, first.end()));
}

}  // namespace
}  // namespace p3d
