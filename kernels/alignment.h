// The per-pixel math of the face alignment (docs/pipeline.md: stage 1, step 1): each pixel of the
// 224 x 224 R-Net input is computed straight from the photo, reproducing to the last bit
// what the original's library calls produce (Deep3dPortrait utils/preprocess.py), so no
// full-size intermediate image is ever made.
//
// Two resamplers, as the original has two paths:
//
//  kOpenCv (align_img_, the default 68-landmark path):
//    warped  = cv2.warpAffine(photo, [[1,0,m02],[0,1,m12]] float32, photo size), INTER_LINEAR,
//              zero border. OpenCV <= 4.10 quantises the source position to 1/32 pixel:
//              for a translation, warped(x, y) samples the photo at
//              (x + shift_ix + shift_fx/32, y + shift_iy + shift_fy/32) with the integer
//              weights (32-fy)(32-fx)·32 ... (sum 32768) and rounds (sum + 2^14) >> 15;
//              taps outside the photo are 0.
//    resized = cv2.resize(warped, (scaled_w, scaled_h)) INTER_LINEAR on uint8: per axis
//              f = (float)((d + 0.5)·scale - 0.5), scale = 1 / ((double)dst / src),
//              s = floor(f), f -= s; weights round((1-f)·2048), round(f·2048) (half to even);
//              columns: s < 0 -> (0, weight 2048), s >= n-1 -> (n-1, 2048); rows clamped to
//              the image with the weights kept. Horizontal sums h = a·v0 + b·v1 (int);
//              vertical (OpenCV's VResizeLinearVec_32s8u, and its uint8 scalar twin):
//              ((b0·(h0 >> 4)) >> 16) + ((b1·(h1 >> 4)) >> 16), then (+2) >> 2.
//    crop    = the 224 x 224 window at (left, up) of the resized image, zero outside.
//
//  kPillow (process_img, the 5-landmark path):
//    moved   = Image.transform(AFFINE, (1,0,dx,0,1,dy)) NEAREST: moved(x, y) =
//              photo(COORD(x + 0.5 + dx), COORD(y + 0.5 + dy)), COORD(v) = v < 0 ? -1 : (int)v,
//              0 outside the photo.
//    resized = Image.resize(BILINEAR) (Pillow <= 12): separable triangle filter, support
//              max(in/out, 1), window [int(c - support + .5), int(c + support + .5)) around
//              c = (d + 0.5)·in/out, weights normalised then quantised (int)(w·2^22 + .5);
//              horizontal pass first, rounded and clipped to uint8, then vertical.
//    crop    = Image.crop((left, up, left + 224, up + 224)), zero outside.
//
// Every floating-point step is written with explicit round-to-nearest helpers: nvcc would
// otherwise fuse a·b + c into an FMA, which the libraries' x86 baseline builds never do. On
// the host the translation unit that loops over these (kernels/cpu/alignment.cpp) turns FMA
// contraction off, so the CPU and CUDA outputs are identical bytes.
#pragma once

#include <cstdint>

#include "kernels/exact_float.h"
#include "kernels/host_device.h"

#if !defined(__CUDA_ARCH__)
#include <cmath>
#endif

namespace p3d {

constexpr int32_t kAlignCropSize = 224;      // the R-Net input is 224 x 224
constexpr int32_t kAlignMaxPillowTaps = 64;  // Pillow window limit: downscale <= 31x

enum class AlignResampler : int32_t {
  kOpenCv = 0,  // cv2.warpAffine + cv2.resize INTER_LINEAR (68-landmark path)
  kPillow = 1,  // PIL transform NEAREST + resize BILINEAR (5-landmark path)
};

// One batch item: where its photo lies and how it is resampled. Built on the host by
// pipeline/alignment.cpp from the POS solution.
struct AlignItemParams {
  int64_t src_offset;        // bytes from the batch's source buffer to this photo
  int32_t src_w, src_h;      // photo size (interleaved uint8, `channels` per pixel)
  AlignResampler resampler;  // which of the two paths
  // kOpenCv: warped(x, y) samples the photo at (x + shift_ix + shift_fx / 32, ...).
  int32_t shift_ix, shift_iy;  // integer part (floor) of the sampling offset
  int32_t shift_fx, shift_fy;  // fractional part in 1/32 pixel, 0..31
  // kPillow: moved(x, y) = photo(COORD(x + 0.5 + pil_dx), COORD(y + 0.5 + pil_dy)).
  double pil_dx, pil_dy;
  int32_t scaled_w, scaled_h;  // size the moved photo is resized to
  int32_t left, up;            // crop window's top-left corner in the resized image
};

// Shared sizes of a batch.
struct AlignBatchParams {
  int32_t batch;
  int32_t crop;      // output side (224)
  int32_t channels;  // interleaved uint8 channels in and float channels out (3: BGR)
};

namespace align_math {

// Every float step below is exactly rounded (kernels/exact_float.h), so the CPU loops and
// the CUDA kernels give the same bits whatever contraction flags their files use.

P3D_HD int32_t clamp_index(int32_t i, int32_t n) { return i < 0 ? 0 : (i >= n ? n - 1 : i); }
P3D_HD int32_t clip_u8(int32_t v) { return v < 0 ? 0 : (v > 255 ? 255 : v); }

// ---- OpenCV ---------------------------------------------------------------------------

// cv2.warpAffine's bilinear weights for a sampling offset of (fx, fy) / 32 pixel: taps
// (0,0), (1,0), (0,1), (1,1) in Q15. OpenCV's table stores them as int16, so the (0, 0)
// weight 32768 saturates to 32767 — which changes no uint8 result but is kept for fidelity.
P3D_HD void cv_warp_weights(int32_t fx, int32_t fy, int32_t w[4]) {
  w[0] = (32 - fy) * (32 - fx) * 32;
  if (w[0] > 32767) w[0] = 32767;
  w[1] = (32 - fy) * fx * 32;
  w[2] = fy * (32 - fx) * 32;
  w[3] = fy * fx * 32;
}

// One warped pixel from its 2 x 2 source taps (0 outside the photo), rounded to uint8.
P3D_HD int32_t cv_warp_sample(const int32_t w[4], int32_t v00, int32_t v10, int32_t v01,
                              int32_t v11) {
  return (w[0] * v00 + w[1] * v10 + w[2] * v01 + w[3] * v11 + (1 << 14)) >> 15;
}

// One axis of cv2.resize INTER_LINEAR (fixed point): the two source indices and their
// 11-bit weights for destination index d. `columns` selects OpenCV's column rule (weights
// forced to (2048, 0) past either edge); rows only clamp their indices.
struct CvLinearTap {
  int32_t i0, i1;
  int32_t w0, w1;
};

P3D_HD CvLinearTap cv_linear_tap(int32_t d, double scale, int32_t n, bool columns) {
  float f = static_cast<float>(exact_sub(exact_mul(static_cast<double>(d) + 0.5, scale), 0.5));
  int32_t s = floor_int(f);
  f = exact_sub(f, static_cast<float>(s));
  if (columns) {
    if (s < 0) f = 0.f, s = 0;
    if (s >= n - 1) f = 0.f, s = n - 1;
  }
  CvLinearTap t;
  t.i0 = clamp_index(s, n);
  t.i1 = clamp_index(s + 1, n);
  t.w0 = round_half_even(exact_mul(exact_sub(1.f, f), 2048.f));
  t.w1 = round_half_even(exact_mul(f, 2048.f));
  return t;
}

// OpenCV's src / dst ratio: 1 / ((double)dst / src).
P3D_HD double cv_resize_scale(int32_t src, int32_t dst) {
  return exact_div(1.0, exact_div(static_cast<double>(dst), static_cast<double>(src)));
}

// The vertical step of OpenCV's uint8 linear resize from two horizontal sums.
P3D_HD int32_t cv_vertical(int32_t h0, int32_t h1, int32_t b0, int32_t b1) {
  const int32_t v = ((b0 * (h0 >> 4)) >> 16) + ((b1 * (h1 >> 4)) >> 16);
  return clip_u8((v + 2) >> 2);
}

// ---- Pillow ---------------------------------------------------------------------------

// Pillow's COORD: truncation, with every negative position outside.
P3D_HD int32_t pil_coord(double v) { return v < 0.0 ? -1 : static_cast<int32_t>(v); }

// One output index of Pillow's resample (precompute_coeffs, bilinear filter): the window
// [first, first + count) and what its weights need.
struct PilWindow {
  int32_t first, count;
  double center;  // (d + 0.5) · in / out
  double ss;      // 1 / filterscale
  double total;   // sum of the window's raw weights
};

P3D_HD double pil_bilinear(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

P3D_HD double pil_raw_weight(const PilWindow& w, int32_t k) {
  return pil_bilinear(
      exact_mul(exact_add(exact_sub(static_cast<double>(k + w.first), w.center), 0.5), w.ss));
}

P3D_HD PilWindow pil_window(int32_t d, int32_t in_size, int32_t out_size) {
  const double scale = exact_div(static_cast<double>(in_size), static_cast<double>(out_size));
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = filterscale;  // bilinear support 1.0 · filterscale
  PilWindow w;
  w.center = exact_mul(static_cast<double>(d) + 0.5, scale);
  w.ss = exact_div(1.0, filterscale);
  int32_t lo = static_cast<int32_t>(exact_add(exact_sub(w.center, support), 0.5));
  if (lo < 0) lo = 0;
  int32_t hi = static_cast<int32_t>(exact_add(exact_add(w.center, support), 0.5));
  if (hi > in_size) hi = in_size;
  w.first = lo;
  w.count = hi - lo;
  w.total = 0.0;
  for (int32_t k = 0; k < w.count; ++k) w.total = exact_add(w.total, pil_raw_weight(w, k));
  return w;
}

// Pillow's normalised 22-bit fixed-point weight k of a window (normalize_coeffs_8bpc).
P3D_HD int32_t pil_weight(const PilWindow& w, int32_t k) {
  double v = pil_raw_weight(w, k);
  if (w.total != 0.0) v = exact_div(v, w.total);
  const double scaled = exact_mul(v, static_cast<double>(1 << 22));  // exact: power of two
  return v < 0.0 ? static_cast<int32_t>(scaled - 0.5) : static_cast<int32_t>(scaled + 0.5);
}

// Pillow's clip8 of a 22-bit fixed-point sum that already holds the rounding half.
P3D_HD int32_t pil_clip8(int32_t v) { return clip_u8(v >> 22); }

// The pixel (x, y) of the resized photo under output pixel (r, c) of the crop; false, with
// the pixel's channels zeroed, when the crop reaches past the resized photo there.
P3D_HD bool resized_position(const AlignItemParams& p, int32_t channels, int32_t r, int32_t c,
                             float* out, int32_t* x, int32_t* y) {
  *x = p.left + c;
  *y = p.up + r;
  if (*x >= 0 && *y >= 0 && *x < p.scaled_w && *y < p.scaled_h) return true;
  for (int32_t ch = 0; ch < channels; ++ch) out[ch] = 0.f;
  return false;
}

}  // namespace align_math

// One output pixel (row r, column c of the 224 crop, all channels) of a kOpenCv item. The
// resize reads warped pixels at columns {i0, i1} and rows {j0, j1} (i1 - i0 and j1 - j0 are
// 0 or 1); the warp reads each from a 2 x 2 source block offset by the integer shift, so
// one 3 x 3 source block per channel feeds all four.
P3D_HD void align_opencv_pixel(const uint8_t* batch_src, const AlignItemParams& p, int32_t channels,
                               int32_t r, int32_t c, float* out) {
  using namespace align_math;
  int32_t x, y;
  if (!resized_position(p, channels, r, c, out, &x, &y)) return;
  const uint8_t* src = batch_src + p.src_offset;
  const CvLinearTap tx = cv_linear_tap(x, cv_resize_scale(p.src_w, p.scaled_w), p.src_w, true);
  const CvLinearTap ty = cv_linear_tap(y, cv_resize_scale(p.src_h, p.scaled_h), p.src_h, false);
  int32_t w[4];
  cv_warp_weights(p.shift_fx, p.shift_fy, w);
  const int32_t x0 = tx.i0 + p.shift_ix, y0 = ty.i0 + p.shift_iy;  // block's top-left source pixel
  const int32_t dx = tx.i1 - tx.i0, dy = ty.i1 - ty.i0;
  const bool inside = x0 >= 0 && y0 >= 0 && x0 + 2 < p.src_w && y0 + 2 < p.src_h;
  auto fetch = [&](int32_t a, int32_t b, int32_t ch) -> int32_t {
    const int32_t sx = x0 + a, sy = y0 + b;
    if (!inside && (sx < 0 || sy < 0 || sx >= p.src_w || sy >= p.src_h)) return 0;
    return src[(static_cast<int64_t>(sy) * p.src_w + sx) * channels + ch];
  };
  for (int32_t ch = 0; ch < channels; ++ch) {
    // Scalars, not an array indexed by dx / dy, so the GPU keeps them in registers.
    const int32_t v00 = fetch(0, 0, ch), v10 = fetch(1, 0, ch), v20 = fetch(2, 0, ch);
    const int32_t v01 = fetch(0, 1, ch), v11 = fetch(1, 1, ch), v21 = fetch(2, 1, ch);
    const int32_t v02 = fetch(0, 2, ch), v12 = fetch(1, 2, ch), v22 = fetch(2, 2, ch);
    // Rows j1 = j0 + dy: the second pair of block rows is rows (dy, dy + 1).
    const int32_t u00 = dy ? v01 : v00, u10 = dy ? v11 : v10, u20 = dy ? v21 : v20;
    const int32_t u01 = dy ? v02 : v01, u11 = dy ? v12 : v11, u21 = dy ? v22 : v21;
    const int32_t w00 = cv_warp_sample(w, v00, v10, v01, v11);
    const int32_t w10 = dx ? cv_warp_sample(w, v10, v20, v11, v21) : w00;
    const int32_t w01 = cv_warp_sample(w, u00, u10, u01, u11);
    const int32_t w11 = dx ? cv_warp_sample(w, u10, u20, u11, u21) : w01;
    const int32_t h0 = w00 * tx.w0 + w10 * tx.w1;
    const int32_t h1 = w01 * tx.w0 + w11 * tx.w1;
    out[ch] = static_cast<float>(cv_vertical(h0, h1, ty.w0, ty.w1));
  }
}

// One output pixel of a kPillow item. channels <= 4. The horizontal weights of the pixel's
// window are kept in a small array when it has at most kCachedTaps taps and recomputed per
// row otherwise (the same values either way): the CPU caches up to kAlignMaxPillowTaps, the
// GPU only short windows (kernels/cuda/alignment.cu), to keep its per-thread memory small.
template <int kCachedTaps>
P3D_HD void align_pillow_pixel(const uint8_t* batch_src, const AlignItemParams& p, int32_t channels,
                               int32_t r, int32_t c, float* out) {
  using namespace align_math;
  int32_t x, y;
  if (!resized_position(p, channels, r, c, out, &x, &y)) return;
  const uint8_t* src = batch_src + p.src_offset;
  const PilWindow wx = pil_window(x, p.src_w, p.scaled_w);
  const PilWindow wy = pil_window(y, p.src_h, p.scaled_h);
  constexpr int kArray = kCachedTaps > 0 ? kCachedTaps : 1;
  int32_t kx[kArray];
  const bool cached = wx.count <= kCachedTaps;
  if (cached)
    for (int32_t i = 0; i < wx.count; ++i) kx[i] = pil_weight(wx, i);
  int32_t acc[4] = {1 << 21, 1 << 21, 1 << 21, 1 << 21};
  for (int32_t j = 0; j < wy.count; ++j) {
    const int32_t ky = pil_weight(wy, j);
    const int32_t sy = pil_coord(exact_add(static_cast<double>(wy.first + j) + 0.5, p.pil_dy));
    int32_t h[4] = {1 << 21, 1 << 21, 1 << 21, 1 << 21};
    for (int32_t i = 0; i < wx.count; ++i) {
      const int32_t sx = pil_coord(exact_add(static_cast<double>(wx.first + i) + 0.5, p.pil_dx));
      if (sx < 0 || sy < 0 || sx >= p.src_w || sy >= p.src_h) continue;  // moved pixel is 0
      const int32_t k = cached ? kx[i] : pil_weight(wx, i);
      const uint8_t* px = src + (static_cast<int64_t>(sy) * p.src_w + sx) * channels;
      for (int32_t ch = 0; ch < channels; ++ch) h[ch] += k * px[ch];
    }
    for (int32_t ch = 0; ch < channels; ++ch) acc[ch] += ky * pil_clip8(h[ch]);
  }
  for (int32_t ch = 0; ch < channels; ++ch) out[ch] = static_cast<float>(pil_clip8(acc[ch]));
}

}  // namespace p3d
