// CPU entry points of the step-2 / step-4 per-pixel masks (the math is in
// kernels/head_masks.h). The twin of kernels/cuda/head_masks.h: same params and buffers,
// host pointers, so the two agree exactly.
#pragma once

#include <cstdint>

#include "kernels/cpu/thread_pool.h"
#include "kernels/head_masks.h"

namespace p3d::cpu {

// hairear_mask, stitchmask (before the small-component removal) and facemask_withouthair of
// every pixel of the batch. Checks the params and pointers (p3d::Error). Parallel over rows.
void head_mask_split(ThreadPool& pool, const HeadMaskParams& p, const HeadMaskInputs& in,
                     const HeadMaskOutputs& out);

// Step 4's ring dilate(mask, 3x3) - mask of every image of the batch ([N, H, W] 0/1 in and
// out; out must not alias mask). Parallel over rows.
void dilation_ring(ThreadPool& pool, const HeadMaskParams& p, const uint8_t* mask, uint8_t* ring);

}  // namespace p3d::cpu
