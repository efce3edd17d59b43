// The single-threaded matrix product every dense CPU kernel (conv2d, conv_transpose2d,
// matmul, the 3DMM) is built on, and the fused epilogue they apply to an output block.
//
// Our own blocked GEMM: A is packed into row micro-panels per depth chunk, B into column
// panels (once at plan time for constant filters: gemm_pack_b / gemm_packed, or per call:
// gemm), and a register-blocked micro-kernel for the instruction set chosen at start-up
// (kernels/cpu/cpu_isa.h, kernels/cpu/isa/) computes each tile, adding bias and residual
// and applying the activation in registers. The kernels split their work across the
// thread pool themselves, so the product is single-threaded, and the steady state must not
// allocate, so all packing buffers live in the caller's scratch.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/isa/micro_kernel.h"
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

// Floats of scratch gemm() needs for an m x n x k product (packed A and B chunks plus
// alignment slack). Monotonic in m, n and k.
size_t gemm_scratch_floats(int64_t m, int64_t n, int64_t k);

// Runs the product on the calling thread, packing B as it goes. `scratch` holds
// gemm_scratch_floats(m, n, k) floats; it need not be aligned.
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

// The activations the micro-kernels (and the Winograd output transform) apply in registers
// before their last store: Identity, Relu, Relu6, LeakyRelu. Any other one takes a separate
// pass (epilogue_activate); micro_activation gives Identity for those.
bool fusable_activation(Unary activation);
MicroActivation micro_activation(Unary activation);

// Epilogue offset to the block that starts at (row, col) of the full output.
Epilogue epilogue_block(const Epilogue& e, int64_t row, int64_t col);

// C = activation(C + bias + residual) over the block, one pass while it is cache-hot.
void apply_epilogue(const Epilogue& e, int64_t rows, int64_t cols, float* c, int64_t ldc);

// The split form for an accumulating product: epilogue_init writes C = bias + residual
// (zero without either) before the product accumulates into it, then epilogue_activate
// applies the activation (a no-op for Identity). Saves the zero fill and one pass.
void epilogue_init(const Epilogue& e, int64_t rows, int64_t cols, float* c, int64_t ldc);
void epilogue_activate(const Epilogue& e, int64_t rows, int64_t cols, float* c, int64_t ldc);

// ---- Prepacked B -------------------------------------------------------------------------
// B packed once into column panels of gemm_panel_width() columns (zero-padded), each panel
// k x width floats, 64-byte aligned when `packed` is. The layout depends on the instruction
// set chosen at start-up, so packed data never leaves the process.
int64_t gemm_panel_width();
size_t gemm_packed_b_floats(int64_t k, int64_t n);
void gemm_pack_b(const GemmOperand& b, int64_t k, int64_t n, float* packed);

// Columns [col0, ...) of a packed B; col0 must be a multiple of gemm_panel_width().
struct PackedB {
  const float* data;
  int64_t k;
};
PackedB packed_b_columns(const PackedB& b, int64_t col0);

// Floats of scratch gemm_packed() needs for m rows of depth k (a copied A block plus
// slack); never less for a larger m or k.
size_t gemm_packed_scratch_floats(int64_t m, int64_t k);

// C[m, n] = activation(A * B + bias + residual), plus C's own values when `accumulate`,
// with the epilogue applied in registers where the activation allows (else in one pass
// after). `e` is already offset to this block (epilogue_block).
void gemm_packed(int64_t m, int64_t n, const GemmOperand& a, const PackedB& b, float* c,
                 int64_t ldc, bool accumulate, const Epilogue& e, float* scratch);

// The instruction set the micro-kernels run on ("avx512", "avx2", "baseline").
const char* gemm_isa();

// Floating-point operations done by `steps` rounds of the active set's register-only FMA
// loop (MicroKernel::fma_flops): time it to measure this core's FMA peak on that set.
double gemm_fma_flops(int64_t steps);

// Floats per cache line / SIMD-friendly alignment used to round per-thread scratch slices.
constexpr size_t kScratchAlignFloats = 16;
inline size_t round_up_floats(size_t n) {
  return (n + kScratchAlignFloats - 1) / kScratchAlignFloats * kScratchAlignFloats;
}

}  // namespace p3d::cpu
