// CUDA launchers of the step-2 / step-4 per-pixel masks: the twins of
// kernels/cpu/head_masks.h (same params and buffers, device pointers, plus the stream),
// running the P3D_HD math of kernels/head_masks.h. Read by g++ too: only CUDA runtime API
// types appear here.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/head_masks.h"

namespace p3d::cuda {

// One thread per pixel: hairear_mask, stitchmask (before the small-component removal) and
// facemask_withouthair. Checks the params and pointers (p3d::Error).
void head_mask_split(const HeadMaskParams& p, const HeadMaskInputs& in, const HeadMaskOutputs& out,
                     cudaStream_t stream);

// One thread per pixel: dilate(mask, 3x3) - mask, [N, H, W] 0/1; ring must not alias mask.
void dilation_ring(const HeadMaskParams& p, const uint8_t* mask, uint8_t* ring,
                   cudaStream_t stream);

}  // namespace p3d::cuda
