// Stage 3's per-vertex geometry against TensorFlow running the original's formulas
// (tools/oracle/head_geometry_tf.py: get_pixel_value, bilinear_sampler, uvd2xyz on a 64x64
// random case, including face projections outside the crop), and CPU against CUDA.
#include "kernels/cpu/head_geometry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "importer/npy.h"
#include "pipeline/head_geometry.h"
#include "tests/support/require_cuda.h"
#include "tests/test_paths.h"

namespace p3d {
namespace {

template <typename T>
std::vector<T> load(const char* name, Shape* shape = nullptr) {
  const Tensor t = read_npy((test::fixture_dir("head_geometry") / name).string());
  if (shape) *shape = t.shape();
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.numel());
}

// TensorFlow's CPU kernels round each product like we do; allow a few ulps for its add_n
// and division orders.
void expect_close(const std::vector<float>& ours, const std::vector<float>& tf, float rel,
                  const char* what) {
  ASSERT_EQ(ours.size(), tf.size()) << what;
  float worst = 0.f;
  for (size_t i = 0; i < ours.size(); ++i) {
    const float err = std::fabs(ours[i] - tf[i]) / std::max(1.f, std::fabs(tf[i]));
    worst = std::max(worst, err);
  }
  EXPECT_LE(worst, rel) << what << ": worst relative error " << worst;
}

struct Case {
  Shape crop_shape, points_shape, proj_shape;
  std::vector<uint8_t> crop;
  std::vector<float> depth, projection, camera;
  std::vector<int32_t> points;
};

Case load_case() {
  Case c;
  c.crop = load<uint8_t>("crop.npy", &c.crop_shape);
  c.depth = load<float>("depth.npy");
  c.points = load<int32_t>("points.npy", &c.points_shape);
  c.projection = load<float>("projection.npy", &c.proj_shape);
  c.camera = load<float>("camera.npy");
  return c;
}

TEST(HeadGeometry, MatchesTensorFlowOnTheOriginalsFormulas) {
  const Case c = load_case();
  const int32_t h = static_cast<int32_t>(c.crop_shape[0]),
                w = static_cast<int32_t>(c.crop_shape[1]);
  HairBackprojectParams p;
  p.width = w;
  p.height = h;
  p.point_count = static_cast<int32_t>(c.points_shape[0]);
  p.camera = {c.camera[0], c.camera[1], c.camera[2]};
  std::vector<float> xyz(3 * p.point_count), bgr(3 * p.point_count);
  cpu::hair_vertices(p, c.points.data(), c.depth.data(), c.crop.data(), xyz.data(), bgr.data());
  expect_close(xyz, load<float>("hair_xyz.npy"), 2e-7f, "hair_xyz");
  expect_close(bgr, load<float>("hair_bgr.npy"), 0.f, "hair_bgr");

  const int32_t v = static_cast<int32_t>(c.proj_shape[0]);
  std::vector<float> face(3 * v);
  cpu::face_vertex_colors_from_crop(v, c.projection.data(), c.crop.data(), w, h, face.data());
  expect_close(face, load<float>("face_bgr.npy"), 1e-6f, "face_bgr");
}

// The pipeline unit on a 256 crop: CPU and CUDA agree bit for bit (shared math, no FMA).
TEST(HeadGeometry, CudaMatchesCpu) {
  P3D_SKIP_WITHOUT_CUDA();
  std::vector<uint8_t> crop(256 * 256 * 3);
  std::vector<float> depth(256 * 256);
  for (size_t i = 0; i < crop.size(); ++i) crop[i] = static_cast<uint8_t>((i * 2654435761u) >> 24);
  for (size_t i = 0; i < depth.size(); ++i) depth[i] = 9.f + static_cast<float>(i % 997) / 997.f;
  std::vector<int32_t> points;
  for (int32_t r = 0; r < 256; r += 3)
    for (int32_t col = r % 5; col < 256; col += 7) points.insert(points.end(), {r, col});
  std::vector<float> projection;
  for (int i = 0; i < 3000; ++i)
    projection.insert(projection.end(), {-4.f + 0.0897f * i, 260.f - 0.0871f * i});
  HeadGeometryInput in;
  in.crop_bgr = crop.data();
  in.depth = depth.data();
  in.camera = {1160.f, 128.3f, 121.9f};
  in.point_count = static_cast<int32_t>(points.size() / 2);
  in.points = points.data();
  in.face_vertex_count = static_cast<int32_t>(projection.size() / 2);
  in.face_projection = projection.data();
  const HeadGeometry cpu = compute_head_geometry(in, DeviceKind::CPU);
  const HeadGeometry gpu = compute_head_geometry(in, DeviceKind::CUDA);
  EXPECT_EQ(cpu.hair_xyz, gpu.hair_xyz);
  EXPECT_EQ(cpu.hair_bgr, gpu.hair_bgr);
  EXPECT_EQ(cpu.face_bgr, gpu.face_bgr);
}

TEST(HeadGeometry, RefusesBadInput) {
  std::vector<uint8_t> crop(256 * 256 * 3, 0);
  std::vector<float> depth(256 * 256, 9.f);
  const int32_t bad_point[2] = {256, 3};
  HeadGeometryInput in;
  in.crop_bgr = crop.data();
  in.depth = depth.data();
  in.camera = {1000.f, 128.f, 128.f};
  in.point_count = 1;
  in.points = bad_point;
  try {
    compute_head_geometry(in, DeviceKind::CPU);
    FAIL() << "a point outside the crop was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("outside the 256x256 crop"), std::string::npos)
        << e.what();
  }
  const int32_t good_point[2] = {3, 3};
  in.points = good_point;
  in.camera.focal = std::nanf("");
  EXPECT_THROW(compute_head_geometry(in, DeviceKind::CPU), Error);
}

}  // namespace
}  // namespace p3d
