// Face detection and 68 landmarks for a bare photo (no NAME_landmark.txt beside it), with
// dlib: its HOG frontal face detector on a resized grey copy of the photo, the largest face
// kept, then its 68-point shape predictor (shape_predictor_68_face_landmarks.dat, Debian
// libdlib-data) on the full-resolution photo inside that box mapped back.
//
// Why a resized copy: the HOG scan costs about the pixel count, and portraits fill much of
// the frame. Measured on the 18 seed photos (benchmarks/face_detection_bench.cpp, CPU time
// per photo, one core): long side 320: 8 ms, no miss; 480: 16 ms, one miss (3_0718, a
// 500 x 600 photo shrunk); 640: 25 ms, no miss; 800: 41 ms; 1024: 72 ms; the full photo
// (423 x 555 to 2000 x 3000): 109 ms, no miss. Misses at small sizes are erratic (480
// missed a face that 320 and 400 found), so 640 keeps a margin for 25 ms. Photos smaller
// than that are enlarged (at most kMaxDetectUpscale times), so faces down to about
// 80 / scale photo pixels, the detector's 80 x 80 window, are seen; when a larger photo
// shows no face at 640, detect() tries once more at twice the size.
//
// Landmarks need the full image: the predictor samples pixel pairs, and a smaller copy
// would blur them.
//
// The points come back in photo pixels with y down (x = column, y = row; dlib rounds them
// to whole pixels): LandmarkConvention::TopLeft68 in pipeline/landmarks.h, which flips them
// to the original's y-up frame as y_up = H - 1 - row. format_yup_landmark_file writes
// exactly that frame, so the file read back as NAME_landmark.txt (YUp68) gives the same
// points.
//
// dlib's headers are heavy and stay inside face_detection.cpp; this header is plain C++.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/image_io.h"
#include "pipeline/landmarks.h"

namespace p3d {

// The long side of the detection copy, in pixels (chosen by measurement, see above).
constexpr int32_t kDetectLongSide = 640;
// Photos smaller than kDetectLongSide are enlarged by at most this factor for detection.
constexpr double kMaxDetectUpscale = 2.0;
// A face whose box is narrower than this many photo pixels is refused: the 68-point model
// was trained on larger faces, and the R-Net's 224 x 224 crop would enlarge it several
// times over.
constexpr int32_t kMinFaceSize = 64;

// Where Debian's libdlib-data installs the 68-point model.
constexpr const char* kDefaultLandmarkModel =
    "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";

struct FaceBox {  // photo pixels, y down, [left, right) x [top, bottom)
  double left = 0, top = 0, right = 0, bottom = 0;
  double width() const { return right - left; }
  double height() const { return bottom - top; }
};

struct DetectedFace {
  int32_t faces_seen = 0;      // faces the detector found (the largest is used)
  FaceBox box;                 // the largest face, in photo pixels
  std::vector<double> points;  // [68, 2]: x = column, y = row (y down), photo pixels
  int32_t detect_width = 0, detect_height = 0;  // the detection copy's size
  double detect_ms = 0;                         // resizing + HOG detection
  double landmarks_ms = 0;                      // the shape predictor
};

class FaceLandmarker {
 public:
  // Loads the shape predictor once (the detector needs no file). Throws p3d::Error naming
  // the path when the model is missing (and that Debian's libdlib-data brings it) or unreadable.
  explicit FaceLandmarker(const std::string& model_path = kDefaultLandmarkModel,
                          int32_t detect_long_side = kDetectLongSide);
  ~FaceLandmarker();
  FaceLandmarker(const FaceLandmarker&) = delete;
  FaceLandmarker& operator=(const FaceLandmarker&) = delete;

  // The largest face of a BGR (or grey) photo and its 68 points. Throws p3d::Error when no
  // face is found (saying the smallest face the detector sees in this photo) or the largest
  // is narrower than kMinFaceSize.
  DetectedFace detect(const ImageU8& photo);

  // Only the detector: every face box in photo pixels, largest first (for measurements).
  std::vector<FaceBox> detect_boxes(const ImageU8& photo, int32_t* detect_w = nullptr,
                                    int32_t* detect_h = nullptr);

  int32_t detect_long_side() const { return detect_long_side_; }
  void set_detect_long_side(int32_t long_side);
  const std::string& model_path() const { return model_path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string model_path_;
  int32_t detect_long_side_;
};

// The detected points as Landmarks in the original's y-up frame (TopLeft68 flip).
Landmarks detected_landmarks(const DetectedFace& face, int32_t image_width, int32_t image_height);

// NAME_landmark.txt text in the original's convention: 68 lines "x y" with y = H - 1 - row.
std::string format_yup_landmark_file(const DetectedFace& face, int32_t image_height);

}  // namespace p3d
