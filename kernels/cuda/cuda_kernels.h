// Host entry points of the custom CUDA kernels (launchers). Each runs the same params check
// as its CPU twin (check_<op>_params, beside the params struct in kernels/*.h), launches on
// the given stream and checks the launch.
// Convolution, transposed convolution and matmul are not here: the CUDA backend runs them
// through cuDNN (engine/cuda/cudnn_conv.h) and cuBLAS, with our conv kernels (the fused
// epilogue, the filter reorder, the direct fallbacks) in kernels/cuda/conv2d.h.
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
