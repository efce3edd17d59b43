// Transpose validation shared by kernels/cpu/transpose.cpp and kernels/cuda/transpose.cu.
#include "kernels/transpose_params.h"

#include "kernels/error.h"

namespace p3d {

void check_transpose_params(const TransposeParams& p) {
  P3D_CHECK(p.rank >= 1 && p.rank <= kMaxRank, "transpose: rank ", p.rank, " not in 1..", kMaxRank);
  P3D_CHECK(p.element_size > 0, "transpose: element size ", p.element_size);
  bool seen[kMaxRank] = {};
  for (int d = 0; d < p.rank; ++d) {
    P3D_CHECK(p.perm[d] >= 0 && p.perm[d] < p.rank && !seen[p.perm[d]],
              "transpose: perm is not a permutation of 0..", p.rank - 1);
    seen[p.perm[d]] = true;
    P3D_CHECK(p.in_dims[d] >= 0, "transpose: negative dim ", p.in_dims[d]);
  }
}

int64_t transpose_element_count(const TransposeParams& p) {
  int64_t count = 1;
  for (int d = 0; d < p.rank; ++d) count *= p.in_dims[d];
  return count;
}

}  // namespace p3d
