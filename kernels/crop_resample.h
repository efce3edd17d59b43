// The per-pixel math of the head crop (docs/pipeline.md: stage 1, step 4): the original
// (Deep3dPortrait utils/preprocess.py align_img) resizes the whole photo with
// cv2.resize(..., INTER_CUBIC) (the mask with INTER_NEAREST) to round(W / s) x round(H / s),
// pads it with zeros and cuts a 256 x 256 window. Only the window's pixels are needed, so
// each output pixel here evaluates OpenCV's resize at one point of the resized image:
//
//   cubic (uint8, OpenCV's generic resize path): source coordinate
//     fx = (float)((dx + 0.5) * scale_x - 0.5), sx = floor(fx), fx -= sx, with
//     scale_x = 1 / (dst_w / src_w) in double; Keys weights with A = -0.75 evaluated in
//     float and quantised to 11 bits (round half to even); the horizontal pass sums
//     src · weight in int over 4 taps with indices clamped to the image; the vertical pass
//     (OpenCV's SIMD VResizeCubicVec_32s8u, which covers every row but a short tail)
//     converts the 4 row sums to float, multiplies by weight / 2^22 and accumulates as
//     s0·b0 + (s1·b1 + (s2·b2 + s3·b3)), rounds half to even and saturates to 0..255;
//   nearest (resizeNN): sx = min(floor(dx · (1 / (dst_w / src_w))), src_w - 1) in double.
//
// Every float operation is written with explicit round-to-nearest helpers so neither nvcc
// nor the host compiler fuses them into FMAs (OpenCV's x86 baseline build does not): the
// CPU and CUDA crops are bit-identical and match cv2 to the last bit except where OpenCV's
// scalar row tail or an FMA-dispatched build rounds a tie differently (at most 1 level).
#pragma once

#include <cstdint>

#include "kernels/exact_float.h"
#include "kernels/host_device.h"

#if !defined(__CUDA_ARCH__)
#include <cmath>
#endif

namespace p3d {

// One batch item's crop: where its source image lies and which window of the resized image
// to cut. The window may extend past the resized image: those pixels are 0 (the original's
// zero padding).
struct CropResampleParams {
  int64_t src_offset;          // bytes from the batch's source buffer to this image
  int32_t src_w, src_h;        // source size (pixels)
  int32_t scaled_w, scaled_h;  // size the original resizes the source to
  int32_t left, up;            // window's top-left corner in the resized image (may be < 0)
};

// Shared sizes of a batched crop.
struct CropBatchParams {
  int32_t batch;
  int32_t crop_w, crop_h;  // 256 x 256
  int32_t channels;        // interleaved uint8 channels (3 photo, 1 mask)
};

namespace crop_math {

// Every float step below is exactly rounded (kernels/exact_float.h), so the CPU loops and
// the CUDA kernels give the same bits whatever contraction flags their files use.

P3D_HD int32_t clamp_index(int32_t i, int32_t n) { return i < 0 ? 0 : (i >= n ? n - 1 : i); }

// OpenCV's interpolateCubic (A = -0.75, float) quantised like its fixed-point path:
// saturate_cast<short>(w · 2048) rounds half to even.
P3D_HD void cubic_weights(float x, int32_t w[4]) {
  const float a = -0.75f;
  const float x1 = exact_add(x, 1.f);
  const float c0 =
      exact_sub(exact_mul(exact_add(exact_mul(exact_sub(exact_mul(a, x1), exact_mul(5.f, a)), x1),
                                    exact_mul(8.f, a)),
                          x1),
                exact_mul(4.f, a));
  const float c1 = exact_add(
      exact_mul(exact_mul(exact_sub(exact_mul(exact_add(a, 2.f), x), exact_add(a, 3.f)), x), x),
      1.f);
  const float y = exact_sub(1.f, x);
  const float c2 = exact_add(
      exact_mul(exact_mul(exact_sub(exact_mul(exact_add(a, 2.f), y), exact_add(a, 3.f)), y), y),
      1.f);
  const float c3 = exact_sub(exact_sub(exact_sub(1.f, c0), c1), c2);
  const float c[4] = {c0, c1, c2, c3};
  for (int k = 0; k < 4; ++k) {
    int32_t q = round_half_even(exact_mul(c[k], 2048.f));
    w[k] = q < -32768 ? -32768 : (q > 32767 ? 32767 : q);
  }
}

// The source tap of resized coordinate d along an axis: first of the 4 indices (sx - 1) and
// the quantised weights. scale = src / dst as OpenCV computes it (1 / (dst / src)).
struct CubicTap {
  int32_t first;
  int32_t w[4];
};

P3D_HD CubicTap cubic_tap(int32_t d, double scale) {
  const float f =
      static_cast<float>(exact_add(exact_mul(static_cast<double>(d) + 0.5, scale), -0.5));
  const int32_t s = floor_int(f);
  CubicTap t;
  t.first = s - 1;
  cubic_weights(exact_sub(f, static_cast<float>(s)), t.w);
  return t;
}

// OpenCV's src / dst ratio: 1 / ((double)dst / src).
P3D_HD double resize_ratio(int32_t src, int32_t dst) {
  return 1.0 / (static_cast<double>(dst) / static_cast<double>(src));
}

}  // namespace crop_math

// Largest interleaved channel count the crop handles (photo 3, labels 1).
constexpr int32_t kCropMaxChannels = 4;

// All channels of the resized image (cv2 INTER_CUBIC, uint8) at the resized pixel whose
// taps are tx, ty (inside the resized image). src is interleaved uint8, src_w x src_h,
// channels <= kCropMaxChannels.
P3D_HD void cubic_resized_pixel(const uint8_t* src, int32_t src_w, int32_t src_h, int32_t channels,
                                const crop_math::CubicTap& tx, const crop_math::CubicTap& ty,
                                uint8_t* out) {
  using namespace crop_math;
  int32_t column[4];
  for (int j = 0; j < 4; ++j) column[j] = clamp_index(tx.first + j, src_w) * channels;
  float acc[kCropMaxChannels] = {0.f, 0.f, 0.f, 0.f};
  // Rows from the last to the first, as OpenCV's SIMD expression nests them.
  for (int k = 3; k >= 0; --k) {
    const uint8_t* row =
        src + static_cast<int64_t>(clamp_index(ty.first + k, src_h)) * src_w * channels;
    const float b = exact_mul(static_cast<float>(ty.w[k]), 1.f / (2048.f * 2048.f));
    for (int32_t ch = 0; ch < channels; ++ch) {
      int32_t sum = 0;  // the horizontal pass, exact in int
      for (int j = 0; j < 4; ++j) sum += row[column[j] + ch] * tx.w[j];
      acc[ch] = k == 3 ? exact_mul(static_cast<float>(sum), b)
                       : exact_add(exact_mul(static_cast<float>(sum), b), acc[ch]);
    }
  }
  for (int32_t ch = 0; ch < channels; ++ch) {
    const int32_t v = round_half_even(acc[ch]);
    out[ch] = static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
  }
}

// Source index of resized coordinate d for cv2 INTER_NEAREST.
P3D_HD int32_t nearest_source_index(int32_t d, int32_t src, int32_t dst) {
  using namespace crop_math;
  const double inv = 1.0 / (static_cast<double>(dst) / static_cast<double>(src));
  const int32_t s = floor_int(exact_mul(static_cast<double>(d), inv));
  return s < src - 1 ? s : src - 1;
}

// True when crop pixel (r, c) lies inside the resized image (else it is padding, 0).
P3D_HD bool crop_pixel_inside(const CropResampleParams& p, int32_t r, int32_t c) {
  const int32_t x = p.left + c, y = p.up + r;
  return x >= 0 && y >= 0 && x < p.scaled_w && y < p.scaled_h;
}

// The column (x) or row (y) tap of crop column c / row r.
P3D_HD crop_math::CubicTap crop_column_tap(const CropResampleParams& p, int32_t c) {
  return crop_math::cubic_tap(p.left + c, crop_math::resize_ratio(p.src_w, p.scaled_w));
}
P3D_HD crop_math::CubicTap crop_row_tap(const CropResampleParams& p, int32_t r) {
  return crop_math::cubic_tap(p.up + r, crop_math::resize_ratio(p.src_h, p.scaled_h));
}

// One output pixel of the crop (row r, column c, all channels) by cubic interpolation, with
// its taps given (the CPU loop computes each column's and row's tap once).
P3D_HD void crop_cubic_pixel_with_taps(const uint8_t* batch_src, const CropResampleParams& p,
                                       int32_t channels, int32_t r, int32_t c,
                                       const crop_math::CubicTap& tx, const crop_math::CubicTap& ty,
                                       uint8_t* out) {
  if (!crop_pixel_inside(p, r, c)) {
    for (int32_t ch = 0; ch < channels; ++ch) out[ch] = 0;
    return;
  }
  cubic_resized_pixel(batch_src + p.src_offset, p.src_w, p.src_h, channels, tx, ty, out);
}

// The same, computing the taps.
P3D_HD void crop_cubic_pixel(const uint8_t* batch_src, const CropResampleParams& p,
                             int32_t channels, int32_t r, int32_t c, uint8_t* out) {
  if (!crop_pixel_inside(p, r, c)) {
    for (int32_t ch = 0; ch < channels; ++ch) out[ch] = 0;
    return;
  }
  crop_cubic_pixel_with_taps(batch_src, p, channels, r, c, crop_column_tap(p, c),
                             crop_row_tap(p, r), out);
}

// One output pixel of the crop by nearest-neighbour lookup.
P3D_HD void crop_nearest_pixel(const uint8_t* batch_src, const CropResampleParams& p,
                               int32_t channels, int32_t r, int32_t c, uint8_t* out) {
  const int32_t x = p.left + c, y = p.up + r;
  if (x < 0 || y < 0 || x >= p.scaled_w || y >= p.scaled_h) {
    for (int32_t ch = 0; ch < channels; ++ch) out[ch] = 0;
    return;
  }
  const int32_t sx = nearest_source_index(x, p.src_w, p.scaled_w);
  const int32_t sy = nearest_source_index(y, p.src_h, p.scaled_h);
  const uint8_t* px =
      batch_src + p.src_offset + (static_cast<int64_t>(sy) * p.src_w + sx) * channels;
  for (int32_t ch = 0; ch < channels; ++ch) out[ch] = px[ch];
}

}  // namespace p3d
