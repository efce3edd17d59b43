// CPU entry point of the face alignment's resampling (kernels/alignment.h): every pixel of
// every item's 224 x 224 window, as the original's cv2 / PIL calls compute it, written as
// float (the R-Net input). The CUDA twin is in kernels/cuda/alignment.h.
#pragma once

#include <cstdint>

#include "kernels/alignment.h"

namespace p3d::cpu {

// out[N, crop, crop, channels] float (integers 0..255) from the photos in `src` (items[b]
// .src_offset bytes in). items is a host array of p.batch entries; throws p3d::Error on
// inconsistent sizes or a Pillow window wider than kAlignMaxPillowTaps.
void align_faces(const AlignBatchParams& p, const AlignItemParams* items, const uint8_t* src,
                 float* out);

// Checks one batch's parameters (shared with the CUDA launcher).
void check_align_params(const AlignBatchParams& p, const AlignItemParams* items);

}  // namespace p3d::cpu
