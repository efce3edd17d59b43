// A synthetic portrait for `portrait3d demo`: the face model's mean face rendered frontally
// into a square photo, with hair and ears drawn around it, its 68 landmarks and its
// face-parsing labels, all in the original's input convention, so the demo feeds the
// pipeline exactly what a user's folder would hold.
//
// The scene, in the face model's units (decimetres, y up, face towards the camera):
//   - the camera of the original's renderer: eye at (0, 0, 10) looking at the origin, the
//     mean face re-centred on its mean vertex at the origin (what zero coefficients pose);
//     focal length and principal point chosen so the face spans about 43% of the photo,
//     a little below the middle, leaving room for the hair above;
//   - the face: rendered depth (pipeline/render.h) shaded by the normals of that depth and a
//     light from the upper left, coloured by the model's mean texture (meantex) splatted from
//     the projected vertices;
//   - hair: an ellipse behind and above the head with strands radiating from the crown and a
//     fringe over the top of the forehead, ending below the ears; ears: two ellipses at the
//     sides, behind the face; a neck and shoulders below (background in the labels);
//   - background: a vertical gradient.
// Landmarks are the model's 68 keypoints projected with the same camera, x then y up
// (NAME_landmark.txt, pipeline/landmarks.h). Labels: 0 background, 1 face, 2 hair, 3 left
// ear (the subject's left: the photo's right side), 4 right ear.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/face_model.h"
#include "pipeline/image_io.h"
#include "pipeline/render.h"

namespace p3d {

struct SyntheticPortrait {
  ImageU8 photo;                  // [size, size, 3] BGR
  ImageU8 labels;                 // [size, size, 1] 0 bg, 1 face, 2 hair, 3 left ear, 4 right
  std::vector<double> landmarks;  // [68, 2] x, y up (photo pixels)
  RenderCamera camera;            // focal and principal point (y up) it was rendered with
};

// Renders the portrait at size x size (at least 128). Throws p3d::Error for a model without
// a mean shape or keypoints.
SyntheticPortrait make_synthetic_portrait(const FaceModel& model, int32_t size = 512);

// Writes DIR/NAME.png, DIR/NAME_landmark.txt and DIR/NAME.mat (variable 'mask', int32), each
// atomically; returns the three paths. Throws p3d::Error naming the file that failed.
std::vector<std::string> write_synthetic_portrait(const SyntheticPortrait& portrait,
                                                  const std::string& dir, const std::string& name);

}  // namespace p3d
