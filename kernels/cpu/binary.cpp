// p3d::cpu::binary: out = op(a, b) with NumPy broadcasting given as strides (BinaryParams).
// The strides are first normalised: size-1 dims are dropped and neighbouring dims that are
// contiguous for both inputs are merged. What is left is usually one of the fast cases:
//   same shape               -> one flat vectorised loop
//   scalar broadcast         -> flat loop against a constant
//   per-channel vector [.,C] -> rows against the vector; short vectors are repeated into a
//                               small buffer so the inner loop stays long (C = 3 images)
// and everything else walks the outer dims with an index counter (rank <= 6) and runs a
// vectorised or strided inner loop over the innermost dim. Min/Max reproduce fminf/fmaxf
// (NaN loses to a number) with selects, which GCC vectorises; the libm calls it does not.
#include <algorithm>
#include <cstdint>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/error.h"

namespace p3d::cpu {
namespace {

constexpr int64_t kGrain = 32768;       // elements per task below which work stays inline
constexpr int64_t kRepeatTarget = 512;  // minimum inner length for a repeated short vector

template <Binary kOp>
inline float apply(float a, float b) {
  if constexpr (kOp == Binary::Add) return a + b;
  if constexpr (kOp == Binary::Sub) return a - b;
  if constexpr (kOp == Binary::Mul) return a * b;
  if constexpr (kOp == Binary::Div) return a / b;
  if constexpr (kOp == Binary::Min) return b != b ? a : (a < b ? a : b);  // fminf
  if constexpr (kOp == Binary::Max) return b != b ? a : (a > b ? a : b);  // fmaxf
  return a;
}

// One innermost run of n outputs; the strides of a and b along it are 1, 0 or anything.
template <Binary kOp>
void run_row(const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) y[i] = apply<kOp>(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float s = b[0];
    for (int64_t i = 0; i < n; ++i) y[i] = apply<kOp>(a[i], s);
  } else if (sa == 0 && sb == 1) {
    const float s = a[0];
    for (int64_t i = 0; i < n; ++i) y[i] = apply<kOp>(s, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = apply<kOp>(a[i * sa], b[i * sb]);
  }
}

// The broadcast pattern after normalisation; dims[rank - 1] is the innermost.
struct Layout {
  int rank = 0;
  int64_t dims[kMaxRank];
  int64_t sa[kMaxRank];
  int64_t sb[kMaxRank];
};

Layout normalise(const BinaryParams& p) {
  Layout l;
  for (int d = 0; d < p.rank; ++d) {
    if (p.out_dims[d] == 1) continue;  // a size-1 dim moves nothing
    l.dims[l.rank] = p.out_dims[d];
    l.sa[l.rank] = p.a_strides[d];
    l.sb[l.rank] = p.b_strides[d];
    ++l.rank;
  }
  if (l.rank == 0) {  // a single element
    l.rank = 1;
    l.dims[0] = 1;
    l.sa[0] = l.sb[0] = 0;
    return l;
  }
  // Merge dim d into the (already merged) dim after it when both inputs step through the
  // pair as one run: stride[d] == stride[d+1] * dims[d+1] (0 == 0 for broadcast pairs).
  Layout m;
  m.rank = 1;
  m.dims[0] = l.dims[l.rank - 1];
  m.sa[0] = l.sa[l.rank - 1];
  m.sb[0] = l.sb[l.rank - 1];
  for (int d = l.rank - 2; d >= 0; --d) {
    const int64_t inner = m.dims[0];
    if (l.sa[d] == m.sa[0] * inner && l.sb[d] == m.sb[0] * inner) {
      m.dims[0] *= l.dims[d];
    } else {
      for (int k = m.rank; k > 0; --k) {  // prepend
        m.dims[k] = m.dims[k - 1];
        m.sa[k] = m.sa[k - 1];
        m.sb[k] = m.sb[k - 1];
      }
      m.dims[0] = l.dims[d];
      m.sa[0] = l.sa[d];
      m.sb[0] = l.sb[d];
      ++m.rank;
    }
  }
  return m;
}

// Rows [begin, end) of the outer dims (all but the innermost), each one inner run.
template <Binary kOp>
void run_rows(const Layout& l, const float* a, const float* b, float* y, int64_t begin,
              int64_t end) {
  const int outer_rank = l.rank - 1;
  const int64_t n = l.dims[outer_rank];
  int64_t index[kMaxRank] = {};
  int64_t rest = begin;
  int64_t off_a = 0, off_b = 0;
  for (int d = outer_rank - 1; d >= 0; --d) {
    index[d] = rest % l.dims[d];
    rest /= l.dims[d];
    off_a += index[d] * l.sa[d];
    off_b += index[d] * l.sb[d];
  }
  for (int64_t row = begin; row < end; ++row) {
    run_row<kOp>(a + off_a, l.sa[outer_rank], b + off_b, l.sb[outer_rank], y + row * n, n);
    for (int d = outer_rank - 1; d >= 0; --d) {  // advance the index counter
      off_a += l.sa[d];
      off_b += l.sb[d];
      if (++index[d] < l.dims[d]) break;
      off_a -= l.sa[d] * l.dims[d];
      off_b -= l.sb[d] * l.dims[d];
      index[d] = 0;
    }
  }
}

// [rows, c] contiguous `full` against a length-c vector `vec` with c short: the vector is
// repeated k times so one inner loop covers k rows. vec_is_b says which operand it is.
template <Binary kOp>
void run_short_vector(ThreadPool& pool, const float* full, const float* vec, bool vec_is_b,
                      float* y, int64_t rows, int64_t c) {
  const int64_t k = (kRepeatTarget + c - 1) / c;
  const int64_t grain = std::max<int64_t>(k, kGrain / c);
  pool.parallel_for(rows, grain, [&](int64_t begin, int64_t end, int) {
    float repeated[kRepeatTarget + kRepeatTarget];  // k * c < kRepeatTarget + c <= 2x
    for (int64_t i = 0; i < k * c; ++i) repeated[i] = vec[i % c];
    for (int64_t row = begin; row < end; row += k) {
      const int64_t n = std::min(k, end - row) * c;
      const float* f = full + row * c;
      float* o = y + row * c;
      if (vec_is_b) {
        for (int64_t i = 0; i < n; ++i) o[i] = apply<kOp>(f[i], repeated[i]);
      } else {
        for (int64_t i = 0; i < n; ++i) o[i] = apply<kOp>(repeated[i], f[i]);
      }
    }
  });
}

template <Binary kOp>
void run(ThreadPool& pool, const Layout& l, const float* a, const float* b, float* y) {
  const int last = l.rank - 1;
  const int64_t n = l.dims[last];
  if (l.rank == 1) {
    // Flat: same shape, scalar broadcast, or one strided run; split the run itself.
    pool.parallel_for(n, kGrain, [&](int64_t begin, int64_t end, int) {
      run_row<kOp>(a + begin * l.sa[0], l.sa[0], b + begin * l.sb[0], l.sb[0], y + begin,
                   end - begin);
    });
    return;
  }
  if (l.rank == 2 && n < kRepeatTarget / 2) {
    const bool a_full = l.sa[0] == n && l.sa[1] == 1;
    const bool b_full = l.sb[0] == n && l.sb[1] == 1;
    if (a_full && l.sb[0] == 0 && l.sb[1] == 1) {
      return run_short_vector<kOp>(pool, a, b, /*vec_is_b=*/true, y, l.dims[0], n);
    }
    if (b_full && l.sa[0] == 0 && l.sa[1] == 1) {
      return run_short_vector<kOp>(pool, b, a, /*vec_is_b=*/false, y, l.dims[0], n);
    }
  }
  int64_t rows = 1;
  for (int d = 0; d < last; ++d) rows *= l.dims[d];
  const int64_t grain = std::max<int64_t>(1, kGrain / n);
  pool.parallel_for(
      rows, grain, [&](int64_t begin, int64_t end, int) { run_rows<kOp>(l, a, b, y, begin, end); });
}

}  // namespace

void binary(ThreadPool& pool, const BinaryParams& p, const float* a, const float* b, float* y) {
  check_binary_params(p);
  for (int d = 0; d < p.rank; ++d)
    if (p.out_dims[d] == 0) return;
  const Layout l = normalise(p);
  switch (p.op) {
    case Binary::Add:
      return run<Binary::Add>(pool, l, a, b, y);
    case Binary::Sub:
      return run<Binary::Sub>(pool, l, a, b, y);
    case Binary::Mul:
      return run<Binary::Mul>(pool, l, a, b, y);
    case Binary::Div:
      return run<Binary::Div>(pool, l, a, b, y);
    case Binary::Min:
      return run<Binary::Min>(pool, l, a, b, y);
    case Binary::Max:
      return run<Binary::Max>(pool, l, a, b, y);
  }
  P3D_THROW("binary: unknown op ", static_cast<int>(p.op));
}

}  // namespace p3d::cpu
