// Params of reductions. The caller collapses the tensor to [outer, reduced, inner] (the
// reduced axes made contiguous, by a transpose if need be); the output is [outer, inner].
// Global average pooling over NHWC is outer = N, reduced = H*W, inner = C.
#pragma once

#include <cstdint>

namespace p3d {

enum class ReduceKind : int32_t { Sum, Mean, Max };

struct ReduceParams {
  int64_t outer;
  int64_t reduced;
  int64_t inner;
  ReduceKind kind;
};

// The validation both backends run at their boundary (kernels/reduce_params.cpp): no size
// negative and a known kind.
void check_reduce_params(const ReduceParams& p);

}  // namespace p3d
