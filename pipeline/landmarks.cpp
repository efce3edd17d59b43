// Landmark files: tokenising like np.loadtxt (whitespace, '#' comments), validation with
// errors that name the file, and the flip into the original's y-up frame (landmarks.h).
#include "pipeline/landmarks.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kernels/error.h"

namespace p3d {
namespace {

// Whitespace-separated numbers; text after '#' on a line is a comment.
std::vector<double> parse_numbers(const std::string& text, const std::string& what) {
  std::vector<double> values;
  std::istringstream lines(text);
  std::string line;
  int line_number = 0;
  while (std::getline(lines, line)) {
    ++line_number;
    const size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::istringstream tokens(line);
    std::string token;
    while (tokens >> token) {
      errno = 0;
      char* end = nullptr;
      const double v = std::strtod(token.c_str(), &end);
      if (end == token.c_str() || *end != '\0' || errno == ERANGE)
        P3D_THROW("landmarks ", what, ": line ", line_number, ": '", token, "' is not a number");
      if (!std::isfinite(v))
        P3D_THROW("landmarks ", what, ": line ", line_number, ": value ", values.size() + 1, " is ",
                  token, " (landmarks must be finite)");
      values.push_back(v);
    }
  }
  return values;
}

}  // namespace

const char* landmark_convention_name(LandmarkConvention convention) {
  switch (convention) {
    case LandmarkConvention::YUp68:
      return "68 points, y up";
    case LandmarkConvention::TopLeft68:
      return "68 points, top-left pixels";
    case LandmarkConvention::Detection5:
      return "5-point detection";
  }
  return "unknown convention";
}

int32_t landmark_count(LandmarkConvention convention) {
  return convention == LandmarkConvention::Detection5 ? 5 : 68;
}

Landmarks parse_landmarks(const std::string& text, LandmarkConvention convention,
                          int32_t image_width, int32_t image_height, const std::string& what) {
  P3D_CHECK(image_width > 0 && image_height > 0, "landmarks ", what, ": photo size ", image_width,
            "x", image_height);
  const std::vector<double> values = parse_numbers(text, what);
  const int32_t count = landmark_count(convention);
  std::vector<double> file_points;
  if (convention == LandmarkConvention::Detection5) {
    // The original keeps the last 10 numbers (lm[-10:]); what precedes them (score, box) is
    // the detector's and unused.
    if (values.size() < 10)
      P3D_THROW("landmarks ", what, ": ", values.size(),
                " numbers, a detection file needs at least 10 (the last 10 ", "are the 5 points)");
    file_points.assign(values.end() - 10, values.end());
  } else {
    if (values.size() != static_cast<size_t>(2 * count))
      P3D_THROW("landmarks ", what, ": ", values.size(), " numbers, expected ", 2 * count, " (",
                count, " x y pairs, ", landmark_convention_name(convention), ")");
    file_points = values;
  }

  const double w = image_width, h = image_height;
  for (int32_t i = 0; i < count; ++i) {
    const double x = file_points[2 * i], y = file_points[2 * i + 1];
    if (x < -w || x > 2 * w || y < -h || y > 2 * h)
      P3D_THROW("landmarks ", what, ": point ", i + 1, " (", x, ", ", y, ") is far outside the ",
                image_width, "x", image_height,
                " photo (wrong file or convention: ", landmark_convention_name(convention), ")");
  }

  Landmarks lm;
  lm.convention = convention;
  lm.image_width = image_width;
  lm.image_height = image_height;
  lm.points = file_points;
  if (convention != LandmarkConvention::YUp68)
    for (int32_t i = 0; i < count; ++i) lm.points[2 * i + 1] = h - 1.0 - file_points[2 * i + 1];
  return lm;
}

Landmarks read_landmarks(const std::string& path, LandmarkConvention convention,
                         int32_t image_width, int32_t image_height) {
  std::ifstream in(path, std::ios::binary);
  if (!in) P3D_THROW("landmarks ", path, ": cannot open the file (", std::strerror(errno), ")");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) P3D_THROW("landmarks ", path, ": read error");
  return parse_landmarks(text.str(), convention, image_width, image_height, path);
}

std::string landmark_path_for(const std::string& photo_path, LandmarkConvention convention) {
  // The original's NAME is the file name up to its first '.' (name.split('.')[0]).
  const std::filesystem::path photo(photo_path);
  const std::string file = photo.filename().string();
  const std::string name = file.substr(0, file.find('.'));
  const std::string suffix =
      convention == LandmarkConvention::Detection5 ? "_detection.txt" : "_landmark.txt";
  return (photo.parent_path() / (name + suffix)).string();
}

}  // namespace p3d
