// p3d::cpu::concat_copy: one input of a concat, viewed as [outer, inner], copied into the
// output viewed as [outer, inner_total] at column `column_offset`. Any dtype: elements are
// element_size bytes. Rows are memcpy'd; when the input is the whole output row (a concat
// with one input, or along axis 0) it is one contiguous copy split by bytes instead.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/error.h"

namespace p3d::cpu {
namespace {
constexpr int64_t kGrainBytes = 256 * 1024;  // bytes per task below which the copy is inline
}  // namespace

void concat_copy(ThreadPool& pool, const ConcatCopyParams& p, const void* x, void* y) {
  check_concat_copy_params(p);
  if (p.outer == 0 || p.inner == 0) return;
  const int64_t es = p.element_size;
  const uint8_t* src = static_cast<const uint8_t*>(x);
  uint8_t* dst = static_cast<uint8_t*>(y) + p.column_offset * es;
  const int64_t row_bytes = p.inner * es;

  if (p.inner == p.inner_total) {
    const int64_t total = p.outer * row_bytes;
    pool.parallel_for(total, kGrainBytes, [&](int64_t begin, int64_t end, int) {
      std::memcpy(dst + begin, src + begin, static_cast<size_t>(end - begin));
    });
    return;
  }
  const int64_t dst_stride = p.inner_total * es;
  const int64_t grain = std::max<int64_t>(1, kGrainBytes / row_bytes);
  pool.parallel_for(p.outer, grain, [&](int64_t begin, int64_t end, int) {
    for (int64_t r = begin; r < end; ++r) {
      std::memcpy(dst + r * dst_stride, src + r * row_bytes, static_cast<size_t>(row_bytes));
    }
  });
}

}  // namespace p3d::cpu
