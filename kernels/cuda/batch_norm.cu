// Inference batch norm over the last (channel) axis:
// y = (x - mean[c]) * gamma[c] / sqrt(variance[c] + epsilon) + beta[c].
// One thread per element; the per-channel vectors are tiny and stay in L1/L2.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_kernels.h"

namespace p3d::cuda {
namespace {

constexpr int kBatchNormBlock = 256;

static __global__ void batch_norm_kernel(int64_t count, int32_t channels, float epsilon,
                                         const float* x, const float* __restrict__ gamma,
                                         const float* __restrict__ beta,
                                         const float* __restrict__ mean,
                                         const float* __restrict__ variance, float* y) {
  for (int64_t i = detail::grid_thread_index(); i < count; i += detail::grid_thread_count()) {
    const int64_t c = i % channels;
    const float scale = gamma[c] / sqrtf(variance[c] + epsilon);
    y[i] = (x[i] - mean[c]) * scale + beta[c];
  }
}

}  // namespace

void batch_norm(const BatchNormParams& p, const float* x, const float* gamma, const float* beta,
                const float* mean, const float* variance, float* y, cudaStream_t stream) {
  check_batch_norm_params(p);
  const int64_t count = p.rows * p.channels;
  if (count <= 0) return;
  batch_norm_kernel<<<detail::grid_blocks(count, kBatchNormBlock), kBatchNormBlock, 0, stream>>>(
      count, p.channels, p.epsilon, x, gamma, beta, mean, variance, y);
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace p3d::cuda
