// CUDA kernels of the stitch searches (kernels/cuda/stitch_search.h). The ring lookup is
// one thread per ring pixel; the 3D search is a brute-force argmin per query, reduced in
// shared memory under the total order (d², index) of kernels/stitch_search.h, so the result
// does not depend on which thread saw which vertex and equals the CPU kd-tree search.
#include "kernels/cuda/check.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/stitch_search.h"
#include "kernels/error.h"

namespace p3d::cuda {
namespace {

constexpr int kRingBlock = 256;
constexpr int kNearestBlock = 256;  // threads per query; a power of two for the reduction

static __global__ void ring_match_kernel(RingMatchParams p, RingMatchInputs in,
                                         int32_t* __restrict__ matched) {
  for (int64_t i = detail::grid_thread_index(); i < p.ring_count; i += detail::grid_thread_count())
    matched[i] = ring_match(p, in, static_cast<int32_t>(i));
}

static __global__ void nearest_face_kernel(NearestFaceParams p, NearestFaceInputs in,
                                           int32_t* __restrict__ nearest) {
  __shared__ double shared_d2[kNearestBlock];
  __shared__ int32_t shared_index[kNearestBlock];
  for (int64_t q = blockIdx.x; q < p.query_count; q += gridDim.x) {
    const float query[3] = {in.queries[3 * q], in.queries[3 * q + 1], in.queries[3 * q + 2]};
    double best_d2 = 0.0;
    int32_t best = -1;
    for (int32_t v = threadIdx.x; v < p.face_count; v += blockDim.x) {
      const double d2 = stitch_dist2(query, in.face + 3 * static_cast<int64_t>(v));
      if (stitch_closer(d2, v, best_d2, best)) {
        best_d2 = d2;
        best = v;
      }
    }
    shared_d2[threadIdx.x] = best_d2;
    shared_index[threadIdx.x] = best;
    __syncthreads();
    for (int half = kNearestBlock / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) {
        const int other = threadIdx.x + half;
        if (shared_index[other] >= 0 &&
            stitch_closer(shared_d2[other], shared_index[other], shared_d2[threadIdx.x],
                          shared_index[threadIdx.x])) {
          shared_d2[threadIdx.x] = shared_d2[other];
          shared_index[threadIdx.x] = shared_index[other];
        }
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) nearest[q] = shared_index[0];
    __syncthreads();  // the shared slots are rewritten for the next query
  }
}

}  // namespace

void match_ring_to_hair(const RingMatchParams& p, const RingMatchInputs& in, int32_t* matched,
                        cudaStream_t stream) {
  P3D_CHECK(p.height >= 1 && p.width >= 1 && static_cast<int64_t>(p.height) * p.width < (1 << 30),
            "match_ring_to_hair: image size ", p.width, "x", p.height);
  P3D_CHECK(p.ring_count >= 0, "match_ring_to_hair: ring_count ", p.ring_count, " is negative");
  if (p.ring_count == 0) return;
  P3D_CHECK(in.ring_pixels && in.pixel_vertex && matched, "match_ring_to_hair: null pointer");
  ring_match_kernel<<<detail::grid_blocks(p.ring_count, kRingBlock), kRingBlock, 0, stream>>>(
      p, in, matched);
  P3D_CUDA_CHECK_LAUNCH();
}

void nearest_face_vertices(const NearestFaceParams& p, const NearestFaceInputs& in,
                           int32_t* nearest, cudaStream_t stream) {
  P3D_CHECK(p.query_count >= 0, "nearest_face_vertices: query_count ", p.query_count,
            " is negative");
  if (p.query_count == 0) return;
  P3D_CHECK(p.face_count >= 1, "nearest_face_vertices: ", p.query_count,
            " queries but no face vertices");
  P3D_CHECK(in.queries && in.face && nearest, "nearest_face_vertices: null pointer");
  const unsigned int blocks = static_cast<unsigned int>(
      p.query_count < detail::kMaxGridBlocks ? p.query_count : detail::kMaxGridBlocks);
  nearest_face_kernel<<<blocks, kNearestBlock, 0, stream>>>(p, in, nearest);
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace p3d::cuda
