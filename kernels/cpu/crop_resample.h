// CPU entry points of the head-crop resampling (kernels/crop_resample.h): every output pixel
// of every item's window, by cv2-compatible cubic (photo) or nearest (mask) interpolation.
// The CUDA twins are in kernels/cuda/crop_resample.h.
#pragma once

#include <cstdint>

#include "kernels/crop_resample.h"

namespace p3d::cpu {

// out[N, crop_h, crop_w, channels] uint8 from the sources in `src` (items[b].src_offset
// bytes in). items is a host array of p.batch entries.
void crop_resample_cubic(const CropBatchParams& p, const CropResampleParams* items,
                         const uint8_t* src, uint8_t* out);
void crop_resample_nearest(const CropBatchParams& p, const CropResampleParams* items,
                           const uint8_t* src, uint8_t* out);

}  // namespace p3d::cpu
