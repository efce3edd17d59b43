// Our own CUDA kernels of conv2d and conv_transpose2d: the fused epilogue that follows a
// cuDNN convolution (or a cuBLAS matmul), the filter reorder into cuDNN's layout, and the
// direct kernels the CUDA backend falls back to when cuDNN has no algorithm that runs for a
// shape. cuDNN planning itself lives in engine/cuda/cudnn_conv.h. Read by g++ too: only CUDA
// runtime API types appear here.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/conv.h"
#include "kernels/elementwise.h"

namespace p3d::cuda {

// y[r, c] = activation(y[r, c] + bias[c] + residual[r, c]) in place over rows x channels;
// bias and residual may be null. The tail of a cuDNN convolution or a cuBLAS matmul.
void conv_epilogue(int64_t rows, int32_t channels, const float* bias, const float* residual,
                   Unary activation, float alpha, float* y, cudaStream_t stream);

// Reorders a conv2d filter from TensorFlow's HWIO to cuDNN's NHWC filter layout (KRSC =
// [out_c, kh, kw, in_c/groups]). For a transposed conv's HWOI filter pass the forward
// conv's view (I = out_c of the transpose, O = in_c): the same routine applies.
void hwio_to_ohwi(int32_t kh, int32_t kw, int32_t in_c, int32_t out_c, const float* hwio,
                  float* ohwi, cudaStream_t stream);

// y = activation(conv(x, filter) + bias[c] + residual) in one pass, NHWC x / y / residual,
// filter in KRSC [out_c, kh, kw, in_c / groups] (what pack_conv_filter makes). Padding may
// be asymmetric. bias and residual may be null; residual may be y itself, x must not be.
// Correct for every Conv2dParams, fast only where there is little arithmetic per output
// (depthwise): cuDNN stays the main path.
void direct_conv2d(const Conv2dParams& p, const float* x, const float* filter, const float* bias,
                   const float* residual, float* y, cudaStream_t stream);

// The transposed conv's twin: y (out_*) = activation(conv_transpose(x (in_*), filter) + bias
// + residual), filter in the forward conv's KRSC [in_c, kh, kw, out_c] (what
// pack_conv_transpose_filter makes), padding the forward conv's (asymmetric allowed),
// groups 1. Each output gathers the inputs that scatter into it, so no atomics and a fixed
// summation order. residual may be y itself, x must not be.
void direct_conv_transpose2d(const ConvTranspose2dParams& p, const float* x, const float* filter,
                             const float* bias, const float* residual, float* y,
                             cudaStream_t stream);

}  // namespace p3d::cuda
