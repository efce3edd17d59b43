// Face detection and 68 landmarks (pipeline/face_detection.h):
//   * the model file: missing -> an error naming the path and Debian's libdlib-data;
//   * the landmark file written for a detected face reads back (as NAME_landmark.txt, y up)
//     to the points the pipeline uses, and its y is H - 1 - row (checked by hand-made points);
//   * a photo without a face, and a face below the minimum size, are clear errors;
//   * accuracy on the 18 seed photos against their NAME_landmark.txt (3D-FAN, another
//     detector, so this is agreement between two detectors, not error against truth): the
//     normalised mean error by the outer-eye-corner distance (points 37 and 46, 1-based) over
//     the 68 points and over the 10 the alignment uses, and how far the detected points move
//     the alignment's POS (t, s) (with ../shared/bfm-public/similarity_Lm3D_all.mat). The
//     bounds are the measured values with a margin; the figures are printed.
// The seed cases skip with the reason when ../shared/seed-examples is absent.
#include "pipeline/face_detection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "pipeline/alignment.h"
#include "pipeline/image_io.h"
#include "pipeline/landmarks.h"
#include "tests/support/test_images.h"
#include "tests/test_paths.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;

// The 10 landmarks (1-based) the 68-point alignment fits (alignment.h).
constexpr int kAlignPoints[10] = {1, 2, 16, 17, 31, 34, 37, 46, 49, 55};

// Measured on the 18 seeds (dlib 19.24, kDetectLongSide 640): NME68 mean 0.0362, max
// 0.0464; NME10 mean 0.0338, max 0.0501; POS |delta t| / eye distance mean 0.0215, max 0.0409;
// |delta s| / s mean 0.0141, max 0.0307. The bounds add a margin of about a quarter.
constexpr double kMeanNme68Bound = 0.045;
constexpr double kMaxNme68Bound = 0.060;
constexpr double kMeanNme10Bound = 0.045;
constexpr double kMaxNme10Bound = 0.065;
constexpr double kMeanShiftBound = 0.030;  // |delta t| / eye distance
constexpr double kMaxShiftBound = 0.055;
constexpr double kMeanScaleBound = 0.020;  // |delta s| / s
constexpr double kMaxScaleBound = 0.040;

bool have_model() { return fs::is_regular_file(kDefaultLandmarkModel); }

std::string expect_throw(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no p3d::Error thrown";
  return "";
}

TEST(FaceDetection, MissingModelNamesTheDebianPackage) {
  const std::string msg =
      expect_throw([] { FaceLandmarker f("/nonexistent/shape_predictor_68.dat"); });
  EXPECT_NE(msg.find("/nonexistent/shape_predictor_68.dat"), std::string::npos) << msg;
  EXPECT_NE(msg.find("libdlib-data"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--landmark-model"), std::string::npos) << msg;
}

TEST(FaceDetection, UnreadableModelIsAClearError) {
  const fs::path bad = fs::temp_directory_path() / ("p3d_bad_model_" + std::to_string(::getpid()));
  {
    FILE* f = std::fopen(bad.c_str(), "wb");
    std::fputs("not a dlib model", f);
    std::fclose(f);
  }
  const std::string msg = expect_throw([&] { FaceLandmarker f(bad.string()); });
  fs::remove(bad);
  EXPECT_NE(msg.find("cannot be read as a dlib shape predictor"), std::string::npos) << msg;
}

TEST(FaceDetection, LandmarkFileIsYUpAndReadsBack) {
  // Hand-made points: x = 10 + i, row = 20 + 2i in a 300 x 200 photo.
  DetectedFace face;
  face.points.resize(136);
  for (int i = 0; i < 68; ++i) face.points[2 * i] = 10 + i, face.points[2 * i + 1] = 20 + 2 * i;
  const std::string text = format_yup_landmark_file(face, 200);
  const Landmarks file = parse_landmarks(text, LandmarkConvention::YUp68, 300, 200, "test");
  const Landmarks used = detected_landmarks(face, 300, 200);
  ASSERT_EQ(file.count(), 68);
  ASSERT_EQ(used.count(), 68);
  for (int i = 0; i < 68; ++i) {
    EXPECT_DOUBLE_EQ(file.points[2 * i], 10 + i);
    EXPECT_DOUBLE_EQ(file.points[2 * i + 1], 200 - 1 - (20 + 2 * i));  // y = H - 1 - row
    EXPECT_DOUBLE_EQ(used.points[2 * i], file.points[2 * i]);
    EXPECT_DOUBLE_EQ(used.points[2 * i + 1], file.points[2 * i + 1]);
  }
}

TEST(FaceDetection, NoFaceIsAClearError) {
  if (!have_model()) GTEST_SKIP() << kDefaultLandmarkModel << " absent (Debian libdlib-data)";
  FaceLandmarker lm;
  const ImageU8 flat = test::flat_rgb(640, 480, 128);
  const std::string msg = expect_throw([&] { lm.detect(flat); });
  EXPECT_NE(msg.find("no face found"), std::string::npos) << msg;
  EXPECT_NE(msg.find("px across or more"), std::string::npos) << msg;
}

// ---- seeds -------------------------------------------------------------------------------

struct Seed {
  std::string name;
  fs::path photo, landmarks;
};

std::vector<Seed> seed_photos() {
  std::vector<Seed> seeds;
  const fs::path dir = test::shared_dir() / "seed-examples";
  if (!fs::is_directory(dir)) return seeds;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string f = e.path().filename().string();
    const std::string ext = e.path().extension().string();
    if (ext != ".jpg" && ext != ".jpeg" && ext != ".png") continue;
    const std::string name = f.substr(0, f.find('.'));
    seeds.push_back({name, e.path(), dir / (name + "_landmark.txt")});
  }
  std::sort(seeds.begin(), seeds.end(),
            [](const Seed& a, const Seed& b) { return a.name < b.name; });
  return seeds;
}

double point_distance(const std::vector<double>& a, const std::vector<double>& b, int i) {
  return std::hypot(a[2 * i] - b[2 * i], a[2 * i + 1] - b[2 * i + 1]);
}

TEST(FaceDetectionSeeds, AgreesWith3DFanLandmarksAndAlignment) {
  const std::vector<Seed> seeds = seed_photos();
  if (seeds.empty())
    GTEST_SKIP() << "seed examples not found at " << test::shared_dir() / "seed-examples";
  if (!have_model()) GTEST_SKIP() << kDefaultLandmarkModel << " absent (Debian libdlib-data)";
  const fs::path lm3d = test::shared_dir() / "bfm-public" / "similarity_Lm3D_all.mat";
  const bool with_alignment = fs::exists(lm3d);
  AlignmentReference reference;
  if (with_alignment) reference = AlignmentReference::load(lm3d.string());

  FaceLandmarker detector;
  double sum68 = 0, sum10 = 0, max68 = 0, max10 = 0, sum_shift = 0, sum_scale = 0;
  double max_shift = 0, max_scale = 0, detect_ms = 0, landmarks_ms = 0, sum_px = 0, sum_crop = 0;
  double sum_dx = 0, sum_dy = 0;  // signed mean offset (ours - reference), y up, photo px
  int measured = 0;
  std::printf("%-10s %9s %5s %6s %7s %7s %8s %8s %8s %7s %7s\n", "photo", "size", "faces", "box",
              "nme68", "nme10", "dt px", "dt crop", "dt/eye", "ds/s", "ms");
  for (const Seed& s : seeds) {
    SCOPED_TRACE(s.name);
    ASSERT_TRUE(fs::exists(s.landmarks)) << s.landmarks;
    const ImageU8 photo = read_image(s.photo.string());
    const Landmarks ref =
        read_landmarks(s.landmarks.string(), LandmarkConvention::YUp68, photo.width, photo.height);
    DetectedFace face;
    ASSERT_NO_THROW(face = detector.detect(photo));
    EXPECT_GE(face.faces_seen, 1);
    const Landmarks det = detected_landmarks(face, photo.width, photo.height);
    // Both in the y-up frame: the reference as its file holds it, ours flipped H - 1 - row.
    const double eye_d = std::hypot(ref.points[2 * 36] - ref.points[2 * 45],
                                    ref.points[2 * 36 + 1] - ref.points[2 * 45 + 1]);
    ASSERT_GT(eye_d, 0);
    double e68 = 0, e10 = 0;
    for (int i = 0; i < 68; ++i) e68 += point_distance(det.points, ref.points, i);
    for (int p : kAlignPoints) e10 += point_distance(det.points, ref.points, p - 1);
    for (int i = 0; i < 68; ++i) {
      sum_dx += (det.points[2 * i] - ref.points[2 * i]) / 68;
      sum_dy += (det.points[2 * i + 1] - ref.points[2 * i + 1]) / 68;
    }
    e68 /= 68 * eye_d;
    e10 /= 10 * eye_d;
    double dt = 0, ds = 0, dt_crop = 0;
    if (with_alignment) {
      const FaceAlignment a = plan_alignment(det, reference), b = plan_alignment(ref, reference);
      dt = std::hypot(a.pos.t[0] - b.pos.t[0], a.pos.t[1] - b.pos.t[1]);
      ds = std::abs(a.pos.s - b.pos.s) / b.pos.s;
      dt_crop = dt / b.inv_scale;  // photo pixels -> pixels of the R-Net's 224 crop
    }
    std::printf("%-10s %4dx%-4d %5d %6.0f %7.4f %7.4f %8.2f %8.2f %8.4f %7.4f %7.1f\n",
                s.name.c_str(), photo.width, photo.height, face.faces_seen, face.box.width(), e68,
                e10, dt, dt_crop, dt / eye_d, ds, face.detect_ms + face.landmarks_ms);
    sum68 += e68, sum10 += e10, max68 = std::max(max68, e68), max10 = std::max(max10, e10);
    sum_shift += dt / eye_d, sum_scale += ds, sum_px += dt, sum_crop += dt_crop;
    max_shift = std::max(max_shift, dt / eye_d), max_scale = std::max(max_scale, ds);
    detect_ms += face.detect_ms, landmarks_ms += face.landmarks_ms;
    ++measured;
  }
  ASSERT_EQ(measured, static_cast<int>(seeds.size()));
  const double n = measured;
  std::printf(
      "seeds %d: NME68 mean %.4f max %.4f; NME10 mean %.4f max %.4f; POS |dt| mean %.2f photo "
      "px, %.2f px of the 224 crop; |dt|/eye mean %.4f max %.4f; |ds|/s mean %.4f max %.4f; "
      "detect %.1f ms, landmarks %.2f ms per photo\n",
      measured, sum68 / n, max68, sum10 / n, max10, sum_px / n, sum_crop / n, sum_shift / n,
      max_shift, sum_scale / n, max_scale, detect_ms / n, landmarks_ms / n);
  // A systematic offset would show a frame mismatch (e.g. H - row against H - 1 - row).
  std::printf(
      "mean signed offset of our points from the reference: dx %.2f px, dy %.2f px (y up)\n",
      sum_dx / n, sum_dy / n);
  EXPECT_LT(sum68 / n, kMeanNme68Bound);
  EXPECT_LT(max68, kMaxNme68Bound);
  EXPECT_LT(sum10 / n, kMeanNme10Bound);
  EXPECT_LT(max10, kMaxNme10Bound);
  if (with_alignment) {
    EXPECT_LT(sum_shift / n, kMeanShiftBound);
    EXPECT_LT(sum_scale / n, kMeanScaleBound);
    EXPECT_LT(max_shift, kMaxShiftBound);
    EXPECT_LT(max_scale, kMaxScaleBound);
  }
}

// A seed face shrunk below the minimum: detected (the copy is enlarged) but refused by size.
TEST(FaceDetectionSeeds, ShrunkFaceIsTooSmall) {
  const std::vector<Seed> seeds = seed_photos();
  if (seeds.empty())
    GTEST_SKIP() << "seed examples not found at " << test::shared_dir() / "seed-examples";
  if (!have_model()) GTEST_SKIP() << kDefaultLandmarkModel << " absent (Debian libdlib-data)";
  FaceLandmarker detector;
  const ImageU8 photo = read_image(seeds.front().photo.string());
  const DetectedFace full = detector.detect(photo);
  // Shrink (box average) so the face box becomes about 0.8 of the minimum.
  const int f = static_cast<int>(std::ceil(full.box.width() / (0.8 * kMinFaceSize)));
  const ImageU8 small = test::box_shrink(photo, f);
  const std::string msg = expect_throw([&] { detector.detect(small); });
  EXPECT_NE(msg.find("too small"), std::string::npos) << msg;
  EXPECT_NE(msg.find("minimum is " + std::to_string(kMinFaceSize) + " px"), std::string::npos)
      << msg;
}

}  // namespace
}  // namespace p3d
