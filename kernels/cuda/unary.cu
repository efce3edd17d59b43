// Element-wise unary functions, y[i] = apply_unary(op, x[i], alpha) with the math shared
// with the CPU backend (kernels/elementwise.h). The op is a template argument so the
// per-element switch folds away; with 16-byte aligned pointers each thread moves float4s
// and the last count % 4 elements are done one by one. x and y may be the same buffer.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/static_dispatch.h"

namespace p3d::cuda {
namespace {

constexpr int kUnaryBlock = 256;

template <Unary kOp>
static __global__ void unary_kernel(int64_t count, float alpha, const float* x, float* y) {
  for (int64_t i = detail::grid_thread_index(); i < count; i += detail::grid_thread_count())
    y[i] = apply_unary(kOp, x[i], alpha);
}

template <Unary kOp>
static __global__ void unary_vec4_kernel(int64_t count, float alpha, const float* x, float* y) {
  const int64_t vectors = count / 4;
  const float4* x4 = reinterpret_cast<const float4*>(x);
  float4* y4 = reinterpret_cast<float4*>(y);
  for (int64_t j = detail::grid_thread_index(); j < vectors; j += detail::grid_thread_count()) {
    float4 v = x4[j];
    v.x = apply_unary(kOp, v.x, alpha);
    v.y = apply_unary(kOp, v.y, alpha);
    v.z = apply_unary(kOp, v.z, alpha);
    v.w = apply_unary(kOp, v.w, alpha);
    y4[j] = v;
  }
  // The tail that does not fill a vector: at most 3 elements, one thread each.
  const int64_t tail = vectors * 4 + detail::grid_thread_index();
  if (tail < count) y[tail] = apply_unary(kOp, x[tail], alpha);
}

template <Unary kOp>
void launch_unary(const UnaryParams& p, const float* x, float* y, cudaStream_t stream) {
  if (detail::is_aligned(x, 16) && detail::is_aligned(y, 16)) {
    const int64_t threads = p.count / 4 > 0 ? p.count / 4 : 1;
    unary_vec4_kernel<kOp><<<detail::grid_blocks(threads, kUnaryBlock), kUnaryBlock, 0, stream>>>(
        p.count, p.alpha, x, y);
  } else {
    unary_kernel<kOp><<<detail::grid_blocks(p.count, kUnaryBlock), kUnaryBlock, 0, stream>>>(
        p.count, p.alpha, x, y);
  }
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace

void unary(const UnaryParams& p, const float* x, float* y, cudaStream_t stream) {
  check_unary_params(p);
  if (p.count <= 0) return;
  const bool known =
      with_constant<Unary, Unary::Identity, Unary::Relu, Unary::Relu6, Unary::LeakyRelu, Unary::Elu,
                    Unary::Sigmoid, Unary::Tanh, Unary::Square, Unary::Sqrt, Unary::Rsqrt,
                    Unary::Exp, Unary::Neg, Unary::Abs>(
          p.op, [&](auto op) { launch_unary<decltype(op)::value>(p, x, y, stream); });
  if (!known) P3D_THROW("unary: unknown Unary op ", static_cast<int>(p.op));
}

}  // namespace p3d::cuda
