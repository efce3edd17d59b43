// p3d::cpu::reduce: sum, mean or max of x viewed as [outer, reduced, inner] over the middle
// axis, into y [outer, inner].
//
// Vectorised over contiguous memory: each reduced step combines a whole row of `inner`
// floats (tiled to kTile columns; up to 64 columns stay in four 16-float vector registers
// while the rows stream by, wider tiles accumulate row after row in L1). When
// inner is short (a mean over the last axis has inner == 1) `group` consecutive rows are
// read as one row of group * inner floats, summed the same way, and the group lanes are
// folded pairwise at the end.
//
// Accuracy: rows are summed in blocks of kBlock rows sequentially, and the block sums are
// combined pairwise (a binary counter: two partial sums covering the same number of blocks
// are added as soon as both exist). The error bound grows with kBlock + log2(rows / kBlock)
// instead of with `reduced`, so a sum over millions of elements keeps float accuracy.
//
// Parallelism: over (outer, column tile) tasks; when there are fewer tasks than threads
// (a full reduction) the reduced axis itself is split into chunks of 2^j blocks. Such a
// chunk is exactly one node of the pairwise tree, so the result is bit-identical whatever
// the thread count.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/vector16.h"
#include "kernels/error.h"

namespace p3d::cpu {
namespace {

// kTile: columns summed together. Wide enough that each row is read as a 2 KB run (shorter
// strided runs defeat the prefetcher: 512-byte runs were 1.5x slower for [8, 49, 2048]).
constexpr int64_t kTile = 512;
constexpr int64_t kBlock = 32;        // rows summed sequentially before going pairwise
constexpr int64_t kLanesTarget = 64;  // short rows are grouped to about this width
constexpr int kLevels = 40;           // pairwise stack depth: up to 2^39 blocks of rows
constexpr int64_t kMaxChunks = 32;    // chunks of one split reduction
constexpr int64_t kGrain = 32768;     // elements read per task below which work stays inline

template <bool kMax>
inline float combine(float a, float b) {
  if constexpr (kMax) {
    return max_or_number(a, b);
  } else {
    return a + b;
  }
}

template <bool kMax>
inline void combine_rows(float* acc, const float* row, int64_t w) {
  for (int64_t j = 0; j < w; ++j) acc[j] = combine<kMax>(acc[j], row[j]);
}

// s[0, w) = rows [0, rows) combined in order (row r at first + r * stride), rows >= 1.
// Columns go 64 at a time through four vector registers, so each row costs four loads and
// four adds; the element-wise order is the same as a plain row-after-row loop.
template <bool kMax>
void block_sum(const float* first, int64_t stride, int64_t rows, int64_t w, float* s) {
  if (w > 64) {
    // Wide rows: row after row, each read as one contiguous run (prefetch friendly), the
    // partial row staying in L1.
    std::copy(first, first + w, s);
    for (int64_t r = 1; r < rows; ++r) combine_rows<kMax>(s, first + r * stride, w);
    return;
  }
  int64_t j = 0;
  for (; j + 64 <= w; j += 64) {
    V16 a0, a1, a2, a3;
    std::memcpy(&a0, first + j, sizeof a0);
    std::memcpy(&a1, first + j + 16, sizeof a1);
    std::memcpy(&a2, first + j + 32, sizeof a2);
    std::memcpy(&a3, first + j + 48, sizeof a3);
    for (int64_t r = 1; r < rows; ++r) {
      const float* p = first + r * stride + j;
      combine16<kMax>(a0, p);
      combine16<kMax>(a1, p + 16);
      combine16<kMax>(a2, p + 32);
      combine16<kMax>(a3, p + 48);
    }
    std::memcpy(s + j, &a0, sizeof a0);
    std::memcpy(s + j + 16, &a1, sizeof a1);
    std::memcpy(s + j + 32, &a2, sizeof a2);
    std::memcpy(s + j + 48, &a3, sizeof a3);
  }
  for (; j + 16 <= w; j += 16) {
    V16 a;
    std::memcpy(&a, first + j, sizeof a);
    for (int64_t r = 1; r < rows; ++r) combine16<kMax>(a, first + r * stride + j);
    std::memcpy(s + j, &a, sizeof a);
  }
  for (; j < w; ++j) {
    float a = first[j];
    for (int64_t r = 1; r < rows; ++r) a = combine<kMax>(a, first[r * stride + j]);
    s[j] = a;
  }
}

// The pairwise (binary-counter) accumulator of equal-width partial rows.
template <bool kMax>
class Pairwise {
 public:
  void reset(int64_t width) {
    width_ = width;
    depth_ = 0;
  }

  // The row to fill before push(); it lies above the stack.
  float* slot() { return rows_[depth_]; }

  // Pushes slot() as a partial result covering 2^level blocks, merging equal levels.
  void push(int level) {
    int pos = depth_;
    while (pos > 0 && levels_[pos - 1] == level) {
      combine_rows<kMax>(rows_[pos - 1], rows_[pos], width_);
      --pos;
      ++level;
    }
    levels_[pos] = level;
    depth_ = pos + 1;
  }

  // Combines the stack from its smallest entry down (after `initial` when given) into out.
  void collapse(const float* initial, float* out) const {
    int pos = depth_ - 1;
    if (initial) {
      std::copy(initial, initial + width_, out);
    } else {
      std::copy(rows_[pos], rows_[pos] + width_, out);
      --pos;
    }
    for (; pos >= 0; --pos) combine_rows<kMax>(out, rows_[pos], width_);
  }

 private:
  int64_t width_ = 0;
  int depth_ = 0;
  int levels_[kLevels];
  float rows_[kLevels + 1][kTile];
};

// How a [reduced, inner] slab is read: `rows` rows of `row_width` = group * inner floats,
// plus `rest` original rows left over; columns in tiles of at most kTile.
struct Plan {
  int64_t group;      // original rows per read row
  int64_t row_width;  // group * inner
  int64_t rows;       // reduced / group
  int64_t rest;       // reduced % group
  int64_t blocks;     // ceil(rows / kBlock)
  int64_t tiles;      // column tiles of a row
  int64_t tile;       // tile width (the last one may be narrower)
};

Plan make_plan(const ReduceParams& p) {
  Plan plan;
  if (p.inner >= kLanesTarget) {
    plan.group = 1;
  } else {
    // Prefer a width that is a multiple of 16 (whole vectors): lcm(inner, 16), widened
    // toward kLanesTarget; otherwise just about kLanesTarget.
    const int64_t unit = p.inner / std::gcd<int64_t>(p.inner, 16) * 16;
    plan.group = unit <= 2 * kLanesTarget
                     ? unit * std::max<int64_t>(1, kLanesTarget / unit) / p.inner
                     : kLanesTarget / p.inner;
    // Keep at least 4 rows per lane so folding the lanes stays cheap next to summing them.
    plan.group = std::max<int64_t>(1, std::min(plan.group, p.reduced / 4));
  }
  plan.row_width = plan.group * p.inner;
  plan.rows = p.reduced / plan.group;
  plan.rest = p.reduced % plan.group;
  plan.blocks = (plan.rows + kBlock - 1) / kBlock;
  P3D_CHECK(plan.blocks < (int64_t{1} << (kLevels - 1)), "reduce: ", p.reduced,
            " rows exceed the pairwise stack");
  plan.tile = std::min(plan.row_width, kTile);
  plan.tiles = (plan.row_width + plan.tile - 1) / plan.tile;
  return plan;
}

// Rows of blocks [begin, end) of one column tile into `acc`, each block pushed at level 0.
template <bool kMax>
void accumulate_blocks(Pairwise<kMax>& acc, const float* base, const Plan& plan, int64_t w,
                       int64_t begin, int64_t end) {
  for (int64_t blk = begin; blk < end; ++blk) {
    const int64_t r0 = blk * kBlock;
    const int64_t r1 = std::min(plan.rows, r0 + kBlock);
    block_sum<kMax>(base + r0 * plan.row_width, plan.row_width, r1 - r0, w, acc.slot());
    acc.push(0);
  }
}

// Sums rows [0, plan.rows) of one column tile into partial (plan.rows >= 1).
template <bool kMax>
void sum_tile(Pairwise<kMax>& acc, const float* base, const Plan& plan, int64_t w, float* partial) {
  if (plan.blocks == 1) {  // the common small case: no pairwise stage at all
    block_sum<kMax>(base, plan.row_width, plan.rows, w, partial);
    return;
  }
  acc.reset(w);
  accumulate_blocks(acc, base, plan, w, 0, plan.blocks);
  acc.collapse(nullptr, partial);
}

// Folds the group lanes of a grouped partial (row_width floats) pairwise into its first
// `inner` floats, then adds the leftover original rows.
template <bool kMax>
void fold_groups(float* partial, const Plan& plan, int64_t inner, const float* rest_rows) {
  for (int64_t lanes = plan.group; lanes > 1;) {
    const int64_t half = lanes / 2;
    for (int64_t g = 0; g < half; ++g) {
      combine_rows<kMax>(partial + g * inner, partial + (lanes - half + g) * inner, inner);
    }
    lanes -= half;
  }
  for (int64_t r = 0; r < plan.rest; ++r) {
    combine_rows<kMax>(partial, rest_rows + r * inner, inner);
  }
}

template <bool kMax>
void finish(const ReduceParams& p, const float* partial, float* out, int64_t w) {
  if (p.kind == ReduceKind::Mean) {
    const float count = static_cast<float>(p.reduced);
    for (int64_t j = 0; j < w; ++j) out[j] = partial[j] / count;
  } else {
    std::copy(partial, partial + w, out);
  }
}

// One (outer, tile) task on the calling thread.
template <bool kMax>
void reduce_task(Pairwise<kMax>& acc, const ReduceParams& p, const Plan& plan, const float* x,
                 float* y, int64_t task) {
  const int64_t o = task / plan.tiles;
  const int64_t c0 = (task % plan.tiles) * plan.tile;
  const int64_t w = std::min(plan.tile, plan.row_width - c0);
  const float* base = x + o * p.reduced * p.inner + c0;
  float partial[kTile];
  sum_tile<kMax>(acc, base, plan, w, partial);
  if (plan.group > 1) {
    fold_groups<kMax>(partial, plan, p.inner, base + plan.rows * plan.row_width);
    finish<kMax>(p, partial, y + o * p.inner, p.inner);
  } else {
    finish<kMax>(p, partial, y + o * p.inner + c0, w);
  }
}

// One (outer, tile) task with its reduced axis split over the pool: chunks of 2^level
// blocks are summed in parallel into `chunks`, then pushed at that level in order.
template <bool kMax>
void reduce_task_split(ThreadPool& pool, const ReduceParams& p, const Plan& plan, const float* x,
                       float* y, int64_t task) {
  const int64_t o = task / plan.tiles;
  const int64_t c0 = (task % plan.tiles) * plan.tile;
  const int64_t w = std::min(plan.tile, plan.row_width - c0);
  const float* base = x + o * p.reduced * p.inner + c0;
  int level = 0;
  while (((plan.blocks + (int64_t{1} << level) - 1) >> level) > kMaxChunks) ++level;
  const int64_t chunk_blocks = int64_t{1} << level;
  const int64_t nchunks = (plan.blocks + chunk_blocks - 1) / chunk_blocks;
  float chunks[kMaxChunks][kTile];
  pool.parallel_for(nchunks, 1, [&](int64_t begin, int64_t end, int) {
    Pairwise<kMax> acc;
    for (int64_t c = begin; c < end; ++c) {
      acc.reset(w);
      accumulate_blocks(acc, base, plan, w, c * chunk_blocks,
                        std::min(plan.blocks, (c + 1) * chunk_blocks));
      acc.collapse(nullptr, chunks[c]);
    }
  });
  // A chunk of 2^level blocks is one tree node (a short last block counts as a block, as in
  // the sequential counter); a shorter last chunk is combined like the counter's tail.
  const int64_t full = plan.blocks % chunk_blocks == 0 ? nchunks : nchunks - 1;
  Pairwise<kMax> acc;
  acc.reset(w);
  for (int64_t c = 0; c < full; ++c) {
    std::copy(chunks[c], chunks[c] + w, acc.slot());
    acc.push(level);
  }
  float partial[kTile];
  acc.collapse(full < nchunks ? chunks[nchunks - 1] : nullptr, partial);
  if (plan.group > 1) {
    fold_groups<kMax>(partial, plan, p.inner, base + plan.rows * plan.row_width);
    finish<kMax>(p, partial, y + o * p.inner, p.inner);
  } else {
    finish<kMax>(p, partial, y + o * p.inner + c0, w);
  }
}

// Short reductions over narrow rows (inner < 16, reduced <= 64, e.g. a mean over a last
// axis of 16 channels): per output element four interleaved partial results in registers,
// at most 16 terms each, so the accuracy bound stays below the blocked path's. Per-task
// bookkeeping of the general path would otherwise cost more than the sums.
template <bool kMax>
void reduce_short(const ReduceParams& p, const float* x, float* y, int64_t begin, int64_t end) {
  const float identity = kMax ? -std::numeric_limits<float>::infinity() : 0.f;
  const int64_t n = p.reduced, inner = p.inner;
  for (int64_t o = begin; o < end; ++o) {
    const float* slab = x + o * n * inner;
    for (int64_t i = 0; i < inner; ++i) {
      float s0 = slab[i], s1 = identity, s2 = identity, s3 = identity;
      int64_t r = 1;
      for (; r + 3 <= n; r += 3) {
        s1 = combine<kMax>(s1, slab[r * inner + i]);
        s2 = combine<kMax>(s2, slab[(r + 1) * inner + i]);
        s3 = combine<kMax>(s3, slab[(r + 2) * inner + i]);
      }
      for (; r < n; ++r) s0 = combine<kMax>(s0, slab[r * inner + i]);
      const float v = combine<kMax>(combine<kMax>(s0, s1), combine<kMax>(s2, s3));
      y[o * inner + i] = p.kind == ReduceKind::Mean ? v / static_cast<float>(n) : v;
    }
  }
}

template <bool kMax>
void run(ThreadPool& pool, const ReduceParams& p, const float* x, float* y) {
  if (p.inner < 16 && p.reduced <= 64) {
    pool.parallel_for(
        p.outer, std::max<int64_t>(1, kGrain / (p.reduced * p.inner)),
        [&](int64_t begin, int64_t end, int) { reduce_short<kMax>(p, x, y, begin, end); });
    return;
  }
  const Plan plan = make_plan(p);
  const int64_t tasks = p.outer * plan.tiles;
  const int64_t per_task = p.reduced * plan.tile;
  if (tasks < pool.size() && tasks * per_task >= 4 * kGrain && plan.blocks >= 2 * pool.size()) {
    for (int64_t t = 0; t < tasks; ++t) reduce_task_split<kMax>(pool, p, plan, x, y, t);
    return;
  }
  pool.parallel_for(tasks, std::max<int64_t>(1, kGrain / per_task),
                    [&](int64_t begin, int64_t end, int) {
                      Pairwise<kMax> acc;  // one per task range (~80 KB of stack), set up once
                      for (int64_t t = begin; t < end; ++t)
                        reduce_task<kMax>(acc, p, plan, x, y, t);
                    });
}

}  // namespace

void reduce(ThreadPool& pool, const ReduceParams& p, const float* x, float* y) {
  check_reduce_params(p);
  if (p.outer == 0 || p.inner == 0) return;
  if (p.reduced == 0) {  // empty reduction: the identity (Mean: 0 / 0, as TensorFlow)
    const float value = p.kind == ReduceKind::Max   ? -std::numeric_limits<float>::infinity()
                        : p.kind == ReduceKind::Sum ? 0.f
                                                    : std::numeric_limits<float>::quiet_NaN();
    std::fill(y, y + p.outer * p.inner, value);
    return;
  }
  switch (p.kind) {
    case ReduceKind::Sum:
    case ReduceKind::Mean:
      return run<false>(pool, p, x, y);
    case ReduceKind::Max:
      return run<true>(pool, p, x, y);
  }
  P3D_THROW("reduce: unknown kind ", static_cast<int>(p.kind));
}

}  // namespace p3d::cpu
