// TensorFlow 1.x resize coordinate math (ResizeBilinear / ResizeNearestNeighbor with
// align_corners and half_pixel_centers), shared by the CPU and CUDA resize kernels.
// Checked against tensorflow/core/kernels/image/resize_bilinear_op.cc,
// resize_nearest_neighbor_op.cc and util/image_resizer_state.h:
//   bilinear: in = half_pixel ? (i + 0.5) * scale - 0.5 : i * scale;
//             lower = max(floor(in), 0), upper = min(ceil(in), size - 1), lerp = in - floor(in)
//   nearest:  in = half_pixel ? (i + 0.5) * scale : i * scale;
//             index = min(align_corners ? round(in) : floor(in), size - 1),
//             then max(index, 0) when half_pixel
// with scale = resize_scale() (kernels/layout.h) and every step in float, as TensorFlow does.
// The products are rounded before the subtraction (no fused multiply-add): a fused
// (i + 0.5) * scale - 0.5 can land just below an integer that TensorFlow reaches exactly, and
// floor() would then pick the neighbouring pixel.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/exact_float.h"
#include "kernels/host_device.h"

namespace p3d {

// Source row/column of a bilinear sample and the weight of `upper`.
struct ResizeTap {
  int32_t lower;  // first source index
  int32_t upper;  // second source index (== lower at the borders)
  float lerp;     // weight of upper: value = v[lower] + (v[upper] - v[lower]) * lerp
};

// Bilinear tap for output index i along an axis of in_size (>= 1) input samples.
// lower is also clamped to in_size - 1: TensorFlow does not need this for valid scales,
// and it keeps any float edge case from reading past the image.
P3D_HD ResizeTap resize_bilinear_tap(int32_t i, float scale, int32_t in_size,
                                     bool half_pixel_centers) {
  const float in = half_pixel_centers ? exact_mul(static_cast<float>(i) + 0.5f, scale) - 0.5f
                                      : exact_mul(static_cast<float>(i), scale);
  const float in_floor = floorf(in);
  int32_t lower = static_cast<int32_t>(in_floor);
  int32_t upper = static_cast<int32_t>(ceilf(in));
  lower = lower < 0 ? 0 : (lower > in_size - 1 ? in_size - 1 : lower);
  upper = upper > in_size - 1 ? in_size - 1 : (upper < 0 ? 0 : upper);
  return ResizeTap{lower, upper, in - in_floor};
}

// Nearest-neighbour source index for output index i along an axis of in_size (>= 1).
P3D_HD int32_t resize_nearest_index(int32_t i, float scale, int32_t in_size, bool align_corners,
                                    bool half_pixel_centers) {
  const float in =
      half_pixel_centers ? (static_cast<float>(i) + 0.5f) * scale : static_cast<float>(i) * scale;
  int32_t index = static_cast<int32_t>(align_corners ? roundf(in) : floorf(in));
  if (index > in_size - 1) index = in_size - 1;
  if (index < 0) index = 0;  // TF clamps at 0 only with half_pixel_centers; in >= 0 otherwise
  return index;
}

// TensorFlow's bilinear blend of four samples (x_lerp along the row, then y_lerp), products
// rounded before the adds as in TensorFlow's CPU kernel (so no FMA, on the GPU either). The
// CPU kernel runs this same arithmetic split into a horizontal and a vertical pass.
P3D_HD float resize_bilinear_blend(float top_left, float top_right, float bottom_left,
                                   float bottom_right, float x_lerp, float y_lerp) {
  const float top = top_left + exact_mul(top_right - top_left, x_lerp);
  const float bottom = bottom_left + exact_mul(bottom_right - bottom_left, x_lerp);
  return top + exact_mul(bottom - top, y_lerp);
}

}  // namespace p3d
