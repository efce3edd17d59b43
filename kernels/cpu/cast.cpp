// p3d::cpu::cast: converts `count` elements between f32, f16 (raw IEEE half bits), i32, u8.
// Every conversion goes through float in chunks of kChunk elements on the stack: one
// vectorised loop widens the source to float, one narrows float to the target. That keeps
// the code to 4 + 4 loops instead of 16, and both halves vectorise (F16C for halves).
// Semantics:
//   to float: exact for f16 and u8; i32 rounds to nearest.
//   f32/f16 -> i32/u8: truncate toward zero, saturate to the target range, NaN -> 0.
//     TensorFlow's Cast is a plain C++ static_cast here, undefined for out-of-range values
//     and NaN (x86 gives INT32_MIN); we saturate so results are defined and the same on
//     every backend.
//   f32 -> f16: round to nearest even, overflow to inf (kernels/half.h, F16C bit for bit).
//   i32 -> u8: modulo 256 (C++ conversion, as TensorFlow); u8 -> i32: exact.
//   i32 -> f16: through float, as Eigen's half(int) does.
#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__F16C__)
#include <immintrin.h>
#endif

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/error.h"
#include "kernels/half.h"

namespace p3d::cpu {
namespace {

constexpr int64_t kGrain = 65536;  // elements per task below which work stays inline
constexpr int64_t kChunk = 1024;   // floats staged on the stack per step

size_t element_size(ScalarType t) {
  switch (t) {
    case ScalarType::F32:
      return 4;
    case ScalarType::F16:
      return 2;
    case ScalarType::I32:
      return 4;
    case ScalarType::U8:
      return 1;
  }
  P3D_THROW("cast: unknown scalar type ", static_cast<int>(t));
}

void halves_to_floats(const uint16_t* x, float* y, int64_t n) {
  int64_t i = 0;
#if defined(__F16C__)
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
    _mm256_storeu_ps(y + i, _mm256_cvtph_ps(h));
  }
#endif
  for (; i < n; ++i) y[i] = half_to_float(x[i]);
}

void floats_to_halves(const float* x, uint16_t* y, int64_t n) {
  int64_t i = 0;
#if defined(__F16C__)
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), h);
  }
#endif
  for (; i < n; ++i) y[i] = float_to_half(x[i]);
}

// Saturating truncation; written as selects so the loops vectorise.
inline int32_t float_to_i32(float v) {
  return v != v               ? 0
         : v >= 2147483648.f  ? INT32_MAX
         : v <= -2147483648.f ? INT32_MIN
                              : static_cast<int32_t>(v);
}
inline uint8_t float_to_u8(float v) {
  const float c = v > 0.f ? (v < 255.f ? v : 255.f) : 0.f;  // NaN -> 0
  return static_cast<uint8_t>(static_cast<int32_t>(c));
}

// Widens n source elements to float. Returns where the floats are: the source itself for
// f32, else `buffer`.
const float* to_float(ScalarType from, const void* x, int64_t offset, int64_t n, float* buffer) {
  switch (from) {
    case ScalarType::F32:
      return static_cast<const float*>(x) + offset;
    case ScalarType::F16:
      halves_to_floats(static_cast<const uint16_t*>(x) + offset, buffer, n);
      return buffer;
    case ScalarType::I32: {
      const int32_t* s = static_cast<const int32_t*>(x) + offset;
      for (int64_t i = 0; i < n; ++i) buffer[i] = static_cast<float>(s[i]);
      return buffer;
    }
    case ScalarType::U8: {
      const uint8_t* s = static_cast<const uint8_t*>(x) + offset;
      for (int64_t i = 0; i < n; ++i) buffer[i] = static_cast<float>(s[i]);
      return buffer;
    }
  }
  return buffer;
}

void from_float(ScalarType to, const float* v, void* y, int64_t offset, int64_t n) {
  switch (to) {
    case ScalarType::F32:
      std::memcpy(static_cast<float*>(y) + offset, v, static_cast<size_t>(n) * sizeof(float));
      return;
    case ScalarType::F16:
      floats_to_halves(v, static_cast<uint16_t*>(y) + offset, n);
      return;
    case ScalarType::I32: {
      int32_t* d = static_cast<int32_t*>(y) + offset;
      for (int64_t i = 0; i < n; ++i) d[i] = float_to_i32(v[i]);
      return;
    }
    case ScalarType::U8: {
      uint8_t* d = static_cast<uint8_t*>(y) + offset;
      for (int64_t i = 0; i < n; ++i) d[i] = float_to_u8(v[i]);
      return;
    }
  }
}

}  // namespace

void cast(ThreadPool& pool, const CastParams& p, const void* x, void* y) {
  check_cast_params(p);
  const size_t from_size = element_size(p.from);
  if (p.count == 0) return;

  if (p.from == p.to) {
    if (x == y) return;
    pool.parallel_for(p.count, kGrain, [&](int64_t begin, int64_t end, int) {
      std::memcpy(static_cast<uint8_t*>(y) + begin * from_size,
                  static_cast<const uint8_t*>(x) + begin * from_size,
                  static_cast<size_t>(end - begin) * from_size);
    });
    return;
  }
  if (p.from == ScalarType::I32 && p.to == ScalarType::U8) {
    const int32_t* s = static_cast<const int32_t*>(x);
    uint8_t* d = static_cast<uint8_t*>(y);
    pool.parallel_for(p.count, kGrain, [&](int64_t begin, int64_t end, int) {
      for (int64_t i = begin; i < end; ++i) d[i] = static_cast<uint8_t>(s[i]);
    });
    return;
  }
  if (p.to == ScalarType::F32 && p.from != ScalarType::F32) {
    // Widen straight into the output; no staging needed.
    pool.parallel_for(p.count, kGrain, [&](int64_t begin, int64_t end, int) {
      float* d = static_cast<float*>(y) + begin;
      to_float(p.from, x, begin, end - begin, d);
    });
    return;
  }
  pool.parallel_for(p.count, kGrain, [&](int64_t begin, int64_t end, int) {
    float buffer[kChunk];
    for (int64_t i = begin; i < end; i += kChunk) {
      const int64_t n = std::min(kChunk, end - i);
      from_float(p.to, to_float(p.from, x, i, n, buffer), y, i, n);
    }
  });
}

}  // namespace p3d::cpu
