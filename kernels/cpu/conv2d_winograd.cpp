// Winograd convolution F(m x m, 3x3); see conv2d_winograd.h. With n = m + 2 and the
// matrices below, for one tile of input d (n x n) and filter g (3x3):
//   filter  U = G g G^T   (n x n, at plan time, in double)
//   input   V = B^T d B   (n x n)
//   output  Y = A^T M A   (m x m), M[e] = sum over input channels of U[e] * V[e]
// for each of the n^2 positions e: one GEMM each, over a block of tiles at a time so V and M
// of a block stay in L2.
// F(2x2, 3x3), Lavin and Gray's "Fast Algorithms for Convolutional Neural Networks":
//   G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]      A^T = [1 1 1 0; 0 1 -1 -1]
// F(4x4, 3x3), Toom-Cook over the points 0, -1, 1, 1/2, -2 and infinity (with the usual
// 0, +-1, +-2 the float32 error was 3 to 4 times larger):
//   G   = [1 0 0; -1/3 1/3 -1/3; 1/3 1/3 1/3; -16/15 -8/15 -4/15; 1/15 -2/15 4/15; 0 0 1]
//   B^T = [1 -3/2 -2 3/2 1 0; 0 1 -5/2 1/2 1 0; 0 -1 1/2 5/2 1 0; 0 -2 -1 2 1 0;
//          0 1/2 -1 -1/2 1 0; 0 1 -3/2 -2 3/2 1]
//   A^T = [1 1 1 1 1 0; 0 -1 1 1/2 -2 0; 0 1 1 1/4 4 0; 0 -1 1 1/8 -8 1]
#include "kernels/cpu/conv2d_winograd.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/cpu/cpu_isa.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/isa/winograd_transforms.h"
#include "kernels/cpu/tile_queue.h"
#include "kernels/error.h"

namespace p3d::cpu {
namespace {

// Fewer output tiles than this in the batch and each transformed filter would be streamed
// for a handful of GEMM rows, in every block of tiles (F(2x2) at 14 x 14, 49 tiles, already
// beat im2col), unless the column split below applies. F(4x4): its filter is 36 / 16 the size of
// F(2x2)'s, so it needs as many tiles of its own (28 x 28 at batch 1: 49).
constexpr int64_t kMinTiles = 36;
// With the column split (below) the transformed filter is streamed once however few the
// tiles, and F(2x2) pays from 16 tiles: the R-Net's 7 x 7 3x3s at batch 1, 0.97 -> 0.85 ms
// per layer against im2col (both stream the filter from memory; F(2x2)'s is 16 / 9 the size
// but it does 4 / 9 of the multiplies).
constexpr int64_t kMinColumnSplitTiles = 16;
constexpr int64_t kBlockBudgetFloats = 192 * 1024;  // V + M of one block: 768 KiB
constexpr int64_t kMinTilesPerBlock = 12;
constexpr int64_t kMaxTilesPerBlock = 384;
// Column split (below): when the whole batch's V fits this, and output channels per block.
constexpr int64_t kSharedVBudgetFloats = 256 * 1024;  // 1 MiB
constexpr int64_t kMinColBlock = 64;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

int64_t tiles_of(const Conv2dParams& p, int tile) {
  return int64_t{p.batch} * ceil_div(p.out_h, tile) * ceil_div(p.out_w, tile);
}

// V of every tile of the batch: what the column split (below) keeps in one shared buffer.
int64_t all_tiles_v_floats(const Conv2dParams& p, int tile) {
  return int64_t{tile + 2} * (tile + 2) * tiles_of(p, tile) * p.in_c;
}

// The column split applies when that V fits the shared budget and there are channels to
// split.
bool column_split_applies(const Conv2dParams& p, int tile) {
  return all_tiles_v_floats(p, tile) <= kSharedVBudgetFloats && p.out_c >= 2 * kMinColBlock;
}

// Two ways to cut the work:
//  - tile blocks (many tiles): each task transforms a block of tiles, runs the GEMMs over
//    all output channels and transforms the block's output; V and M stay in L2.
//  - column split (few tiles, big filters: the R-Net's 28 x 28, 14 x 14 and 7 x 7 layers at
//    batch 1): cut into tile blocks, each block streamed the whole transformed filter (4 MB
//    for 256 -> 256 channels) for a dozen GEMM rows, and the threads each streamed all of it.
//    Instead all tiles are transformed once, into V shared by the threads, and each task is
//    a block of output channels over all tiles: each thread streams only its part of the
//    filter, once.
struct WinogradPlan {
  int tile;                         // m: outputs per tile side
  int patch;                        // n = m + 2: inputs per patch side
  int positions;                    // n * n
  int64_t tiles_h, tiles_w, tiles;  // output tiles
  bool column_split;
  int64_t block;      // tiles per task (all of them when column_split)
  int64_t col_block;  // output channels per task (out_c unless column_split)
  int64_t tasks;      // tile blocks, or column blocks
  int64_t workers;
  size_t shared_v_floats;  // column split: V of every tile, before the per-thread slices
  size_t v_floats, m_floats, gemm_floats, zero_floats, slice_floats;  // per thread
};

size_t round16(size_t n) { return (n + 15) / 16 * 16; }

WinogradPlan plan_winograd(const Conv2dParams& p, int tile, int threads) {
  WinogradPlan plan{};
  plan.tile = tile;
  plan.patch = tile + 2;
  plan.positions = plan.patch * plan.patch;
  plan.tiles_h = ceil_div(p.out_h, tile);
  plan.tiles_w = ceil_div(p.out_w, tile);
  plan.tiles = tiles_of(p, tile);
  plan.workers = std::max(1, threads);
  plan.column_split = column_split_applies(p, tile);
  if (plan.column_split) {
    plan.block = std::max<int64_t>(1, plan.tiles);
    // Two column blocks per thread where the channels allow, starting on packed panels.
    const int64_t wanted = std::max<int64_t>(1, 2 * plan.workers);
    plan.col_block = std::min<int64_t>(
        p.out_c, std::max(kMinColBlock, round_up(ceil_div(p.out_c, wanted), gemm_panel_width())));
    plan.tasks = ceil_div(p.out_c, plan.col_block);
    plan.shared_v_floats = round16(static_cast<size_t>(all_tiles_v_floats(p, tile)));
    plan.v_floats = 0;
  } else {
    const int64_t by_cache = kBlockBudgetFloats / (plan.positions * (int64_t{p.in_c} + p.out_c));
    int64_t block = std::clamp(by_cache, kMinTilesPerBlock, kMaxTilesPerBlock);
    // At least a few blocks per thread, so a late thread just takes fewer.
    block = std::min(block, std::max(kMinTilesPerBlock, ceil_div(plan.tiles, 4 * plan.workers)));
    plan.block = std::max<int64_t>(1, std::min(block, plan.tiles));
    plan.col_block = p.out_c;
    plan.tasks = ceil_div(plan.tiles, plan.block);
    plan.v_floats = round16(static_cast<size_t>(plan.positions * plan.block * p.in_c));
  }
  plan.m_floats = round16(static_cast<size_t>(plan.positions * plan.block * plan.col_block));
  plan.gemm_floats = round16(gemm_packed_scratch_floats(plan.block, p.in_c));
  plan.zero_floats = round16(static_cast<size_t>(p.in_c));
  plan.slice_floats = plan.v_floats + plan.m_floats + plan.gemm_floats + plan.zero_floats;
  return plan;
}

// The transforms compiled for the active instruction set (kernels/cpu/isa/).
const WinogradTransforms& transforms() {
  static const WinogradTransforms& t = for_active_isa(
      winograd_transforms_avx512, winograd_transforms_avx2, winograd_transforms_baseline);
  return t;
}

struct WinogradJob {
  const Conv2dParams& p;
  const WinogradPlan& plan;
  const float* x;
  const float* packed;  // `positions` packed [in_c, out_c] matrices
  const Epilogue& epilogue;
  float* y;
  float* shared_v;   // column split: V of every tile
  float* slices;     // per-thread slices
  TileQueue* tasks;  // tile blocks or column blocks
};

constexpr int kMaxPatch = 6;  // F(4x4)

// One thread's scratch.
struct Slice {
  float* v;  // tile blocks: V of the block
  float* m;
  float* gemm_scratch;
  float* zeros;  // in_c zeros: the patch past the image
};

Slice slice_of(const WinogradJob& job, int thread) {
  const WinogradPlan& plan = job.plan;
  Slice s{};
  s.v = job.slices + thread * plan.slice_floats;
  s.m = s.v + plan.v_floats;
  s.gemm_scratch = s.m + plan.m_floats;
  s.zeros = s.gemm_scratch + plan.gemm_floats;
  return s;
}

// V of tiles [t0, t0 + count) into v (tile t at v + (t - t0) * in_c, position e at
// e * v_stride).
void transform_input(const WinogradJob& job, int64_t t0, int64_t count, const float* zeros,
                     float* v, int64_t v_stride) {
  const Conv2dParams& p = job.p;
  const WinogradPlan& plan = job.plan;
  const int m_side = plan.tile, n_side = plan.patch;
  const WinogradInputFn input = m_side == 4 ? transforms().input_4x4 : transforms().input_2x2;
  for (int64_t t = 0; t < count; ++t) {
    const int64_t tile = t0 + t;
    const int64_t n = tile / (plan.tiles_h * plan.tiles_w);
    const int64_t th = (tile / plan.tiles_w) % plan.tiles_h, tw = tile % plan.tiles_w;
    const float* d[kMaxPatch * kMaxPatch];
    for (int i = 0; i < n_side; ++i) {
      // Padding rows and columns read zeros, or the mirrored input (padded_source).
      const int64_t ih = padded_source(m_side * th - p.pad_top + i, p.in_h, p.pad_top, p.pad_bottom,
                                       p.padding_fill);
      for (int j = 0; j < n_side; ++j) {
        const int64_t iw = padded_source(m_side * tw - p.pad_left + j, p.in_w, p.pad_left,
                                         p.pad_right, p.padding_fill);
        d[i * n_side + j] =
            ih < 0 || iw < 0 ? zeros : job.x + ((n * p.in_h + ih) * p.in_w + iw) * p.in_c;
      }
    }
    input(d, p.in_c, v + t * p.in_c, v_stride);
  }
}

// Output channels [c0, c0 + cols) of tiles [t0, t0 + count): the GEMMs of every position
// from V (v_stride apart) into M, then the output transform with bias, residual and the
// activation.
void multiply_and_transform_output(const WinogradJob& job, int64_t t0, int64_t count, int64_t c0,
                                   int64_t cols, const float* v, int64_t v_stride, const Slice& s) {
  const Conv2dParams& p = job.p;
  const WinogradPlan& plan = job.plan;
  const int m_side = plan.tile;
  const WinogradOutputFn output = m_side == 4 ? transforms().output_4x4 : transforms().output_2x2;
  const Epilogue& epilogue = job.epilogue;
  const size_t per_position = gemm_packed_b_floats(p.in_c, p.out_c);
  const int64_t m_stride = count * cols;
  const Epilogue none{nullptr, nullptr, 0, Unary::Identity, 0.f};
  for (int e = 0; e < plan.positions; ++e)
    gemm_packed(count, cols, {v + e * v_stride, p.in_c, false},
                packed_b_columns({job.packed + e * per_position, p.in_c}, c0), s.m + e * m_stride,
                cols, false, none, s.gemm_scratch);
  WinogradOutputTile out{};
  out.m_stride = m_stride;
  out.channels = cols;
  out.bias = epilogue.bias ? epilogue.bias + c0 : nullptr;
  out.alpha = epilogue.alpha;
  const bool fused = fusable_activation(epilogue.activation);
  out.activation = micro_activation(epilogue.activation);
  out.activate = fused && epilogue.activation != Unary::Identity;
  const Epilogue activate_only = epilogue_block(epilogue, 0, c0);
  for (int64_t t = 0; t < count; ++t) {
    const int64_t tile = t0 + t;
    const int64_t n = tile / (plan.tiles_h * plan.tiles_w);
    const int64_t th = (tile / plan.tiles_w) % plan.tiles_h, tw = tile % plan.tiles_w;
    out.m = s.m + t * cols;
    for (int k = 0; k < m_side * m_side; ++k) {
      const int64_t py = m_side * th + k / m_side, px = m_side * tw + k % m_side;
      const bool inside = py < p.out_h && px < p.out_w;  // not past the output's edge
      const int64_t pixel = (n * p.out_h + py) * p.out_w + px;
      out.y[k] = inside ? job.y + pixel * p.out_c + c0 : nullptr;
      out.residual[k] = inside && epilogue.residual
                            ? epilogue.residual + pixel * epilogue.residual_ld + c0
                            : nullptr;
    }
    output(out);  // bias, residual and a fusable activation included
    if (!fused)
      for (int k = 0; k < m_side * m_side; ++k)
        if (out.y[k]) epilogue_activate(activate_only, 1, cols, out.y[k], p.out_c);
  }
}

void run_tile_blocks(const WinogradJob& job, int thread) {
  const WinogradPlan& plan = job.plan;
  const Slice s = slice_of(job, thread);
  std::fill(s.zeros, s.zeros + job.p.in_c, 0.0f);
  const int64_t v_stride = plan.block * job.p.in_c;
  for (int64_t b = job.tasks->next(thread); b >= 0; b = job.tasks->next(thread)) {
    const int64_t t0 = b * plan.block, count = std::min(plan.block, plan.tiles - t0);
    transform_input(job, t0, count, s.zeros, s.v, v_stride);
    multiply_and_transform_output(job, t0, count, 0, job.p.out_c, s.v, v_stride, s);
  }
}

void run_column_blocks(const WinogradJob& job, int thread) {
  const WinogradPlan& plan = job.plan;
  const Slice s = slice_of(job, thread);
  const int64_t v_stride = plan.tiles * job.p.in_c;
  for (int64_t b = job.tasks->next(thread); b >= 0; b = job.tasks->next(thread)) {
    const int64_t c0 = b * plan.col_block, cols = std::min(plan.col_block, job.p.out_c - c0);
    multiply_and_transform_output(job, 0, plan.tiles, c0, cols, job.shared_v, v_stride, s);
  }
}

float* aligned_workspace(void* workspace) {
  const auto address = reinterpret_cast<std::uintptr_t>(workspace);
  return reinterpret_cast<float*>((address + 63) & ~std::uintptr_t(63));
}

// The filter transforms, one 3x3 filter g to its n x n U = G g G^T, in double (then rounded
// once): the F(4x4) matrix has thirds and fifteenths.
constexpr double kG2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
constexpr double kG4[6][3] = {{1, 0, 0},
                              {-1.0 / 3, 1.0 / 3, -1.0 / 3},
                              {1.0 / 3, 1.0 / 3, 1.0 / 3},
                              {-16.0 / 15, -8.0 / 15, -4.0 / 15},
                              {1.0 / 15, -2.0 / 15, 4.0 / 15},
                              {0, 0, 1}};

void check_tile(int tile) {
  P3D_CHECK(tile == 2 || tile == 4, "conv2d: Winograd tile ", tile, " is not 2 or 4");
}

}  // namespace

bool winograd_fits_filter(const Conv2dParams& p) {
  return p.kernel_h == 3 && p.kernel_w == 3 && p.stride_h == 1 && p.stride_w == 1 &&
         p.dilation_h == 1 && p.dilation_w == 1 && p.groups == 1 && p.in_c >= 8 && p.out_c >= 8;
}

// Decided when the filter is packed, for the batch and size the graph was compiled for;
// a run at another batch or size follows the packed form (conv2d.cpp's header).
int winograd_tile(const Conv2dParams& p) {
  if (!winograd_fits_filter(p)) return 0;
  if (tiles_of(p, 4) >= kMinTiles) return 4;
  const int64_t tiles2 = tiles_of(p, 2);
  if (tiles2 >= kMinTiles || (tiles2 >= kMinColumnSplitTiles && column_split_applies(p, 2)))
    return 2;
  return 0;
}

size_t winograd_packed_filter_floats(const Conv2dParams& p, int tile) {
  check_tile(tile);
  return static_cast<size_t>((tile + 2) * (tile + 2)) * gemm_packed_b_floats(p.in_c, p.out_c);
}

void winograd_pack_filter(const Conv2dParams& p, int tile, const float* w, float* packed) {
  check_tile(tile);
  const int n_side = tile + 2, positions = n_side * n_side;
  const int64_t ic_count = p.in_c, oc_count = p.out_c;
  auto g_row = [&](int i, int k) { return tile == 4 ? kG4[i][k] : kG2[i][k]; };
  // U[e][ic][oc] = (G g G^T)[e] with g = w[ky][kx][ic][oc]; built once, at plan time.
  const int64_t plane = ic_count * oc_count;
  std::vector<float> u(static_cast<size_t>(positions * plane));
  for (int64_t ic = 0; ic < ic_count; ++ic)
    for (int64_t oc = 0; oc < oc_count; ++oc) {
      double g[3][3];
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx)
          g[ky][kx] = w[((ky * 3 + kx) * ic_count + ic) * oc_count + oc];
      double s[kMaxPatch][3];  // s = G g
      for (int i = 0; i < n_side; ++i)
        for (int k = 0; k < 3; ++k)
          s[i][k] = g_row(i, 0) * g[0][k] + g_row(i, 1) * g[1][k] + g_row(i, 2) * g[2][k];
      for (int i = 0; i < n_side; ++i)  // U = s G^T
        for (int j = 0; j < n_side; ++j) {
          const double value =
              s[i][0] * g_row(j, 0) + s[i][1] * g_row(j, 1) + s[i][2] * g_row(j, 2);
          u[static_cast<size_t>((i * n_side + j) * plane + ic * oc_count + oc)] =
              static_cast<float>(value);
        }
    }
  const size_t per_position = gemm_packed_b_floats(ic_count, oc_count);
  for (int e = 0; e < positions; ++e)
    gemm_pack_b({u.data() + e * plane, oc_count, false}, ic_count, oc_count,
                packed + e * per_position);
}

size_t winograd_workspace_bytes(const Conv2dParams& p, int threads) {
  size_t floats = 0;
  for (int tile : {2, 4}) {
    const WinogradPlan plan = plan_winograd(p, tile, threads);
    floats = std::max(floats, plan.shared_v_floats +
                                  static_cast<size_t>(std::max(1, threads)) * plan.slice_floats);
  }
  return (floats + 16) * sizeof(float);
}

void winograd_conv2d(ThreadPool& pool, const Conv2dParams& p, int tile, const float* x,
                     const float* packed, const float* bias, const float* residual, float* y,
                     void* workspace) {
  check_tile(tile);
  P3D_CHECK(workspace, "conv2d: needs a workspace of conv2d_workspace_bytes() bytes");
  const WinogradPlan plan = plan_winograd(p, tile, pool.size());
  const Epilogue epilogue{p.has_bias ? bias : nullptr, p.has_residual ? residual : nullptr, p.out_c,
                          p.activation, p.activation_alpha};
  float* base = aligned_workspace(workspace);
  TileQueue tasks(plan.tasks, static_cast<int>(plan.workers));
  const WinogradJob job{p, plan, x, packed, epilogue, y, base, base + plan.shared_v_floats, &tasks};
  if (!plan.column_split) {
    pool.parallel_for(plan.workers, 1,
                      [&job](int64_t, int64_t, int thread) { run_tile_blocks(job, thread); });
    return;
  }
  // Every tile's V first (contiguous ranges of tiles per thread), then the column blocks.
  pool.parallel_for(plan.tiles, ceil_div(plan.tiles, plan.workers),
                    [&job](int64_t t0, int64_t t1, int thread) {
                      const Slice s = slice_of(job, thread);
                      std::fill(s.zeros, s.zeros + job.p.in_c, 0.0f);
                      transform_input(job, t0, t1 - t0, s.zeros, job.shared_v + t0 * job.p.in_c,
                                      job.plan.tiles * job.p.in_c);
                    });
  pool.parallel_for(plan.workers, 1,
                    [&job](int64_t, int64_t, int thread) { run_column_blocks(job, thread); });
}

}  // namespace p3d::cpu
