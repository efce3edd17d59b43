// p3d::cpu::pool2d: 2-D max and average pooling over NHWC with TensorFlow's padding rules:
// the window is clipped to the image, so padded positions never win a max and are not
// counted in an average (divisor = valid positions under the window). Each output pixel
// combines whole channel vectors: 64 channels at a time stay in vector registers while the
// window is walked. Work is split over (batch, output row).
// A window with no valid position (impossible with TensorFlow's SAME/VALID padding) gives
// the lowest float for max, as Eigen's max reducer starts from it, and 0 for average.
// Max follows fmaxf for NaN (a NaN loses to a number), like the other max kernels here.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/vector16.h"
#include "kernels/error.h"

namespace p3d::cpu {
namespace {

constexpr int64_t kGrain = 32768;  // window elements read per task below which work is inline

template <PoolKind kKind>
inline float combine(float acc, float v) {
  if constexpr (kKind == PoolKind::Max) {
    return max_or_number(acc, v);
  } else {
    return acc + v;
  }
}

// The window [y_lo, y_hi) x [x_lo, x_hi) (non-empty) of one output pixel: channels go 64
// at a time through four vector registers while the loop walks the window positions.
template <PoolKind kKind>
void pool_window(const Pool2dParams& p, const float* image, int64_t y_lo, int64_t y_hi,
                 int64_t x_lo, int64_t x_hi, float* out) {
  const int64_t c = p.channels;
  const int64_t row = int64_t{p.in_w} * c;
  const float* first = image + y_lo * row + x_lo * c;  // initialises the accumulators
  int64_t k = 0;
  for (; k + 64 <= c; k += 64) {
    V16 a0, a1, a2, a3;
    std::memcpy(&a0, first + k, sizeof a0);
    std::memcpy(&a1, first + k + 16, sizeof a1);
    std::memcpy(&a2, first + k + 32, sizeof a2);
    std::memcpy(&a3, first + k + 48, sizeof a3);
    for (int64_t iy = y_lo; iy < y_hi; ++iy) {
      for (int64_t ix = (iy == y_lo ? x_lo + 1 : x_lo); ix < x_hi; ++ix) {
        const float* in = image + iy * row + ix * c + k;
        combine16<kKind == PoolKind::Max>(a0, in);
        combine16<kKind == PoolKind::Max>(a1, in + 16);
        combine16<kKind == PoolKind::Max>(a2, in + 32);
        combine16<kKind == PoolKind::Max>(a3, in + 48);
      }
    }
    std::memcpy(out + k, &a0, sizeof a0);
    std::memcpy(out + k + 16, &a1, sizeof a1);
    std::memcpy(out + k + 32, &a2, sizeof a2);
    std::memcpy(out + k + 48, &a3, sizeof a3);
  }
  for (; k + 16 <= c; k += 16) {
    V16 a;
    std::memcpy(&a, first + k, sizeof a);
    for (int64_t iy = y_lo; iy < y_hi; ++iy) {
      for (int64_t ix = (iy == y_lo ? x_lo + 1 : x_lo); ix < x_hi; ++ix) {
        combine16<kKind == PoolKind::Max>(a, image + iy * row + ix * c + k);
      }
    }
    std::memcpy(out + k, &a, sizeof a);
  }
  if (k < c) {  // the last c % 16 channels, row by row through the output
    std::memcpy(out + k, first + k, static_cast<size_t>(c - k) * sizeof(float));
    for (int64_t iy = y_lo; iy < y_hi; ++iy) {
      for (int64_t ix = (iy == y_lo ? x_lo + 1 : x_lo); ix < x_hi; ++ix) {
        const float* in = image + iy * row + ix * c;
        for (int64_t j = k; j < c; ++j) out[j] = combine<kKind>(out[j], in[j]);
      }
    }
  }
  if constexpr (kKind == PoolKind::Average) {
    const float count = static_cast<float>((y_hi - y_lo) * (x_hi - x_lo));
    for (int64_t j = 0; j < c; ++j) out[j] /= count;
  }
}

// Pools one output row (n, oy) of out_w pixels.
template <PoolKind kKind>
void pool_row(const Pool2dParams& p, const float* x, float* y, int64_t n, int64_t oy) {
  const int64_t c = p.channels;
  const int64_t iy0 = oy * p.stride_h - p.pad_top;
  const int64_t y_lo = std::max<int64_t>(iy0, 0);
  const int64_t y_hi = std::min<int64_t>(iy0 + p.kernel_h, p.in_h);
  const float* image = x + n * p.in_h * p.in_w * c;
  float* out_row = y + (n * p.out_h + oy) * p.out_w * c;
  for (int64_t ox = 0; ox < p.out_w; ++ox) {
    const int64_t ix0 = ox * p.stride_w - p.pad_left;
    const int64_t x_lo = std::max<int64_t>(ix0, 0);
    const int64_t x_hi = std::min<int64_t>(ix0 + p.kernel_w, p.in_w);
    float* out = out_row + ox * c;
    if (y_lo >= y_hi || x_lo >= x_hi) {
      const float empty = kKind == PoolKind::Max ? std::numeric_limits<float>::lowest() : 0.f;
      std::fill(out, out + c, empty);
    } else {
      pool_window<kKind>(p, image, y_lo, y_hi, x_lo, x_hi, out);
    }
  }
}

template <PoolKind kKind>
void run(ThreadPool& pool, const Pool2dParams& p, const float* x, float* y) {
  const int64_t rows = int64_t{p.batch} * p.out_h;
  const int64_t per_row =
      std::max<int64_t>(1, int64_t{p.out_w} * p.kernel_h * p.kernel_w * p.channels);
  pool.parallel_for(rows, std::max<int64_t>(1, kGrain / per_row),
                    [&](int64_t begin, int64_t end, int) {
                      for (int64_t r = begin; r < end; ++r) {
                        pool_row<kKind>(p, x, y, r / p.out_h, r % p.out_h);
                      }
                    });
}

}  // namespace

void pool2d(ThreadPool& pool, const Pool2dParams& p, const float* x, float* y) {
  check_pool2d_params(p);
  if (int64_t{p.batch} * p.out_h * p.out_w * p.channels == 0) return;
  switch (p.kind) {
    case PoolKind::Max:
      return run<PoolKind::Max>(pool, p, x, y);
    case PoolKind::Average:
      return run<PoolKind::Average>(pool, p, x, y);
  }
  P3D_THROW("pool2d: unknown kind ", static_cast<int>(p.kind));
}

}  // namespace p3d::cpu
