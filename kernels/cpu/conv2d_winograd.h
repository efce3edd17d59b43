// 3x3 stride-1 convolutions by Winograd's minimal filtering F(m x m, 3x3), m = 2 or 4: each
// m x m block of output comes from an (m+2) x (m+2) input patch, as (m+2)^2 GEMMs of
// [tiles, in_c] x [in_c, out_c] between a transform of the input and one of the output.
// Multiplies per output and channel pair: 4 for F(2x2), 2.25 for F(4x4), 9 direct. The
// filter is transformed and packed once at plan time, in the form chosen for the output
// size the graph was compiled for.
//
// Which one (winograd_tile): F(4x4) where the batch has enough 4x4 tiles (the R-Net's 56x56
// and 28x28 layers at batch 1, its 14x14 ones at batch 8, the depth net's), F(2x2) where it
// has enough 2x2 tiles (the R-Net's 14x14 and, with the column split, 7x7 layers at batch
// 1), else none (conv2d takes im2col). Each transformed filter is
// (m+2)^2 / 9 the size of the filter (4x for F(4x4)) and is streamed once per block of
// tiles: with few tiles the GEMMs are too thin to pay for it.
//
// Accuracy: F(2x2)'s transforms only add and subtract (the filter's halves are exact), so it
// differs from the direct sum by rounding alone. F(4x4)'s matrices scale by up to 8, which
// costs about ten times the direct sum's rounding; its interpolation points (0, -1, 1, 1/2,
// -2 rather than the usual 0, +-1, +-2) keep that at 2-5e-6 of the output's scale for 64
// to 512 channels in a float32 simulation (tools/winograd_error.py; 5e-6 to 1.4e-5 with
// the usual ones), inside the
// 1e-5 the agreement table and TensorFlow's fixtures hold every path to
// (conv2d_winograd.cpp gives the matrices; docs/cpu-backend.md the measured figures).
#pragma once

#include <cstddef>

#include "kernels/conv.h"
#include "kernels/cpu/thread_pool.h"

namespace p3d::cpu {

// The filter and strides allow it (3x3, stride 1, no dilation, one group, 8+ channels each way).
bool winograd_fits_filter(const Conv2dParams& p);
// The output tile conv2d_pack_filter packs for: 4, 2, or 0 (no Winograd).
int winograd_tile(const Conv2dParams& p);

// `tile` is 2 or 4: the packed form (conv2d records it in the packed filter's header).
size_t winograd_packed_filter_floats(const Conv2dParams& p, int tile);
void winograd_pack_filter(const Conv2dParams& p, int tile, const float* w_hwio, float* packed);

// Enough for either tile.
size_t winograd_workspace_bytes(const Conv2dParams& p, int threads);
void winograd_conv2d(ThreadPool& pool, const Conv2dParams& p, int tile, const float* x,
                     const float* packed, const float* bias, const float* residual, float* y,
                     void* workspace);

}  // namespace p3d::cpu
