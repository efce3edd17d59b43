// The blocked GEMM driver (packing, blocking, dispatch to the micro-kernel of the active
// instruction set) and the fused epilogue of the dense CPU kernels. See gemm.h.
//
// Blocking, for each block of at most kMcBudget rows of A:
//   for each depth chunk of kc:   the block's A rows are read where they lie (L2) ...
//     for each nr-column panel:    ... its kc x nr chunk of B stays in L1 ...
//       for each mr rows:          ... while the micro-kernel sweeps the rows.
// The first chunk starts C from bias + residual (or C itself when accumulating), the last
// applies the activation, so C is written once per chunk and never re-read by an epilogue.
#include "kernels/cpu/gemm.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/cpu/cpu_isa.h"
#include "kernels/cpu/isa/micro_kernel.h"
#include "kernels/error.h"

namespace p3d::cpu {
namespace {

constexpr size_t kAlignFloats = 16;              // 64 bytes: aligned vector loads of B
constexpr int64_t kCacheLineFloats = 16;         // what MicroTile::next_b asks for per step
constexpr int64_t kMcBudgetFloats = 48 * 1024;   // an A block: 192 KiB, inside L2
constexpr int64_t kNcBudgetFloats = 128 * 1024;  // gemm()'s packed B chunk: 512 KiB

const MicroKernel& kernel() {
  static const MicroKernel& k =
      for_active_isa(micro_kernel_avx512, micro_kernel_avx2, micro_kernel_baseline);
  return k;
}

int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

size_t align_floats(size_t n) { return (n + kAlignFloats - 1) / kAlignFloats * kAlignFloats; }

float* align_pointer(float* p) {
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t align = kAlignFloats * sizeof(float);
  return reinterpret_cast<float*>((address + align - 1) & ~(align - 1));
}

// Rows of A packed per block: a multiple of mr whose kc-deep block fits the budget.
int64_t block_rows(const MicroKernel& mk) {
  return std::max<int64_t>(mk.mr, kMcBudgetFloats / mk.kc / mk.mr * mk.mr);
}

// The micro-kernels read A row-major where it lies, except in two cases, where the block
// (rows [row0, row0 + rows) x depth [p0, p0 + kc)) is first copied into row-major scratch
// with a row stride of kc + kRowPad floats:
//  - A is stored transposed;
//  - A's rows lie a multiple of 4 KiB apart (1x1 convs over 1024 or 2048 channels): the
//    mr rows the kernel reads at once then fall into one L1 set and evict each other and
//    the B panel (measured: 106 -> 148 GFLOP/s for 49 x 2048 x 1024 on one Zen 5 core). The pad
//    spreads them over the sets; the copy is paid once per block and depth chunk and used by every
//    B panel (there must be a few: kMinPanelsToCopy).
constexpr int64_t kRowPad = 16;
constexpr int64_t kMinPanelsToCopy = 4;

struct ABlock {
  const float* data;
  int64_t ld;
};

ABlock a_block(const MicroKernel& mk, const GemmOperand& a, int64_t n, int64_t row0, int64_t rows,
               int64_t p0, int64_t kc, float* scratch) {
  const bool set_aliasing = a.ld % 1024 == 0 && n >= kMinPanelsToCopy * mk.nr;
  if (!a.transposed && !set_aliasing) return {a.data + row0 * a.ld + p0, a.ld};
  const int64_t ld = kc + kRowPad;
  if (!a.transposed) {
    for (int64_t i = 0; i < rows; ++i)
      std::memcpy(scratch + i * ld, a.data + (row0 + i) * a.ld + p0, sizeof(float) * kc);
  } else {
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = a.data + (p0 + p) * a.ld + row0;
      for (int64_t i = 0; i < rows; ++i) scratch[i * ld + p] = src[i];
    }
  }
  return {scratch, ld};
}

// Depth [p0, p0 + kc) x all n columns of B into nr-wide panels, panel j at
// out + j * panel_stride, element (p, jj) at p * nr + jj; columns past n are zero.
void pack_b(const MicroKernel& mk, const GemmOperand& b, int64_t p0, int64_t kc, int64_t n,
            int64_t panel_stride, float* out) {
  const int64_t nr = mk.nr;
  for (int64_t j0 = 0; j0 < n; j0 += nr) {
    float* panel = out + (j0 / nr) * panel_stride;
    const int64_t live = std::min(nr, n - j0);
    for (int64_t p = 0; p < kc; ++p) {
      float* dst = panel + p * nr;
      if (!b.transposed) {
        std::memcpy(dst, b.data + (p0 + p) * b.ld + j0, sizeof(float) * live);
      } else {
        for (int64_t jj = 0; jj < live; ++jj) dst[jj] = b.data[(j0 + jj) * b.ld + p0 + p];
      }
      std::fill(dst + live, dst + nr, 0.0f);
    }
  }
}

// Where chunk [p0, p0 + kc) of B's panels lies: panel j at base + j * panel_stride.
// `after` is the chunk the driver multiplies after the last panel (null if none or not
// yet packed): the tiles over each panel prefetch the next panel's chunk into L2, a line
// per depth step, until it is covered; those over the last panel prefetch `after`.
struct BChunk {
  const float* base;
  int64_t panel_stride;
  const float* after;
};

// Height of the next tile when `left` rows remain: the rows are cut into as few tiles as
// max_rows allows, of even heights (49 rows: 13, 12, 12, 12 on AVX-512; 16: 8, 8). A thin
// tail tile wastes most of the kernel's FMAs on rows that are not there, and a one-row tile
// streams the whole B chunk for one row: the R-Net's 7x7 layers (m = 49) had spent a tenth
// of their time in one.
int64_t tile_height(const MicroKernel& mk, int64_t left) {
  if (left <= mk.max_rows) return left;
  const int64_t tiles = (left + mk.max_rows - 1) / mk.max_rows;
  return (left + tiles - 1) / tiles;
}

// One block of rows [row0, row0 + rows) and one depth chunk: every tile of the block.
void multiply_chunk(const MicroKernel& mk, int64_t row0, int64_t rows, int64_t n, int64_t p0,
                    int64_t kc, bool last_chunk, const ABlock& a, const BChunk& b, float* c,
                    int64_t ldc, bool accumulate, const Epilogue& e) {
  MicroTile t{};
  t.kc = kc;
  t.ldc = ldc;
  t.load_c = accumulate || p0 > 0;
  t.activate = last_chunk && e.activation != Unary::Identity && fusable_activation(e.activation);
  t.activation = micro_activation(e.activation);
  t.alpha = e.alpha;
  t.residual_ld = e.residual_ld;
  t.lda = a.ld;
  for (int64_t j0 = 0; j0 < n; j0 += mk.nr) {
    t.b = b.base + (j0 / mk.nr) * b.panel_stride;
    t.cols = static_cast<int>(std::min<int64_t>(mk.nr, n - j0));
    t.bias = p0 == 0 && e.bias ? e.bias + j0 : nullptr;
    const float* next_b = j0 + mk.nr < n ? t.b + b.panel_stride : b.after;
    int64_t prefetched = 0;  // floats of next_b the earlier tiles over this panel asked for
    for (int64_t i0 = 0; i0 < rows; i0 += t.rows) {
      const int64_t i = row0 + i0;
      // Each tile prefetches kc lines of the next chunk (kc * nr floats) until it is covered:
      // at a line per step the requests keep pace with the product instead of flooding the
      // memory queue in the first tile's first steps.
      t.next_b = next_b && prefetched < kc * mk.nr ? next_b + prefetched : nullptr;
      prefetched += kc * kCacheLineFloats;
      t.rows = static_cast<int>(tile_height(mk, rows - i0));
      t.a = a.data + i0 * a.ld;
      t.c = c + i * ldc + j0;
      t.residual = p0 == 0 && e.residual ? e.residual + i * e.residual_ld + j0 : nullptr;
      mk.run(t);
    }
  }
}

// k == 0: the product is zero, C = activation(C or 0 + bias + residual).
void empty_product(int64_t m, int64_t n, float* c, int64_t ldc, bool accumulate,
                   const Epilogue& e) {
  if (!accumulate)
    for (int64_t r = 0; r < m; ++r) std::fill(c + r * ldc, c + r * ldc + n, 0.0f);
  apply_epilogue(e, m, n, c, ldc);
}

}  // namespace

int64_t gemm_panel_width() { return kernel().nr; }

const char* gemm_isa() { return kernel().isa; }

double gemm_fma_flops(int64_t steps) { return kernel().fma_flops(steps); }

size_t gemm_packed_b_floats(int64_t k, int64_t n) {
  if (k <= 0 || n <= 0) return 0;
  return static_cast<size_t>(k * round_up(n, kernel().nr));
}

void gemm_pack_b(const GemmOperand& b, int64_t k, int64_t n, float* packed) {
  if (k <= 0 || n <= 0) return;
  pack_b(kernel(), b, 0, k, n, k * kernel().nr, packed);
}

PackedB packed_b_columns(const PackedB& b, int64_t col0) {
  const int64_t nr = kernel().nr;
  P3D_CHECK(col0 % nr == 0, "gemm: packed B column offset ", col0, " is not a multiple of ", nr);
  return {b.data + (col0 / nr) * b.k * nr, b.k};
}

size_t gemm_packed_scratch_floats(int64_t m, int64_t k) {
  if (m <= 0 || k <= 0) return 0;
  const MicroKernel& mk = kernel();
  const int64_t rows = round_up(std::min(m, block_rows(mk)), mk.max_rows);
  return align_floats(static_cast<size_t>(rows * (std::min(k, mk.kc) + kRowPad))) + kAlignFloats;
}

void gemm_packed(int64_t m, int64_t n, const GemmOperand& a, const PackedB& b, float* c,
                 int64_t ldc, bool accumulate, const Epilogue& e, float* scratch) {
  if (m <= 0 || n <= 0) return;
  if (b.k <= 0) return empty_product(m, n, c, ldc, accumulate, e);
  const MicroKernel& mk = kernel();
  float* a_scratch = align_pointer(scratch);
  const int64_t mc = block_rows(mk);
  for (int64_t row0 = 0; row0 < m; row0 += mc) {
    const int64_t rows = std::min(mc, m - row0);
    for (int64_t p0 = 0; p0 < b.k; p0 += mk.kc) {
      const int64_t kc = std::min(mk.kc, b.k - p0);
      multiply_chunk(
          mk, row0, rows, n, p0, kc, p0 + kc == b.k,
          a_block(mk, a, n, row0, rows, p0, kc, a_scratch),
          {b.data + p0 * mk.nr, b.k * mk.nr, p0 + kc < b.k ? b.data + (p0 + kc) * mk.nr : nullptr},
          c, ldc, accumulate, e);
    }
  }
  if (!fusable_activation(e.activation)) epilogue_activate(e, m, n, c, ldc);
}

// Columns of B gemm() packs at a time: a kc-deep chunk of them stays in L2 (512 KiB).
int64_t gemm_block_cols(const MicroKernel& mk, int64_t n) {
  const int64_t budget = std::max<int64_t>(mk.nr, kNcBudgetFloats / mk.kc / mk.nr * mk.nr);
  return std::min(round_up(n, mk.nr), budget);
}

size_t gemm_scratch_floats(int64_t m, int64_t n, int64_t k) {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  const MicroKernel& mk = kernel();
  const size_t b_chunk = static_cast<size_t>(std::min(k, mk.kc) * gemm_block_cols(mk, n));
  return gemm_packed_scratch_floats(m, k) + align_floats(b_chunk) + kAlignFloats;
}

void gemm(const GemmArgs& g, float* scratch) {
  if (g.m <= 0 || g.n <= 0) return;
  const Epilogue none{nullptr, nullptr, 0, Unary::Identity, 0.f};
  if (g.k <= 0) return empty_product(g.m, g.n, g.c, g.ldc, g.accumulate, none);
  const MicroKernel& mk = kernel();
  float* a_scratch = align_pointer(scratch);
  float* packed_b = align_pointer(a_scratch + gemm_packed_scratch_floats(g.m, g.k));
  const int64_t mc = block_rows(mk), nc = gemm_block_cols(mk, g.n);
  // Column blocks outermost, then depth: each chunk of B is packed once and used by every
  // row block, and the packed chunk stays bounded however wide B is.
  for (int64_t col0 = 0; col0 < g.n; col0 += nc) {
    const int64_t cols = std::min(nc, g.n - col0);
    GemmOperand b = g.b;
    b.data += b.transposed ? col0 * b.ld : col0;
    for (int64_t p0 = 0; p0 < g.k; p0 += mk.kc) {
      const int64_t kc = std::min(mk.kc, g.k - p0);
      pack_b(mk, b, p0, kc, cols, kc * mk.nr, packed_b);
      for (int64_t row0 = 0; row0 < g.m; row0 += mc) {
        const int64_t rows = std::min(mc, g.m - row0);
        multiply_chunk(mk, row0, rows, cols, p0, kc, p0 + kc == g.k,
                       a_block(mk, g.a, cols, row0, rows, p0, kc, a_scratch),
                       {packed_b, kc * mk.nr, nullptr}, g.c + col0, g.ldc, g.accumulate, none);
      }
    }
  }
}

namespace {

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

bool fusable_activation(Unary activation) {
  return activation == Unary::Identity || activation == Unary::Relu || activation == Unary::Relu6 ||
         activation == Unary::LeakyRelu;
}

MicroActivation micro_activation(Unary activation) {
  switch (activation) {
    case Unary::Relu:
      return MicroActivation::Relu;
    case Unary::Relu6:
      return MicroActivation::Relu6;
    case Unary::LeakyRelu:
      return MicroActivation::LeakyRelu;
    default:
      return MicroActivation::Identity;
  }
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
      if (res != y) std::copy(res, res + cols, y);  // in place (y is the residual): nothing to do
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
