// The fused tail of a cuDNN convolution or a cuBLAS matmul: one pass over y computing
// y = activation(y + bias[c] + residual) in place, so bias, skip connection and activation
// cost one read and one write of the output instead of three.
// When the channel count is a multiple of 4 and the pointers are 16-byte aligned, each
// thread moves float4s (a row of channels never straddles a vector then).
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_kernels.h"

namespace p3d::cuda {
namespace {

constexpr int kEpilogueBlock = 256;

// Scalar path: element i belongs to channel i % channels.
static __global__ void conv_epilogue_kernel(int64_t count, int32_t channels,
                                            const float* __restrict__ bias, const float* residual,
                                            Unary activation, float alpha, float* y) {
  for (int64_t i = detail::grid_thread_index(); i < count; i += detail::grid_thread_count()) {
    float v = y[i];
    if (bias) v += bias[i % channels];
    if (residual) v += residual[i];
    y[i] = apply_unary(activation, v, alpha);
  }
}

// float4 path: vector j covers elements 4j..4j+3, all in one row since channels % 4 == 0.
static __global__ void conv_epilogue_vec4_kernel(int64_t vectors, int32_t channels,
                                                 const float* __restrict__ bias,
                                                 const float* residual, Unary activation,
                                                 float alpha, float* y) {
  float4* y4 = reinterpret_cast<float4*>(y);
  const float4* residual4 = reinterpret_cast<const float4*>(residual);
  for (int64_t j = detail::grid_thread_index(); j < vectors; j += detail::grid_thread_count()) {
    float4 v = y4[j];
    if (bias) {
      const float4 b = *reinterpret_cast<const float4*>(bias + (j * 4) % channels);
      v.x += b.x;
      v.y += b.y;
      v.z += b.z;
      v.w += b.w;
    }
    if (residual) {
      const float4 r = residual4[j];
      v.x += r.x;
      v.y += r.y;
      v.z += r.z;
      v.w += r.w;
    }
    v.x = apply_unary(activation, v.x, alpha);
    v.y = apply_unary(activation, v.y, alpha);
    v.z = apply_unary(activation, v.z, alpha);
    v.w = apply_unary(activation, v.w, alpha);
    y4[j] = v;
  }
}

}  // namespace

void conv_epilogue(int64_t rows, int32_t channels, const float* bias, const float* residual,
                   Unary activation, float alpha, float* y, cudaStream_t stream) {
  const int64_t count = rows * channels;
  if (count <= 0) return;
  if (!bias && !residual && activation == Unary::Identity) return;  // nothing to do
  const bool vectorise = channels % 4 == 0 && detail::is_aligned(y, 16) &&
                         (!bias || detail::is_aligned(bias, 16)) &&
                         (!residual || detail::is_aligned(residual, 16));
  if (vectorise) {
    const int64_t vectors = count / 4;
    conv_epilogue_vec4_kernel<<<detail::grid_blocks(vectors, kEpilogueBlock), kEpilogueBlock, 0,
                                stream>>>(vectors, channels, bias, residual, activation, alpha, y);
    P3D_CUDA_CHECK_LAUNCH();
  } else {
    conv_epilogue_kernel<<<detail::grid_blocks(count, kEpilogueBlock), kEpilogueBlock, 0, stream>>>(
        count, channels, bias, residual, activation, alpha, y);
    P3D_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace p3d::cuda
