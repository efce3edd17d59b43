// Element-wise op kinds and their per-element math, shared by the CPU loops and the CUDA
// kernels (one formula, two backends). Also the params of the element-wise kernels.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/host_device.h"
#include "kernels/limits.h"

namespace p3d {

// Unary functions. The first seven are the activations a convolution can fuse.
enum class Unary : int32_t {
  Identity,
  Relu,
  Relu6,
  LeakyRelu,  // x < 0 ? alpha * x : x   (TensorFlow's default alpha is 0.2)
  Elu,        // x < 0 ? exp(x) - 1 : x
  Sigmoid,
  Tanh,
  Square,
  Sqrt,
  Rsqrt,
  Exp,
  Neg,
  Abs,
};

P3D_HD float apply_unary(Unary op, float x, float alpha) {
  switch (op) {
    case Unary::Identity:
      return x;
    case Unary::Relu:
      return x > 0.f ? x : 0.f;
    case Unary::Relu6:
      return fminf(fmaxf(x, 0.f), 6.f);
    case Unary::LeakyRelu:
      return x < 0.f ? alpha * x : x;
    case Unary::Elu:
      return x < 0.f ? expm1f(x) : x;
    case Unary::Sigmoid:
      return 1.f / (1.f + expf(-x));
    case Unary::Tanh:
      return tanhf(x);
    case Unary::Square:
      return x * x;
    case Unary::Sqrt:
      return sqrtf(x);
    case Unary::Rsqrt:
      return 1.f / sqrtf(x);
    case Unary::Exp:
      return expf(x);
    case Unary::Neg:
      return -x;
    case Unary::Abs:
      return fabsf(x);
  }
  return x;
}

enum class Binary : int32_t { Add, Sub, Mul, Div, Min, Max };

P3D_HD float apply_binary(Binary op, float a, float b) {
  switch (op) {
    case Binary::Add:
      return a + b;
    case Binary::Sub:
      return a - b;
    case Binary::Mul:
      return a * b;
    case Binary::Div:
      return a / b;
    case Binary::Min:
      return fminf(a, b);
    case Binary::Max:
      return fmaxf(a, b);
  }
  return a;
}

// y[i] = op(x[i]) over `count` contiguous floats.
struct UnaryParams {
  int64_t count;  // number of elements
  Unary op;
  float alpha;  // LeakyRelu slope; ignored by the others
};

// out = op(a, b) with NumPy broadcasting, already resolved by the caller into strides:
// out is contiguous with dims out_dims[0..rank); a and b are read at
// sum_d index_d * a_strides[d] (a stride of 0 broadcasts that dimension).
struct BinaryParams {
  int32_t rank;  // 1..kMaxRank
  int64_t out_dims[kMaxRank];
  int64_t a_strides[kMaxRank];  // in elements
  int64_t b_strides[kMaxRank];
  Binary op;
};

// Inference batch norm over the last (channel) axis:
// y = (x - mean) * gamma / sqrt(var + epsilon) + beta.
struct BatchNormParams {
  int64_t rows;      // product of all dims but the last
  int32_t channels;  // last dim
  float epsilon;
};

// Converts `count` elements between dtypes (f32, f16, i32, u8). f32 -> integer rounds
// toward zero and saturates like TensorFlow's Cast does on the CPU for in-range values.
enum class ScalarType : int32_t { F32, F16, I32, U8 };
struct CastParams {
  int64_t count;
  ScalarType from;
  ScalarType to;
};

// The validation both backends run at their boundary (kernels/elementwise_params.cpp), so
// a bad call fails the same way on the CPU and on CUDA: no negative count or dim, a rank
// in 1..kMaxRank, a known op or type, a non-negative epsilon.
bool is_known_unary(Unary op);  // one of the enumerators above (params arrive as plain data)
void check_unary_params(const UnaryParams& p);
void check_binary_params(const BinaryParams& p);
void check_batch_norm_params(const BatchNormParams& p);
void check_cast_params(const CastParams& p);

}  // namespace p3d
