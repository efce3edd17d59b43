// Single-threaded GEMM on Eigen's GEBP kernel with packing buffers from the caller, and the
// fused epilogue (bias, residual, activation) of the dense CPU kernels.
//
// Why Eigen's internal entry point and not `C.noalias() = A * B` on Maps: the expression
// form allocates its packing panels per call (on the heap once they pass 128 KiB), which
// the engine forbids in the steady state. general_matrix_matrix_product::run is what the
// expression calls underneath; giving it a level3_blocking whose panels point into our
// scratch keeps Eigen's tuned AVX-512 micro-kernel and blocking with zero allocations.
// We parallelise across blocks ourselves, so Eigen must stay single-threaded: its OpenMP
// path is only taken with a GemmParallelInfo, which we never pass, and we refuse -fopenmp.
#define EIGEN_DONT_PARALLELIZE
#include "kernels/cpu/gemm.h"

// GCC 12 reports its own AVX-512 intrinsics (`__m512 __Y = __Y;` in avx512fintrin.h) as
// maybe-uninitialized once Eigen's packing code inlines them; a known false positive. The
// warning is raised after inlining, so it can only be silenced for the whole file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "kernels/error.h"

#ifdef EIGEN_HAS_OPENMP
#error "gemm.cpp must be built without OpenMP: the kernels parallelise on their own pool"
#endif

namespace p3d::cpu {
namespace {

using Index = Eigen::Index;
constexpr size_t kPanelAlignBytes = 64;  // Eigen loads packed panels with aligned AVX-512 loads

struct BlockSizes {
  Index kc, mc, nc;  // Eigen's names in its column-major view (see blocking_for)
};

// Eigen computes a row-major C = A * B as the column-major C^T = B^T * A^T, so its "lhs"
// rows are our n and its "rhs" columns are our m (this mirrors gemm_blocking_space).
BlockSizes blocking_for(int64_t m, int64_t n, int64_t k) {
  Index kc = k, mc = n, nc = m;
  Eigen::internal::computeProductBlockingSizes<float, float, 1>(kc, mc, nc, Index(1));
  return {kc, mc, nc};
}

size_t align_floats(size_t n) {
  return (n + kPanelAlignBytes / sizeof(float) - 1) & ~(kPanelAlignBytes / sizeof(float) - 1);
}

float* align_pointer(float* p) {
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  const auto aligned = (address + kPanelAlignBytes - 1) & ~std::uintptr_t(kPanelAlignBytes - 1);
  return reinterpret_cast<float*>(aligned);
}

// Eigen's blocking descriptor with its panels placed in our scratch.
class ScratchBlocking : public Eigen::internal::level3_blocking<float, float> {
 public:
  ScratchBlocking(const BlockSizes& s, float* panel_a, float* panel_b) {
    m_kc = s.kc;
    m_mc = s.mc;
    m_nc = s.nc;
    m_blockA = panel_a;
    m_blockB = panel_b;
  }
};

template <int AOrder, int BOrder>
void run_product(const GemmArgs& g, ScratchBlocking& blocking) {
  using Product = Eigen::internal::general_matrix_matrix_product<Index, float, AOrder, false, float,
                                                                 BOrder, false, Eigen::RowMajor, 1>;
  Product::run(g.m, g.n, g.k, g.a.data, g.a.ld, g.b.data, g.b.ld, g.c, 1, g.ldc, 1.0f, blocking,
               nullptr);
}

void zero_block(int64_t rows, int64_t cols, float* c, int64_t ldc) {
  for (int64_t r = 0; r < rows; ++r) std::fill(c + r * ldc, c + r * ldc + cols, 0.0f);
}

// Calls f(std::integral_constant<Unary, op>) so each activation gets its own loop, which
// the compiler can vectorise (the switch in apply_unary folds away).
template <typename F>
void dispatch_unary(Unary op, F&& f) {
  switch (op) {
    case Unary::Identity:
      return f(std::integral_constant<Unary, Unary::Identity>{});
    case Unary::Relu:
      return f(std::integral_constant<Unary, Unary::Relu>{});
    case Unary::Relu6:
      return f(std::integral_constant<Unary, Unary::Relu6>{});
    case Unary::LeakyRelu:
      return f(std::integral_constant<Unary, Unary::LeakyRelu>{});
    case Unary::Elu:
      return f(std::integral_constant<Unary, Unary::Elu>{});
    case Unary::Sigmoid:
      return f(std::integral_constant<Unary, Unary::Sigmoid>{});
    case Unary::Tanh:
      return f(std::integral_constant<Unary, Unary::Tanh>{});
    case Unary::Square:
      return f(std::integral_constant<Unary, Unary::Square>{});
    case Unary::Sqrt:
      return f(std::integral_constant<Unary, Unary::Sqrt>{});
    case Unary::Rsqrt:
      return f(std::integral_constant<Unary, Unary::Rsqrt>{});
    case Unary::Exp:
      return f(std::integral_constant<Unary, Unary::Exp>{});
    case Unary::Neg:
      return f(std::integral_constant<Unary, Unary::Neg>{});
    case Unary::Abs:
      return f(std::integral_constant<Unary, Unary::Abs>{});
  }
  P3D_THROW("unknown activation ", static_cast<int>(op));
}

// apply_unary, except that Relu6 is spelled with comparisons: GCC does not inline fminf /
// fmaxf (their NaN rules differ from vminps/vmaxps) and would call libm for every element.
// The results are the same, NaN -> 0 included.
template <Unary kOp>
inline float activate(float x, float alpha) {
  if constexpr (kOp == Unary::Relu6) {
    const float v = x > 0.f ? x : 0.f;
    return v < 6.f ? v : 6.f;
  } else {
    return apply_unary(kOp, x, alpha);
  }
}

// One row of the epilogue: y[j] = act(y[j] + bias[j] + res[j]); the branches on null
// pointers are hoisted so every variant is a straight vectorisable loop.
template <Unary kOp>
void epilogue_row(float* y, const float* bias, const float* res, int64_t cols, float alpha) {
  if (bias && res) {
    for (int64_t j = 0; j < cols; ++j) y[j] = activate<kOp>(y[j] + bias[j] + res[j], alpha);
  } else if (bias) {
    for (int64_t j = 0; j < cols; ++j) y[j] = activate<kOp>(y[j] + bias[j], alpha);
  } else if (res) {
    for (int64_t j = 0; j < cols; ++j) y[j] = activate<kOp>(y[j] + res[j], alpha);
  } else {
    for (int64_t j = 0; j < cols; ++j) y[j] = activate<kOp>(y[j], alpha);
  }
}

}  // namespace

size_t gemm_scratch_floats(int64_t m, int64_t n, int64_t k) {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  const BlockSizes s = blocking_for(m, n, k);
  // Panel A (Eigen's lhs: mc x kc) and panel B (kc x nc), each 64-byte aligned.
  return align_floats(static_cast<size_t>(s.mc * s.kc)) +
         align_floats(static_cast<size_t>(s.kc * s.nc)) + 2 * kPanelAlignBytes / sizeof(float);
}

void gemm(const GemmArgs& g, float* scratch) {
  if (g.m <= 0 || g.n <= 0) return;
  if (!g.accumulate) zero_block(g.m, g.n, g.c, g.ldc);
  if (g.k <= 0) return;
  const BlockSizes s = blocking_for(g.m, g.n, g.k);
  float* panel_a = align_pointer(scratch);
  float* panel_b = align_pointer(panel_a + s.mc * s.kc);
  ScratchBlocking blocking(s, panel_a, panel_b);
  const bool ta = g.a.transposed, tb = g.b.transposed;
  if (!ta && !tb) return run_product<Eigen::RowMajor, Eigen::RowMajor>(g, blocking);
  if (!ta && tb) return run_product<Eigen::RowMajor, Eigen::ColMajor>(g, blocking);
  if (ta && !tb) return run_product<Eigen::ColMajor, Eigen::RowMajor>(g, blocking);
  return run_product<Eigen::ColMajor, Eigen::ColMajor>(g, blocking);
}

Epilogue epilogue_block(const Epilogue& e, int64_t row, int64_t col) {
  Epilogue out = e;
  if (out.bias) out.bias += col;
  if (out.residual) out.residual += row * out.residual_ld + col;
  return out;
}

void apply_epilogue(const Epilogue& e, int64_t rows, int64_t cols, float* c, int64_t ldc) {
  if (epilogue_is_identity(e)) return;
  dispatch_unary(e.activation, [&](auto op) {
    for (int64_t r = 0; r < rows; ++r) {
      const float* res = e.residual ? e.residual + r * e.residual_ld : nullptr;
      epilogue_row<decltype(op)::value>(c + r * ldc, e.bias, res, cols, e.alpha);
    }
  });
}

void epilogue_init(const Epilogue& e, int64_t rows, int64_t cols, float* c, int64_t ldc) {
  for (int64_t r = 0; r < rows; ++r) {
    float* y = c + r * ldc;
    const float* res = e.residual ? e.residual + r * e.residual_ld : nullptr;
    const float* bias = e.bias;
    if (bias && res) {
      for (int64_t j = 0; j < cols; ++j) y[j] = bias[j] + res[j];
    } else if (bias) {
      std::copy(bias, bias + cols, y);
    } else if (res) {
      std::copy(res, res + cols, y);
    } else {
      std::fill(y, y + cols, 0.0f);
    }
  }
}

void epilogue_activate(const Epilogue& e, int64_t rows, int64_t cols, float* c, int64_t ldc) {
  if (e.activation == Unary::Identity) return;
  dispatch_unary(e.activation, [&](auto op) {
    for (int64_t r = 0; r < rows; ++r)
      epilogue_row<decltype(op)::value>(c + r * ldc, nullptr, nullptr, cols, e.alpha);
  });
}

}  // namespace p3d::cpu
