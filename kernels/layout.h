// Params of the data-movement ops: concat, pad, transpose, slice and resize.
// Generic-rank ops carry fixed-size arrays (kMaxRank) so the struct can be passed by value
// to a CUDA kernel. All tensors are contiguous row-major (NHWC for images).
#pragma once

#include <cstdint>

#include "kernels/host_device.h"
#include "kernels/limits.h"

namespace p3d {

// Concat is a sequence of 2-D strided copies: input i viewed as [outer, inner_i] is copied
// into the output viewed as [outer, inner_total] starting at column `column_offset`.
struct ConcatCopyParams {
  int64_t outer;
  int64_t inner;          // this input's inner size (its axis dim times everything after)
  int64_t inner_total;    // the output's inner size
  int64_t column_offset;  // where this input starts inside an output row
  int32_t element_size;   // bytes per element
};

enum class PadMode : int32_t { Constant, Reflect, Symmetric };

// out dim d = in_dims[d] + before[d] + after[d]. Reflect mirrors without repeating the edge
// (requires pad < dim), Symmetric repeats it (pad <= dim), as tf.pad / MirrorPad.
struct PadParams {
  int32_t rank;
  int64_t in_dims[kMaxRank];
  int64_t before[kMaxRank];
  int64_t after[kMaxRank];
  PadMode mode;
  float value;  // Constant mode fill
};

// out[i_0..i_{r-1}] = in at index j where j[perm[d]] = i[d], i.e. out dim d = in dim perm[d].
struct TransposeParams {
  int32_t rank;
  int64_t in_dims[kMaxRank];
  int32_t perm[kMaxRank];
  int32_t element_size;  // bytes per element (any dtype moves)
};

// out[i] = in[begin + i * step] per dim (step may be negative, as StridedSlice allows).
struct SliceParams {
  int32_t rank;
  int64_t in_dims[kMaxRank];
  int64_t out_dims[kMaxRank];
  int64_t begin[kMaxRank];
  int64_t step[kMaxRank];
  int32_t element_size;
};

enum class ResizeMode : int32_t { Bilinear, Nearest };

// tf.image.resize (tf.compat.v1 ResizeBilinear / ResizeNearestNeighbor), NHWC float.
struct ResizeParams {
  int32_t batch, in_h, in_w, channels;
  int32_t out_h, out_w;
  ResizeMode mode;
  bool align_corners;
  bool half_pixel_centers;
};

// The validation both backends run at their boundary (kernels/layout_params.cpp; transpose's
// is in kernels/transpose_params.h), so a bad call fails the same way on the CPU and on CUDA.
// concat: the input's columns fit inside an output row. pad: rank 1..kMaxRank, no negative
// size, reflect padding below the dim and symmetric padding at most the dim. slice: rank
// 1..kMaxRank, a positive element size, every index read inside the input. resize: no
// negative size, not both align_corners and half_pixel_centers, a non-empty input when the
// output is not empty, a known mode.
void check_concat_copy_params(const ConcatCopyParams& p);
void check_pad_params(const PadParams& p);
void check_slice_params(const SliceParams& p);
void check_resize_params(const ResizeParams& p);

// TensorFlow's scale from output to input coordinates along one axis.
P3D_HD float resize_scale(int32_t in, int32_t out, bool align_corners) {
  return (align_corners && out > 1) ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                                    : static_cast<float>(in) / static_cast<float>(out);
}

}  // namespace p3d
