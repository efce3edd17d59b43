// CPU loop of the face alignment over the per-pixel functions of kernels/alignment.h, split
// over the output rows of all items. FMA contraction is off in this file (no_fp_contraction.h)
// so every float step rounds as the libraries' (non-FMA) builds do; the CUDA twin gets the
// same rounding from __fmul_rn / __dadd_rn, so both backends write identical values.
// clang-format off: the pragmas must come first
#include "kernels/cpu/no_fp_contraction.h"
// clang-format on

#include <algorithm>
#include <cmath>

#include "kernels/cpu/alignment.h"
#include "kernels/cpu/batch_rows.h"
#include "kernels/error.h"

namespace p3d::cpu {
namespace {

constexpr int64_t kRowGrain = 8;  // output rows per task at least (a row is 224 pixels)

// Widest Pillow window along an axis resized from `in` to `out` (precompute_coeffs' ksize).
int64_t pillow_taps(int32_t in, int32_t out) {
  const double scale = static_cast<double>(in) / out;
  const double support = scale < 1.0 ? 1.0 : scale;
  return static_cast<int64_t>(std::ceil(support)) * 2 + 1;
}

}  // namespace

void check_align_params(const AlignBatchParams& p, const AlignItemParams* items) {
  P3D_CHECK(p.batch >= 0 && p.crop > 0 && p.channels >= 1 && p.channels <= 4,
            "align_faces: bad sizes (batch ", p.batch, ", crop ", p.crop, ", channels ", p.channels,
            ")");
  for (int32_t b = 0; b < p.batch; ++b) {
    const AlignItemParams& it = items[b];
    P3D_CHECK(
        it.src_w > 0 && it.src_h > 0 && it.scaled_w > 0 && it.scaled_h > 0 && it.src_offset >= 0,
        "align_faces: item ", b, " has photo ", it.src_w, "x", it.src_h, " resized to ",
        it.scaled_w, "x", it.scaled_h);
    if (it.resampler == AlignResampler::kOpenCv) {
      P3D_CHECK(it.shift_fx >= 0 && it.shift_fx < 32 && it.shift_fy >= 0 && it.shift_fy < 32,
                "align_faces: item ", b, " has a fractional shift outside 0..31");
    } else {
      P3D_CHECK(it.resampler == AlignResampler::kPillow, "align_faces: item ", b,
                " has an unknown resampler");
      P3D_CHECK(std::isfinite(it.pil_dx) && std::isfinite(it.pil_dy) &&
                    std::fabs(it.pil_dx) < 1e9 && std::fabs(it.pil_dy) < 1e9,
                "align_faces: item ", b, " has shift (", it.pil_dx, ", ", it.pil_dy, ")");
      const int64_t taps =
          std::max(pillow_taps(it.src_w, it.scaled_w), pillow_taps(it.src_h, it.scaled_h));
      P3D_CHECK(taps <= kAlignMaxPillowTaps, "align_faces: item ", b, " shrinks ", it.src_w, "x",
                it.src_h, " to ", it.scaled_w, "x", it.scaled_h, ": a Pillow window of ", taps,
                " taps exceeds ", kAlignMaxPillowTaps,
                " (the face is more than ~31x larger than the aligned one)");
    }
  }
}

void align_faces(const AlignBatchParams& p, const AlignItemParams* items, const uint8_t* src,
                 float* out) {
  check_align_params(p, items);
  for_each_batch_row(p.batch, p.crop, kRowGrain, [&](int32_t b, int32_t r, int64_t i) {
    float* row = out + i * p.crop * p.channels;
    const AlignItemParams& item = items[b];
    if (item.resampler == AlignResampler::kPillow) {
      for (int32_t c = 0; c < p.crop; ++c)
        align_pillow_pixel<kAlignMaxPillowTaps>(src, item, p.channels, r, c, row + c * p.channels);
    } else {
      for (int32_t c = 0; c < p.crop; ++c)
        align_opencv_pixel(src, item, p.channels, r, c, row + c * p.channels);
    }
  });
}

}  // namespace p3d::cpu
