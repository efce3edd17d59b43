// Stage 3, step 9: the hair/ear vertices back-projected from the depth net's output, their
// colours, and the face vertices' colours (kernels/head_geometry.h has the formulas), for one
// portrait on the CPU or a CUDA GPU. The results are the original's step-3 'hairear_shape',
// 'hairear_texture' and 'face_texture' (colours BGR 0..255 as floats, cv2's channel order).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/tensor.h"
#include "kernels/head_geometry.h"

namespace p3d {

struct HeadGeometryInput {
  const uint8_t* crop_bgr = nullptr;       // [256, 256, 3] the head crop
  const float* depth = nullptr;            // [256, 256] the depth net's output
  HeadCamera camera;                       // the face3d record's focal and centre
  int32_t point_count = 0;                 // K hair/ear pixels
  const int32_t* points = nullptr;         // [K, 2] (row, col), step 2's points_index
  int32_t face_vertex_count = 0;           // V
  const float* face_projection = nullptr;  // [V, 2] the face in the crop, y up
};

struct HeadGeometry {
  std::vector<float> hair_xyz;  // [K, 3]
  std::vector<float> hair_bgr;  // [K, 3]
  std::vector<float> face_bgr;  // [V, 3]
};

// Throws p3d::Error for missing arrays, a non-finite or non-positive focal, or (CUDA) when no
// device is usable.
HeadGeometry compute_head_geometry(const HeadGeometryInput& input, Device device);

}  // namespace p3d
