// Batched matrix product on the CPU: C = activation(op(A) * op(B) + bias), row-major.
//
// The output of every batch entry is cut into tiles; threads pull tiles from a shared
// counter and run the single-threaded GEMM on each, then the epilogue while the tile is
// in cache. matmul has no workspace argument (see Backend::matmul), so the GEMM packing
// panels live in a per-thread buffer that grows to the largest size seen and is then
// reused: the steady state allocates nothing.
#include "kernels/matmul.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/tile_queue.h"
#include "kernels/error.h"

namespace p3d::cpu {
namespace {

constexpr int64_t kRowBlock = 256;    // rows of a tile when there are enough rows
constexpr int64_t kMinRows = 32;      // fewest rows of a tile (keeps the B packing amortised)
constexpr int64_t kMinColBlock = 64;  // narrowest column split
// Threads pull tiles from a shared counter, so one that starts late takes fewer; that
// needs a few tiles per thread.
constexpr int64_t kTilesPerThread = 4;
constexpr double kMinParallelMacs = 1 << 18;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

float* thread_scratch(size_t floats) {
  thread_local std::vector<float> scratch;
  if (scratch.size() < floats) scratch.resize(floats);
  return scratch.data();
}

// Everything a parallel_for body needs, captured by one reference so std::function keeps
// the lambda inline instead of allocating it on every call.
struct MatmulJob {
  const MatmulParams& p;
  const float* a;
  const float* b;
  float* c;
  const Epilogue& epilogue;
  int64_t row_block, row_blocks, col_block, col_blocks;
  size_t scratch_floats;
  TileQueue* tiles;
};

// Takes tiles t = (column block * p.batch + batch) * row_blocks + row block from
// the tile queue (kernels/cpu/tile_queue.h) until none are left: column blocks outermost, as
// in conv2d, so where the columns are split each thread streams only its part of B.
void run_tiles(const MatmulJob& job, int thread) {
  const MatmulParams& p = job.p;
  const int64_t m = p.m, n = p.n, k = p.k;
  float* scratch = thread_scratch(job.scratch_floats);
  for (;;) {
    const int64_t t = job.tiles->next(thread);
    if (t < 0) break;
    const int64_t row_tasks = p.batch * job.row_blocks;
    const int64_t cb = t / row_tasks;
    const int64_t rb = (t % row_tasks) % job.row_blocks;
    const int64_t batch = (t % row_tasks) / job.row_blocks;
    const int64_t r0 = rb * job.row_block, rows = std::min(job.row_block, m - r0);
    const int64_t c0 = cb * job.col_block, cols = std::min(job.col_block, n - c0);
    float* tile = job.c + batch * m * n + r0 * n + c0;
    const Epilogue e = epilogue_block(job.epilogue, r0, c0);
    epilogue_init(e, rows, cols, tile, n);
    if (k > 0) {
      const float* a_b = job.a + batch * m * k;
      const float* b_b = job.b + batch * k * n;
      // op(A) rows r0.. : A is [m, k], or [k, m] when transposed.
      const GemmOperand ga =
          p.transpose_a ? GemmOperand{a_b + r0, m, true} : GemmOperand{a_b + r0 * k, k, false};
      // op(B) columns c0.. : B is [k, n], or [n, k] when transposed.
      const GemmOperand gb =
          p.transpose_b ? GemmOperand{b_b + c0 * k, k, true} : GemmOperand{b_b + c0, n, false};
      gemm({rows, cols, k, ga, gb, tile, n, true}, scratch);
    }
    epilogue_activate(e, rows, cols, tile, n);
  }
}

}  // namespace

void matmul(ThreadPool& pool, const MatmulParams& p, const float* a, const float* b,
            const float* bias, float* c) {
  check_matmul_params(p);
  if (p.batch == 0 || p.m == 0 || p.n == 0) return;
  P3D_CHECK(c && (p.k == 0 || (a && b)), "matmul: null operand");
  P3D_CHECK(!p.has_bias || bias, "matmul: has_bias but bias is null");
  const int64_t m = p.m, n = p.n, k = p.k;
  const double macs = double(p.batch) * m * n * k;
  const int64_t workers = macs < kMinParallelMacs ? 1 : pool.size();

  // Tiles: row blocks of at most kRowBlock rows, smaller (down to kMinRows) when that is
  // needed for enough tiles; if there are still too few, the columns are split as well.
  const int64_t wanted_tiles = workers > 1 ? workers * kTilesPerThread : 1;
  int64_t row_block = std::min<int64_t>(
      kRowBlock, std::max(kMinRows, ceil_div(m, ceil_div(wanted_tiles, p.batch))));
  int64_t row_blocks = ceil_div(m, std::min(row_block, m));
  row_block = ceil_div(m, row_blocks);  // spread evenly
  row_blocks = ceil_div(m, row_block);
  int64_t col_block = n;
  if (p.batch * row_blocks < wanted_tiles && n >= 2 * kMinColBlock) {
    const int64_t splits = ceil_div(wanted_tiles, p.batch * row_blocks);
    col_block = std::max(kMinColBlock, round_up(ceil_div(n, splits), 16));
  }
  const int64_t col_blocks = ceil_div(n, col_block);
  const int64_t tasks = p.batch * row_blocks * col_blocks;

  size_t scratch_floats = 0;
  for (int64_t r : {row_block, m - (row_blocks - 1) * row_block})
    for (int64_t cc : {col_block, n - (col_blocks - 1) * col_block})
      scratch_floats = std::max(scratch_floats, gemm_scratch_floats(r, cc, k));

  const Epilogue epilogue{p.has_bias ? bias : nullptr, nullptr, 0, p.activation,
                          p.activation_alpha};
  TileQueue tiles(tasks, static_cast<int>(workers));
  const MatmulJob job{
      p, a, b, c, epilogue, row_block, row_blocks, col_block, col_blocks, scratch_floats, &tiles};
  // One body per worker; each pulls tiles until the queue runs out.
  pool.parallel_for(workers, 1, [&job](int64_t, int64_t, int thread) { run_tiles(job, thread); });
}

}  // namespace p3d::cpu
