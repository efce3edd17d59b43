// The face alignment (pipeline/alignment.h) against the oracle (tools/oracle/alignment.py,
// which runs the original's cv2 / PIL calls on the seed portraits): POS t and s, the resize
// and crop geometry, the inverse crop, the aligned landmarks, and the 224 x 224 images —
// bit for bit, on a synthetic photo of each portrait's size and on the real JPEGs. Also analytic
// cases that need no seed data (POS of an exact projection, identity, pure shift, pure scale
// against a textbook bilinear), and CUDA against the CPU (skipped without a GPU).
//
// Set P3D_ALIGNMENT_DUMP=DIR to write our decoded photos and aligned images as .npy for
// `tools/oracle/alignment.py compare DIR`, which reports full-image differences.
#include "kernels/cpu/alignment.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/backend.h"
#include "importer/json_reader.h"
#include "pipeline/alignment.h"
#include "pipeline/image_io.h"
#include "pipeline/landmarks.h"
#include "tests/alignment_fixture.h"
#include "tests/support/require_cuda.h"
#include "tests/support/test_images.h"

#if defined(P3D_WITH_CUDA)
#include <cuda_runtime.h>
#endif

namespace p3d {
namespace {

namespace fs = std::filesystem;

constexpr int kCrop = kAlignCropSize;
constexpr size_t kPlane = static_cast<size_t>(kCrop) * kCrop * 3;

// Real JPEGs: our decode equals cv2.imread's (libjpeg-turbo with OpenCV's settings; see
// tests/image_io_test.cpp) and the resampling is exact, so the aligned images must equal the
// oracle's bit for bit on the real photos too.
constexpr int kRealMaxDiff = 0;
constexpr double kRealMeanDiff = 0.0;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<uint8_t> to_bytes(const float* values, size_t count) {
  std::vector<uint8_t> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<uint8_t>(values[i]);
  return out;
}

std::vector<float> align_one(const ImageU8& photo, const FaceAlignment& plan, Device device = {}) {
  return align_images({&photo}, {plan}, device);
}

void expect_rel(double got, double want, double rel, const std::string& what) {
  EXPECT_LE(std::fabs(got - want), rel * std::max(1.0, std::fabs(want)))
      << what << ": got " << got << ", oracle " << want;
}

// ---- against the oracle --------------------------------------------------------------------

class AlignmentOracle : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = test::shared_dir() / "seed-examples";
    bfm_ = test::shared_dir() / "bfm-public";
    if (!fs::is_directory(seed_) || !fs::exists(bfm_ / "similarity_Lm3D_all.mat"))
      GTEST_SKIP() << "no seed data at " << test::shared_dir()
                   << " (set P3D_SHARED_DIR to the folder holding seed-examples/ and bfm-public/)";
    ASSERT_TRUE(fs::exists(test::alignment_fixture_path()))
        << "missing fixture " << test::alignment_fixture_path()
        << " (make it with tools/oracle/alignment.py fixture)";
    fixture_ =
        JsonValue::parse(read_text(test::alignment_fixture_path()), "alignment oracle fixture");
    reference_ = AlignmentReference::load((bfm_ / "similarity_Lm3D_all.mat").string());
  }

  // Geometry of one path against its oracle record; returns the worst relative POS error
  // and the worst landmark difference (pixels of the crop) for the log.
  std::pair<double, double> check_geometry(const FaceAlignment& a, const JsonValue& want,
                                           const std::string& what) {
    expect_rel(a.pos.s, want.at("s").as_number(), 1e-6, what + " POS s");
    expect_rel(a.pos.t[0], want.at("t").as_array()[0].as_number(), 1e-6, what + " POS t.x");
    expect_rel(a.pos.t[1], want.at("t").as_array()[1].as_number(), 1e-6, what + " POS t.y");
    if (a.resampler == AlignResampler::kOpenCv) {
      EXPECT_EQ(a.warp_shift[0], static_cast<float>(want.at("shift").as_array()[0].as_number()))
          << what;
      EXPECT_EQ(a.warp_shift[1], static_cast<float>(want.at("shift").as_array()[1].as_number()))
          << what;
    } else {
      expect_rel(a.pil_shift[0], want.at("shift").as_array()[0].as_number(), 1e-9,
                 what + " shift x");
      expect_rel(a.pil_shift[1], want.at("shift").as_array()[1].as_number(), 1e-9,
                 what + " shift y");
    }
    EXPECT_EQ(a.scaled_w, want.at("scaled").as_array()[0].as_int()) << what;
    EXPECT_EQ(a.scaled_h, want.at("scaled").as_array()[1].as_int()) << what;
    EXPECT_EQ(a.left, want.at("window").as_array()[0].as_int()) << what;
    EXPECT_EQ(a.up, want.at("window").as_array()[1].as_int()) << what;
    expect_rel(a.inv_scale, want.at("inv_scale").as_number(), 1e-9, what + " inv scale");
    expect_rel(a.inv_offset[0], want.at("inv_offset").as_array()[0].as_number(), 1e-9,
               what + " inv offset x");
    expect_rel(a.inv_offset[1], want.at("inv_offset").as_array()[1].as_number(), 1e-9,
               what + " inv offset y");
    const auto& lm = want.at("landmarks").as_array();
    EXPECT_EQ(a.landmarks.size(), lm.size()) << what;
    double worst = 0;
    for (size_t i = 0; i < std::min(lm.size(), a.landmarks.size()); ++i)
      worst = std::max(worst, std::fabs(a.landmarks[i] - lm[i].as_number()));
    EXPECT_LE(worst, 1e-4) << what << ": aligned landmarks differ by " << worst << " px";
    double pos_rel = std::fabs(a.pos.s / want.at("s").as_number() - 1);
    for (int k = 0; k < 2; ++k)
      pos_rel =
          std::max(pos_rel, std::fabs(a.pos.t[k] / want.at("t").as_array()[k].as_number() - 1));
    return {pos_rel, worst};
  }

  // Image statistics of one aligned image against the oracle's; returns the patch's max diff.
  int compare_image(const std::vector<uint8_t>& ours, const JsonValue& want, bool exact,
                    const std::string& what) {
    const int step = static_cast<int>(fixture_.at("patch").at("step").as_int());
    const int offset = static_cast<int>(fixture_.at("patch").at("offset").as_int());
    const auto& patch = want.at("patch").as_array();
    int worst = 0;
    size_t at = 0;
    for (int y = offset; y < kCrop; y += step)
      for (int x = offset; x < kCrop; x += step)
        for (int c = 0; c < 3; ++c, ++at)
          worst = std::max(worst, std::abs(ours[(static_cast<size_t>(y) * kCrop + x) * 3 + c] -
                                           static_cast<int>(patch.at(at).as_int())));
    EXPECT_EQ(at, patch.size()) << what;
    double mean_diff = 0;
    for (int c = 0; c < 3; ++c) {
      int64_t sum = 0;
      for (size_t i = c; i < ours.size(); i += 3) sum += ours[i];
      mean_diff = std::max(
          mean_diff,
          std::fabs(static_cast<double>(sum - want.at("channel_sums").as_array()[c].as_int())) /
              (kCrop * kCrop));
    }
    if (exact) {
      EXPECT_EQ(std::to_string(test::image_checksum(ours)), want.at("checksum").as_string())
          << what << " checksum";
      EXPECT_EQ(worst, 0) << what << " patch";
      EXPECT_EQ(mean_diff, 0.0) << what << " channel sums";
    } else {
      EXPECT_LE(worst, kRealMaxDiff) << what << " patch";
      EXPECT_LE(mean_diff, kRealMeanDiff) << what << " channel means";
    }
    return worst;
  }

  fs::path seed_, bfm_;
  JsonValue fixture_;
  AlignmentReference reference_;
};

TEST_F(AlignmentOracle, MatchesTheOriginalOnTheSeedPortraits) {
  const char* dump = std::getenv("P3D_ALIGNMENT_DUMP");
  const auto& examples = fixture_.at("examples").as_array();
  ASSERT_FALSE(examples.empty());
  for (const JsonValue& ex : examples) {
    const std::string name = ex.at("name").as_string();
    SCOPED_TRACE(name);
    const fs::path photo_path = seed_ / ex.at("file").as_string();
    const ImageU8 photo = read_image(photo_path.string());
    ASSERT_EQ(photo.width, ex.at("width").as_int());
    ASSERT_EQ(photo.height, ex.at("height").as_int());
    // Our decode against cv2.imread's, channel by channel (this also pins the BGR order).
    for (int c = 0; c < 3; ++c) {
      int64_t sum = 0;
      for (size_t i = c; i < photo.pixels.size(); i += 3) sum += photo.pixels[i];
      const double mean_diff = std::fabs(static_cast<double>(
                                   sum - ex.at("decoded_channel_sums").as_array()[c].as_int())) /
                               (static_cast<double>(photo.width) * photo.height);
      EXPECT_LE(mean_diff, kRealMeanDiff) << "decoded channel " << c;
    }

    const Landmarks lm68 =
        read_landmarks(landmark_path_for(photo_path.string(), LandmarkConvention::YUp68),
                       LandmarkConvention::YUp68, photo.width, photo.height);
    const Landmarks lm5 =
        read_landmarks(landmark_path_for(photo_path.string(), LandmarkConvention::Detection5),
                       LandmarkConvention::Detection5, photo.width, photo.height);
    const FaceAlignment a10 = plan_alignment(lm68, reference_);
    const FaceAlignment a5 = plan_alignment(lm5, reference_);
    const auto g10 = check_geometry(a10, ex.at("ten_point"), name + " 68-point");
    const auto g5 = check_geometry(a5, ex.at("five_point"), name + " 5-point");

    // The resampling, bit for bit: the synthetic photo through the same geometry.
    const ImageU8 synth = test::synthetic_photo(photo.width, photo.height);
    const std::vector<float> syn = align_images({&synth, &synth}, {a10, a5});
    compare_image(to_bytes(syn.data(), kPlane), ex.at("ten_point").at("synthetic"), true,
                  name + " synthetic 68-point");
    compare_image(to_bytes(syn.data() + kPlane, kPlane), ex.at("five_point").at("synthetic"), true,
                  name + " synthetic 5-point");

    // The real photo: decoding differs, the rest is the same arithmetic.
    const std::vector<float> real = align_images({&photo, &photo}, {a10, a5});
    const int w10 = compare_image(to_bytes(real.data(), kPlane), ex.at("ten_point").at("image"),
                                  false, name + " 68-point");
    const int w5 = compare_image(to_bytes(real.data() + kPlane, kPlane),
                                 ex.at("five_point").at("image"), false, name + " 5-point");
    std::printf(
        "  %-9s POS rel. err %.1e / %.1e, landmarks %.1e / %.1e px, sampled pixels %d / %d levels"
        " (68-point / 5-point)\n",
        name.c_str(), g10.first, g5.first, g10.second, g5.second, w10, w5);

    if (dump) {
      const fs::path dir(dump);
      fs::create_directories(dir);
      test::write_npy(dir / (name + "_decoded.npy"), photo.data(), photo.bytes(), "|u1",
                      {photo.height, photo.width, 3});
      test::write_npy(dir / (name + "_ten_point.npy"), real.data(), kPlane * 4, "<f4",
                      {kCrop, kCrop, 3});
      test::write_npy(dir / (name + "_five_point.npy"), real.data() + kPlane, kPlane * 4, "<f4",
                      {kCrop, kCrop, 3});
    }
  }
}

TEST_F(AlignmentOracle, CudaMatchesCpu) {
  P3D_SKIP_WITHOUT_CUDA();
  std::vector<ImageU8> photos;
  std::vector<FaceAlignment> plans;
  for (const JsonValue& ex : fixture_.at("examples").as_array()) {
    const fs::path photo_path = seed_ / ex.at("file").as_string();
    photos.push_back(read_image(photo_path.string()));
    for (LandmarkConvention conv : {LandmarkConvention::YUp68, LandmarkConvention::Detection5})
      plans.push_back(
          plan_alignment(read_landmarks(landmark_path_for(photo_path.string(), conv), conv,
                                        photos.back().width, photos.back().height),
                         reference_));
  }
  std::vector<const ImageU8*> batch;
  for (const ImageU8& p : photos) batch.insert(batch.end(), {&p, &p});
  const std::vector<float> cpu = align_images(batch, plans);
  const std::vector<float> gpu = align_images(batch, plans, Device{DeviceKind::CUDA, 0});
  ASSERT_EQ(cpu.size(), gpu.size());
  size_t differing = 0;
  for (size_t i = 0; i < cpu.size(); ++i) differing += cpu[i] != gpu[i];
  EXPECT_EQ(differing, 0u) << "of " << cpu.size() << " values";
}

// ---- analytic cases (no seed data) ---------------------------------------------------------

// A reference whose 68 points are a fixed, non-degenerate 3D scatter.
AlignmentReference scatter_reference() {
  std::vector<float> lm(68 * 3);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-0.8f, 0.8f);
  for (float& v : lm) v = u(rng);
  return AlignmentReference::from_points(lm.data());
}

TEST(Pos, RecoversAnExactScaledTranslation) {
  const AlignmentReference ref = scatter_reference();
  const std::vector<double> xyz = ref.ten_point();
  const double s = 237.5, tx = 301.25, ty = 412.75;
  std::vector<double> xy(20);
  for (int i = 0; i < 10; ++i) {
    xy[2 * i] = s * xyz[3 * i] + tx;
    xy[2 * i + 1] = s * xyz[3 * i + 1] + ty;
  }
  const PosSolution pos = solve_pos(xy.data(), xyz.data(), 10);
  EXPECT_NEAR(pos.s, s, 1e-9 * s);
  EXPECT_NEAR(pos.t[0], tx, 1e-9 * tx);
  EXPECT_NEAR(pos.t[1], ty, 1e-9 * ty);
}

TEST(Pos, RefusesDegeneratePoints) {
  std::vector<double> xyz(10 * 3, 0.0), xy(20, 1.0);
  for (int i = 0; i < 10; ++i) xyz[3 * i] = i;  // all on a line
  EXPECT_THROW(solve_pos(xy.data(), xyz.data(), 10), Error);
}

TEST(Pos, FivePointReferenceAveragesTheEyes) {
  const AlignmentReference ref = scatter_reference();
  const std::vector<double> five = ref.five_point();
  ASSERT_EQ(five.size(), 15u);
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(five[k], (ref.lm68[36 * 3 + k] + ref.lm68[39 * 3 + k]) / 2, 1e-6);  // points 37, 40
    EXPECT_NEAR(five[3 + k], (ref.lm68[42 * 3 + k] + ref.lm68[45 * 3 + k]) / 2, 1e-6);  // 43, 46
    EXPECT_EQ(five[6 + k], ref.lm68[30 * 3 + k]);  // nose tip 31
    EXPECT_EQ(five[9 + k], ref.lm68[48 * 3 + k]);  // mouth corners 49, 55
    EXPECT_EQ(five[12 + k], ref.lm68[54 * 3 + k]);
  }
}

// A plan that only moves pixels: photo of size w x h, resized to sw x sh, window (left, up).
FaceAlignment plain_plan(AlignResampler r, int32_t w, int32_t h, int32_t sw, int32_t sh,
                         int32_t left, int32_t up) {
  FaceAlignment a;
  a.resampler = r;
  a.photo_w = w;
  a.photo_h = h;
  a.scaled_w = sw;
  a.scaled_h = sh;
  a.left = left;
  a.up = up;
  a.inv_scale = 1;
  return a;
}

ImageU8 noise_photo(int32_t w, int32_t h, uint32_t seed) {
  std::mt19937 rng(seed);
  return test::synthetic_rgb(w, h, [&rng](int64_t, int64_t, int64_t) { return rng() & 0xFF; });
}

uint8_t at(const ImageU8& img, int32_t x, int32_t y, int32_t c) {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return 0;
  return img.pixels[(static_cast<size_t>(y) * img.width + x) * 3 + c];
}

TEST(AlignResample, IdentityReturnsThePhoto) {
  const ImageU8 photo = noise_photo(kCrop, kCrop, 1);
  for (AlignResampler r : {AlignResampler::kOpenCv, AlignResampler::kPillow}) {
    const std::vector<float> out =
        align_one(photo, plain_plan(r, kCrop, kCrop, kCrop, kCrop, 0, 0));
    for (size_t i = 0; i < out.size(); ++i)
      ASSERT_EQ(out[i], photo.pixels[i]) << "resampler " << int(r) << " at " << i;
  }
}

TEST(AlignResample, WholePixelShiftMovesThePhoto) {
  const ImageU8 photo = noise_photo(300, 260, 2);
  // OpenCV: M's translation (+7, -5) moves content right 7, up 5. Pillow: offsets (-7, 5)
  // sample photo(x - 7, y + 5), the same motion. The window then cuts at (20, 10).
  FaceAlignment cv = plain_plan(AlignResampler::kOpenCv, 300, 260, 300, 260, 20, 10);
  cv.warp_shift[0] = 7.f;
  cv.warp_shift[1] = -5.f;
  FaceAlignment pil = plain_plan(AlignResampler::kPillow, 300, 260, 300, 260, 20, 10);
  pil.pil_shift[0] = -7.0;
  pil.pil_shift[1] = 5.0;
  const std::vector<float> out = align_images({&photo, &photo}, {cv, pil});
  for (int item = 0; item < 2; ++item)
    for (int y = 0; y < kCrop; ++y)
      for (int x = 0; x < kCrop; ++x)
        for (int c = 0; c < 3; ++c) {
          const int sx = x + 20 - 7, sy = y + 10 + 5;
          const uint8_t want = (sy >= 260) ? 0 : at(photo, sx, sy, c);
          ASSERT_EQ(out[item * kPlane + (static_cast<size_t>(y) * kCrop + x) * 3 + c], want)
              << "item " << item << " at (" << x << ", " << y << ", " << c << ")";
        }
}

TEST(AlignResample, HalfPixelShiftAveragesNeighbours) {
  // M's translation 0.5: every warped pixel is the rounded mean of two horizontal neighbours.
  const ImageU8 photo = noise_photo(kCrop, kCrop, 3);
  FaceAlignment a = plain_plan(AlignResampler::kOpenCv, kCrop, kCrop, kCrop, kCrop, 0, 0);
  a.warp_shift[0] = 0.5f;
  const std::vector<float> out = align_one(photo, a);
  for (int y = 0; y < kCrop; ++y)
    for (int x = 1; x < kCrop; ++x)
      for (int c = 0; c < 3; ++c) {
        const int want = (at(photo, x - 1, y, c) + at(photo, x, y, c) + 1) / 2;
        ASSERT_EQ(out[(static_cast<size_t>(y) * kCrop + x) * 3 + c], want) << x << "," << y;
      }
}

// Textbook bilinear resize (half-pixel centres, edge clamp) in double.
double naive_bilinear(const ImageU8& img, int32_t sw, int32_t sh, int32_t x, int32_t y, int32_t c) {
  const double fx = std::clamp((x + 0.5) * img.width / sw - 0.5, 0.0, img.width - 1.0);
  const double fy = std::clamp((y + 0.5) * img.height / sh - 0.5, 0.0, img.height - 1.0);
  const int x0 = static_cast<int>(fx), y0 = static_cast<int>(fy);
  const int x1 = std::min(x0 + 1, img.width - 1), y1 = std::min(y0 + 1, img.height - 1);
  const double ax = fx - x0, ay = fy - y0;
  return (1 - ay) * ((1 - ax) * at(img, x0, y0, c) + ax * at(img, x1, y0, c)) +
         ay * ((1 - ax) * at(img, x0, y1, c) + ax * at(img, x1, y1, c));
}

TEST(AlignResample, PureScaleIsBilinearWithinOneLevel) {
  // OpenCV quantises weights to 11 bits and rounds twice: within 1 level of exact bilinear.
  for (int32_t src : {112, 301, 448}) {
    const ImageU8 photo = noise_photo(src, src, 4 + src);
    const std::vector<float> out =
        align_one(photo, plain_plan(AlignResampler::kOpenCv, src, src, kCrop, kCrop, 0, 0));
    double worst = 0;
    for (int y = 0; y < kCrop; ++y)
      for (int x = 0; x < kCrop; ++x)
        for (int c = 0; c < 3; ++c)
          worst = std::max(worst, std::fabs(out[(static_cast<size_t>(y) * kCrop + x) * 3 + c] -
                                            naive_bilinear(photo, kCrop, kCrop, x, y, c)));
    EXPECT_LE(worst, 1.0) << "source " << src;
  }
}

TEST(AlignResample, PillowDownscaleByTwoIsAFourTapTriangle) {
  // Pillow's bilinear shrink by exactly 2: support 2, taps at offsets -1.5..1.5 with weights
  // 1/8, 3/8, 3/8, 1/8 (at the edges renormalised): compare in the interior.
  const ImageU8 photo = noise_photo(2 * kCrop, 2 * kCrop, 5);
  const std::vector<float> out = align_one(
      photo, plain_plan(AlignResampler::kPillow, 2 * kCrop, 2 * kCrop, kCrop, kCrop, 0, 0));
  const double w[4] = {1 / 8.0, 3 / 8.0, 3 / 8.0, 1 / 8.0};
  double worst = 0;
  for (int y = 1; y < kCrop - 1; ++y)
    for (int x = 1; x < kCrop - 1; ++x)
      for (int c = 0; c < 3; ++c) {
        double v = 0;
        for (int j = 0; j < 4; ++j) {
          double row = 0;
          for (int i = 0; i < 4; ++i) row += w[i] * at(photo, 2 * x - 1 + i, 2 * y - 1 + j, c);
          v += w[j] * std::round(row);  // Pillow rounds the horizontal pass to 8 bits
        }
        worst = std::max(worst, std::fabs(out[(static_cast<size_t>(y) * kCrop + x) * 3 + c] - v));
      }
  EXPECT_LE(worst, 0.5 + 1e-9);
}

TEST(AlignResample, WindowOutsideTheResizedPhotoIsZero) {
  const ImageU8 photo = noise_photo(100, 80, 6);
  const std::vector<float> out =
      align_one(photo, plain_plan(AlignResampler::kOpenCv, 100, 80, 100, 80, -50, -30));
  for (int y = 0; y < kCrop; ++y)
    for (int x = 0; x < kCrop; ++x) {
      const bool inside = x >= 50 && x < 150 && y >= 30 && y < 110;
      for (int c = 0; c < 3; ++c)
        ASSERT_EQ(out[(static_cast<size_t>(y) * kCrop + x) * 3 + c],
                  inside ? at(photo, x - 50, y - 30, c) : 0);
    }
}

// The reference's 68 landmarks scaled by `scale` and moved by (dx, dy): what a detector
// would report for that face in a width x height photo (y up, as the reference).
Landmarks projected_reference(const AlignmentReference& ref, int width, int height, double scale,
                              double dx, double dy) {
  Landmarks lm;
  lm.convention = LandmarkConvention::YUp68;
  lm.image_width = width;
  lm.image_height = height;
  for (int i = 0; i < 68; ++i) {
    lm.points.push_back(scale * ref.lm68[3 * i] + dx);
    lm.points.push_back(scale * ref.lm68[3 * i + 1] + dy);
  }
  return lm;
}

TEST(AlignPlan, LandmarksGoThroughTheInverseCrop) {
  // Landmarks made by projecting the reference with a known similarity: POS recovers it, and
  // the aligned landmarks map back onto the photo through (inv_scale, inv_offset).
  const AlignmentReference ref = scatter_reference();
  const Landmarks lm = projected_reference(ref, 640, 480, 180.0, 330.0, 250.0);
  const FaceAlignment a = plan_alignment(lm, ref);
  EXPECT_NEAR(a.pos.s, 180.0, 1e-9);
  EXPECT_EQ(a.scaled_w, 355);  // int(640 / 180 · 100) = int(355.55...)
  EXPECT_EQ(a.scaled_h, 266);
  EXPECT_EQ(a.left, 355 / 2 - 112);
  EXPECT_EQ(a.up, 266 / 2 - 112);
  EXPECT_NEAR(a.inv_scale, 1.8, 1e-12);
  ASSERT_EQ(a.landmarks.size(), 136u);
  for (int i = 0; i < 68; ++i) {
    EXPECT_NEAR(a.landmarks[2 * i] * a.inv_scale + a.inv_offset[0], lm.points[2 * i], 1e-9);
    EXPECT_NEAR(a.landmarks[2 * i + 1] * a.inv_scale + a.inv_offset[1], lm.points[2 * i + 1], 1e-9);
  }
  // The warp moves the face centre t to the photo centre: M = (-t.x + W//2 + 0.5, (-H)//2 + t.y).
  EXPECT_FLOAT_EQ(a.warp_shift[0], static_cast<float>(-330.0 + 320 + 0.5));
  EXPECT_FLOAT_EQ(a.warp_shift[1], static_cast<float>(-240 + 250.0));
}

TEST(AlignPlan, OddHeightRoundsTheShiftDown) {
  // (-H)//2 with H odd is -(H+1)/2 in Python: the vertical shift uses 241, not 240.
  const AlignmentReference ref = scatter_reference();
  const Landmarks lm = projected_reference(ref, 640, 481, 180.0, 330.0, 250.0);
  EXPECT_NEAR(plan_alignment(lm, ref).warp_shift[1], -241 + 250.0, 1e-4);
}

TEST(AlignPlan, UnusableGeometryThrows) {
  const AlignmentReference ref = scatter_reference();
  const Landmarks lm = projected_reference(ref, 64, 64, 1e-7, 30, 30);
  EXPECT_THROW(plan_alignment(lm, ref), Error);  // a 1e-7-pixel face: the resize would be enormous
}

TEST(AlignImages, RejectsAPhotoOfAnotherSize) {
  const ImageU8 photo = noise_photo(100, 80, 7);
  EXPECT_THROW(align_one(photo, plain_plan(AlignResampler::kOpenCv, 101, 80, 100, 80, 0, 0)),
               Error);
}

TEST(AlignImages, CudaOnAMachineWithoutItSaysWhy) {
  std::string reason;
  if (cuda_available(&reason)) GTEST_SKIP() << "CUDA is available here";
  const ImageU8 photo = noise_photo(64, 64, 8);
  try {
    align_one(photo, plain_plan(AlignResampler::kOpenCv, 64, 64, 64, 64, 0, 0),
              Device{DeviceKind::CUDA, 0});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("align_images"), std::string::npos) << e.what();
  }
}

TEST(AlignImagesOnDevice, IsAGpuPathOnly) {
  const ImageU8 photo = noise_photo(64, 64, 9);
  const FaceAlignment plan = plain_plan(AlignResampler::kOpenCv, 64, 64, 64, 64, 0, 0);
  try {
    align_images_on_device({&photo}, {plan}, 2, Device{});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not a GPU"), std::string::npos) << e.what();
  }
  EXPECT_THROW(align_images_on_device({&photo}, {plan}, 0, Device{DeviceKind::CUDA, 0}), Error)
      << "fewer slots than photos";
}

// The crops left on the GPU for the R-Net are the host path's bytes, the last one repeated
// into the padding slots.
TEST(AlignImagesOnDevice, SameBytesAsTheHostPathAndPaddedWithTheLastCrop) {
  P3D_SKIP_WITHOUT_CUDA();
#if defined(P3D_WITH_CUDA)
  const ImageU8 a = noise_photo(300, 260, 10), b = noise_photo(200, 240, 11);
  FaceAlignment pa = plain_plan(AlignResampler::kOpenCv, 300, 260, 300, 260, 20, 10);
  pa.warp_shift[0] = 3.5f;
  const FaceAlignment pb = plain_plan(AlignResampler::kPillow, 200, 240, 200, 240, 0, 5);
  const std::vector<float> host = align_images({&a, &b}, {pa, pb}, Device{DeviceKind::CUDA, 0});
  const int slots = 4;
  const DeviceAlignment device =
      align_images_on_device({&a, &b}, {pa, pb}, slots, Device{DeviceKind::CUDA, 0});
  const size_t plane = host.size() / 2;
  std::vector<float> back(plane * slots);
  ASSERT_EQ(
      cudaMemcpy(back.data(), device.crops, back.size() * sizeof(float), cudaMemcpyDeviceToHost),
      cudaSuccess);
  // The photos stay where they went up, for the head crops (step 4).
  ASSERT_EQ(device.photos.size(), 2u);
  for (const auto& [photo, on_device] : {std::pair{&a, device.photos[0]}, {&b, device.photos[1]}}) {
    std::vector<uint8_t> bytes(photo->pixels.size());
    ASSERT_EQ(cudaMemcpy(bytes.data(), on_device, bytes.size(), cudaMemcpyDeviceToHost),
              cudaSuccess);
    EXPECT_EQ(bytes, photo->pixels);
  }
  EXPECT_TRUE(std::equal(host.begin(), host.end(), back.begin()));
  for (int slot = 2; slot < slots; ++slot)
    EXPECT_TRUE(std::equal(host.begin() + plane, host.end(), back.begin() + slot * plane))
        << "padding slot " << slot;
#endif
}

// The kernels' CUDA twins are compared with the CPU in the agreement table
// (tests/kernel_agreement_test.cpp, align_faces); AlignmentOracle.CudaMatchesCpu checks
// align_images' CUDA path end to end on the oracle photos.

}  // namespace
}  // namespace p3d
