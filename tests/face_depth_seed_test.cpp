// The face stage (steps 3-5) on real seed portraits, its depth map checked against an
// expectation built from the record alone, not from the rasterizer: with the synthetic face
// model (seed 1, in memory) and fixed coefficients instead of an R-Net (zeros plus a small
// deterministic pose, like `face --coeff-override zero|damped`), every posed vertex
// (face_shape) is projected with the crop camera of face3d (focal, centre; y up) by the
// original's pinhole u = f·x/(10 - z) + cx, v = f·y/(10 - z) + cy. A vertex that lands
// within 0.1 px of a pixel centre (viewport pixel (i + 0.5, j + 0.5), viewport row 0 at the
// bottom, image row = 255 - j) and lies on the visible, front-facing surface pins that
// pixel: the mask must be set and the depth map must equal its 10 - z within 2e-3 and
// within the local slope (from the vertex's own triangles) times its distance from the
// centre, + 2e-4. Pixels where slope x 0.1 px would eat most of 2e-3 (steep sides) are not
// pinned; border and fold vertices neither. Also: coverage, finiteness, zero depth off the
// mask, and face_projection against face3d's camera. Skips with the reason when the shared seed
// data is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kernels/face3dmm.h"
#include "pipeline/alignment.h"
#include "pipeline/face_model.h"
#include "pipeline/face_stage.h"
#include "pipeline/image_io.h"
#include "pipeline/landmarks.h"
#include "pipeline/mat_file.h"
#include "pipeline/step1_record.h"
#include "pipeline/synthetic_face_model.h"
#include "tests/alignment_fixture.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;

constexpr int kSize = 256;
constexpr double kEyeZ = 10.0;
constexpr double kSnapPx = 0.1;          // a vertex pins a pixel within this of its centre
constexpr double kDepthTol = 2e-3;       // |depth map - (10 - z)| at a pinned pixel
constexpr double kOccludeMargin = 0.05;  // dm: nearer vertices around mean "hidden"
constexpr int kMinChecked = 200;
// Share of kDepthTol that the local slope may use up over a pinned vertex's distance.
constexpr double kSlopeBudget = 0.75;
// Beyond the planar variation: perspective-correct interpolation and float32 rounding.
constexpr double kSlopeSlack = 2e-4;

// The face command's label reading (NAME.mat 'mask', labels of the photo's size).
ImageU8 read_seed_labels(const fs::path& path, int32_t width, int32_t height) {
  MatReader reader(path.string());
  const MatArray mask = reader.read("mask");
  EXPECT_EQ(mask.rows, static_cast<size_t>(height));
  EXPECT_EQ(mask.cols, static_cast<size_t>(width));
  ImageU8 labels;
  labels.width = width;
  labels.height = height;
  labels.channels = 1;
  labels.pixels.resize(mask.values.size());
  for (size_t i = 0; i < mask.values.size(); ++i)
    labels.pixels[i] = static_cast<uint8_t>(std::clamp(mask.values[i], 0.0, 255.0));
  return labels;
}

fs::path find_photo(const fs::path& dir, const std::string& name) {
  for (const char* ext : {".jpg", ".jpeg", ".png"})
    if (fs::exists(dir / (name + ext))) return dir / (name + ext);
  return {};
}

// Zero coefficients (the mean face, no lighting) with a small fixed pose, different per
// portrait so the three cases cover different orientations.
std::vector<float> posed_coefficients(int which) {
  std::vector<float> c(FaceCoeff::kCount, 0.f);
  const float a[3][3] = {{0.06f, -0.12f, 0.03f}, {-0.08f, 0.15f, -0.05f}, {0.1f, 0.05f, 0.08f}};
  const float t[3][3] = {{0.05f, -0.03f, 0.1f}, {-0.04f, 0.06f, -0.1f}, {0.f, 0.02f, 0.2f}};
  for (int k = 0; k < 3; ++k) {
    c[FaceCoeff::kAngles + k] = a[which % 3][k];
    c[FaceCoeff::kTranslation + k] = t[which % 3][k];
  }
  return c;
}

class FaceDepthSeed : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() {
    if (!model_) model_ = new FaceModel(generate_synthetic_face_model(1));
  }
  static FaceModel* model_;
};
FaceModel* FaceDepthSeed::model_ = nullptr;

const char* const kPortraits[] = {"1_1234", "12_1254", "20_0040"};

TEST_P(FaceDepthSeed, DepthMapMatchesProjectedVertices) {
  const fs::path seed = test::shared_dir() / "seed-examples";
  if (!fs::is_directory(seed))
    GTEST_SKIP() << "no seed portraits at " << seed
                 << " (set P3D_SHARED_DIR to the folder holding seed-examples/)";
  const std::string name = kPortraits[GetParam()];
  const fs::path photo_path = find_photo(seed, name);
  if (photo_path.empty()) GTEST_SKIP() << "seed portrait " << name << " is absent from " << seed;

  // Step 1's geometry only (the R-Net is replaced by fixed coefficients).
  const FaceModel& model = *model_;
  const ImageU8 photo = read_image(photo_path.string());
  const Landmarks lm =
      read_landmarks(landmark_path_for(photo_path.string(), LandmarkConvention::YUp68),
                     LandmarkConvention::YUp68, photo.width, photo.height);
  const ImageU8 labels = read_seed_labels(seed / (name + ".mat"), photo.width, photo.height);
  const AlignmentReference reference =
      AlignmentReference::from_points(model.similarity_lm3d.data());
  const FaceAlignment alignment = plan_alignment(lm, reference);
  const std::vector<float> coeffs = posed_coefficients(GetParam());

  FacePortrait in;
  in.coeffs = coeffs.data();
  in.inv_scale = alignment.inv_scale;
  in.inv_offset[0] = alignment.inv_offset[0];
  in.inv_offset[1] = alignment.inv_offset[1];
  in.photo = ImageU8View{photo.data(), photo.width, photo.height, photo.channels};
  in.labels = ImageU8View{labels.data(), labels.width, labels.height, 1};
  FaceStage stage(model);
  const std::vector<Step1Record> records = stage.run({in});
  ASSERT_EQ(records.size(), 1u);
  const Step1Record& r = records[0];
  const int32_t nv = r.vertex_count;
  ASSERT_EQ(nv, model.vertex_count);
  ASSERT_EQ(r.face_shape.size(), static_cast<size_t>(nv) * 3);
  ASSERT_EQ(r.face3d.size(), 396u);
  ASSERT_EQ(r.face_depthmap.size(), static_cast<size_t>(kSize) * kSize);
  ASSERT_EQ(r.face_mask.size(), static_cast<size_t>(kSize) * kSize);
  ASSERT_NE(r.triangles, nullptr);
  const std::vector<int32_t>& tri = *r.triangles;

  // Coverage, finiteness, zero off the face.
  int covered = 0, bad_mask = 0, bad_depth = 0;
  for (size_t i = 0; i < r.face_mask.size(); ++i) {
    const float m = r.face_mask[i], d = r.face_depthmap[i];
    if (m != 0.f && m != 1.f) ++bad_mask;
    if (!std::isfinite(d) || (m == 0.f && d != 0.f) || (m == 1.f && !(d > 0.f))) ++bad_depth;
    covered += m == 1.f;
  }
  EXPECT_EQ(bad_mask, 0) << "face_mask values other than 0/1";
  EXPECT_EQ(bad_depth, 0) << "depth not finite, non-zero off the mask, or <= 0 on it";
  EXPECT_GT(covered, 2000) << "the face covers too little of the crop";
  EXPECT_LT(covered, kSize * kSize * 9 / 10) << "the face covers nearly the whole crop";

  // The crop camera (face3d[0..2]) and every vertex's crop position.
  const double f = r.face3d[0], cx = r.face3d[1], cy = r.face3d[2];
  std::vector<double> u(nv), v(nv), z(nv);
  double worst_proj = 0;  // our projection against the record's face_projection
  for (int32_t i = 0; i < nv; ++i) {
    const double x = r.face_shape[3 * i], y = r.face_shape[3 * i + 1];
    z[i] = r.face_shape[3 * i + 2];
    u[i] = f * x / (kEyeZ - z[i]) + cx;
    v[i] = f * y / (kEyeZ - z[i]) + cy;
    worst_proj = std::max({worst_proj, std::abs(u[i] - r.face_projection[2 * i]),
                           std::abs(v[i] - r.face_projection[2 * i + 1])});
  }
  EXPECT_LT(worst_proj, 1e-2) << "face_projection disagrees with face3d's camera";

  // Front-facing: the projected winding that most triangles share. A vertex is usable when
  // every triangle around it has that winding (no fold or silhouette through it).
  const size_t nt = tri.size() / 3;
  std::vector<int8_t> sign(nt, 0);
  long positive = 0, negative = 0;
  for (size_t t = 0; t < nt; ++t) {
    const int32_t a = tri[3 * t], b = tri[3 * t + 1], c = tri[3 * t + 2];
    const double area = (u[b] - u[a]) * (v[c] - v[a]) - (u[c] - u[a]) * (v[b] - v[a]);
    sign[t] = area > 0 ? 1 : (area < 0 ? -1 : 0);
    positive += area > 0;
    negative += area < 0;
  }
  const int8_t front = positive >= negative ? 1 : -1;
  // Also: not on the mesh's border (an edge with one triangle), so the triangles around it
  // close a fan that holds every point near it. slope[i]: the steepest |grad (10 - z)| in
  // px of those triangles, which bounds how far the depth at a pixel centre near the vertex
  // can stray from the vertex's own.
  std::vector<char> interior(nv, 1), used(nv, 0);
  std::vector<double> slope(nv, 0.0);
  std::map<std::pair<int32_t, int32_t>, int> edge_uses;
  for (size_t t = 0; t < nt; ++t)
    for (int k = 0; k < 3; ++k) {
      const int32_t a = tri[3 * t + k], b = tri[3 * t + (k + 1) % 3];
      ++edge_uses[{std::min(a, b), std::max(a, b)}];
      used[a] = 1;
      if (sign[t] != front) interior[a] = 0;
    }
  for (const auto& e : edge_uses)
    if (e.second != 2) interior[e.first.first] = interior[e.first.second] = 0;
  for (size_t t = 0; t < nt; ++t) {
    if (sign[t] != front) continue;
    const int32_t a = tri[3 * t], b = tri[3 * t + 1], c = tri[3 * t + 2];
    const double u1 = u[b] - u[a], v1 = v[b] - v[a], w1 = z[a] - z[b];  // w = 10 - z
    const double u2 = u[c] - u[a], v2 = v[c] - v[a], w2 = z[a] - z[c];
    const double det = u1 * v2 - u2 * v1;
    const double gu = (w1 * v2 - w2 * v1) / det, gv = (u1 * w2 - u2 * w1) / det;
    const double g = std::hypot(gu, gv);
    for (int k = 0; k < 3; ++k) slope[tri[3 * t + k]] = std::max(slope[tri[3 * t + k]], g);
  }

  // A vertex z-buffer over pixel cells: the nearest (largest z) vertex in each cell.
  std::vector<double> cell_max(static_cast<size_t>(kSize) * kSize, -1e30);
  std::vector<int32_t> pin(static_cast<size_t>(kSize) * kSize, -1);
  for (int32_t i = 0; i < nv; ++i) {
    if (!used[i] || !(u[i] >= 0 && u[i] < kSize && v[i] >= 0 && v[i] < kSize)) continue;
    const int ix = static_cast<int>(std::floor(u[i])), iy = static_cast<int>(std::floor(v[i]));
    const size_t cell = static_cast<size_t>(iy) * kSize + ix;
    cell_max[cell] = std::max(cell_max[cell], z[i]);
    const double du = u[i] - (ix + 0.5), dv = v[i] - (iy + 0.5);
    const double dist = std::sqrt(du * du + dv * dv);
    // Pins only where the surface is flat enough that the expected variation over `dist`
    // stays inside the tolerance (steep sides would need a looser one).
    if (dist <= kSnapPx && interior[i] && slope[i] * dist <= kSlopeBudget * kDepthTol &&
        (pin[cell] < 0 || z[i] > z[pin[cell]]))
      pin[cell] = i;
  }

  int checked = 0, unmasked = 0, off = 0, over_slope = 0;
  double worst = 0, worst_slack = 0;
  int worst_row = -1, worst_col = -1;
  for (int iy = 0; iy < kSize; ++iy)
    for (int ix = 0; ix < kSize; ++ix) {
      const int32_t i = pin[static_cast<size_t>(iy) * kSize + ix];
      if (i < 0) continue;
      // Visible: no vertex in the 3x3 cells around is clearly nearer the eye.
      double near = -1e30;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int jx = ix + dx, jy = iy + dy;
          if (jx >= 0 && jx < kSize && jy >= 0 && jy < kSize)
            near = std::max(near, cell_max[static_cast<size_t>(jy) * kSize + jx]);
        }
      if (near > z[i] + kOccludeMargin) continue;
      const size_t px = static_cast<size_t>(kSize - 1 - iy) * kSize + ix;  // row 0 = top
      ++checked;
      if (r.face_mask[px] != 1.f) {
        ++unmasked;
        continue;
      }
      const double want = kEyeZ - z[i];
      const double d = std::abs(r.face_depthmap[px] - want);
      const double dist = std::hypot(u[i] - (ix + 0.5), v[i] - (iy + 0.5));
      if (d > kDepthTol) ++off;
      if (d > slope[i] * dist + kSlopeSlack) ++over_slope;
      if (d > worst) {
        worst = d;
        worst_row = kSize - 1 - iy;
        worst_col = ix;
        worst_slack = std::hypot(u[i] - (ix + 0.5), v[i] - (iy + 0.5));
      }
    }
  std::printf(
      "[ %s ] covered %d px, checked %d px (%d over slope bound), worst |depth - (10 - z)| %.3g at "
      "row %d "
      "col %d (vertex %.3f px from the centre), projection vs record %.2g px\n",
      name.c_str(), covered, checked, over_slope, worst, worst_row, worst_col, worst_slack,
      worst_proj);
  EXPECT_GE(checked, kMinChecked) << "too few pinned pixels: the check would be vacuous";
  EXPECT_EQ(unmasked, 0) << unmasked << " of " << checked
                         << " pinned pixels are not in the rendered mask";
  EXPECT_EQ(over_slope, 0) << over_slope << " of " << checked
                           << " pinned pixels differ from 10 - z by more than the local slope "
                              "times the vertex's distance from the centre (+ "
                           << kSlopeSlack << ")";
  EXPECT_EQ(off, 0) << off << " of " << checked << " pinned pixels differ by more than "
                    << kDepthTol << "; worst " << worst << " at row " << worst_row << ", column "
                    << worst_col;
}

INSTANTIATE_TEST_SUITE_P(SeedPortraits, FaceDepthSeed, ::testing::Values(0, 1, 2),
                         [](const ::testing::TestParamInfo<int>& info) {
                           std::string n = std::string("p") + kPortraits[info.param];
                           return n;
                         });

}  // namespace
}  // namespace p3d
