// CPU loops of the head-crop resampling over the per-pixel functions of
// kernels/crop_resample.h, split over output rows of all items (the cubic taps of each
// column and row are computed once, not per pixel). FMA contraction is off in
// this file (no_fp_contraction.h) so each float operation rounds as OpenCV's (non-FMA) build does;
// the CUDA twin gets the same rounding from __fmul_rn / __fadd_rn.
// clang-format off: the pragmas must come first
#include "kernels/cpu/no_fp_contraction.h"
// clang-format on

#include <vector>

#include "kernels/cpu/batch_rows.h"
#include "kernels/cpu/crop_resample.h"
#include "kernels/error.h"

namespace p3d::cpu {
namespace {

constexpr int64_t kRowGrain = 16;  // output rows per task at least

void check(const CropBatchParams& p, const CropResampleParams* items) {
  P3D_CHECK(p.batch >= 0 && p.crop_w > 0 && p.crop_h > 0 && p.channels > 0 &&
                p.channels <= kCropMaxChannels,
            "crop_resample: bad sizes (batch ", p.batch, ", crop ", p.crop_w, "x", p.crop_h,
            ", channels ", p.channels, ")");
  for (int32_t b = 0; b < p.batch; ++b) {
    const CropResampleParams& it = items[b];
    P3D_CHECK(
        it.src_w > 0 && it.src_h > 0 && it.scaled_w > 0 && it.scaled_h > 0 && it.src_offset >= 0,
        "crop_resample: item ", b, " has source ", it.src_w, "x", it.src_h, " resized to ",
        it.scaled_w, "x", it.scaled_h);
  }
}

template <typename PixelFn>
void run(const CropBatchParams& p, const CropResampleParams* items, const uint8_t* src,
         uint8_t* out, PixelFn pixel) {
  check(p, items);
  for_each_batch_row(p.batch, p.crop_h, kRowGrain, [&](int32_t b, int32_t r, int64_t i) {
    uint8_t* row = out + i * p.crop_w * p.channels;
    for (int32_t c = 0; c < p.crop_w; ++c)
      pixel(src, items[b], p.channels, r, c, row + c * p.channels);
  });
}

}  // namespace

void crop_resample_cubic(const CropBatchParams& p, const CropResampleParams* items,
                         const uint8_t* src, uint8_t* out) {
  check(p, items);
  // Each item's column taps once; each row's tap once per row.
  std::vector<crop_math::CubicTap> columns(static_cast<size_t>(p.batch) * p.crop_w);
  for (int32_t b = 0; b < p.batch; ++b)
    for (int32_t c = 0; c < p.crop_w; ++c)
      columns[static_cast<size_t>(b) * p.crop_w + c] = crop_column_tap(items[b], c);
  for_each_batch_row(p.batch, p.crop_h, kRowGrain, [&](int32_t b, int32_t r, int64_t i) {
    const crop_math::CubicTap ty = crop_row_tap(items[b], r);
    const crop_math::CubicTap* tx = columns.data() + static_cast<size_t>(b) * p.crop_w;
    uint8_t* row = out + i * p.crop_w * p.channels;
    for (int32_t c = 0; c < p.crop_w; ++c)
      crop_cubic_pixel_with_taps(src, items[b], p.channels, r, c, tx[c], ty, row + c * p.channels);
  });
}

void crop_resample_nearest(const CropBatchParams& p, const CropResampleParams* items,
                           const uint8_t* src, uint8_t* out) {
  run(p, items, src, out, crop_nearest_pixel);
}

}  // namespace p3d::cpu
