// The head masks of Deep3dPortrait's step 2 (step2_face_segmentation.py prepare_mask, up to
// its triangulation) and the stitch ring of step 4 (find_boundary_ind's first two lines in
// utils/construct_triangles.py), for a batch of portraits in the 256x256 head crop:
//   stitch_mask          hair/ear labels plus face labels the render missed, 4-connected
//                        components of fewer than 20 pixels removed (step 2's input_mask)
//   hair_ear_mask        labels 2, 3, 4
//   facemask_withouthair the render coverage minus hair/ear, float 0/1 as the original keeps it
//   stitch_ring          dilate(facemask_withouthair, 3x3) - facemask_withouthair, components
//                        of fewer than 200 pixels removed (where step 4 stitches face to hair)
// The ring sits in this unit because it needs nothing but facemask_withouthair; step 4 can
// also make it alone from a stored facemask_withouthair (stitch_ring_from_facemask).
//
// Inputs are checked before any work:
//   * sizes: batch >= 0, labels and render_mask exactly batch * 256 * 256 values;
//   * render_mask values exactly 0 or 1 (the rasterizer's coverage; anything else means the
//     wrong array was passed, and the original's arithmetic on it would be meaningless);
//   * labels 0..5. Labels 6..255 are an error by default, naming the value, portrait and
//     pixel: they usually mean a parser with another class list (e.g. 19 classes) or a 0/255
//     mask saved as labels, whose output the original would silently mangle. The original's
//     split_segmask treats them as background (neither face nor hair/ear); set
//     HeadMaskOptions::unknown_labels_as_background to get exactly that instead.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/tensor.h"

namespace p3d {

constexpr int32_t kHeadMaskSize = 256;         // the head crop's side (step 1's crop)
constexpr int32_t kStitchMinPixels = 20;       // remove_small_area's default thres (step 2)
constexpr int32_t kStitchRingMinPixels = 200;  // find_boundary_ind's thres=200 (step 4)

struct HeadMaskOptions {
  // false: a label above 5 is an error. true: it counts as background, like split_segmask.
  bool unknown_labels_as_background = false;
};

// One portrait's masks, each [256, 256], row-major, row 0 at the top.
struct HeadMasks {
  std::vector<uint8_t> stitch_mask;         // 0/1
  std::vector<uint8_t> hair_ear_mask;       // 0/1
  std::vector<float> facemask_withouthair;  // 0/1
  std::vector<uint8_t> stitch_ring;         // 0/1
};

// Every portrait's masks on the CPU or the GPU (DeviceKind::CUDA; throws p3d::Error with the
// reason when CUDA is unavailable). labels: [N, 256, 256] face-parsing labels (step 1's
// cropped 'mask'); render_mask: [N, 256, 256] rendered face coverage (step 1's 'face_mask').
// Both backends give identical results.
std::vector<HeadMasks> compute_head_masks(const std::vector<uint8_t>& labels,
                                          const std::vector<float>& render_mask, int32_t batch,
                                          Device device = DeviceKind::CPU,
                                          const HeadMaskOptions& options = {});

// Step 4's ring alone, from [N, 256, 256] facemask_withouthair (0/1, checked): [N, 256, 256]
// 0/1, components of fewer than 200 pixels removed.
std::vector<uint8_t> stitch_ring_from_facemask(const std::vector<float>& facemask_withouthair,
                                               int32_t batch, Device device = DeviceKind::CPU);

}  // namespace p3d
