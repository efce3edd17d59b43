// Landmark files (pipeline/landmarks.h): the three conventions and their flips into the
// original's y-up frame, the original's file naming, and errors that name the file for a
// missing file, a wrong count, non-numbers, NaN and points far outside the photo.
#include "pipeline/landmarks.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "kernels/error.h"
#include "tests/support/test_files.h"

namespace p3d {
namespace {

std::string numbers(int count, double first = 10.0) {
  std::ostringstream text;
  for (int i = 0; i < count; ++i) text << first + i << (i % 2 ? "\n" : " ");
  return text.str();
}

using test::error_of;

TEST(Landmarks, YUp68IsUsedAsWritten) {
  const Landmarks lm = parse_landmarks(numbers(136), LandmarkConvention::YUp68, 400, 300, "a.txt");
  ASSERT_EQ(lm.count(), 68);
  EXPECT_EQ(lm.points[0], 10.0);
  EXPECT_EQ(lm.points[1], 11.0);
  EXPECT_EQ(lm.points[135], 145.0);
}

TEST(Landmarks, TopLeftAndDetectionsFlipWithHMinusOne) {
  const Landmarks top =
      parse_landmarks(numbers(136), LandmarkConvention::TopLeft68, 400, 300, "b.txt");
  EXPECT_EQ(top.points[0], 10.0);
  EXPECT_EQ(top.points[1], 300 - 1 - 11.0);
  // A detection file: score and box first, the last 10 numbers are the 5 points.
  const std::string det = "0.99 12 34 200 220 1 2 3 4 " + numbers(10, 50.0);
  const Landmarks five = parse_landmarks(det, LandmarkConvention::Detection5, 400, 300, "c.txt");
  ASSERT_EQ(five.count(), 5);
  EXPECT_EQ(five.points[0], 50.0);
  EXPECT_EQ(five.points[1], 300 - 1 - 51.0);
  EXPECT_EQ(five.points[9], 300 - 1 - 59.0);
}

TEST(Landmarks, CommentsAndLayoutDoNotMatter) {
  std::string text = "# header\n" + numbers(136);
  for (char& ch : text)
    if (ch == '\n') ch = '\t';
  text.replace(text.find('#') + 8, 1, "\n");  // end the comment line
  EXPECT_EQ(parse_landmarks(text, LandmarkConvention::YUp68, 400, 300, "d.txt").count(), 68);
}

TEST(Landmarks, WrongCountsAreNamed) {
  std::string msg =
      error_of([] { parse_landmarks(numbers(134), LandmarkConvention::YUp68, 400, 300, "e.txt"); });
  EXPECT_NE(msg.find("e.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("134 numbers, expected 136"), std::string::npos) << msg;
  msg = error_of(
      [] { parse_landmarks(numbers(9), LandmarkConvention::Detection5, 400, 300, "f.txt"); });
  EXPECT_NE(msg.find("f.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("at least 10"), std::string::npos) << msg;
}

TEST(Landmarks, NonNumbersAndNanAreRefused) {
  std::string msg =
      error_of([] { parse_landmarks("1 2 x3 4", LandmarkConvention::YUp68, 400, 300, "g.txt"); });
  EXPECT_NE(msg.find("g.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'x3' is not a number"), std::string::npos) << msg;
  msg = error_of([] { parse_landmarks("1,2 3 4", LandmarkConvention::YUp68, 400, 300, "h.txt"); });
  EXPECT_NE(msg.find("not a number"), std::string::npos) << msg;
  msg = error_of(
      [] { parse_landmarks(numbers(10) + " nan", LandmarkConvention::YUp68, 400, 300, "i.txt"); });
  EXPECT_NE(msg.find("i.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("finite"), std::string::npos) << msg;
}

TEST(Landmarks, PointsFarOutsideThePhotoAreRefused) {
  std::string text = numbers(136);
  text.replace(0, 2, "900");  // x of point 1 beyond 2 x width
  const std::string msg =
      error_of([&] { parse_landmarks(text, LandmarkConvention::YUp68, 400, 300, "j.txt"); });
  EXPECT_NE(msg.find("j.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("point 1"), std::string::npos) << msg;
  // Slightly outside (a face cut by the border) is fine.
  text = numbers(136);
  text.replace(0, 2, "-20");
  EXPECT_NO_THROW(parse_landmarks(text, LandmarkConvention::YUp68, 400, 300, "k.txt"));
}

TEST(Landmarks, FilesAreNamedLikeTheOriginal) {
  EXPECT_EQ(landmark_path_for("/a/b/12_1254.jpeg", LandmarkConvention::YUp68),
            "/a/b/12_1254_landmark.txt");
  EXPECT_EQ(landmark_path_for("/a/b/x.y.png", LandmarkConvention::Detection5),
            "/a/b/x_detection.txt");
}

TEST(Landmarks, MissingFileIsNamed) {
  const std::string msg = error_of(
      [] { read_landmarks("/no/such/dir/p_landmark.txt", LandmarkConvention::YUp68, 400, 300); });
  EXPECT_NE(msg.find("/no/such/dir/p_landmark.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

TEST(Landmarks, ReadsAFile) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "p3d_landmarks_test_file.txt";
  std::ofstream(path) << numbers(136);
  EXPECT_EQ(read_landmarks(path.string(), LandmarkConvention::YUp68, 400, 300).count(), 68);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace p3d
