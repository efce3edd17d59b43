// Reorders a conv filter from TensorFlow's HWIO to cuDNN's NHWC filter layout KRSC
// ([O, H, W, I]). Runs once per weight when a graph is compiled, so it is a plain gather:
// one thread per output element, writes coalesced, reads strided by O.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_kernels.h"

namespace p3d::cuda {
namespace {

constexpr int kFilterLayoutBlock = 256;

static __global__ void hwio_to_ohwi_kernel(int64_t count, int32_t kh, int32_t kw, int32_t in_c,
                                           int32_t out_c, const float* __restrict__ hwio,
                                           float* __restrict__ ohwi) {
  for (int64_t idx = detail::grid_thread_index(); idx < count; idx += detail::grid_thread_count()) {
    // Output index idx = ((o * kh + h) * kw + w) * in_c + i.
    int64_t rest = idx;
    const int64_t i = rest % in_c;
    rest /= in_c;
    const int64_t w = rest % kw;
    rest /= kw;
    const int64_t h = rest % kh;
    const int64_t o = rest / kh;
    ohwi[idx] = hwio[((h * kw + w) * in_c + i) * out_c + o];
  }
}

}  // namespace

void hwio_to_ohwi(int32_t kh, int32_t kw, int32_t in_c, int32_t out_c, const float* hwio,
                  float* ohwi, cudaStream_t stream) {
  const int64_t count = static_cast<int64_t>(kh) * kw * in_c * out_c;
  if (count <= 0) return;
  hwio_to_ohwi_kernel<<<detail::grid_blocks(count, kFilterLayoutBlock), kFilterLayoutBlock, 0,
                        stream>>>(count, kh, kw, in_c, out_c, hwio, ohwi);
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace p3d::cuda
