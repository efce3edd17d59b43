// The validation of TransposeParams (kernels/layout.h) both transpose backends run at their
// boundary, so a bad call fails the same way on the CPU and on CUDA.
#pragma once

#include <cstdint>

#include "kernels/layout.h"

namespace p3d {

// Throws p3d::Error unless rank is 1..kMaxRank, element_size is positive, perm is a
// permutation of 0..rank-1 and no dim is negative.
void check_transpose_params(const TransposeParams& p);
// The number of elements moved (the product of the dims; 0 for an empty tensor).
int64_t transpose_element_count(const TransposeParams& p);

}  // namespace p3d
