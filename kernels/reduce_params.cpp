// Reduction validation shared by kernels/cpu/reduce.cpp and kernels/cuda/reduce.cu.
#include "kernels/error.h"
#include "kernels/reduce.h"

namespace p3d {

void check_reduce_params(const ReduceParams& p) {
  P3D_CHECK(p.outer >= 0 && p.reduced >= 0 && p.inner >= 0, "reduce: negative size [", p.outer,
            ", ", p.reduced, ", ", p.inner, "]");
  P3D_CHECK(p.kind == ReduceKind::Sum || p.kind == ReduceKind::Mean || p.kind == ReduceKind::Max,
            "reduce: unknown kind ", static_cast<int>(p.kind));
}

}  // namespace p3d
