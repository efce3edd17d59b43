// Pooling validation shared by kernels/cpu/pool2d.cpp and kernels/cuda/pool2d.cu.
#include "kernels/error.h"
#include "kernels/pool.h"

namespace p3d {

void check_pool2d_params(const Pool2dParams& p) {
  P3D_CHECK(
      p.batch >= 0 && p.in_h >= 0 && p.in_w >= 0 && p.channels >= 0 && p.out_h >= 0 && p.out_w >= 0,
      "pool2d: negative size (batch ", p.batch, ", in ", p.in_h, "x", p.in_w, ", channels ",
      p.channels, ", out ", p.out_h, "x", p.out_w, ")");
  P3D_CHECK(p.kernel_h > 0 && p.kernel_w > 0 && p.stride_h > 0 && p.stride_w > 0, "pool2d: kernel ",
            p.kernel_h, "x", p.kernel_w, " stride ", p.stride_h, "x", p.stride_w,
            " must be positive");
  P3D_CHECK(p.pad_top >= 0 && p.pad_left >= 0, "pool2d: negative padding (top ", p.pad_top,
            ", left ", p.pad_left, ")");
  P3D_CHECK(p.kind == PoolKind::Max || p.kind == PoolKind::Average, "pool2d: unknown kind ",
            static_cast<int>(p.kind));
}

}  // namespace p3d
