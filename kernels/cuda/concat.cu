// One input of a concat: a 2-D strided copy of [outer, inner] into the output's
// [outer, inner_total] at column column_offset. Bytes are moved in the widest word (16, 8,
// 4, 2 or 1 bytes) that divides every row length, pitch and offset and both pointers'
// alignment, so a channel concat of float NHWC maps usually copies 16 bytes per thread.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_kernels.h"

namespace p3d::cuda {
namespace {

constexpr int kConcatBlock = 256;

// In words: each of `rows` rows has `columns` words; the destination row r starts at
// r * dst_pitch + dst_offset.
template <typename T>
static __global__ void concat_copy_kernel(int64_t rows, int64_t columns, int64_t dst_pitch,
                                          int64_t dst_offset, const T* __restrict__ src,
                                          T* __restrict__ dst) {
  const int64_t count = rows * columns;
  for (int64_t i = detail::grid_thread_index(); i < count; i += detail::grid_thread_count()) {
    const int64_t r = i / columns;
    const int64_t c = i - r * columns;
    dst[r * dst_pitch + dst_offset + c] = src[i];
  }
}

template <int kWord>
void launch_concat(int64_t rows, int64_t row_bytes, int64_t pitch_bytes, int64_t offset_bytes,
                   const void* src, void* dst, cudaStream_t stream) {
  using T = typename detail::Word<kWord>::type;
  const int64_t columns = row_bytes / kWord;
  concat_copy_kernel<T>
      <<<detail::grid_blocks(rows * columns, kConcatBlock), kConcatBlock, 0, stream>>>(
          rows, columns, pitch_bytes / kWord, offset_bytes / kWord, static_cast<const T*>(src),
          static_cast<T*>(dst));
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace

void concat_copy(const ConcatCopyParams& p, const void* x, void* y, cudaStream_t stream) {
  check_concat_copy_params(p);
  if (p.outer == 0 || p.inner == 0) return;
  const int64_t es = p.element_size;
  const int64_t row_bytes = p.inner * es;
  const int64_t pitch_bytes = p.inner_total * es;
  const int64_t offset_bytes = p.column_offset * es;
  const auto fits = [&](int64_t word) {
    return row_bytes % word == 0 && pitch_bytes % word == 0 && offset_bytes % word == 0 &&
           detail::is_aligned(x, static_cast<uintptr_t>(word)) &&
           detail::is_aligned(y, static_cast<uintptr_t>(word));
  };
  if (fits(16)) {
    launch_concat<16>(p.outer, row_bytes, pitch_bytes, offset_bytes, x, y, stream);
  } else if (fits(8)) {
    launch_concat<8>(p.outer, row_bytes, pitch_bytes, offset_bytes, x, y, stream);
  } else if (fits(4)) {
    launch_concat<4>(p.outer, row_bytes, pitch_bytes, offset_bytes, x, y, stream);
  } else if (fits(2)) {
    launch_concat<2>(p.outer, row_bytes, pitch_bytes, offset_bytes, x, y, stream);
  } else {
    launch_concat<1>(p.outer, row_bytes, pitch_bytes, offset_bytes, x, y, stream);
  }
}

}  // namespace p3d::cuda
