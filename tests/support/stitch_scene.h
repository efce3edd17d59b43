// The arrays behind a StitchInput (pipeline/stitching.h), owned in one place: the stitching
// test's oracle scene and the stitching benchmark's portrait-size scene each fill one and
// hand stitch() its input() view.
#pragma once

#include <cstdint>
#include <vector>

#include "pipeline/stitching.h"

namespace p3d::test {

struct StitchScene {
  int size = 256;                                                   // the masks are size x size
  std::vector<uint8_t> ring;                                        // the ring mask, 0 / 1
  std::vector<int32_t> points_index;                                // (row, column) per hair vertex
  std::vector<float> hair_xyz, hair_colors, face_xyz, face_colors;  // 3 per vertex
  std::vector<int32_t> border;  // face vertex ids on the face's border

  StitchInput input() const {
    StitchInput in;
    in.height = in.width = size;
    in.ring = ring.data();
    in.hair_count = static_cast<int32_t>(points_index.size() / 2);
    in.points_index = points_index.data();
    in.hair_xyz = hair_xyz.data();
    in.hair_colors = hair_colors.data();
    in.face_count = static_cast<int32_t>(face_xyz.size() / 3);
    in.face_xyz = face_xyz.data();
    in.face_colors = face_colors.data();
    in.border_count = static_cast<int32_t>(border.size());
    in.border_index = border.data();
    return in;
  }
};

}  // namespace p3d::test
