// The per-pixel mask arithmetic of Deep3dPortrait's step 2 (step2_face_segmentation.py with
// utils/face_parsing.py split_segmask) and the boundary ring of step 4 (the first line of
// utils/construct_triangles.py find_boundary_ind), written once as P3D_HD functions for the
// CPU loops (kernels/cpu/head_masks.cpp) and the CUDA kernels (kernels/cuda/head_masks.cu).
//
// What the original computes, per portrait, on 256x256 arrays in the head crop:
//   face_segmask  = labels in {1 face, 5 inner mouth};  hairear_mask = labels in {2 hair,
//                   3 left ear, 4 right ear}  (split_segmask; every other value is neither)
//   face_remain   = (face_segmask - render_mask) == 1, i.e. face label the render missed
//   stitchmask    = clip(hairear_mask + face_remain, 0, 1), then remove_small_area(20)
//   facemask_withouthair = render_mask, 0 where render_mask + hairear_mask == 2
//   ring (step 4) = cv2.dilate(facemask_withouthair, 3x3 ones) - facemask_withouthair, then
//                   remove_small_area(200)
// With render_mask 0/1 (the callers check that) these are boolean formulas, computed here
// on uint8 0/1 so both backends agree exactly. cv2.dilate's default border (BORDER_CONSTANT
// at the "minimum" value for dilation) never contributes, so a pixel's dilation is the
// maximum over its 3x3 neighbours inside the image. The small-component removal is
// kernels/connected_components.h.
#pragma once

#include <cstdint>

#include "kernels/host_device.h"

namespace p3d {

// The face-parsing classes of the original (utils/face_parsing.py faceparsing).
constexpr uint8_t kLabelBackground = 0;
constexpr uint8_t kLabelFace = 1;
constexpr uint8_t kLabelHair = 2;
constexpr uint8_t kLabelLeftEar = 3;
constexpr uint8_t kLabelRightEar = 4;
constexpr uint8_t kLabelInnerMouth = 5;
constexpr uint8_t kLabelMax = 5;

struct HeadMaskParams {
  int32_t batch = 0;   // N portraits
  int32_t height = 0;  // H rows, >= 1 (256 in the pipeline)
  int32_t width = 0;   // W columns, >= 1 (256 in the pipeline)
};

// Inputs of the split pass, in the backend's memory, row-major [N, H, W].
struct HeadMaskInputs {
  const uint8_t* labels = nullptr;    // face-parsing labels; values outside 0..5 are neither
                                      // face nor hair/ear (split_segmask's rule)
  const uint8_t* coverage = nullptr;  // render_mask as 0/1 (nonzero = the render covers it)
};

// Outputs of the split pass, every one [N, H, W] 0/1, every one required.
struct HeadMaskOutputs {
  uint8_t* hair_ear = nullptr;           // hairear_mask
  uint8_t* stitch = nullptr;             // stitchmask before remove_small_area
  uint8_t* face_without_hair = nullptr;  // facemask_withouthair
};

// split_segmask's two sets.
P3D_HD bool label_is_face(uint8_t label) {
  return label == kLabelFace || label == kLabelInnerMouth;
}
P3D_HD bool label_is_hair_ear(uint8_t label) {
  return label == kLabelHair || label == kLabelLeftEar || label == kLabelRightEar;
}

struct HeadMaskPixel {
  uint8_t hair_ear;
  uint8_t stitch;
  uint8_t face_without_hair;
};

// One pixel of step 2. A label is never both face and hair/ear, so the clip of
// hairear + face_remain is a plain "or".
P3D_HD HeadMaskPixel head_mask_pixel(uint8_t label, uint8_t coverage) {
  const bool covered = coverage != 0;
  const bool hair_ear = label_is_hair_ear(label);
  const bool face_remain = label_is_face(label) && !covered;
  HeadMaskPixel px;
  px.hair_ear = hair_ear ? 1 : 0;
  px.stitch = (hair_ear || face_remain) ? 1 : 0;
  px.face_without_hair = (covered && !hair_ear) ? 1 : 0;
  return px;
}

// One pixel of step 4's ring on mask [H, W] (0/1, one image): set where the pixel is not in
// the mask but one of its 3x3 neighbours inside the image is (dilate - mask).
P3D_HD uint8_t dilation_ring_pixel(const uint8_t* mask, int32_t height, int32_t width, int32_t y,
                                   int32_t x) {
  if (mask[static_cast<int64_t>(y) * width + x] != 0) return 0;
  const int32_t y0 = y > 0 ? y - 1 : 0, y1 = y + 1 < height ? y + 1 : height - 1;
  const int32_t x0 = x > 0 ? x - 1 : 0, x1 = x + 1 < width ? x + 1 : width - 1;
  for (int32_t yy = y0; yy <= y1; ++yy)
    for (int32_t xx = x0; xx <= x1; ++xx)
      if (mask[static_cast<int64_t>(yy) * width + xx] != 0) return 1;
  return 0;
}

// Host-boundary check of the sizes (kernels/cpu/head_masks.cpp), throwing p3d::Error.
void check_head_mask_params(const HeadMaskParams& p);

}  // namespace p3d
