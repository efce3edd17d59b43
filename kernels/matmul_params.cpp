// Matmul validation shared by the CPU kernel (kernels/cpu/matmul.cpp) and the CUDA
// backend's cuBLAS call.
#include "kernels/error.h"
#include "kernels/matmul.h"

namespace p3d {

void check_matmul_params(const MatmulParams& p) {
  P3D_CHECK(p.batch >= 0 && p.m >= 0 && p.n >= 0 && p.k >= 0, "matmul: negative size (batch ",
            p.batch, ", m ", p.m, ", n ", p.n, ", k ", p.k, ")");
  P3D_CHECK(is_known_unary(p.activation), "matmul: unknown activation ",
            static_cast<int>(p.activation));
}

}  // namespace p3d
