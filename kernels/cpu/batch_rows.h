// The split the CPU image-batch loops share (alignment, crop resampling): every output row
// of every item of a batch is one unit of work, spread over the global thread pool.
#pragma once

#include <cstdint>

#include "kernels/cpu/thread_pool.h"

namespace p3d::cpu {

// Calls row(b, r, i) for row r of item b of `batch` images of `height` rows each, where
// i = b * height + r is the row's index over the whole batch; tasks get `grain` rows at least.
template <typename RowFn>
void for_each_batch_row(int32_t batch, int32_t height, int64_t grain, RowFn row) {
  const int64_t rows = static_cast<int64_t>(batch) * height;
  ThreadPool::global().parallel_for(rows, grain, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i)
      row(static_cast<int32_t>(i / height), static_cast<int32_t>(i % height), i);
  });
}

}  // namespace p3d::cpu
