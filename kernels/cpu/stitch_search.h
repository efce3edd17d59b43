// CPU entry points of the stitch searches (the math is in kernels/stitch_search.h). The twin
// of kernels/cuda/stitch_search.h: same params and tie rule, so the two return the same ids.
#pragma once

#include <cstdint>

#include "kernels/cpu/thread_pool.h"
#include "kernels/stitch_search.h"

namespace p3d::cpu {

// matched[i] = hair vertex nearest to ring pixel i within distance < 2 (3x3 window of the
// pixel -> vertex map), or kStitchNone. Host pointers; checks the sizes (p3d::Error).
void match_ring_to_hair(ThreadPool& pool, const RingMatchParams& p, const RingMatchInputs& in,
                        int32_t* matched);

// nearest[q] = index of the face vertex nearest to query q in 3D (exact; ties to the
// smallest index). Builds a kd-tree over the face vertices once per call (one call per
// portrait; splits at the box middle of the widest axis, leaves of 8) and searches it
// exactly for each query, in parallel. Host pointers; checks the sizes (p3d::Error).
void nearest_face_vertices(ThreadPool& pool, const NearestFaceParams& p,
                           const NearestFaceInputs& in, int32_t* nearest);

}  // namespace p3d::cpu
