// A plain direct convolution on the GPU: the CUDA backend's fallback for a conv2d shape for
// which cuDNN offers no FP32 algorithm (cuDNN's NHWC float support for grouped and
// depthwise convolutions varies between versions). Correct for every Conv2dParams, fast
// only where there is little arithmetic per output (depthwise); cuDNN stays the main path.
#pragma once

#include <cuda_runtime_api.h>

#include "kernels/conv.h"

namespace p3d::cuda_backend {

// y = activation(conv(x, filter) + bias[c] + residual) in one pass, NHWC x / y / residual,
// filter in cuDNN's KRSC layout [out_c, kh, kw, in_c / groups] (what pack_conv_filter makes).
// Padding may be asymmetric. bias and residual may be null; residual may be y itself.
void direct_conv2d(const Conv2dParams& p, const float* x, const float* filter, const float* bias,
                   const float* residual, float* y, cudaStream_t stream);

}  // namespace p3d::cuda_backend
