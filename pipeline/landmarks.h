// Facial landmark files, read into the coordinate frame the original's alignment works in
// (x right, y up: the frame of the standard 3D landmarks it fits them to).
//
// What the original reads (Deep3dPortrait step1_recon_3d_face.py:50-61, utils/loader.py:13):
//  - NAME_landmark.txt: np.loadtxt(...).reshape([68, 2]): 136 numbers, x y pairs, already
//    y-up; used as is (utils/preprocess.py:121-126 does no flip). Its warp (preprocess.py:78-79)
//    sends y-up coordinate t_y to photo row H - t_y, i.e. the file's y behaves as H - row.
//  - NAME_detection.txt: the last 10 numbers, lm[-10:].reshape([5, 2]): 5 points (eye
//    centres, nose tip, mouth corners) in image pixels, y down; the 5-point path flips them
//    with y_up = H - 1 - y (preprocess.py:150, as Deep3DFaceReconstruction's align_img).
// Plain top-left pixel coordinates (68 points, y down, as most detectors write them) are
// flipped the same way as the detections: y_up = H - 1 - y.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace p3d {

enum class LandmarkConvention {
  YUp68,       // NAME_landmark.txt: 68 points, x y pairs, y up (the original's default)
  TopLeft68,   // 68 points, x y pairs, image pixels with y down
  Detection5,  // NAME_detection.txt: the last 10 numbers are 5 points, y down
};

const char* landmark_convention_name(LandmarkConvention convention);

struct Landmarks {
  LandmarkConvention convention = LandmarkConvention::YUp68;
  int32_t image_width = 0, image_height = 0;  // the photo they belong to
  std::vector<double> points;                 // [count, 2]: x, y up (the original's frame)

  int32_t count() const { return static_cast<int32_t>(points.size() / 2); }
};

// Number of points a convention carries (68 or 5).
int32_t landmark_count(LandmarkConvention convention);

// Parses landmark text. `what` names the source in errors (the file path). Throws
// p3d::Error naming it when: a token is not a number (np.loadtxt's whitespace-separated
// layout; '#' starts a comment), the count is wrong (exactly 136 numbers for the 68-point
// conventions, at least 10 for detections), a value is NaN or infinite, or a point lies
// farther than one image size outside the photo (x outside [-W, 2W] or y outside [-H, 2H]
// in the file's own frame) — a sign of a wrong file or a wrong convention.
Landmarks parse_landmarks(const std::string& text, LandmarkConvention convention,
                          int32_t image_width, int32_t image_height, const std::string& what);

// Reads and parses a landmark file (throws naming the path when it cannot be read).
Landmarks read_landmarks(const std::string& path, LandmarkConvention convention,
                         int32_t image_width, int32_t image_height);

// The file the original reads beside photo DIR/NAME.ext: DIR/NAME_landmark.txt for the
// 68-point conventions, DIR/NAME_detection.txt for Detection5 (NAME: up to the first '.').
std::string landmark_path_for(const std::string& photo_path, LandmarkConvention convention);

}  // namespace p3d
