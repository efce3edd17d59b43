// Host entry points of the CPU kernels: the reference backend and the fallback.
// Every function takes a plain params struct (see kernels/*.h) and raw contiguous
// pointers; nothing here knows the engine. Float tensors are f32, activations NHWC.
// Kernels that need scratch memory report its size first; the caller owns that memory so
// the steady state allocates nothing.
#pragma once

#include <cstddef>

#include "kernels/conv.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/elementwise.h"
#include "kernels/layout.h"
#include "kernels/matmul.h"
#include "kernels/pool.h"
#include "kernels/reduce.h"

namespace p3d::cpu {

// Convolution: im2col (skipped for 1x1 stride-1 unpadded) + blocked GEMM per thread, or
// Winograd F(2x2, 3x3), or per-pixel loops (depthwise and narrow convs). The filter (HWIO) is
// packed once for the path chosen at these params (conv2d_pack_filter, into
// conv2d_packed_filter_floats floats); conv2d reads only the packed form, and follows it.
size_t conv2d_packed_filter_floats(const Conv2dParams& p);
// The path packing at these params chooses, in words ("winograd F(2x2,3x3)", "gemm
// im2col", "gemm pointwise", "direct", "narrow"), for profiles and tests.
const char* conv2d_path_name(const Conv2dParams& p);
void conv2d_pack_filter(const Conv2dParams& p, const float* w_hwio, float* packed);
size_t conv2d_workspace_bytes(const Conv2dParams& p, int threads);
void conv2d(ThreadPool& pool, const Conv2dParams& p, const float* x, const float* w_packed,
            const float* bias, const float* residual, float* y, void* workspace);

// Transposed convolution: GEMM into columns, then col2im scatter-add. The filter (HWOI)
// is packed once, as for conv2d.
size_t conv_transpose2d_packed_filter_floats(const ConvTranspose2dParams& p);
void conv_transpose2d_pack_filter(const ConvTranspose2dParams& p, const float* w_hwoi,
                                  float* packed);
size_t conv_transpose2d_workspace_bytes(const ConvTranspose2dParams& p, int threads);
void conv_transpose2d(ThreadPool& pool, const ConvTranspose2dParams& p, const float* x,
                      const float* w_packed, const float* bias, const float* residual, float* y,
                      void* workspace);

void matmul(ThreadPool& pool, const MatmulParams& p, const float* a, const float* b,
            const float* bias, float* c);

void pool2d(ThreadPool& pool, const Pool2dParams& p, const float* x, float* y);
void reduce(ThreadPool& pool, const ReduceParams& p, const float* x, float* y);
void batch_norm(ThreadPool& pool, const BatchNormParams& p, const float* x, const float* gamma,
                const float* beta, const float* mean, const float* variance, float* y);

void unary(ThreadPool& pool, const UnaryParams& p, const float* x, float* y);
void binary(ThreadPool& pool, const BinaryParams& p, const float* a, const float* b, float* y);
void cast(ThreadPool& pool, const CastParams& p, const void* x, void* y);

void concat_copy(ThreadPool& pool, const ConcatCopyParams& p, const void* x, void* y);
void pad(ThreadPool& pool, const PadParams& p, const float* x, float* y);
void transpose(ThreadPool& pool, const TransposeParams& p, const void* x, void* y);
void slice(ThreadPool& pool, const SliceParams& p, const void* x, void* y);
void resize(ThreadPool& pool, const ResizeParams& p, const float* x, float* y);

}  // namespace p3d::cpu
