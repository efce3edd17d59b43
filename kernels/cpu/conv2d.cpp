// 2-D convolution on the CPU, NHWC activations and HWIO filters.
//
// Dense convolutions are a GEMM: the output [N*OH*OW, out_c] is the im2col matrix
// [N*OH*OW, kh*kw*in_c] times the filter, which in HWIO already is the row-major
// [kh*kw*in_c, out_c] matrix. The output is cut into tiles (a block of output pixels x a
// block of output channels of one group). Threads pull tiles from a queue; for
// each one a thread gathers the im2col rows into its own scratch (skipped for 1x1
// stride-1 unpadded convs, whose input already is the [pixels, in_c] matrix) and multiplies
// them by the packed filter; the micro-kernel adds bias and residual and applies the
// activation as it stores the tile.
// Convs over very few input channels (the R-Net's 7x7 stem over RGB) would gather tiny
// spans per patch row; they regather the input once per output row so that every patch is
// one contiguous span instead (column gather, below), which the GEMM reads in place.
// 3x3 stride-1 convs with large enough outputs take Winograd's F(4x4, 3x3) or F(2x2, 3x3)
// instead (conv2d_winograd.h): 2.25 or 4 multiplies per output and channel pair, not 9.
// Depthwise convs and groups of very few channels would make tiny GEMMs; they use a direct
// loop that is vectorised over the channels instead. So do convs with very few output
// channels (the depth net's one-channel head), as dot products over each output pixel's
// patch: as a GEMM they would fill one column of each 32-wide filter panel.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/conv.h"
#include "kernels/cpu/conv2d_winograd.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/tile_queue.h"
#include "kernels/cpu/vector16.h"
#include "kernels/error.h"

namespace p3d::cpu {
namespace {

enum class ConvPath {
  Pointwise,     // 1x1, stride 1, no padding: GEMM straight on the input
  Im2col,        // general: gather the patch rows, then GEMM
  ColumnGather,  // few input channels: per output row, input columns as (ky, c) spans
  Direct,        // depthwise or small groups: per-pixel loop vectorised over channels
  Narrow,        // at most kNarrowMaxOut output channels: per-pixel dot products over the patch
};

constexpr int32_t kNarrowMaxOut = 4;

bool is_narrow(const Conv2dParams& p) { return p.groups == 1 && p.out_c <= kNarrowMaxOut; }

// The column gather: below this many input channels an im2col patch row is a copy of under
// 8 * kernel_w floats (84 bytes for the stem), and the gather cost a third of the layer.
constexpr int32_t kColumnGatherMaxIn = 8;

bool uses_column_gather(const Conv2dParams& p) {
  return p.groups == 1 && p.in_c < kColumnGatherMaxIn && p.kernel_w > 1 && p.dilation_h == 1 &&
         p.dilation_w == 1 && !is_narrow(p);
}

// Winograd takes its 3x3 convs except the narrow ones (its GEMMs would be one column wide):
// the output tile it packs for (4 or 2), or 0.
int winograd_tile_of(const Conv2dParams& p) { return is_narrow(p) ? 0 : winograd_tile(p); }

// Block sizes. The im2col block (rows x kh*kw*in_c/groups floats) is sized to stay in the
// 1 MiB L2 beside the GEMM's B panels; the pointwise output tile likewise. A block never
// has fewer rows than kMinRows so the packing of the filter stays amortised.
constexpr int64_t kIm2colBudgetFloats = 64 * 1024;  // 256 KiB
constexpr int64_t kTileBudgetFloats = 64 * 1024;    // 256 KiB
constexpr int64_t kMinRows = 64;
constexpr int64_t kMaxRows = 1024;
// Threads take tiles one at a time, their own share first (kernels/cpu/tile_queue.h), so a
// thread that starts late (waking a pool thread costs tens of microseconds) simply takes
// fewer. That needs a few tiles per thread; below kMinRows rows the output channels are
// split instead, in blocks of at least kMinColBlock.
constexpr int64_t kTilesPerThread = 4;
constexpr int64_t kMinColBlock = 64;
// Below this many multiply-adds a convolution runs on one thread: waking the pool costs more.
constexpr double kMinParallelMacs = 1 << 18;
// Output channels per group from which a grouped conv uses one GEMM per group.
constexpr int64_t kMinGemmGroupChannels = 16;

struct ConvPlan {
  ConvPath path;
  int64_t rows;       // N*OH*OW: GEMM m
  int64_t depth;      // kh*kw*in_c/groups: GEMM k
  int64_t group_out;  // out_c/groups: GEMM n of one group
  int64_t row_block, row_blocks;
  int64_t col_block, col_blocks;
  int64_t tasks;         // GEMM tiles (row_blocks * groups * col_blocks), or output image rows
  int64_t workers;       // threads the tiles are spread over
  size_t im2col_floats;  // gathered rows (im2col or column gather), per thread
  size_t gemm_floats;    // per thread
  size_t slice_floats;   // per thread, rounded
};

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

bool is_pointwise(const Conv2dParams& p) {
  return p.kernel_h == 1 && p.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1 &&
         p.pad_top == 0 && p.pad_left == 0 && p.pad_bottom == 0 && p.pad_right == 0;
}

// Input columns one output row spans: (out_w - 1) * stride_w + kernel_w, padding included.
int64_t column_gather_width(const Conv2dParams& p) {
  return int64_t{p.out_w - 1} * p.stride_w + p.kernel_w;
}

ConvPlan plan_conv(const Conv2dParams& p, int threads) {
  ConvPlan plan{};
  const int64_t icg = p.in_c / p.groups;
  plan.group_out = p.out_c / p.groups;
  plan.rows = int64_t{p.batch} * p.out_h * p.out_w;
  plan.depth = int64_t{p.kernel_h} * p.kernel_w * icg;
  const double macs = double(plan.rows) * plan.depth * p.out_c;
  plan.workers = macs < kMinParallelMacs ? 1 : std::max(1, threads);

  if (p.groups > 1 && (icg == 1 || plan.group_out < kMinGemmGroupChannels)) {
    plan.path = ConvPath::Direct;  // parallel over output image rows, no scratch
    plan.tasks = int64_t{p.batch} * p.out_h;
    return plan;
  }
  if (is_narrow(p)) {
    plan.path = ConvPath::Narrow;  // likewise
    plan.tasks = int64_t{p.batch} * p.out_h;
    return plan;
  }
  if (uses_column_gather(p)) {
    // Tasks are output image rows, taken from the tile queue; each gathers its row's
    // input columns into scratch and multiplies them against the whole filter.
    plan.path = ConvPath::ColumnGather;
    plan.tasks = int64_t{p.batch} * p.out_h;
    plan.im2col_floats = static_cast<size_t>(column_gather_width(p) * p.kernel_h * p.in_c);
    plan.gemm_floats = gemm_packed_scratch_floats(p.out_w, plan.depth);
    plan.slice_floats = round_up_floats(plan.im2col_floats) + round_up_floats(plan.gemm_floats);
    return plan;
  }
  plan.path = is_pointwise(p) ? ConvPath::Pointwise : ConvPath::Im2col;
  const int64_t workers = plan.workers;

  // Rows per block: what the cache budget allows, fewer if that leaves too few tiles to
  // balance the threads, never fewer than kMinRows.
  const int64_t budget = plan.path == ConvPath::Im2col ? kIm2colBudgetFloats / plan.depth
                                                       : kTileBudgetFloats / plan.group_out;
  const int64_t cache_rows = std::clamp<int64_t>(budget, kMinRows, kMaxRows);
  const int64_t wanted_tiles = workers > 1 ? workers * kTilesPerThread : 1;
  const int64_t balance_rows = ceil_div(plan.rows, ceil_div(wanted_tiles, p.groups));
  plan.row_block = std::max(kMinRows, std::min(cache_rows, balance_rows));
  plan.row_blocks = ceil_div(plan.rows, std::min(plan.row_block, plan.rows));
  // Spread the rows evenly over the blocks, in multiples of 4 where possible.
  plan.row_block = std::min(round_up(ceil_div(plan.rows, plan.row_blocks), 4), plan.rows);
  plan.row_blocks = ceil_div(plan.rows, plan.row_block);

  // Still too few tiles (few output pixels, many channels: the deep 7x7 and 14x14
  // layers): split the output channels as well. Each thread then also packs only a share
  // of the (large) filter.
  plan.col_block = plan.group_out;
  const int64_t tiles = plan.row_blocks * p.groups;
  if (tiles < wanted_tiles && plan.group_out >= 2 * kMinColBlock) {
    const int64_t splits = ceil_div(wanted_tiles, tiles);
    // Column blocks start on packed panels.
    plan.col_block =
        std::max(kMinColBlock, round_up(ceil_div(plan.group_out, splits), gemm_panel_width()));
  }
  plan.col_blocks = ceil_div(plan.group_out, plan.col_block);
  plan.tasks = plan.row_blocks * p.groups * plan.col_blocks;

  if (plan.path == ConvPath::Im2col)
    plan.im2col_floats = static_cast<size_t>(plan.row_block * plan.depth);
  // The GEMM's scratch grows with the rows and no block has more than row_block.
  plan.gemm_floats = gemm_packed_scratch_floats(plan.row_block, plan.depth);
  plan.slice_floats = round_up_floats(plan.im2col_floats) + round_up_floats(plan.gemm_floats);
  return plan;
}

// Gathers rows [row0, row0 + rows) of the im2col matrix of group g into col, row-major
// [rows, kh*kw*in_c/groups] with columns ordered (ky, kx, ic) like the HWIO filter rows.
void im2col_block(const Conv2dParams& p, const float* x, int64_t row0, int64_t rows, int64_t g,
                  float* col) {
  const int64_t icg = p.in_c / p.groups;
  const int64_t depth = int64_t{p.kernel_h} * p.kernel_w * icg;
  const int64_t row_span = int64_t{p.kernel_w} * icg;  // one kernel row of a patch
  // With one group and no horizontal dilation a kernel row is one contiguous input span
  // (with zero padding: mirrored padding columns are copied one by one).
  const bool contiguous_rows = p.groups == 1 && p.dilation_w == 1;
  const bool mirrored = p.padding_fill != PadMode::Constant;
  int64_t ow = row0 % p.out_w;
  int64_t oh = (row0 / p.out_w) % p.out_h;
  int64_t n = row0 / (int64_t{p.out_w} * p.out_h);
  for (int64_t r = 0; r < rows; ++r) {
    float* dst = col + r * depth;
    const int64_t ih0 = oh * p.stride_h - p.pad_top;
    const int64_t iw0 = ow * p.stride_w - p.pad_left;
    for (int64_t ky = 0; ky < p.kernel_h; ++ky, dst += row_span) {
      const int64_t ih =
          padded_source(ih0 + ky * p.dilation_h, p.in_h, p.pad_top, p.pad_bottom, p.padding_fill);
      if (ih < 0) {
        std::fill(dst, dst + row_span, 0.0f);
        continue;
      }
      const float* src_row = x + (n * p.in_h + ih) * p.in_w * p.in_c + g * icg;
      if (contiguous_rows && !mirrored) {
        const int64_t kx_lo = std::clamp<int64_t>(-iw0, 0, p.kernel_w);
        const int64_t kx_hi = std::clamp<int64_t>(p.in_w - iw0, kx_lo, p.kernel_w);
        std::fill(dst, dst + kx_lo * icg, 0.0f);
        std::memcpy(dst + kx_lo * icg, src_row + (iw0 + kx_lo) * p.in_c,
                    sizeof(float) * (kx_hi - kx_lo) * icg);
        std::fill(dst + kx_hi * icg, dst + row_span, 0.0f);
      } else {
        for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
          const int64_t iw = padded_source(iw0 + kx * p.dilation_w, p.in_w, p.pad_left, p.pad_right,
                                           p.padding_fill);
          float* d = dst + kx * icg;
          if (iw < 0)
            std::fill(d, d + icg, 0.0f);
          else
            std::memcpy(d, src_row + iw * p.in_c, sizeof(float) * icg);
        }
      }
    }
    if (++ow == p.out_w) {
      ow = 0;
      if (++oh == p.out_h) {
        oh = 0;
        ++n;
      }
    }
  }
}

// Everything a parallel_for body needs, captured by one reference: std::function keeps a
// lambda that small inline instead of allocating it on every call.
struct ConvJob {
  const Conv2dParams& p;
  const ConvPlan& plan;
  const float* x;
  const float* w;  // packed (GEMM paths) or HWIO (direct path)
  const Epilogue& epilogue;
  float* y;
  float* workspace;
  TileQueue* tiles;  // the GEMM paths' tiles (or output rows), per-thread shares
};

// The GEMM paths: each task is one tile (row block, group, column block); the calling
// thread takes tiles from the queue until none are left.
void gemm_tiles(const ConvJob& job, int thread) {
  const Conv2dParams& p = job.p;
  const ConvPlan& plan = job.plan;
  const int64_t icg = p.in_c / p.groups;
  float* col = job.workspace + thread * plan.slice_floats;
  float* gemm_scratch = col + round_up_floats(plan.im2col_floats);
  int64_t gathered = -1;  // (row block, group) whose im2col rows are in `col`
  for (;;) {
    const int64_t t = job.tiles->next(thread);
    if (t < 0) break;
    // Column blocks outermost: a thread's share of a layer whose channels are split (the
    // deep layers, few rows and a filter of megabytes) is one block of the filter over all
    // rows, so each thread streams only its part of the filter.
    const int64_t row_tasks = plan.row_blocks * p.groups;
    const int64_t cb = t / row_tasks;
    const int64_t g = (t % row_tasks) % p.groups;
    const int64_t rb = (t % row_tasks) / p.groups;
    const int64_t row0 = rb * plan.row_block;
    const int64_t rows = std::min(plan.row_block, plan.rows - row0);
    const int64_t c0 = cb * plan.col_block;
    const int64_t cols = std::min(plan.col_block, plan.group_out - c0);
    GemmOperand a;
    if (plan.path == ConvPath::Pointwise) {
      a = {job.x + row0 * p.in_c + g * icg, p.in_c, false};
    } else {
      const int64_t key = rb * p.groups + g;
      if (key != gathered) {
        im2col_block(p, job.x, row0, rows, g, col);
        gathered = key;
      }
      a = {col, plan.depth, false};
    }
    const int64_t oc0 = g * plan.group_out + c0;
    float* tile = job.y + row0 * p.out_c + oc0;
    const Epilogue e = epilogue_block(job.epilogue, row0, oc0);
    const PackedB group_filter{job.w + g * gemm_packed_b_floats(plan.depth, plan.group_out),
                               plan.depth};
    gemm_packed(rows, cols, a, packed_b_columns(group_filter, c0), tile, p.out_c, false, e,
                gemm_scratch);
  }
}

// Output row r = n * out_h + oh of a column-gather conv: z[col][ky][c] = x[n][ih0 + ky]
// [col - pad_left][c] (zero or mirrored outside the image) for every input column the row spans.
// Output pixel ow's patch, ordered (kx, ky, c), is then the contiguous span starting at column ow *
// stride_w: row ow of a matrix with leading dimension stride_w * kernel_h * in_c whose rows
// overlap, which the GEMM reads where it lies (the filter is packed in that order).
template <int kChannels>
void gather_columns(const Conv2dParams& p, const float* x, int64_t r, float* z) {
  const int64_t n = r / p.out_h, oh = r % p.out_h;
  const int64_t ih0 = oh * p.stride_h - p.pad_top;
  const int64_t width = column_gather_width(p), column = int64_t{p.kernel_h} * kChannels;
  // The padding rows and columns around the image are zeros, or the mirrored input
  // (padded_source).
  for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
    const int64_t ih = padded_source(ih0 + ky, p.in_h, p.pad_top, p.pad_bottom, p.padding_fill);
    float* dst = z + ky * kChannels;
    const float* src = ih >= 0 ? x + (n * p.in_h + ih) * p.in_w * kChannels : nullptr;
    for (int64_t col = 0; col < width; ++col) {
      float* d = dst + col * column;
      const int64_t iw =
          padded_source(col - p.pad_left, p.in_w, p.pad_left, p.pad_right, p.padding_fill);
      if (src && iw >= 0) {
        const float* s = src + iw * kChannels;
        for (int c = 0; c < kChannels; ++c) d[c] = s[c];
      } else {
        for (int c = 0; c < kChannels; ++c) d[c] = 0.f;
      }
    }
  }
}

// gather_columns with the channel count as a constant, so each column is a few plain moves.
void gather_columns(const Conv2dParams& p, const float* x, int64_t r, float* z) {
  switch (p.in_c) {
    case 1:
      return gather_columns<1>(p, x, r, z);
    case 2:
      return gather_columns<2>(p, x, r, z);
    case 3:
      return gather_columns<3>(p, x, r, z);
    case 4:
      return gather_columns<4>(p, x, r, z);
    case 5:
      return gather_columns<5>(p, x, r, z);
    case 6:
      return gather_columns<6>(p, x, r, z);
    case 7:
      return gather_columns<7>(p, x, r, z);
  }
  P3D_THROW("conv2d: the column gather takes 1 to ", kColumnGatherMaxIn - 1,
            " input channels, not ", p.in_c);
}

void column_gather_rows(const ConvJob& job, int thread) {
  const Conv2dParams& p = job.p;
  const ConvPlan& plan = job.plan;
  float* z = job.workspace + thread * plan.slice_floats;
  float* gemm_scratch = z + round_up_floats(plan.im2col_floats);
  const int64_t lda = int64_t{p.stride_w} * p.kernel_h * p.in_c;
  const PackedB filter{job.w, plan.depth};
  for (;;) {
    const int64_t r = job.tiles->next(thread);
    if (r < 0) break;
    gather_columns(p, job.x, r, z);
    const int64_t row0 = r * p.out_w;
    gemm_packed(p.out_w, p.out_c, {z, lda, false}, filter, job.y + row0 * p.out_c, p.out_c, false,
                epilogue_block(job.epilogue, row0, 0), gemm_scratch);
  }
}

// Calls tap(t, pixel) for every tap t = ky * kernel_w + kx of output pixel (oh, ow) that
// reads the input, with pixel = ih * in_w + iw its input pixel: zero padding taps, which
// would only add zeros, are skipped; mirrored ones read the mirrored pixel. The per-pixel
// paths below all walk a patch this way.
template <typename TapFn>
void each_inside_tap(const Conv2dParams& p, int64_t oh, int64_t ow, TapFn&& tap) {
  const int64_t ih0 = oh * p.stride_h - p.pad_top, iw0 = ow * p.stride_w - p.pad_left;
  for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
    // Mirrored padding taps read the mirrored pixel (padded_source); zero ones are skipped.
    const int64_t ih =
        padded_source(ih0 + ky * p.dilation_h, p.in_h, p.pad_top, p.pad_bottom, p.padding_fill);
    if (ih < 0) continue;
    for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
      const int64_t iw =
          padded_source(iw0 + kx * p.dilation_w, p.in_w, p.pad_left, p.pad_right, p.padding_fill);
      if (iw < 0) continue;
      tap(ky * p.kernel_w + kx, ih * p.in_w + iw);
    }
  }
}

// Channels a depthwise output pixel accumulates at once (4 AVX-512 registers' worth).
constexpr int64_t kDepthwiseBlock = 64;

// One output pixel of a depthwise conv with multiplier 1: y[c] (already bias + residual)
// += sum over the taps that fall inside the image of x[ih, iw, c] * w[ky, kx, c]. Each
// block of channels is accumulated in registers across all taps and stored once.
void depthwise_pixel(const Conv2dParams& p, const float* x_img, const float* w, int64_t oh,
                     int64_t ow, float* y) {
  const int64_t channels = p.out_c;
  for (int64_t c0 = 0; c0 < channels; c0 += kDepthwiseBlock) {
    const int64_t cb = std::min(kDepthwiseBlock, channels - c0);
    float acc[kDepthwiseBlock];
    for (int64_t c = 0; c < cb; ++c) acc[c] = y[c0 + c];
    each_inside_tap(p, oh, ow, [&](int64_t tap, int64_t pixel) {
      const float* __restrict xp = x_img + pixel * channels + c0;
      const float* __restrict wp = w + tap * channels + c0;
      if (cb == kDepthwiseBlock) {  // constant trip count: unrolled, acc stays in registers
        for (int64_t c = 0; c < kDepthwiseBlock; ++c) acc[c] += xp[c] * wp[c];
      } else {
        for (int64_t c = 0; c < cb; ++c) acc[c] += xp[c] * wp[c];
      }
    });
    for (int64_t c = 0; c < cb; ++c) y[c0 + c] = acc[c];
  }
}

// Depthwise with a channel multiplier, or groups of few channels: y[g*ocg + o] +=
// x[g*icg + i] * w[ky, kx, i, g*ocg + o], vectorised over o.
void grouped_pixel(const Conv2dParams& p, const float* x_img, const float* w, int64_t oh,
                   int64_t ow, float* __restrict y) {
  const int64_t icg = p.in_c / p.groups, ocg = p.out_c / p.groups;
  each_inside_tap(p, oh, ow, [&](int64_t tap, int64_t pixel) {
    const float* xp = x_img + pixel * p.in_c;
    const float* w_tap = w + tap * icg * p.out_c;
    for (int64_t g = 0; g < p.groups; ++g)
      for (int64_t i = 0; i < icg; ++i) {
        const float xv = xp[g * icg + i];
        const float* __restrict wr = w_tap + i * p.out_c + g * ocg;
        float* __restrict yg = y + g * ocg;
        for (int64_t o = 0; o < ocg; ++o) yg[o] += xv * wr[o];
      }
  });
}

// Output image rows [r0, r1) (r = n * out_h + oh) of the per-pixel paths: each row starts
// from bias + residual, pixel(x_img, oh, ow, y) adds the taps of one output pixel, and the
// activation follows while the row is in cache.
template <typename PixelFn>
void each_output_row(const ConvJob& job, int64_t r0, int64_t r1, PixelFn&& pixel) {
  const Conv2dParams& p = job.p;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t n = r / p.out_h, oh = r % p.out_h;
    const float* x_img = job.x + n * p.in_h * p.in_w * p.in_c;
    float* y_row = job.y + r * p.out_w * p.out_c;
    const Epilogue e = epilogue_block(job.epilogue, r * p.out_w, 0);
    epilogue_init(e, p.out_w, p.out_c, y_row, p.out_c);
    for (int64_t ow = 0; ow < p.out_w; ++ow) pixel(x_img, oh, ow, y_row + ow * p.out_c);
    epilogue_activate(e, p.out_w, p.out_c, y_row, p.out_c);
  }
}

// Depthwise and small-group convs.
void direct_rows(const ConvJob& job, int64_t r0, int64_t r1) {
  const Conv2dParams& p = job.p;
  const bool depthwise = p.in_c == p.groups && p.out_c == p.groups;
  each_output_row(job, r0, r1, [&](const float* x_img, int64_t oh, int64_t ow, float* y) {
    if (depthwise)
      depthwise_pixel(p, x_img, job.w, oh, ow, y);
    else
      grouped_pixel(p, x_img, job.w, oh, ow, y);
  });
}

// acc (16 lanes) and tail += a[i] * b[i] for i < n: whole vectors into acc, the rest into tail.
void multiply_add(const float* a, const float* b, int64_t n, V16& acc, float& tail) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    V16 va, vb;
    std::memcpy(&va, a + i, sizeof va);
    std::memcpy(&vb, b + i, sizeof vb);
    acc += va * vb;
  }
  for (; i < n; ++i) tail += a[i] * b[i];
}

// One output pixel of a narrow conv: y[o] += the products of every tap's input channels
// with filter row (o, ky, kx). The filter is packed as [out_c][kh][kw][in_c] so every
// product reads contiguous floats.
void narrow_pixel(const Conv2dParams& p, const float* x_img, const float* w, int64_t oh, int64_t ow,
                  float* y) {
  const int64_t taps = int64_t{p.kernel_h} * p.kernel_w;
  for (int64_t o = 0; o < p.out_c; ++o) {
    V16 acc = {};  // the patch's products in 16 lanes, summed across lanes once
    float sum = 0.f;
    each_inside_tap(p, oh, ow, [&](int64_t tap, int64_t pixel) {
      multiply_add(x_img + pixel * p.in_c, w + (o * taps + tap) * p.in_c, p.in_c, acc, sum);
    });
    for (int lane = 0; lane < 16; ++lane) sum += acc[lane];
    y[o] += sum;
  }
}

void narrow_rows(const ConvJob& job, int64_t r0, int64_t r1) {
  each_output_row(job, r0, r1, [&](const float* x_img, int64_t oh, int64_t ow, float* y) {
    narrow_pixel(job.p, x_img, job.w, oh, ow, y);
  });
}

float* aligned_workspace(void* workspace) {
  const auto address = reinterpret_cast<std::uintptr_t>(workspace);
  const std::uintptr_t align = kScratchAlignFloats * sizeof(float);
  return reinterpret_cast<float*>((address + align - 1) & ~(align - 1));
}

// The packed filter starts with a header saying which form follows. The form is chosen
// once, at pack time, for the output size the graph was compiled for; a run at another
// image size (a new plan, the same packed filter) must take the form's path, not the one
// its own size would favour: reading a Winograd form as GEMM panels (or the reverse, past
// the end of the shorter im2col form) gave wrong results.
enum class PackedForm : int32_t { Gemm = 1, Winograd, Hwio, Narrow, GemmKxMajor, Winograd4x4 };

// The Winograd output tile of a packed form, or 0 for the others.
int winograd_tile_of(PackedForm form) {
  return form == PackedForm::Winograd4x4 ? 4 : form == PackedForm::Winograd ? 2 : 0;
}

struct PackedHeader {
  int32_t magic;
  PackedForm form;
  int32_t kernel_h, kernel_w, in_c, out_c, groups;
};
constexpr int32_t kPackedMagic = 0x46433350;  // "P3CF"
constexpr int64_t kHeaderFloats = 16;         // 64 bytes: the body stays 64-byte aligned
static_assert(sizeof(PackedHeader) <= kHeaderFloats * sizeof(float), "header too large");

// The packed form a GEMM or per-pixel path reads.
PackedForm form_read_by(ConvPath path) {
  switch (path) {
    case ConvPath::Direct:
      return PackedForm::Hwio;
    case ConvPath::Narrow:
      return PackedForm::Narrow;
    case ConvPath::ColumnGather:
      return PackedForm::GemmKxMajor;
    default:
      return PackedForm::Gemm;
  }
}

PackedForm packed_form(const Conv2dParams& p) {
  switch (winograd_tile_of(p)) {
    case 4:
      return PackedForm::Winograd4x4;
    case 2:
      return PackedForm::Winograd;
  }
  return form_read_by(plan_conv(p, 1).path);
}

size_t body_floats(const Conv2dParams& p, PackedForm form) {
  switch (form) {
    case PackedForm::Winograd:
    case PackedForm::Winograd4x4:
      return winograd_packed_filter_floats(p, winograd_tile_of(form));
    case PackedForm::Hwio:
    case PackedForm::Narrow:
      return static_cast<size_t>(int64_t{p.kernel_h} * p.kernel_w * (p.in_c / p.groups) * p.out_c);
    case PackedForm::Gemm:
    case PackedForm::GemmKxMajor:
      break;
  }
  const ConvPlan plan = plan_conv(p, 1);
  return static_cast<size_t>(p.groups) * gemm_packed_b_floats(plan.depth, plan.group_out);
}

// The form of a packed filter, after checking that it was packed for this conv's filter.
PackedForm read_header(const Conv2dParams& p, const float* packed) {
  PackedHeader h;
  std::memcpy(&h, packed, sizeof h);
  P3D_CHECK(h.magic == kPackedMagic,
            "conv2d: the filter is not one conv2d_pack_filter packed (no header)");
  P3D_CHECK(h.kernel_h == p.kernel_h && h.kernel_w == p.kernel_w && h.in_c == p.in_c &&
                h.out_c == p.out_c && h.groups == p.groups,
            "conv2d: the filter was packed for a ", h.kernel_h, "x", h.kernel_w, " conv ", h.in_c,
            " -> ", h.out_c, " in ", h.groups, " group(s), but this one is ", p.kernel_h, "x",
            p.kernel_w, " ", p.in_c, " -> ", p.out_c, " in ", p.groups);
  return h.form;
}

}  // namespace

const char* conv2d_path_name(const Conv2dParams& p) {
  check_conv2d_params(p);
  switch (winograd_tile_of(p)) {
    case 4:
      return "winograd F(4x4,3x3)";
    case 2:
      return "winograd F(2x2,3x3)";
  }
  switch (plan_conv(p, 1).path) {
    case ConvPath::Pointwise:
      return "gemm pointwise";
    case ConvPath::Im2col:
      return "gemm im2col";
    case ConvPath::Direct:
      return "direct";
    case ConvPath::Narrow:
      return "narrow";
    case ConvPath::ColumnGather:
      return "gemm column gather";
  }
  return "?";
}

size_t conv2d_packed_filter_floats(const Conv2dParams& p) {
  check_conv2d_params(p);
  return static_cast<size_t>(kHeaderFloats) + body_floats(p, packed_form(p));
}

void conv2d_pack_filter(const Conv2dParams& p, const float* w_hwio, float* packed) {
  check_conv2d_params(p);
  const PackedForm form = packed_form(p);
  const PackedHeader header{kPackedMagic, form, p.kernel_h, p.kernel_w, p.in_c, p.out_c, p.groups};
  std::fill(packed, packed + kHeaderFloats, 0.f);
  std::memcpy(packed, &header, sizeof header);
  float* body = packed + kHeaderFloats;
  switch (form) {
    case PackedForm::Winograd:
    case PackedForm::Winograd4x4:
      return winograd_pack_filter(p, winograd_tile_of(form), w_hwio, body);
    case PackedForm::Hwio:  // the direct loops read HWIO as it is
      std::memcpy(body, w_hwio, sizeof(float) * body_floats(p, form));
      return;
    case PackedForm::Narrow: {  // HWIO -> [out_c][kh][kw][in_c]
      const int64_t taps = int64_t{p.kernel_h} * p.kernel_w;
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t i = 0; i < p.in_c; ++i)
          for (int64_t o = 0; o < p.out_c; ++o)
            body[(o * taps + t) * p.in_c + i] = w_hwio[(t * p.in_c + i) * p.out_c + o];
      return;
    }
    case PackedForm::GemmKxMajor: {  // filter rows (ky, kx, c) -> (kx, ky, c), then panels
      std::vector<float> kx_major(body_floats(p, PackedForm::Hwio));
      const int64_t row = p.out_c;
      for (int64_t ky = 0; ky < p.kernel_h; ++ky)
        for (int64_t kx = 0; kx < p.kernel_w; ++kx)
          for (int64_t c = 0; c < p.in_c; ++c)
            std::memcpy(kx_major.data() + ((kx * p.kernel_h + ky) * p.in_c + c) * row,
                        w_hwio + ((ky * p.kernel_w + kx) * p.in_c + c) * row, sizeof(float) * row);
      const int64_t depth = int64_t{p.kernel_h} * p.kernel_w * p.in_c;
      gemm_pack_b({kx_major.data(), row, false}, depth, p.out_c, body);
      return;
    }
    case PackedForm::Gemm:
      break;
  }
  // HWIO is the row-major [kh*kw*in_c/groups, out_c] matrix; group g owns its columns.
  const ConvPlan plan = plan_conv(p, 1);
  const size_t per_group = gemm_packed_b_floats(plan.depth, plan.group_out);
  for (int64_t g = 0; g < p.groups; ++g)
    gemm_pack_b({w_hwio + g * plan.group_out, p.out_c, false}, plan.depth, plan.group_out,
                body + g * per_group);
}

size_t conv2d_workspace_bytes(const Conv2dParams& p, int threads) {
  check_conv2d_params(p);
  const ConvPlan plan = plan_conv(p, threads);
  // One slice per pool thread, plus slack to align the start.
  const size_t gemm_bytes =
      plan.slice_floats == 0
          ? 0
          : (static_cast<size_t>(std::max(1, threads)) * plan.slice_floats + kScratchAlignFloats) *
                sizeof(float);
  // The filter may have been packed for Winograd at another image size: room for either.
  if (!is_narrow(p) && winograd_fits_filter(p))
    return std::max(gemm_bytes, winograd_workspace_bytes(p, threads));
  return gemm_bytes;
}

void conv2d(ThreadPool& pool, const Conv2dParams& p, const float* x, const float* w_packed,
            const float* bias, const float* residual, float* y, void* workspace) {
  check_conv2d_params(p);
  P3D_CHECK(x && w_packed && y, "conv2d: null input, filter or output");
  P3D_CHECK(!p.has_bias || bias, "conv2d: has_bias but bias is null");
  P3D_CHECK(!p.has_residual || residual, "conv2d: has_residual but residual is null");
  const PackedForm form = read_header(p, w_packed);
  w_packed += kHeaderFloats;
  if (const int tile = winograd_tile_of(form))
    return winograd_conv2d(pool, p, tile, x, w_packed, bias, residual, y, workspace);
  const ConvPlan plan = plan_conv(p, pool.size());
  const PackedForm expected = form_read_by(plan.path);
  P3D_CHECK(form == expected, "conv2d: the packed filter's form (", static_cast<int>(form),
            ") is not the one this conv's path reads (", static_cast<int>(expected), ")");
  P3D_CHECK(plan.slice_floats == 0 || workspace,
            "conv2d: needs a workspace of conv2d_workspace_bytes() bytes");
  const Epilogue epilogue{p.has_bias ? bias : nullptr, p.has_residual ? residual : nullptr, p.out_c,
                          p.activation, p.activation_alpha};
  TileQueue tiles(plan.tasks, plan.workers);
  const ConvJob job{p,
                    plan,
                    x,
                    w_packed,
                    epilogue,
                    y,
                    plan.slice_floats ? aligned_workspace(workspace) : nullptr,
                    &tiles};
  if (plan.path == ConvPath::Direct) {
    pool.parallel_for(plan.tasks, ceil_div(plan.tasks, plan.workers),
                      [&job](int64_t r0, int64_t r1, int) { direct_rows(job, r0, r1); });
  } else if (plan.path == ConvPath::ColumnGather) {
    pool.parallel_for(plan.workers, 1,
                      [&job](int64_t, int64_t, int thread) { column_gather_rows(job, thread); });
  } else if (plan.path == ConvPath::Narrow) {
    pool.parallel_for(plan.tasks, ceil_div(plan.tasks, plan.workers),
                      [&job](int64_t r0, int64_t r1, int) { narrow_rows(job, r0, r1); });
  } else {
    // One body per worker; each pulls tiles until the queue runs out.
    pool.parallel_for(plan.workers, 1,
                      [&job](int64_t, int64_t, int thread) { gemm_tiles(job, thread); });
  }
}

}  // namespace p3d::cpu
