// Sixteen floats as one GCC vector (one AVX-512 register; GCC splits it into four SSE2
// registers in the baseline build these kernels are compiled for), and the two ways the
// reduction kernels (pool2d.cpp, reduce.cpp) fold a vector of inputs into an accumulator:
// a sum, or a max that follows fmaxf for NaN (a NaN loses to a number).
//
// The max is written by hand for SSE2: GCC lowers the vector `?:` and `acc != acc` on a
// vector wider than the machine's registers to scalar compares and branches, which made
// the R-Net's 3x3 max pool ten times slower than the memory it reads. maxps(v, acc) is
// `v > acc ? v : acc` (acc when either is NaN), so only a NaN accumulator needs a blend.
// Pass V16 by reference: by-value vector arguments draw -Wpsabi warnings without AVX-512.
#pragma once

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace p3d::cpu {

typedef float V16 __attribute__((vector_size(64)));

// fmaxf's rule on one float: (v > acc || acc is NaN) ? v : acc.
inline float max_or_number(float acc, float v) { return (v > acc || acc != acc) ? v : acc; }

// acc = max_or_number(acc, v), lane by lane.
inline void max16(V16& acc, const V16& v) {
#if defined(__SSE2__) && !defined(__AVX512F__)
  __m128 a[4], x[4];
  std::memcpy(a, &acc, sizeof a);
  std::memcpy(x, &v, sizeof x);
  for (int q = 0; q < 4; ++q) {
    const __m128 acc_is_nan = _mm_cmpunord_ps(a[q], a[q]);
    a[q] =
        _mm_or_ps(_mm_and_ps(acc_is_nan, x[q]), _mm_andnot_ps(acc_is_nan, _mm_max_ps(x[q], a[q])));
  }
  std::memcpy(&acc, a, sizeof a);
#else
  acc = ((v > acc) | (acc != acc)) ? v : acc;
#endif
}

// acc (op)= the 16 floats at p (unaligned): the max above, or a sum.
template <bool kMax>
inline void combine16(V16& acc, const float* p) {
  V16 v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (kMax) {
    max16(acc, v);
  } else {
    acc += v;
  }
}

}  // namespace p3d::cpu
