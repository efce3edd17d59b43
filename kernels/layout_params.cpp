// Validation of the data-movement params shared by the CPU kernels (kernels/cpu/concat.cpp,
// pad.cpp, slice.cpp, resize.cpp) and their CUDA twins.
#include "kernels/error.h"
#include "kernels/layout.h"

namespace p3d {

void check_concat_copy_params(const ConcatCopyParams& p) {
  P3D_CHECK(p.outer >= 0 && p.inner >= 0 && p.element_size > 0 && p.column_offset >= 0 &&
                p.column_offset + p.inner <= p.inner_total,
            "concat_copy: input columns [", p.column_offset, ", ", p.column_offset + p.inner,
            ") do not fit an output row of ", p.inner_total, " (element size ", p.element_size,
            ")");
}

void check_pad_params(const PadParams& p) {
  P3D_CHECK(p.rank >= 1 && p.rank <= kMaxRank, "pad: rank ", p.rank, " not in 1..", kMaxRank);
  P3D_CHECK(
      p.mode == PadMode::Constant || p.mode == PadMode::Reflect || p.mode == PadMode::Symmetric,
      "pad: unknown mode ", static_cast<int>(p.mode));
  for (int d = 0; d < p.rank; ++d) {
    P3D_CHECK(p.in_dims[d] >= 0 && p.before[d] >= 0 && p.after[d] >= 0, "pad: dim ", d,
              " has a negative size or padding");
    if (p.mode == PadMode::Reflect) {
      P3D_CHECK((p.before[d] < p.in_dims[d] && p.after[d] < p.in_dims[d]) ||
                    (p.before[d] == 0 && p.after[d] == 0),
                "pad: reflect padding of dim ", d, " must be smaller than its size ", p.in_dims[d]);
    } else if (p.mode == PadMode::Symmetric) {
      P3D_CHECK(p.before[d] <= p.in_dims[d] && p.after[d] <= p.in_dims[d],
                "pad: symmetric padding of dim ", d, " must not exceed its size ", p.in_dims[d]);
    }
  }
}

void check_slice_params(const SliceParams& p) {
  P3D_CHECK(p.rank >= 1 && p.rank <= kMaxRank, "slice: rank ", p.rank, " not in 1..", kMaxRank);
  P3D_CHECK(p.element_size > 0, "slice: element size ", p.element_size);
  int64_t count = 1;
  for (int d = 0; d < p.rank; ++d) {
    P3D_CHECK(p.out_dims[d] >= 0 && p.in_dims[d] >= 0, "slice: negative dim ", d);
    count *= p.out_dims[d];
  }
  if (count == 0) return;  // nothing is read
  for (int d = 0; d < p.rank; ++d) {
    const int64_t first = p.begin[d];
    const int64_t last = p.begin[d] + (p.out_dims[d] - 1) * p.step[d];
    P3D_CHECK(first >= 0 && first < p.in_dims[d] && last >= 0 && last < p.in_dims[d] &&
                  (p.step[d] != 0 || p.out_dims[d] == 1),
              "slice: dim ", d, " reads indices ", first, "..", last, " (step ", p.step[d],
              ") outside 0..", p.in_dims[d] - 1);
  }
}

void check_resize_params(const ResizeParams& p) {
  P3D_CHECK(
      p.batch >= 0 && p.in_h >= 0 && p.in_w >= 0 && p.channels >= 0 && p.out_h >= 0 && p.out_w >= 0,
      "resize: negative size (batch ", p.batch, ", in ", p.in_h, "x", p.in_w, ", channels ",
      p.channels, ", out ", p.out_h, "x", p.out_w, ")");
  P3D_CHECK(!(p.align_corners && p.half_pixel_centers),
            "resize: half_pixel_centers requires align_corners = false (as in TensorFlow)");
  P3D_CHECK(p.mode == ResizeMode::Bilinear || p.mode == ResizeMode::Nearest,
            "resize: unknown mode ", static_cast<int>(p.mode));
  const int64_t count = int64_t{p.batch} * p.out_h * p.out_w * p.channels;
  P3D_CHECK(count == 0 || (p.in_h > 0 && p.in_w > 0), "resize: empty input image ", p.in_h, "x",
            p.in_w);
}

}  // namespace p3d
