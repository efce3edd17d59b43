// The step-1 record against the oracle (tools/oracle/face_record.py, which re-implements the
// original's formulas with numpy and cv2): for fixed coefficients on a small closed-form
// model, our posed shape, projections, landmarks, head centre, POS scale, crop_param, the
// 396-float face3d record, the cropped photo (cv2 INTER_CUBIC) and mask (INTER_NEAREST), and
// the SH-lit vertex colours must match what the original's formulas give. Also: the crop
// resampling on CUDA against the CPU (skipped without a GPU), and the record's .mat layout.
#include "pipeline/head_crop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "kernels/cpu/crop_resample.h"
#include "pipeline/face_reconstruction.h"
#include "pipeline/face_stage.h"
#include "pipeline/image_io.h"
#include "pipeline/step1_record.h"
#include "tests/face_record_fixture.h"
#include "tests/support/require_cuda.h"

#if defined(P3D_WITH_CUDA)
#include <cuda_runtime.h>
#endif

namespace p3d {
namespace {

namespace fs = std::filesystem;
using test::NpyArray;
using test::read_npy_doubles;

class FaceRecordOracle : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::face_record_fixture_dir();
    ASSERT_TRUE(fs::exists(dir_ / "face3d.npy"))
        << "missing fixture " << dir_ << " (regenerate with tools/oracle/face_record.py)";
    model_ = test::fixture_face_model();
    const NpyArray c = read_npy_doubles(dir_ / "coeffs.npy");
    ASSERT_EQ(c.shape, (std::vector<int64_t>{3, 257}));
    coeffs_.assign(c.values.begin(), c.values.end());
    inv_ = read_npy_doubles(dir_ / "inv_params.npy");
    ASSERT_EQ(inv_.shape, (std::vector<int64_t>{3, 3}));
    for (int b = 0; b < 3; ++b)
      cameras_.push_back(photo_camera(static_cast<float>(inv_.values[b * 3]),
                                      static_cast<float>(inv_.values[b * 3 + 1]),
                                      static_cast<float>(inv_.values[b * 3 + 2])));
  }

  NpyArray expected(const char* name) {
    return read_npy_doubles(dir_ / (std::string(name) + ".npy"));
  }

  static void expect_close(const std::vector<float>& got, const NpyArray& want, double atol,
                           const char* what) {
    ASSERT_EQ(got.size(), want.values.size()) << what;
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      const double d = std::abs(got[i] - want.values[i]);
      if (!(d <= worst)) worst = d, at = i;
    }
    EXPECT_LE(worst, atol) << what << ": worst |difference| " << worst << " at flat index " << at
                           << " (got " << got[at] << ", oracle " << want.values[at] << ")";
  }

  fs::path dir_;
  FaceModel model_;
  std::vector<float> coeffs_;
  NpyArray inv_;
  std::vector<FaceCamera> cameras_;
};

TEST_F(FaceRecordOracle, GeometryMatches) {
  FaceReconstructor rec(model_);
  FaceReconstructionOptions opt;
  opt.colors = true;
  const FaceGeometry g = rec.run(coeffs_.data(), 3, 257, cameras_.data(), opt);
  expect_close(g.canonical, expected("canonical"), 1e-5, "canonical shape");
  expect_close(g.posed, expected("face_shape"), 1e-5, "face_shape (posed)");
  expect_close(g.projection, expected("face_projection_photo"), 1e-3,
               "projection in the photo (px)");
  expect_close(g.landmarks, expected("landmarks"), 1e-3, "68 landmarks (px)");
  const NpyArray colors = expected("colors");
  std::vector<float> rel(g.colors.size());
  NpyArray zero{colors.shape, std::vector<double>(colors.values.size(), 0.0)};
  for (size_t i = 0; i < rel.size(); ++i)
    rel[i] =
        static_cast<float>((g.colors[i] - colors.values[i]) / (1 + std::abs(colors.values[i])));
  expect_close(rel, zero, 5e-5, "SH-lit colours (relative)");
}

TEST_F(FaceRecordOracle, RecordMatches) {
  FaceReconstructor rec(model_);
  const FaceGeometry g = rec.run(coeffs_.data(), 3, 257, cameras_.data());
  const std::vector<double> moments = rec.pos_moments(g.projection.data(), 3);
  const HeadCropper cropper(model_);
  const NpyArray face3d = expected("face3d"), crop_param = expected("crop_param"),
                 center2d = expected("center2d"), pos_s = expected("pos_s"),
                 displacement = expected("displacement");
  std::vector<HeadCrop> crops;
  for (int b = 0; b < 3; ++b) {
    HeadCropInput in;
    in.coeffs = coeffs_.data() + b * 257;
    in.inv_scale = inv_.values[b * 3];
    in.inv_offset[0] = inv_.values[b * 3 + 1];
    in.inv_offset[1] = inv_.values[b * 3 + 2];
    in.pos_moments = moments.data() + b * 8;
    in.landmarks = g.landmarks.data() + b * 68 * 2;
    in.photo_w = test::kFixturePhotoW;
    in.photo_h = test::kFixturePhotoH;
    crops.push_back(cropper.compute(in));
    const HeadCrop& c = crops.back();
    SCOPED_TRACE("face " + std::to_string(b));
    EXPECT_NEAR(c.pos_scale, pos_s.values[b], 1e-5 * pos_s.values[b]);
    for (int k = 0; k < 2; ++k) EXPECT_NEAR(c.center2d[k], center2d.values[b * 2 + k], 2e-3);
    for (int k = 0; k < 3; ++k)
      EXPECT_NEAR(c.displacement[k], displacement.values[b * 3 + k], 1e-6);
    EXPECT_NEAR(c.crop_param[0], crop_param.values[b * 5], 1e-5 * crop_param.values[b * 5]);
    for (int k = 1; k < 5; ++k)
      EXPECT_EQ(c.crop_param[k], crop_param.values[b * 5 + k]) << "crop_param " << k;
    for (int i = 0; i < kFace3dRecordSize; ++i) {
      const double want = face3d.values[b * kFace3dRecordSize + i];
      // focal / centre / landmarks are pixels; the coefficients are copied (translation
      // adjusted in double).
      const double tol = i < 3 || i >= 260 ? 2e-3 + 1e-5 * std::abs(want) : 1e-6;
      EXPECT_NEAR(c.face3d[i], want, tol) << "face3d[" << i << "]";
    }
  }
  // face_projection: the posed face seen by the crop's camera.
  std::vector<FaceCamera> crop_cams;
  for (const HeadCrop& c : crops) crop_cams.push_back(c.camera());
  expect_close(rec.project(g.posed.data(), 3, crop_cams.data()), expected("face_projection"), 2e-3,
               "face_projection in the crop (px)");

  // The crops: cv2 INTER_CUBIC / INTER_NEAREST of the padded, resized photo.
  const std::vector<uint8_t> photo = test::fixture_photo(), mask = test::fixture_mask();
  const ImageU8View pv{photo.data(), test::kFixturePhotoW, test::kFixturePhotoH, 3};
  const ImageU8View mv{mask.data(), test::kFixturePhotoW, test::kFixturePhotoH, 1};
  const HeadCropImages img = cut_head_crops(crops, {pv, pv, pv}, {mv, mv, mv});
  const size_t plane = 256 * 256;
  for (int b = 0; b < 3; ++b) {
    SCOPED_TRACE("face " + std::to_string(b));
    // read_image reads as cv2.imread: BGR, as the crop is (cv2.imwrite stored it as RGB).
    const ImageU8 bgr = read_image((dir_ / ("crop_img_" + std::to_string(b) + ".png")).string());
    ASSERT_EQ(bgr.width, 256);
    ASSERT_EQ(bgr.height, 256);
    int off = 0, worst = 0;
    for (size_t i = 0; i < plane * 3; ++i) {
      const int d = std::abs(int(img.photos[b * plane * 3 + i]) - int(bgr.pixels[i]));
      off += d != 0;
      worst = std::max(worst, d);
    }
    // The oracle runs OpenCV's own resize (IPP off), which this crop implements exactly.
    EXPECT_EQ(off, 0) << off << " channel values differ (worst by " << worst << ")";
    // A grey PNG reads with its level in all three channels.
    const ImageU8 gray = read_image((dir_ / ("crop_mask_" + std::to_string(b) + ".png")).string());
    ASSERT_EQ(gray.width, 256);
    ASSERT_EQ(gray.height, 256);
    int mask_off = 0;
    for (size_t i = 0; i < plane; ++i) mask_off += img.masks[b * plane + i] != gray.pixels[i * 3];
    EXPECT_EQ(mask_off, 0) << "cropped label pixels differ";
  }
}

// The assembled stage (steps 3-5) fills every record field from the pieces checked above.
TEST_F(FaceRecordOracle, FaceStageAssemblesTheRecords) {
  FaceStage stage(model_);
  const std::vector<uint8_t> photo = test::fixture_photo(), mask = test::fixture_mask();
  std::vector<FacePortrait> portraits(3);
  for (int b = 0; b < 3; ++b) {
    portraits[b].coeffs = coeffs_.data() + b * 257;
    portraits[b].inv_scale = inv_.values[b * 3];
    portraits[b].inv_offset[0] = inv_.values[b * 3 + 1];
    portraits[b].inv_offset[1] = inv_.values[b * 3 + 2];
    portraits[b].photo = ImageU8View{photo.data(), test::kFixturePhotoW, test::kFixturePhotoH, 3};
    portraits[b].labels = ImageU8View{mask.data(), test::kFixturePhotoW, test::kFixturePhotoH, 1};
  }
  FaceStageTimings timings;
  const std::vector<Step1Record> records = stage.run(portraits, &timings);
  ASSERT_EQ(records.size(), 3u);
  const NpyArray face3d = expected("face3d"), shape = expected("face_shape"),
                 proj = expected("face_projection");
  for (int b = 0; b < 3; ++b) {
    SCOPED_TRACE("face " + std::to_string(b));
    const Step1Record& r = records[b];
    ASSERT_EQ(r.face3d.size(), 396u);
    for (int i = 0; i < 396; ++i)
      EXPECT_NEAR(r.face3d[i], face3d.values[b * 396 + i],
                  2e-3 + 1e-5 * std::abs(face3d.values[b * 396 + i]))
          << i;
    ASSERT_EQ(r.face_shape.size(), static_cast<size_t>(model_.vertex_count) * 3);
    for (size_t i = 0; i < r.face_shape.size(); ++i)
      EXPECT_NEAR(r.face_shape[i], shape.values[b * r.face_shape.size() + i], 1e-5);
    for (size_t i = 0; i < r.face_projection.size(); ++i)
      EXPECT_NEAR(r.face_projection[i], proj.values[b * r.face_projection.size() + i], 2e-3);
    // The render: covered pixels hold 10 - z of the posed face (within its range), others 0.
    float zmin = 1e9f, zmax = -1e9f;
    for (int v = 0; v < model_.vertex_count; ++v) {
      zmin = std::min(zmin, 10.f - r.face_shape[v * 3 + 2]);
      zmax = std::max(zmax, 10.f - r.face_shape[v * 3 + 2]);
    }
    int covered = 0;
    for (size_t i = 0; i < r.face_mask.size(); ++i) {
      if (r.face_mask[i] > 0.5f) {
        ++covered;
        EXPECT_GE(r.face_depthmap[i], zmin - 1e-4f);
        EXPECT_LE(r.face_depthmap[i], zmax + 1e-4f);
      } else {
        EXPECT_EQ(r.face_depthmap[i], 0.f);
      }
    }
    EXPECT_GT(covered, 100);
    EXPECT_EQ(r.triangles, &stage.triangles());
    EXPECT_EQ(r.img.size(), 256u * 256 * 3);
  }
  EXPECT_GE(timings.reconstruct_ms, 0);
}

TEST(HeadCrop, DegenerateProjectionIsAnError) {
  const FaceModel m = test::fixture_face_model();
  const HeadCropper cropper(m);
  std::vector<float> coeffs(257, 0.f);
  const double moments[8] = {};  // a projection collapsed to a point: POS scale 0
  std::vector<float> lm(136, 0.f);
  HeadCropInput in;
  in.coeffs = coeffs.data();
  in.pos_moments = moments;
  in.landmarks = lm.data();
  in.photo_w = 100;
  in.photo_h = 100;
  EXPECT_THROW(cropper.compute(in), Error);
}

TEST(HeadCrop, MaskSizeMustMatchThePhoto) {
  HeadCrop c;
  c.window = CropResampleParams{0, 4, 4, 4, 4, 0, 0};
  std::vector<uint8_t> photo(4 * 4 * 3), mask(5 * 4);
  EXPECT_THROW(cut_head_crops({c}, {ImageU8View{photo.data(), 4, 4, 3}},
                              {ImageU8View{mask.data(), 5, 4, 1}}),
               Error);
}

TEST(HeadCropCuda, CropsAgreeWithCpuBitForBit) {
  P3D_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(5);
  std::vector<HeadCrop> crops(3);
  std::vector<std::vector<uint8_t>> photos, masks;
  std::vector<ImageU8View> pv, mv;
  const int sizes[3][2] = {{640, 480}, {333, 517}, {96, 128}};
  for (int b = 0; b < 3; ++b) {
    const int w = sizes[b][0], h = sizes[b][1];
    photos.emplace_back(static_cast<size_t>(w) * h * 3);
    masks.emplace_back(static_cast<size_t>(w) * h);
    for (auto& p : photos.back()) p = static_cast<uint8_t>(rng());
    for (auto& p : masks.back()) p = static_cast<uint8_t>(rng() % 6);
    pv.push_back({photos.back().data(), w, h, 3});
    mv.push_back({masks.back().data(), w, h, 1});
    const int sw = w * 3 / (b + 2), sh = h * 3 / (b + 2);
    crops[b].window =
        CropResampleParams{0, w, h, sw, sh, sw / 2 - 128 + 7 * b, sh / 2 - 128 - 5 * b};
  }
  const HeadCropImages a = cut_head_crops(crops, pv, mv);
  const HeadCropImages g = cut_head_crops(crops, pv, mv, Device{DeviceKind::CUDA, 0});
  EXPECT_EQ(a.photos, g.photos);
  EXPECT_EQ(a.masks, g.masks);
#if defined(P3D_WITH_CUDA)
  // The photos already on the device, in one buffer and out of order (as the alignment's
  // upload leaves them for step 4): the same crops, without uploading them again.
  size_t total = 0;
  for (const auto& p : photos) total += p.size();
  uint8_t* buffer = nullptr;
  ASSERT_EQ(cudaMalloc(&buffer, total), cudaSuccess);
  std::vector<const uint8_t*> on_device(3);
  size_t offset = 0;
  for (int b : {2, 0, 1}) {
    ASSERT_EQ(
        cudaMemcpy(buffer + offset, photos[b].data(), photos[b].size(), cudaMemcpyHostToDevice),
        cudaSuccess);
    on_device[b] = buffer + offset;
    offset += photos[b].size();
  }
  const HeadCropImages d = cut_head_crops(crops, pv, mv, Device{DeviceKind::CUDA, 0}, on_device);
  cudaFree(buffer);
  EXPECT_EQ(a.photos, d.photos);
  EXPECT_EQ(a.masks, d.masks);
#endif
}

TEST(Step1Record, MatRoundTrip) {
  const FaceModel m = test::fixture_face_model();
  Step1Record r;
  r.vertex_count = m.vertex_count;
  r.triangle_count = m.triangle_count;
  r.img.resize(256 * 256 * 3);
  for (size_t i = 0; i < r.img.size(); ++i) r.img[i] = static_cast<uint8_t>(i * 7);
  r.mask.assign(256 * 256, 2);
  r.mask[5] = 4;
  r.crop_param = {1.5f, -3.f, 20.f, 256.f, 256.f};
  r.face3d.resize(396);
  for (int i = 0; i < 396; ++i) r.face3d[i] = i * 0.25f;
  r.face_shape.assign(m.vertex_count * 3, 0.5f);
  r.face_projection.assign(m.vertex_count * 2, 100.f);
  r.face_depthmap.assign(256 * 256, 0.f);
  r.face_depthmap[256 * 3 + 7] = 9.5f;
  r.face_mask.assign(256 * 256, 0.f);
  r.face_mask[256 * 3 + 7] = 1.f;
  r.triangles = &m.triangles;
  const fs::path path = fs::temp_directory_path() / "p3d_step1_roundtrip.mat";
  write_step1_mat(r, path.string());
  std::vector<int32_t> tri;
  const Step1Record back = read_step1_mat(path.string(), &tri);
  fs::remove(path);
  EXPECT_EQ(back.img, r.img);
  EXPECT_EQ(back.mask, r.mask);
  EXPECT_EQ(back.face3d, r.face3d);
  EXPECT_EQ(back.face_shape, r.face_shape);
  EXPECT_EQ(back.face_projection, r.face_projection);
  EXPECT_EQ(back.face_depthmap, r.face_depthmap);
  EXPECT_EQ(back.face_mask, r.face_mask);
  EXPECT_EQ(tri, m.triangles);
  EXPECT_EQ(back.crop_param, r.crop_param);
  EXPECT_EQ(back.vertex_count, m.vertex_count);
}

}  // namespace
}  // namespace p3d
