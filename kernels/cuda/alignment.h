// CUDA launcher of the face alignment's resampling: the twin of kernels/cpu/alignment.h.
// `items` is a DEVICE array of p.batch AlignItemParams; src and out are device buffers.
// Read by g++ too: only CUDA runtime API types appear here.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/alignment.h"

namespace p3d::cuda {

// out[N, crop, crop, channels] float, the R-Net's input. `host_items` is the same array on
// the host, used only to validate the batch before launching (it may equal nullptr to
// skip the check when the caller already validated it).
void align_faces(const AlignBatchParams& p, const AlignItemParams* host_items,
                 const AlignItemParams* items, const uint8_t* src, float* out, cudaStream_t stream);

}  // namespace p3d::cuda
