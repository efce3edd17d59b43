// p3d::cpu::slice: out[i] = in[begin + i * step] per dim (StridedSlice after its masks are
// resolved; steps may be negative), any element size, rank <= 6.
// Trailing dims taken whole with step 1 form one contiguous block of B elements; the last
// dim before them is then either a contiguous run (step 1: one memcpy per output row) or a
// strided gather of blocks. Rows are the leading output dims, split over the pool, each
// mapped to its source offset once. Every index range is checked up front, so the kernel
// cannot read outside x.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/error.h"
#include "kernels/static_dispatch.h"

namespace p3d::cpu {
namespace {

constexpr int64_t kGrainBytes = 256 * 1024;  // bytes per task below which work stays inline

// Gathers n elements of kSize bytes (or `size` when kSize is 0) from src with a stride.
template <int64_t kSize>
void gather(const uint8_t* src, int64_t stride, uint8_t* dst, int64_t n, int64_t size) {
  if constexpr (kSize > 0) {
    for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * kSize, src + i * stride, kSize);
  } else {
    for (int64_t i = 0; i < n; ++i) {
      std::memcpy(dst + i * size, src + i * stride, static_cast<size_t>(size));
    }
  }
}

}  // namespace

void slice(ThreadPool& pool, const SliceParams& p, const void* x, void* y) {
  check_slice_params(p);
  int64_t count = 1;
  for (int d = 0; d < p.rank; ++d) count *= p.out_dims[d];
  if (count == 0) return;

  const int64_t es = p.element_size;
  int64_t in_strides[kMaxRank];
  in_strides[p.rank - 1] = 1;
  for (int d = p.rank - 2; d >= 0; --d) in_strides[d] = in_strides[d + 1] * p.in_dims[d + 1];

  // Trailing dims copied whole: one block of `block` elements.
  int last = p.rank - 1;
  int64_t block = 1;
  while (last >= 0 && p.begin[last] == 0 && p.step[last] == 1 &&
         p.out_dims[last] == p.in_dims[last]) {
    block *= p.in_dims[last];
    --last;
  }
  const uint8_t* src = static_cast<const uint8_t*>(x);
  uint8_t* dst = static_cast<uint8_t*>(y);
  if (last < 0) {  // the whole tensor
    const int64_t bytes = count * es;
    pool.parallel_for(bytes, kGrainBytes, [&](int64_t begin, int64_t end, int) {
      std::memcpy(dst + begin, src + begin, static_cast<size_t>(end - begin));
    });
    return;
  }
  const int64_t n = p.out_dims[last];
  const int64_t run_step = p.step[last] * in_strides[last];  // elements between blocks
  const int64_t row_bytes = n * block * es;
  int64_t rows = 1;
  for (int d = 0; d < last; ++d) rows *= p.out_dims[d];
  const int64_t block_bytes = block * es;

  pool.parallel_for(
      rows, std::max<int64_t>(1, kGrainBytes / row_bytes), [&](int64_t begin, int64_t end, int) {
        for (int64_t r = begin; r < end; ++r) {
          int64_t rest = r;
          int64_t offset = p.begin[last] * in_strides[last];
          for (int d = last - 1; d >= 0; --d) {
            const int64_t i = rest % p.out_dims[d];
            rest /= p.out_dims[d];
            offset += (p.begin[d] + i * p.step[d]) * in_strides[d];
          }
          const uint8_t* s = src + offset * es;
          uint8_t* o = dst + r * row_bytes;
          if (p.step[last] == 1) {
            std::memcpy(o, s, static_cast<size_t>(row_bytes));
          } else {
            // A fixed-size copy for the common block sizes, else any size.
            const bool fixed = with_constant<int64_t, 1, 2, 4, 8, 12, 16>(
                block_bytes,
                [&](auto bytes) { gather<decltype(bytes)::value>(s, run_step * es, o, n, bytes); });
            if (!fixed) gather<0>(s, run_step * es, o, n, block_bytes);
          }
        }
      });
}

}  // namespace p3d::cpu
