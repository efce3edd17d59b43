// p3d::cpu::pad: tf.pad / MirrorPad on a float tensor of rank <= 6.
//   Constant:  out-of-range positions take `value`.
//   Reflect:   mirror without repeating the edge: index -1 reads 1, n reads n - 2 (pad < n).
//   Symmetric: mirror repeating the edge: index -1 reads 0, n reads n - 1 (pad <= n).
// The trailing dims that are not padded form a contiguous block of B floats that always
// moves whole, so the kernel works on rows of the last padded dim: per output row it maps
// the leading coordinates to a source row (or to the fill), then writes the row as
// [mirrored or filled head][one memcpy of the source row][mirrored or filled tail].
// Rows are split over the pool. Mapped indices are clamped, so even unvalidated params never
// read outside x.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/error.h"

namespace p3d::cpu {
namespace {

constexpr int64_t kGrain = 32768;  // output elements per task below which work is inline

// Source index along one dim for padded-relative index i (i < 0 is in the head), or -1
// for the constant fill.
inline int64_t source_index(int64_t i, int64_t n, PadMode mode) {
  if (i >= 0 && i < n) return i;
  if (mode == PadMode::Constant || n == 0) return -1;
  if (mode == PadMode::Reflect) {
    i = i < 0 ? -i : 2 * n - 2 - i;
  } else {
    i = i < 0 ? -i - 1 : 2 * n - 1 - i;
  }
  return std::min(std::max<int64_t>(i, 0), n - 1);
}

inline void copy_block(const float* src, float* dst, int64_t b) {
  for (int64_t t = 0; t < b; ++t) dst[t] = src[t];
}

}  // namespace

void pad(ThreadPool& pool, const PadParams& p, const float* x, float* y) {
  check_pad_params(p);
  int64_t out_dims[kMaxRank];
  int64_t in_count = 1, out_count = 1;
  for (int d = 0; d < p.rank; ++d) {
    out_dims[d] = p.in_dims[d] + p.before[d] + p.after[d];
    in_count *= p.in_dims[d];
    out_count *= out_dims[d];
  }
  if (out_count == 0) return;
  const float value = p.value;
  if (in_count == 0) {  // nothing to read: all fill (constant mode only gets here)
    pool.parallel_for(out_count, kGrain, [&](int64_t begin, int64_t end, int) {
      std::fill(y + begin, y + end, value);
    });
    return;
  }

  // The last padded dim; everything after it is one block of `block` floats.
  int last = p.rank - 1;
  while (last >= 0 && p.before[last] == 0 && p.after[last] == 0) --last;
  if (last < 0) {
    pool.parallel_for(out_count, kGrain, [&](int64_t begin, int64_t end, int) {
      std::memcpy(y + begin, x + begin, static_cast<size_t>(end - begin) * sizeof(float));
    });
    return;
  }
  int64_t block = 1;
  for (int d = last + 1; d < p.rank; ++d) block *= p.in_dims[d];
  int64_t in_strides[kMaxRank];  // in elements, for the dims up to `last`
  in_strides[last] = block;
  for (int d = last - 1; d >= 0; --d) in_strides[d] = in_strides[d + 1] * p.in_dims[d + 1];

  const int64_t n = p.in_dims[last];
  const int64_t head = p.before[last];
  const int64_t tail = p.after[last];
  const int64_t out_row = out_dims[last] * block;
  int64_t rows = 1;
  for (int d = 0; d < last; ++d) rows *= out_dims[d];
  const PadMode mode = p.mode;

  pool.parallel_for(
      rows, std::max<int64_t>(1, kGrain / out_row), [&](int64_t begin, int64_t end, int) {
        for (int64_t r = begin; r < end; ++r) {
          float* o = y + r * out_row;
          // Map the leading output coordinates of row r to a source row offset.
          int64_t rest = r, offset = 0;
          bool fill = false;
          for (int d = last - 1; d >= 0; --d) {
            const int64_t i = rest % out_dims[d];
            rest /= out_dims[d];
            const int64_t s = source_index(i - p.before[d], p.in_dims[d], mode);
            if (s < 0) {
              fill = true;
              break;
            }
            offset += s * in_strides[d];
          }
          if (fill) {
            std::fill(o, o + out_row, value);
            continue;
          }
          const float* src = x + offset;
          for (int64_t j = 0; j < head; ++j) {
            const int64_t s = source_index(j - head, n, mode);
            if (s < 0) {
              std::fill(o + j * block, o + (j + 1) * block, value);
            } else {
              copy_block(src + s * block, o + j * block, block);
            }
          }
          std::memcpy(o + head * block, src, static_cast<size_t>(n * block) * sizeof(float));
          for (int64_t j = 0; j < tail; ++j) {
            const int64_t s = source_index(n + j, n, mode);
            float* dst = o + (head + n + j) * block;
            if (s < 0) {
              std::fill(dst, dst + block, value);
            } else {
              copy_block(src + s * block, dst, block);
            }
          }
        }
      });
}

}  // namespace p3d::cpu
