// Host entry points of the custom CUDA kernels (launchers). Each validates nothing beyond
// what the engine already checked, launches on the given stream and checks the launch.
// Convolution, transposed convolution and matmul are not here: the CUDA backend runs them
// through cuDNN and cuBLAS (engine/cuda/) and uses conv_epilogue for the fused tail.
// This header is read by g++ too: it uses only the CUDA runtime API types.
#pragma once

#include <cuda_runtime_api.h>

#include "kernels/conv.h"
#include "kernels/elementwise.h"
#include "kernels/layout.h"
#include "kernels/matmul.h"
#include "kernels/pool.h"
#include "kernels/reduce.h"

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

void pool2d(const Pool2dParams& p, const float* x, float* y, cudaStream_t stream);
void reduce(const ReduceParams& p, const float* x, float* y, cudaStream_t stream);
void batch_norm(const BatchNormParams& p, const float* x, const float* gamma, const float* beta,
                const float* mean, const float* variance, float* y, cudaStream_t stream);
void unary(const UnaryParams& p, const float* x, float* y, cudaStream_t stream);
void binary(const BinaryParams& p, const float* a, const float* b, float* y, cudaStream_t stream);
void cast(const CastParams& p, const void* x, void* y, cudaStream_t stream);
void concat_copy(const ConcatCopyParams& p, const void* x, void* y, cudaStream_t stream);
void pad(const PadParams& p, const float* x, float* y, cudaStream_t stream);
void transpose(const TransposeParams& p, const void* x, void* y, cudaStream_t stream);
void slice(const SliceParams& p, const void* x, void* y, cudaStream_t stream);
void resize(const ResizeParams& p, const float* x, float* y, cudaStream_t stream);

}  // namespace p3d::cuda
