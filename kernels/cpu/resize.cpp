// p3d::cpu::resize: TensorFlow 1.x ResizeBilinear / ResizeNearestNeighbor over NHWC floats
// (align_corners, half_pixel_centers). The coordinate math is kernels/resize_math.h, shared
// with the CUDA kernel. Work is split over output rows; each task computes the column taps
// of a chunk of output columns once and reuses them for all its rows. Bilinear keeps
// TensorFlow's order of operations (horizontal blends `top` and `bottom`, then vertical),
// but caches the horizontal blend of each source row: consecutive output rows of an
// upscale share source rows, and the vertical pass is then a contiguous vectorised loop.
// Same-size resizes are a copy, as in TensorFlow (bit-exact even for inf/NaN inputs).
// The bilinear blend is compiled without FMA contraction (a GCC function attribute), so it
// rounds like TensorFlow's CPU kernel, products rounded before the adds: the agreement with
// TensorFlow is bit-exact. Other compilers may fuse them (differences of about 1 ulp).
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/error.h"
#include "kernels/resize_math.h"

#if defined(__GNUC__) && !defined(__clang__)
#define P3D_NO_FMA_CONTRACTION __attribute__((optimize("fp-contract=off")))
#else
#define P3D_NO_FMA_CONTRACTION
#endif

namespace p3d::cpu {
namespace {

constexpr int64_t kGrain = 32768;   // output elements per task below which work is inline
constexpr int32_t kChunk = 256;     // output columns whose taps are cached together
constexpr int64_t kScratch = 4096;  // floats per cached blended source row (16 KB)

// Horizontal pass of TensorFlow's blend for one source row: the `top` (or `bottom`) value
// row[lower] + (row[upper] - row[lower]) * x_lerp of each output column of a chunk.
// kC > 0 fixes the channel count at compile time.
template <int kC>
P3D_NO_FMA_CONTRACTION void lerp_columns(const float* row, const ResizeTap* xs, int32_t n,
                                         int64_t channels, float* out) {
  const int64_t c = kC > 0 ? kC : channels;
  for (int32_t i = 0; i < n; ++i) {
    const float* l = row + xs[i].lower * c;
    const float* u = row + xs[i].upper * c;
    const float x_lerp = xs[i].lerp;
    float* o = out + i * c;
    for (int64_t k = 0; k < c; ++k) o[k] = l[k] + (u[k] - l[k]) * x_lerp;
  }
}

// Vertical pass: out = top + (bottom - top) * y_lerp, contiguous, vectorised.
P3D_NO_FMA_CONTRACTION void lerp_rows(const float* top, const float* bottom, float y_lerp,
                                      int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = top[i] + (bottom[i] - top[i]) * y_lerp;
}

// The two horizontally blended source rows an output row needs, cached by source row:
// consecutive output rows of an upscale share them, so each is blended once.
template <int kC>
class RowCache {
 public:
  RowCache(float* a, float* b) : buffers_{a, b} {}
  void clear() { sources_[0] = sources_[1] = nullptr; }

  // The blended values of source row `row`; never evicts the row `keep`.
  const float* get(const float* row, const float* keep, const ResizeTap* xs, int32_t n,
                   int64_t channels) {
    for (int k = 0; k < 2; ++k) {
      if (sources_[k] == row) return buffers_[k];
    }
    const int k = sources_[0] == keep ? 1 : 0;
    lerp_columns<kC>(row, xs, n, channels, buffers_[k]);
    sources_[k] = row;
    return buffers_[k];
  }

 private:
  float* buffers_[2];
  const float* sources_[2] = {nullptr, nullptr};
};

template <int kC>
void nearest_chunk(const float* row, const int32_t* xs, int32_t n, int64_t channels, float* out) {
  const int64_t c = kC > 0 ? kC : channels;
  for (int32_t i = 0; i < n; ++i) {
    const float* s = row + xs[i] * c;
    float* o = out + i * c;
    for (int64_t k = 0; k < c; ++k) o[k] = s[k];
  }
}

// Output rows [begin, end) (over batch * out_h), in column chunks whose taps and blended
// source rows live on the stack.
template <int kC>
void resize_rows(const ResizeParams& p, float height_scale, float width_scale, const float* x,
                 float* y, int64_t begin, int64_t end) {
  const int64_t c = p.channels;
  const int64_t in_row = int64_t{p.in_w} * c;
  const int64_t out_row = int64_t{p.out_w} * c;
  const bool bilinear = p.mode == ResizeMode::Bilinear;
  // Columns per chunk: as many as the scratch rows hold (bilinear: c <= kScratch is checked).
  const int32_t chunk =
      static_cast<int32_t>(std::max<int64_t>(1, std::min<int64_t>(kChunk, kScratch / c)));
  ResizeTap taps[kChunk];
  int32_t nearest[kChunk];
  float scratch_a[kScratch], scratch_b[kScratch];
  RowCache<kC> cache(scratch_a, scratch_b);
  for (int32_t x0 = 0; x0 < p.out_w; x0 += chunk) {
    const int32_t n = std::min(chunk, p.out_w - x0);
    for (int32_t i = 0; i < n; ++i) {
      if (bilinear) {
        taps[i] = resize_bilinear_tap(x0 + i, width_scale, p.in_w, p.half_pixel_centers);
      } else {
        nearest[i] = resize_nearest_index(x0 + i, width_scale, p.in_w, p.align_corners,
                                          p.half_pixel_centers);
      }
    }
    cache.clear();
    for (int64_t r = begin; r < end; ++r) {
      const int64_t b = r / p.out_h;
      const int32_t oy = static_cast<int32_t>(r % p.out_h);
      const float* image = x + b * p.in_h * in_row;
      float* out = y + r * out_row + int64_t{x0} * c;
      if (bilinear) {
        const ResizeTap ty = resize_bilinear_tap(oy, height_scale, p.in_h, p.half_pixel_centers);
        const float* lo = image + ty.lower * in_row;
        const float* hi = image + ty.upper * in_row;
        const float* top = cache.get(lo, hi, taps, n, c);
        const float* bottom = cache.get(hi, lo, taps, n, c);
        lerp_rows(top, bottom, ty.lerp, n * c, out);
      } else {
        const int32_t iy =
            resize_nearest_index(oy, height_scale, p.in_h, p.align_corners, p.half_pixel_centers);
        nearest_chunk<kC>(image + iy * in_row, nearest, n, c, out);
      }
    }
  }
}

}  // namespace

void resize(ThreadPool& pool, const ResizeParams& p, const float* x, float* y) {
  check_resize_params(p);
  const int64_t count = int64_t{p.batch} * p.out_h * p.out_w * p.channels;
  if (count == 0) return;
  P3D_CHECK(p.mode != ResizeMode::Bilinear || p.channels <= kScratch, "resize: bilinear with ",
            p.channels, " channels; at most ", kScratch, " are supported");

  if (p.in_h == p.out_h && p.in_w == p.out_w) {
    pool.parallel_for(count, kGrain * 4, [&](int64_t begin, int64_t end, int) {
      std::memcpy(y + begin, x + begin, static_cast<size_t>(end - begin) * sizeof(float));
    });
    return;
  }
  const float height_scale = resize_scale(p.in_h, p.out_h, p.align_corners);
  const float width_scale = resize_scale(p.in_w, p.out_w, p.align_corners);
  const int64_t rows = int64_t{p.batch} * p.out_h;
  const int64_t per_row = int64_t{p.out_w} * p.channels;
  pool.parallel_for(rows, std::max<int64_t>(1, kGrain / per_row),
                    [&](int64_t begin, int64_t end, int) {
                      switch (p.channels) {
                        case 1:
                          return resize_rows<1>(p, height_scale, width_scale, x, y, begin, end);
                        case 2:
                          return resize_rows<2>(p, height_scale, width_scale, x, y, begin, end);
                        case 3:
                          return resize_rows<3>(p, height_scale, width_scale, x, y, begin, end);
                        case 4:
                          return resize_rows<4>(p, height_scale, width_scale, x, y, begin, end);
                        default:
                          return resize_rows<0>(p, height_scale, width_scale, x, y, begin, end);
                      }
                    });
}

}  // namespace p3d::cpu
