// Converts `count` elements between f32, f16 (raw IEEE half bits), i32 and u8. Every
// conversion goes through float or int32 with these rules (the CPU cast's):
//   f32 -> f16          float_to_half() of kernels/half.h (round to nearest even)
//   f16 -> anything     half_to_float() first
//   f32 -> i32 / u8     round toward zero, saturate to the target range, NaN -> 0
//   i32 -> u8           keep the low 8 bits (C++'s conversion, as TensorFlow's Cast)
//   i32 / u8 -> f32     nearest float
// One thread per element; the source and destination types are template arguments.
#include <cmath>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/half.h"
#include "kernels/static_dispatch.h"

namespace p3d::cuda {
namespace {

constexpr int kCastBlock = 256;

// Storage type and float / integer views of each ScalarType.
template <ScalarType kType>
struct Storage;
template <>
struct Storage<ScalarType::F32> {
  using type = float;
};
template <>
struct Storage<ScalarType::F16> {
  using type = uint16_t;
};
template <>
struct Storage<ScalarType::I32> {
  using type = int32_t;
};
template <>
struct Storage<ScalarType::U8> {
  using type = uint8_t;
};

// f32 -> integer: truncate toward zero, saturate, NaN -> 0.
__device__ __forceinline__ int32_t float_to_i32(float v) {
  if (v != v) return 0;
  if (v >= 2147483648.f) return 2147483647;
  if (v <= -2147483648.f) return -2147483647 - 1;
  return static_cast<int32_t>(v);  // in range: truncation
}
__device__ __forceinline__ uint8_t float_to_u8(float v) {
  if (!(v > 0.f)) return 0;  // also NaN
  if (v >= 255.f) return 255;
  return static_cast<uint8_t>(v);
}

template <ScalarType kFrom, ScalarType kTo>
__device__ __forceinline__ typename Storage<kTo>::type convert(typename Storage<kFrom>::type v) {
  using To = typename Storage<kTo>::type;
  if constexpr (kFrom == kTo) {
    return v;
  } else if constexpr (kFrom == ScalarType::F16) {
    return convert<ScalarType::F32, kTo>(half_to_float(v));
  } else if constexpr (kFrom == ScalarType::F32) {
    if constexpr (kTo == ScalarType::F16) return float_to_half(v);
    if constexpr (kTo == ScalarType::I32) return float_to_i32(v);
    if constexpr (kTo == ScalarType::U8) return float_to_u8(v);
  } else {  // integer sources
    if constexpr (kTo == ScalarType::F32) return static_cast<float>(v);
    if constexpr (kTo == ScalarType::F16) return float_to_half(static_cast<float>(v));
    if constexpr (kTo == ScalarType::I32 || kTo == ScalarType::U8) return static_cast<To>(v);
  }
}

template <ScalarType kFrom, ScalarType kTo>
static __global__ void cast_kernel(int64_t count,
                                   const typename Storage<kFrom>::type* __restrict__ x,
                                   typename Storage<kTo>::type* __restrict__ y) {
  for (int64_t i = detail::grid_thread_index(); i < count; i += detail::grid_thread_count())
    y[i] = convert<kFrom, kTo>(x[i]);
}

template <ScalarType kFrom, ScalarType kTo>
void launch_cast(int64_t count, const void* x, void* y, cudaStream_t stream) {
  cast_kernel<kFrom, kTo><<<detail::grid_blocks(count, kCastBlock), kCastBlock, 0, stream>>>(
      count, static_cast<const typename Storage<kFrom>::type*>(x),
      static_cast<typename Storage<kTo>::type*>(y));
  P3D_CUDA_CHECK_LAUNCH();
}

// Calls f with the compile-time ScalarType equal to t; false when t is no ScalarType.
template <typename F>
bool with_scalar_type(ScalarType t, F&& f) {
  return with_constant<ScalarType, ScalarType::F32, ScalarType::F16, ScalarType::I32,
                       ScalarType::U8>(t, f);
}

}  // namespace

void cast(const CastParams& p, const void* x, void* y, cudaStream_t stream) {
  check_cast_params(p);
  if (p.count <= 0) return;
  const bool known_source = with_scalar_type(p.from, [&](auto from) {
    const bool known_target = with_scalar_type(p.to, [&](auto to) {
      launch_cast<decltype(from)::value, decltype(to)::value>(p.count, x, y, stream);
    });
    if (!known_target) P3D_THROW("cast: unknown target type ", static_cast<int>(p.to));
  });
  if (!known_source) P3D_THROW("cast: unknown source type ", static_cast<int>(p.from));
}

}  // namespace p3d::cuda
