// Params of a row-major matrix product C[m, n] = op(A) * op(B) (+ bias[n]), batched over
// `batch` independent products stored back to back. op(A) is [m, k]: A is stored [m, k], or
// [k, m] when transpose_a. op(B) is [k, n]: B is stored [k, n], or [n, k] when transpose_b.
#pragma once

#include <cstdint>

#include "kernels/elementwise.h"

namespace p3d {

struct MatmulParams {
  int32_t batch;  // 1 for a plain 2-D product
  int32_t m, n, k;
  bool transpose_a;
  bool transpose_b;
  bool has_bias;     // bias[n] added to every row
  Unary activation;  // applied last
  float activation_alpha;
};

// The validation both backends run at their boundary (kernels/matmul_params.cpp): no size
// negative (an empty product is allowed and writes nothing) and a known activation.
void check_matmul_params(const MatmulParams& p);

}  // namespace p3d
