// CUDA launchers of the head-crop resampling: the twins of kernels/cpu/crop_resample.h.
// `items` is a DEVICE array of p.batch CropResampleParams; src and out are device buffers.
// Read by g++ too: only CUDA runtime API types appear here.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/crop_resample.h"

namespace p3d::cuda {

void crop_resample_cubic(const CropBatchParams& p, const CropResampleParams* items,
                         const uint8_t* src, uint8_t* out, cudaStream_t stream);
void crop_resample_nearest(const CropBatchParams& p, const CropResampleParams* items,
                           const uint8_t* src, uint8_t* out, cudaStream_t stream);

}  // namespace p3d::cuda
