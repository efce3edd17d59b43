// Params of 2-D convolution and transposed convolution, NHWC activations.
//
// Weights use TensorFlow's layouts so imported graphs need no reordering on the CPU:
//   conv2d:            HWIO  [kernel_h, kernel_w, in_c / groups, out_c]
//   conv2d_transpose:  HWOI  [kernel_h, kernel_w, out_c, in_c]   (tf.nn.conv2d_transpose)
// A depthwise conv with channel multiplier m is groups = in_c, out_c = in_c * m: TensorFlow's
// depthwise filter [kh, kw, in_c, m] has exactly the memory of HWIO [kh, kw, 1, in_c * m].
#pragma once

#include <cstdint>

#include "kernels/elementwise.h"
#include "kernels/layout.h"

namespace p3d {

struct Conv2dParams {
  int32_t batch;                // N
  int32_t in_h, in_w, in_c;     // input spatial size and channels
  int32_t out_h, out_w, out_c;  // output spatial size and channels
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_top, pad_left;      // explicit padding before the first row / column;
  int32_t pad_bottom, pad_right;  // after the last (may differ: TF SAME pads more at the end)
  int32_t groups;                 // in_c % groups == 0 and out_c % groups == 0
  // Fused epilogue: y = activation(conv + bias[c] + residual[n,h,w,c]).
  bool has_bias;
  bool has_residual;       // residual has the output's shape
  Unary activation;        // Identity when none
  float activation_alpha;  // LeakyRelu slope
  // What the padding holds: zeros (Constant, the default), or the input mirrored as
  // MirrorPad does (Reflect: pad < in; Symmetric: pad <= in), so a MirrorPad + VALID conv
  // needs no padded copy. conv2d only; a transposed conv's padding is always zeros.
  PadMode padding_fill;
};

// The input coordinate padded coordinate i (-pad_before <= i < n + pad_after) reads: i
// itself inside [0, n), the mirrored one for Reflect / Symmetric, and -1 (a zero) for
// Constant padding or past the padded extent (reached only by Winograd's tiles past the
// output's edge, whose outputs are dropped).
P3D_HD int64_t padded_source(int64_t i, int64_t n, int64_t pad_before, int64_t pad_after,
                             PadMode fill) {
  if (i >= 0 && i < n) return i;
  if (fill == PadMode::Constant || i < -pad_before || i >= n + pad_after) return -1;
  if (fill == PadMode::Reflect) return i < 0 ? -i : 2 * (n - 1) - i;
  return i < 0 ? -i - 1 : 2 * n - 1 - i;  // Symmetric: the edge repeated
}

// Transposed convolution (the gradient of conv2d with respect to its input), as
// tf.nn.conv2d_transpose: output (out_h, out_w, out_c) is given explicitly; the forward conv
// it inverts maps the output to the input with the same kernel, stride and padding.
// Uses the same struct: in_* is the (small) input, out_* the (large) output, pad_* the
// forward conv's padding. groups must be 1; dilation must be 1.
using ConvTranspose2dParams = Conv2dParams;

// The validation both backends run at their boundary (kernels/conv_params.cpp), so a bad
// call fails the same way on the CPU and on CUDA: every size positive, padding
// non-negative, groups dividing the channels, and out_h x out_w what the window gives.
void check_conv2d_params(const Conv2dParams& p);
// The same for a transposed conv: groups and dilation 1, and the forward conv of the
// output (same kernel, stride and padding) landing exactly on the input.
void check_conv_transpose2d_params(const ConvTranspose2dParams& p);

// Output size of a convolution along one axis for explicit padding.
P3D_HD int32_t conv_out_size(int32_t in, int32_t kernel, int32_t stride, int32_t dilation,
                             int32_t pad_before, int32_t pad_after) {
  const int32_t effective = (kernel - 1) * dilation + 1;
  return (in + pad_before + pad_after - effective) / stride + 1;
}

}  // namespace p3d
