// 3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3): each 2x2 block of
// output comes from a 4x4 input patch with 16 multiplies per (input, output) channel pair
// instead of 36, as 16 GEMMs of [tiles, in_c] x [in_c, out_c] between a transform of the
// input and one of the output. The filter is transformed and packed once at plan time.
//
// Used by conv2d (kernels/cpu/conv2d.cpp) where it pays: at least 36 2x2 output tiles in the
// batch (with fewer, each transformed filter would be streamed for a dozen rows) and at least
// 8 channels each way. The transforms only add and subtract (the filter's halves are exact),
// so the result differs from the direct sum by rounding alone: the agreement table and
// TensorFlow's fixtures hold it to the same tolerances as the im2col path.
#pragma once

#include <cstddef>

#include "kernels/conv.h"
#include "kernels/cpu/thread_pool.h"

namespace p3d::cpu {

// The filter and strides allow it (3x3, stride 1, no dilation, one group, 8+ channels each way).
bool winograd_fits_filter(const Conv2dParams& p);
// ... and the output is large enough for it to pay: what conv2d_pack_filter decides by.
bool winograd_applies(const Conv2dParams& p);

size_t winograd_packed_filter_floats(const Conv2dParams& p);
void winograd_pack_filter(const Conv2dParams& p, const float* w_hwio, float* packed);

size_t winograd_workspace_bytes(const Conv2dParams& p, int threads);
void winograd_conv2d(ThreadPool& pool, const Conv2dParams& p, const float* x, const float* packed,
                     const float* bias, const float* residual, float* y, void* workspace);

}  // namespace p3d::cpu
