// IEEE 754 binary16 ("half") <-> binary32 conversion on raw bits, shared by the CPU cast
// loop and the CUDA cast kernel so both backends produce the same bits. Halves are stored as
// uint16_t (no compiler half type is needed on the host). float -> half rounds to nearest,
// ties to even; overflow gives +-inf; NaN stays NaN (quieted, top payload bits kept); halves'
// subnormals are produced and read exactly. These match the x86 F16C instructions bit for
// bit (the CPU cast uses F16C for bulk work and these for tails; a test checks agreement).
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/host_device.h"

namespace p3d {

// The bits of a float as a uint32_t or back, on the host and in CUDA device code.
template <typename To, typename From>
P3D_HD To same_bits_as(From from) {
  static_assert(sizeof(To) == 4 && sizeof(From) == 4, "float <-> uint32_t only");
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_same<To, float>::value)
    return __uint_as_float(from);
  else
    return __float_as_uint(from);
#else
  To to;
  std::memcpy(&to, &from, sizeof to);
  return to;
#endif
}

P3D_HD uint32_t float_to_bits(float f) { return same_bits_as<uint32_t>(f); }
P3D_HD float bits_to_float(uint32_t u) { return same_bits_as<float>(u); }

P3D_HD float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1fu) {
    // Inf keeps a zero mantissa; NaN keeps its payload and is made quiet.
    return bits_to_float(sign | 0x7f800000u | (mantissa << 13) | (mantissa ? 0x400000u : 0u));
  }
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24 is exact in float (10 bits, power-of-two scale).
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return bits_to_float(sign | float_to_bits(magnitude));
  }
  // Normal: rebias the exponent from 15 to 127 and widen the mantissa.
  return bits_to_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

P3D_HD uint16_t float_to_half(float f) {
  const uint32_t u = float_to_bits(f);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const uint32_t a = u & 0x7fffffffu;  // |f| as bits; ordering of bits = ordering of values
  uint32_t h;
  if (a > 0x7f800000u) {
    h = 0x7e00u | ((a >> 13) & 0x3ffu);  // NaN: quiet bit set, top payload bits kept
  } else if (a >= 0x477ff000u) {
    h = 0x7c00u;  // >= 65520 (half-way past 65504) rounds to infinity; inf stays inf
  } else if (a >= 0x38800000u) {
    // Normal half: rebias 127 -> 15 (subtract 112 << 23), then round the 13 dropped bits
    // to nearest even; a carry out of the mantissa correctly bumps the exponent.
    h = (a - 0x38000000u + 0xfffu + ((a >> 13) & 1u)) >> 13;
  } else if (a > 0x33000000u) {
    // Subnormal half (|f| < 2^-14): the value in units of 2^-24 is m * 2^(e - 126), with
    // m the 24-bit significand; shift right by 126 - e (14..24) rounding to nearest even.
    const uint32_t e = a >> 23;
    const uint32_t m = (a & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126u - e;
    const uint32_t rest = m & ((1u << shift) - 1u);
    const uint32_t halfway = 1u << (shift - 1u);
    h = m >> shift;
    if (rest > halfway || (rest == halfway && (h & 1u))) ++h;  // may become 0x400: min normal
  } else {
    h = 0;  // |f| <= 2^-25 rounds to zero (2^-25 itself ties to the even 0)
  }
  return static_cast<uint16_t>(sign | h);
}

}  // namespace p3d
