// The face-only mesh (pipeline/face_mesh.h) on a hand-made step-1 record: positions and
// triangles are the record's, colours the crop's sampled at the projections (BGR -> RGB),
// the render the record's face render; incomplete records and an empty render are refused.
#include "pipeline/face_mesh.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernels/error.h"

namespace p3d {
namespace {

constexpr int kCrop = 256;

struct Record {
  std::vector<int32_t> triangles = {0, 1, 2, 0, 2, 3};
  Step1Record r;
  Record() {
    r.vertex_count = 4;
    r.triangle_count = 2;
    r.triangles = &triangles;
    r.face_shape = {0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1};
    // Projections (x, y up) at pixel centres of the crop.
    r.face_projection = {10.5f, 245.5f, 100.5f, 200.5f, 200.5f, 50.5f, 30.5f, 30.5f};
    r.img.resize(3 * kCrop * kCrop);
    // Each pixel's colour encodes its position: B = column, G = row, R = 7.
    for (int y = 0; y < kCrop; ++y)
      for (int x = 0; x < kCrop; ++x) {
        uint8_t* p = &r.img[3 * (y * kCrop + x)];
        p[0] = static_cast<uint8_t>(x), p[1] = static_cast<uint8_t>(y), p[2] = 7;
      }
    r.face3d.assign(396, 0.f);
    r.face3d[0] = 1015.f, r.face3d[1] = 128.f, r.face3d[2] = 128.f;
    r.face_depthmap.assign(kCrop * kCrop, 0.f);
    r.face_mask.assign(kCrop * kCrop, 0.f);
    r.face_depthmap[1000] = 9.5f;
    r.face_mask[1000] = 1.f;
  }
};

TEST(FaceMesh, RecordGeometryWithCropColours) {
  Record rec;
  const FaceOnlyResult out = build_face_only(rec.r);
  EXPECT_EQ(out.mesh.face_vertex_count, 4);
  EXPECT_EQ(out.mesh.hair_ear_vertex_count, 0);
  EXPECT_EQ(out.mesh.stitch_vertex_count, 0);
  EXPECT_EQ(out.mesh.positions, rec.r.face_shape);
  EXPECT_EQ(out.mesh.triangles, rec.triangles);
  ASSERT_EQ(out.mesh.colors.size(), 12u);
  for (int v = 0; v < 4; ++v) {
    // A projection (px, py) at a pixel centre samples column px - 0.5 and row
    // 256 - 0.5 - py exactly (no blend): B = column, G = row.
    const float col = rec.r.face_projection[2 * v] - 0.5f;
    const float row = kCrop - 0.5f - rec.r.face_projection[2 * v + 1];
    EXPECT_FLOAT_EQ(out.mesh.colors[3 * v + 0], 7.f) << v;  // R
    EXPECT_FLOAT_EQ(out.mesh.colors[3 * v + 1], row) << v;  // G
    EXPECT_FLOAT_EQ(out.mesh.colors[3 * v + 2], col) << v;  // B
  }
  EXPECT_EQ(out.render.batch, 1);
  EXPECT_EQ(out.render.width, kCrop);
  EXPECT_EQ(out.render.depth, rec.r.face_depthmap);
  EXPECT_EQ(out.render.mask, rec.r.face_mask);
}

TEST(FaceMesh, EmptyRenderAndMissingPartsAreRefused) {
  {
    Record rec;
    rec.r.face_mask.assign(kCrop * kCrop, 0.f);
    try {
      build_face_only(rec.r);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("does not appear"), std::string::npos) << e.what();
    }
  }
  {
    Record rec;
    rec.r.triangles = nullptr;
    EXPECT_THROW(build_face_only(rec.r), Error);
  }
  {
    Record rec;
    rec.r.face_projection.pop_back();
    EXPECT_THROW(build_face_only(rec.r), Error);
  }
  {
    Record rec;
    rec.r.img.clear();
    EXPECT_THROW(build_face_only(rec.r), Error);
  }
}

}  // namespace
}  // namespace p3d
