// The single-threaded matrix product every dense CPU kernel (conv2d, conv_transpose2d,
// matmul) is built on, and the fused epilogue they apply to an output block while it is
// still in cache.
//
// gemm() is Eigen's blocked GEBP product run on caller-provided packing buffers: the
// kernels split their work across the thread pool themselves, so the product must be
// single-threaded, and the steady state must not allocate, so the packing panels live in
// the caller's workspace (sized by gemm_scratch_floats) instead of Eigen's heap.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/elementwise.h"

namespace p3d::cpu {

// A row-major operand: element (i, j) of the logical matrix is data[i * ld + j], or
// data[j * ld + i] when `transposed` (the matrix is stored as its transpose).
struct GemmOperand {
  const float* data;
  int64_t ld;  // leading dimension (elements between consecutive stored rows)
  bool transposed;
};

// C[m, n] = A[m, k] * B[k, n], or C += A * B when `accumulate`. C is row-major with leading
// dimension ldc and must not overlap A or B.
struct GemmArgs {
  int64_t m, n, k;
  GemmOperand a;
  GemmOperand b;
  float* c;
  int64_t ldc;
  bool accumulate;
};

// Floats of scratch gemm() needs for an m x n x k product (packed panels of A and B plus
// alignment slack). It is not monotonic in the sizes: a caller that runs several block
// shapes sizes its scratch for the largest value over them.
size_t gemm_scratch_floats(int64_t m, int64_t n, int64_t k);

// Runs the product on the calling thread. `scratch` holds gemm_scratch_floats(m, n, k)
// floats; it need not be aligned.
void gemm(const GemmArgs& args, float* scratch);

// The fused epilogue of a block of output C[rows, cols] (leading dimension ldc):
//   C = activation(C + bias[col] + residual[row, col]).
// bias and residual point at the block's first element (bias at its first column);
// either may be null.
struct Epilogue {
  const float* bias;
  const float* residual;
  int64_t residual_ld;
  Unary activation;
  float alpha;  // LeakyRelu slope
};

// True when the epilogue does nothing (no bias, no residual, identity activation).
inline bool epilogue_is_identity(const Epilogue& e) {
  return e.bias == nullptr && e.residual == nullptr && e.activation == Unary::Identity;
}

// Epilogue offset to the block that starts at (row, col) of the full output.
Epilogue epilogue_block(const Epilogue& e, int64_t row, int64_t col);

// C = activation(C + bias + residual) over the block, one pass while it is cache-hot.
void apply_epilogue(const Epilogue& e, int64_t rows, int64_t cols, float* c, int64_t ldc);

// The split form for an accumulating product: epilogue_init writes C = bias + residual
// (zero without either) before the product accumulates into it, then epilogue_activate
// applies the activation (a no-op for Identity). Saves the zero fill and one pass.
void epilogue_init(const Epilogue& e, int64_t rows, int64_t cols, float* c, int64_t ldc);
void epilogue_activate(const Epilogue& e, int64_t rows, int64_t cols, float* c, int64_t ldc);

// Floats per cache line / SIMD-friendly alignment used to round per-thread scratch slices.
constexpr size_t kScratchAlignFloats = 16;
inline size_t round_up_floats(size_t n) {
  return (n + kScratchAlignFloats - 1) / kScratchAlignFloats * kScratchAlignFloats;
}

}  // namespace p3d::cpu
