// Params of 2-D max and average pooling, NHWC. Padding follows TensorFlow: padded positions
// never win a max and are not counted in an average (the divisor is the number of valid
// input positions under the window).
#pragma once

#include <cstdint>

namespace p3d {

enum class PoolKind : int32_t { Max, Average };

struct Pool2dParams {
  int32_t batch;
  int32_t in_h, in_w, channels;
  int32_t out_h, out_w;
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;
  int32_t pad_top, pad_left;  // window origin of output (oy, ox) is (oy*stride_h - pad_top, ...)
  PoolKind kind;
};

// The validation both backends run at their boundary (kernels/pool_params.cpp): no size
// negative, kernel and stride positive, padding non-negative, a known kind.
void check_pool2d_params(const Pool2dParams& p);

}  // namespace p3d
