// p3d::cpu::batch_norm: inference batch norm over the last (channel) axis,
// y = (x - mean) * scale + beta with scale = gamma / sqrt(var + epsilon) folded per channel
// once per task, so the per-element work is one subtract and one multiply-add.
// Rows are split over the pool. Channel vectors shorter than kRepeatTarget are repeated k
// times so one inner loop covers k rows (C = 3 images would otherwise run 3-long loops);
// long ones are processed in tiles of kTile channels.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/error.h"

namespace p3d::cpu {
namespace {

constexpr int64_t kGrain = 32768;       // elements per task below which work stays inline
constexpr int64_t kRepeatTarget = 256;  // minimum inner length for repeated short rows
constexpr int64_t kTile = 1024;         // channels per tile for long rows

// y[i] = (x[i] - mean[i]) * scale[i] + beta[i] over n elements.
inline void normalise(const float* x, const float* mean, const float* scale, const float* beta,
                      float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - mean[i]) * scale[i] + beta[i];
}

}  // namespace

void batch_norm(ThreadPool& pool, const BatchNormParams& p, const float* x, const float* gamma,
                const float* beta, const float* mean, const float* variance, float* y) {
  check_batch_norm_params(p);
  const int64_t c = p.channels;
  if (p.rows == 0 || c == 0) return;
  const float epsilon = p.epsilon;
  auto scale_of = [&](int64_t ch) { return gamma[ch] / std::sqrt(variance[ch] + epsilon); };

  if (c < kRepeatTarget) {
    const int64_t k = (kRepeatTarget + c - 1) / c;  // rows per inner loop, k * c < 2 * target
    pool.parallel_for(p.rows, std::max<int64_t>(k, kGrain / c),
                      [&](int64_t begin, int64_t end, int) {
                        float m[2 * kRepeatTarget], s[2 * kRepeatTarget], b[2 * kRepeatTarget];
                        for (int64_t ch = 0; ch < c; ++ch) {
                          m[ch] = mean[ch];
                          s[ch] = scale_of(ch);
                          b[ch] = beta[ch];
                        }
                        for (int64_t i = c; i < k * c; ++i) {
                          m[i] = m[i - c];
                          s[i] = s[i - c];
                          b[i] = b[i - c];
                        }
                        for (int64_t row = begin; row < end; row += k) {
                          const int64_t n = std::min(k, end - row) * c;
                          normalise(x + row * c, m, s, b, y + row * c, n);
                        }
                      });
    return;
  }

  pool.parallel_for(p.rows, std::max<int64_t>(1, kGrain / c), [&](int64_t begin, int64_t end, int) {
    float s[kTile];
    for (int64_t c0 = 0; c0 < c; c0 += kTile) {
      const int64_t w = std::min(kTile, c - c0);
      for (int64_t j = 0; j < w; ++j) s[j] = scale_of(c0 + j);
      for (int64_t row = begin; row < end; ++row) {
        normalise(x + row * c + c0, mean + c0, s, beta + c0, y + row * c + c0, w);
      }
    }
  });
}

}  // namespace p3d::cpu
