// CUDA launchers of the stitch searches: the twins of kernels/cpu/stitch_search.h (same
// params, device pointers, plus the stream), running the P3D_HD math of
// kernels/stitch_search.h. Read by g++ too: only CUDA runtime API types appear here.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/stitch_search.h"

namespace p3d::cuda {

// One thread per ring pixel: matched[i] = ring_match(p, in, i). Device pointers.
void match_ring_to_hair(const RingMatchParams& p, const RingMatchInputs& in, int32_t* matched,
                        cudaStream_t stream);

// Brute force, one block per query: every thread scans a stride of the face vertices for
// the minimum of (d², index), then the block reduces the candidates under the same order.
// ~2k queries x 36k vertices is ~70M double distances: well under a millisecond on a
// recent GPU, with no acceleration structure to build or upload. Device pointers.
void nearest_face_vertices(const NearestFaceParams& p, const NearestFaceInputs& in,
                           int32_t* nearest, cudaStream_t stream);

}  // namespace p3d::cuda
