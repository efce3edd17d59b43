// The register-blocked micro-kernel, written once over a vector "traits" type and included
// by each micro_kernel_<isa>.cpp inside an anonymous namespace, so every instantiation has
// internal linkage and is compiled only with its own file's instruction set.
//
// C[rows, cols] = init + A[rows, kc] * B[kc, cols] + bias + residual: for each step p of
// the depth, NV vectors of B's row p are loaded once and each of the `rows` A values is
// broadcast against them: rows x NV accumulators stay in registers for the whole chunk.
//
// A traits type T provides: V (the vector), kWidth, zero(), set1(x), load(p) (aligned),
// load_n(p, n) / store_n(p, v, n) (first n lanes, the rest zero / untouched),
// load_full(p) / store_full(p, v) (unaligned), fma(a, b, c) = a * b + c, add, mul, max,
// min, select_negative(x, if_negative) (x < 0 lane by lane ? if_negative : x).
//
// Expects: #include <cstdint> and "kernels/cpu/isa/micro_kernel.h" before it.

template <class T>
inline typename T::V activate_vector(typename T::V v, MicroActivation act, typename T::V alpha) {
  switch (act) {
    case MicroActivation::Identity:
      return v;
    case MicroActivation::Relu:  // max(v, 0) returns 0 for NaN, as x > 0 ? x : 0 does
      return T::max(v, T::zero());
    case MicroActivation::Relu6:
      return T::min(T::max(v, T::zero()), T::set1(6.0f));
    case MicroActivation::LeakyRelu:
      return T::select_negative(v, T::mul(v, alpha));
  }
  return v;
}

// The product itself: acc[i][v] += A[i, p] * B[p, v-th vector] over the chunk's depth.
// kPrefetchNext: also ask for part of the driver's next B panel chunk into L2 as it goes, a
// line per step. At batch 1 the deep layers' filters (2 to 9 MB each, 92 MiB for the R-Net)
// come from memory once per run, and the first tile over each panel waited for every line
// of it in turn (block4 ran 30-40% slower in the network than hot in conv_bench).
template <class T, int kNv, int M, bool kPrefetchNext>
__attribute__((always_inline)) inline void multiply_steps(const MicroTile& t,
                                                          typename T::V (&acc)[M][kNv]) {
  using V = typename T::V;
  constexpr int W = T::kWidth;
  constexpr int kNr = kNv * W;
  // A is read where it lies (row i at a + i * lda): packing it would cost as much as the
  // product itself when B has only one or two panels (the 32- and 64-channel layers).
  // Rows are reached from one base per three rows plus lda or 2 * lda, which x86 address
  // modes scale for free: 12 rows hold 4 base registers instead of 12 row pointers, which
  // left the AVX-512 loop short of general registers (a spill and a reload every step).
  constexpr int kBases = (M + 2) / 3;
  const float* bases[kBases];
#pragma GCC unroll 8
  for (int j = 0; j < kBases; ++j) bases[j] = t.a + 3 * j * t.lda;
  const int64_t lda = t.lda;
  const float* b = t.b;
  for (int64_t p = 0; p < t.kc; ++p, b += kNr) {
    // The first tile of a row block meets each B panel chunk cold (from L3 or memory, for
    // the big filters of the deep layers); asking for it a few steps ahead hides the wait.
#pragma GCC unroll 4
    for (int line = 0; line < kNr; line += 16) __builtin_prefetch(b + 8 * kNr + line);
    if constexpr (kPrefetchNext) __builtin_prefetch(t.next_b + p * 16, 0, 2);
    V bv[kNv];
#pragma GCC unroll 4
    for (int v = 0; v < kNv; ++v) bv[v] = T::load(b + v * W);
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) {
      const V av = T::set1(bases[i / 3][(i % 3) * lda + p]);
#pragma GCC unroll 4
      for (int v = 0; v < kNv; ++v) acc[i][v] = T::fma(av, bv[v], acc[i][v]);
    }
  }
}

template <class T, int kNv, int M>
void tile_kernel(const MicroTile& t) {
  using V = typename T::V;
  constexpr int W = T::kWidth;
  constexpr int kNr = kNv * W;
  int lanes[kNv];  // valid columns in each vector of a row
  for (int v = 0; v < kNv; ++v) {
    const int left = t.cols - v * W;
    lanes[v] = left <= 0 ? 0 : left >= W ? W : left;
  }
  const bool full = t.cols == kNr;
  auto load_row = [&](const float* p, int v) {
    return full ? T::load_full(p + v * W) : T::load_n(p + v * W, lanes[v]);
  };

  V acc[M][kNv];
#pragma GCC unroll 16
  for (int i = 0; i < M; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < kNv; ++v) acc[i][v] = t.load_c ? load_row(t.c + i * t.ldc, v) : T::zero();
  }
  // The residual is added after the product, not loaded into the accumulators before it:
  // in a layer larger than L2 its rows come from L3, and the first FMA of every chain would
  // wait for them. Asked for now, they arrive while the product runs. (Measured on the
  // R-Net's 56 x 56 1x1 layers, one thread: 4.5 -> 4.2 ms summed; a small gain.)
  if (t.residual) {
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) {
#pragma GCC unroll 4
      for (int line = 0; line < kNr; line += 16)
        __builtin_prefetch(t.residual + i * t.residual_ld + line);
    }
  }

  if (t.next_b)
    multiply_steps<T, kNv, M, true>(t, acc);
  else
    multiply_steps<T, kNv, M, false>(t, acc);

  const V alpha = T::set1(t.alpha);
#pragma GCC unroll 16
  for (int i = 0; i < M; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < kNv; ++v) {
      V sum = acc[i][v];
      if (t.bias) sum = T::add(sum, load_row(t.bias, v));
      if (t.residual) sum = T::add(sum, load_row(t.residual + i * t.residual_ld, v));
      const V out = t.activate ? activate_vector<T>(sum, t.activation, alpha) : sum;
      float* dst = t.c + i * t.ldc + v * W;
      if (full)
        T::store_full(dst, out);
      else
        T::store_n(dst, out, lanes[v]);
    }
  }
}

// tile_kernel<..., M> for M = t.rows, by recursion over the row counts.
template <class T, int kMr, int kNv, int M = kMr>
void run_rows(const MicroTile& t) {
  if constexpr (M > 1) {
    if (t.rows < M) return run_rows<T, kMr, kNv, M - 1>(t);
  }
  tile_kernel<T, kNv, M>(t);
}

// MicroKernel::fma_flops: kChains independent accumulators, more than FMA latency times the
// FMA ports of any core we run on (4 x 2), fewer than the registers of the narrowest set.
template <class T>
double fma_throughput_flops(int64_t steps) {
  using V = typename T::V;
  constexpr int kChains = 12;
  V acc[kChains];
#pragma GCC unroll 12
  for (int j = 0; j < kChains; ++j) acc[j] = T::set1(0.001f * static_cast<float>(j));
  const V a = T::set1(0.999f), b = T::set1(1e-4f);
  for (int64_t s = 0; s < steps; ++s) {
#pragma GCC unroll 12
    for (int j = 0; j < kChains; ++j) acc[j] = T::fma(acc[j], a, b);
  }
  V sum = acc[0];
#pragma GCC unroll 12
  for (int j = 1; j < kChains; ++j) sum = T::add(sum, acc[j]);
  float lanes[64];
  T::store_full(lanes, sum);
  volatile float sink = lanes[0];  // keeps the loop from being optimised away
  (void)sink;
  return 2.0 * static_cast<double>(steps) * kChains * T::kWidth;
}
