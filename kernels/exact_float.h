// Exactly rounded float and double steps for P3D_HD formulas that must give the same bits on
// the CPU, on the GPU and in the original's (non-FMA) builds: each product and sum is
// rounded to its type before it is used, so no compiler contracts a multiply and an add into
// one FMA (GCC does by default under -march=native; nvcc always may).
//
// On the GPU the *_rn intrinsics are never contracted. On the host an empty asm statement
// makes the value opaque to the optimiser, so the rounding holds whatever flags the including
// file is compiled with: a product's result is pinned (it cannot fuse into a later add), and
// an add's operands are pinned (a plain product the caller passes in is rounded first).
// Division, rounding to integers and floor cannot be contracted; they are here so a formula
// reads in one vocabulary and both backends round half to even the same way.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/host_device.h"

namespace p3d {

namespace exact_detail {

#if !defined(__CUDA_ARCH__)
// The value, hidden from the optimiser: it must exist rounded in a register here.
template <typename T>
inline T opaque(T v) {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
  asm("" : "+x"(v));
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
  asm("" : "+w"(v));
#else
  volatile T hidden = v;
  v = hidden;
#endif
  return v;
}
#endif

}  // namespace exact_detail

#if defined(__CUDA_ARCH__)
P3D_HD float exact_mul(float a, float b) { return __fmul_rn(a, b); }
P3D_HD float exact_add(float a, float b) { return __fadd_rn(a, b); }
P3D_HD float exact_sub(float a, float b) { return __fsub_rn(a, b); }
P3D_HD double exact_mul(double a, double b) { return __dmul_rn(a, b); }
P3D_HD double exact_add(double a, double b) { return __dadd_rn(a, b); }
P3D_HD double exact_sub(double a, double b) { return __dsub_rn(a, b); }
P3D_HD double exact_div(double a, double b) { return __ddiv_rn(a, b); }
// Nearest integer, ties to even (OpenCV's saturate_cast / cvRound on a float).
P3D_HD int32_t round_half_even(float x) { return __float2int_rn(x); }
P3D_HD int32_t floor_int(float x) { return static_cast<int32_t>(floorf(x)); }
P3D_HD int32_t floor_int(double x) { return static_cast<int32_t>(floor(x)); }
#else
inline float exact_mul(float a, float b) { return exact_detail::opaque(a * b); }
inline float exact_add(float a, float b) {
  return exact_detail::opaque(a) + exact_detail::opaque(b);
}
inline float exact_sub(float a, float b) {
  return exact_detail::opaque(a) - exact_detail::opaque(b);
}
inline double exact_mul(double a, double b) { return exact_detail::opaque(a * b); }
inline double exact_add(double a, double b) {
  return exact_detail::opaque(a) + exact_detail::opaque(b);
}
inline double exact_sub(double a, double b) {
  return exact_detail::opaque(a) - exact_detail::opaque(b);
}
inline double exact_div(double a, double b) { return a / b; }
// The default rounding mode (to nearest, ties to even): nearbyint, not round.
inline int32_t round_half_even(float x) { return static_cast<int32_t>(std::nearbyint(x)); }
inline int32_t floor_int(float x) { return static_cast<int32_t>(std::floor(x)); }
inline int32_t floor_int(double x) { return static_cast<int32_t>(std::floor(x)); }
#endif

}  // namespace p3d
