// FaceLandmarker (face_detection.h): dlib's HOG detector on a resized grey copy, the shape
// predictor on the full photo through a zero-copy view of our BGR pixels. All dlib headers
// are included here only.
#include "pipeline/face_detection.h"

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/serialize.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "kernels/error.h"

namespace p3d {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Our interleaved pixels seen through dlib's generic image interface (no copy): dlib's
// bgr_pixel is laid out blue, green, red, exactly our photo's bytes; grey photos use
// unsigned char pixels.
template <typename Pixel>
struct PixelView {
  const uint8_t* data = nullptr;
  long rows = 0, cols = 0;
};
template <typename Pixel>
long num_rows(const PixelView<Pixel>& v) {
  return v.rows;
}
template <typename Pixel>
long num_columns(const PixelView<Pixel>& v) {
  return v.cols;
}
template <typename Pixel>
const void* image_data(const PixelView<Pixel>& v) {
  return v.data;
}
template <typename Pixel>
long width_step(const PixelView<Pixel>& v) {
  return v.cols * static_cast<long>(sizeof(Pixel));
}

}  // namespace
}  // namespace p3d

namespace dlib {
template <typename Pixel>
struct image_traits<p3d::PixelView<Pixel>> {
  typedef Pixel pixel_type;
};
}  // namespace dlib

namespace p3d {
namespace {

// The detection copy: grey (BT.601 weights, as the HOG features of a grey image), resized by
// `scale`. Shrinking averages whole-pixel boxes (every photo pixel counts once, no aliasing);
// enlarging samples bilinearly at pixel centres.
dlib::array2d<unsigned char> detection_copy(const ImageU8& photo, double scale) {
  const int32_t w = photo.width, h = photo.height, c = photo.channels;
  const int32_t dw = std::max(1, static_cast<int32_t>(std::lround(w * scale)));
  const int32_t dh = std::max(1, static_cast<int32_t>(std::lround(h * scale)));
  const auto grey = [&](int64_t x, int64_t y) -> uint32_t {
    const uint8_t* p = photo.data() + (y * w + x) * c;
    return c == 1 ? 1000u * p[0] : 114u * p[0] + 587u * p[1] + 299u * p[2];  // x1000
  };
  dlib::array2d<unsigned char> out(dh, dw);
  if (scale < 1.0) {
    std::vector<int32_t> bin(w);  // destination column of each photo column
    for (int32_t x = 0; x < w; ++x)
      bin[x] = std::min(dw - 1, static_cast<int32_t>(x * static_cast<int64_t>(dw) / w));
    std::vector<uint64_t> acc(dw);
    std::vector<uint32_t> cols(dw, 0);
    for (int32_t x = 0; x < w; ++x) ++cols[bin[x]];
    int32_t y = 0;
    for (int32_t i = 0; i < dh; ++i) {
      const int32_t y1 =
          std::max(y + 1, static_cast<int32_t>((i + 1) * static_cast<int64_t>(h) / dh));
      std::fill(acc.begin(), acc.end(), 0);
      for (int32_t yy = y; yy < y1 && yy < h; ++yy)
        for (int32_t x = 0; x < w; ++x) acc[bin[x]] += grey(x, yy);
      const uint64_t rows = static_cast<uint64_t>(std::min(y1, h) - y);
      for (int32_t j = 0; j < dw; ++j) {
        const uint64_t n = rows * cols[j] * 1000u;
        out[i][j] =
            static_cast<unsigned char>(n ? std::min<uint64_t>(255, (acc[j] + n / 2) / n) : 0);
      }
      y = y1;
    }
    return out;
  }
  for (int32_t i = 0; i < dh; ++i) {
    const double sy = std::clamp((i + 0.5) / scale - 0.5, 0.0, h - 1.0);
    const int32_t y0 = static_cast<int32_t>(sy), y1 = std::min(y0 + 1, h - 1);
    const double fy = sy - y0;
    for (int32_t j = 0; j < dw; ++j) {
      const double sx = std::clamp((j + 0.5) / scale - 0.5, 0.0, w - 1.0);
      const int32_t x0 = static_cast<int32_t>(sx), x1 = std::min(x0 + 1, w - 1);
      const double fx = sx - x0;
      const double v = (1 - fy) * ((1 - fx) * grey(x0, y0) + fx * grey(x1, y0)) +
                       fy * ((1 - fx) * grey(x0, y1) + fx * grey(x1, y1));
      out[i][j] = static_cast<unsigned char>(std::min(255.0, std::round(v / 1000.0)));
    }
  }
  return out;
}

double detection_scale(const ImageU8& photo, int32_t long_side) {
  const int32_t longest = std::max(photo.width, photo.height);
  return std::min(kMaxDetectUpscale, static_cast<double>(long_side) / longest);
}

// dlib's frontal detector scans an 80 x 80 window over a pyramid that only shrinks, so the
// smallest face it finds is about 80 pixels of the detection copy.
constexpr double kDetectorWindow = 80.0;

}  // namespace

struct FaceLandmarker::Impl {
  dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
  dlib::shape_predictor predictor;

  // Every face box of `photo` found on a copy with long side `long_side`, largest first.
  std::vector<FaceBox> boxes(const ImageU8& photo, int32_t long_side, int32_t* detect_w,
                             int32_t* detect_h);
};

FaceLandmarker::FaceLandmarker(const std::string& model_path, int32_t detect_long_side)
    : model_path_(model_path), detect_long_side_(kDetectLongSide) {
  set_detect_long_side(detect_long_side);
  if (!std::filesystem::is_regular_file(model_path))
    P3D_THROW("the 68-point landmark model ", model_path,
              " is missing: install Debian's libdlib-data (it brings "
              "/usr/share/dlib/shape_predictor_68_face_landmarks.dat) or name the file with "
              "--landmark-model FILE");
  impl_ = std::make_unique<Impl>();
  try {
    dlib::deserialize(model_path) >> impl_->predictor;
  } catch (const std::exception& e) {
    P3D_THROW("the landmark model ", model_path,
              " cannot be read as a dlib shape predictor: ", e.what());
  }
  P3D_CHECK(impl_->predictor.num_parts() == 68, "the landmark model ", model_path, " predicts ",
            impl_->predictor.num_parts(), " points, not the 68 the alignment needs");
}

FaceLandmarker::~FaceLandmarker() = default;

void FaceLandmarker::set_detect_long_side(int32_t long_side) {
  P3D_CHECK(long_side >= 80, "face detection: a detection size of ", long_side,
            " px cannot hold the detector's 80 px window");
  detect_long_side_ = long_side;
}

std::vector<FaceBox> FaceLandmarker::Impl::boxes(const ImageU8& photo, int32_t long_side,
                                                 int32_t* detect_w, int32_t* detect_h) {
  P3D_CHECK(
      photo.width > 0 && photo.height > 0 && (photo.channels == 3 || photo.channels == 1) &&
          photo.pixels.size() == static_cast<size_t>(photo.width) * photo.height * photo.channels,
      "face detection: the photo is empty or not 8-bit BGR / grey");
  const double scale = detection_scale(photo, long_side);
  const dlib::array2d<unsigned char> copy = detection_copy(photo, scale);
  if (detect_w) *detect_w = static_cast<int32_t>(copy.nc());
  if (detect_h) *detect_h = static_cast<int32_t>(copy.nr());
  // The copy's real scale per axis (rounding its size), so boxes map back exactly.
  const double sx = static_cast<double>(copy.nc()) / photo.width;
  const double sy = static_cast<double>(copy.nr()) / photo.height;
  const std::vector<dlib::rectangle> found = detector(copy);
  std::vector<FaceBox> out;
  for (const dlib::rectangle& r : found)  // dlib's rectangles are inclusive
    out.push_back(
        FaceBox{r.left() / sx, r.top() / sy, (r.right() + 1) / sx, (r.bottom() + 1) / sy});
  std::stable_sort(out.begin(), out.end(), [](const FaceBox& a, const FaceBox& b) {
    return a.width() * a.height() > b.width() * b.height();
  });
  return out;
}

std::vector<FaceBox> FaceLandmarker::detect_boxes(const ImageU8& photo, int32_t* detect_w,
                                                  int32_t* detect_h) {
  return impl_->boxes(photo, detect_long_side_, detect_w, detect_h);
}

DetectedFace FaceLandmarker::detect(const ImageU8& photo) {
  DetectedFace out;
  Clock::time_point start = Clock::now();
  std::vector<FaceBox> boxes = detect_boxes(photo, &out.detect_width, &out.detect_height);
  // Nothing at the detection size in a larger photo: once more at twice the size (or the
  // photo's own), which finds faces down to half the size at about four times the cost —
  // paid only by photos that would otherwise fail.
  const int32_t longest = std::max(photo.width, photo.height);
  if (boxes.empty() && longest > detect_long_side_)
    boxes = impl_->boxes(photo, std::min(longest, 2 * detect_long_side_), &out.detect_width,
                         &out.detect_height);
  out.detect_ms = ms_since(start);
  out.faces_seen = static_cast<int32_t>(boxes.size());
  if (boxes.empty()) {
    const double smallest = kDetectorWindow * photo.width / out.detect_width;
    P3D_THROW(
        "no face found in the ", photo.width, "x", photo.height,
        " photo (dlib's frontal face detector, on a ", out.detect_width, "x", out.detect_height,
        " copy, sees upright faces of about ", static_cast<int>(std::ceil(smallest)),
        " px across or more in this photo; a NAME_landmark.txt beside the photo skips detection)");
  }
  out.box = boxes.front();
  const double side = std::min(out.box.width(), out.box.height());
  if (side < kMinFaceSize)
    P3D_THROW("the face is too small: its box is ", static_cast<int>(std::round(side)),
              " px across in the ", photo.width, "x", photo.height, " photo, the minimum is ",
              kMinFaceSize, " px");

  start = Clock::now();
  const dlib::rectangle box(std::lround(out.box.left), std::lround(out.box.top),
                            std::lround(out.box.right) - 1, std::lround(out.box.bottom) - 1);
  dlib::full_object_detection shape;
  if (photo.channels == 3) {
    const PixelView<dlib::bgr_pixel> view{photo.data(), photo.height, photo.width};
    shape = impl_->predictor(view, box);
  } else {
    const PixelView<unsigned char> view{photo.data(), photo.height, photo.width};
    shape = impl_->predictor(view, box);
  }
  out.landmarks_ms = ms_since(start);
  P3D_CHECK(shape.num_parts() == 68, "face detection: the shape predictor gave ", shape.num_parts(),
            " points");
  out.points.resize(136);
  for (unsigned long i = 0; i < 68; ++i) {
    out.points[2 * i] = static_cast<double>(shape.part(i).x());
    out.points[2 * i + 1] = static_cast<double>(shape.part(i).y());
  }
  return out;
}

Landmarks detected_landmarks(const DetectedFace& face, int32_t image_width, int32_t image_height) {
  P3D_CHECK(face.points.size() == 136, "detected landmarks: ", face.points.size() / 2,
            " points, expected 68");
  // Through the landmark parser, so detected points pass the same checks as a file's (a
  // point far outside the photo is refused) and take the same TopLeft68 flip.
  std::string text;
  char line[64];
  for (size_t i = 0; i < 68; ++i) {
    std::snprintf(line, sizeof line, "%.1f %.1f\n", face.points[2 * i], face.points[2 * i + 1]);
    text += line;
  }
  return parse_landmarks(text, LandmarkConvention::TopLeft68, image_width, image_height,
                         "(detected)");
}

std::string format_yup_landmark_file(const DetectedFace& face, int32_t image_height) {
  P3D_CHECK(face.points.size() == 136, "landmark file: ", face.points.size() / 2,
            " points, expected 68");
  std::string text;
  char line[64];
  for (size_t i = 0; i < 68; ++i) {
    // Whole pixels (dlib rounds its points), written as the original's files: "x y" floats.
    std::snprintf(line, sizeof line, "%.6f %.6f\n", face.points[2 * i],
                  image_height - 1.0 - face.points[2 * i + 1]);
    text += line;
  }
  return text;
}

}  // namespace p3d
