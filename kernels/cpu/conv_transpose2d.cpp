// Transposed 2-D convolution on the CPU (tf.nn.conv2d_transpose), NHWC, HWOI filter.
//
// The filter is packed once at plan time (conv_transpose2d_pack_filter) as the GEMM's B.
// Each input pixel spreads x[n, ih, iw, :] * W[ky, kx, :, :]^T onto output pixel
// (ih * stride - pad_top + ky, iw * stride - pad_left + kx). We compute those products
// for whole input rows with one GEMM, X[rows, in_c] * W^T -> columns
// [rows, kh*kw*out_c] (HWOI read as the row-major [kh*kw*out_c, in_c] matrix, transposed),
// then form each output row by gathering ("col2im") the column entries that land on it.
//
// Work is split by output rows, so no two threads ever write the same output. A thread
// walks its rows in chunks; the input rows a chunk needs overlap the previous chunk's, so
// the columns of the overlap are kept (moved to the front of the thread's buffer) rather
// than recomputed. Only the rows shared across a thread boundary are computed twice.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/conv.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/gemm.h"
#include "kernels/error.h"

namespace p3d::cpu {
namespace {

// A chunk's new input rows should give the GEMM at least this many rows of work...
constexpr int64_t kMinGemmRows = 128;
// ...unless the thread's column buffer would pass this size; then chunks shrink.
constexpr int64_t kColumnBudgetFloats = 1 << 20;  // 4 MiB
constexpr double kMinParallelMacs = 1 << 18;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
// Floor division that is also right for negative numerators.
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

struct TransposePlan {
  int64_t row_floats;   // columns of one input image row: in_w * kh * kw * out_c
  int64_t chunk_rows;   // output rows per chunk
  int64_t window_rows;  // most input rows one chunk needs
  int64_t workers;
  size_t columns_floats;  // per thread
  size_t gemm_floats;     // per thread
  size_t slice_floats;
};

// Most input rows the output rows [oh0, oh0 + rows) draw from (any oh0).
int64_t window_rows_for(const ConvTranspose2dParams& p, int64_t rows) {
  return std::min<int64_t>(p.in_h, (rows + p.kernel_h - 2) / p.stride_h + 1);
}

TransposePlan plan_transpose(const ConvTranspose2dParams& p, int threads) {
  TransposePlan plan{};
  plan.row_floats = int64_t{p.in_w} * p.kernel_h * p.kernel_w * p.out_c;
  const double macs =
      double(p.batch) * p.in_h * p.in_w * p.in_c * p.kernel_h * p.kernel_w * p.out_c;
  plan.workers = macs < kMinParallelMacs ? 1 : std::max(1, threads);
  // Chunks of whole strides of output rows whose new input rows fill a GEMM.
  int64_t chunk = int64_t{p.stride_h} * ceil_div(kMinGemmRows, p.in_w);
  while (chunk > 1 && window_rows_for(p, chunk) * plan.row_floats > kColumnBudgetFloats)
    chunk = std::max<int64_t>(1, chunk / 2);
  plan.chunk_rows = std::min<int64_t>(chunk, p.out_h);
  plan.window_rows = window_rows_for(p, plan.chunk_rows);
  plan.columns_floats = static_cast<size_t>(plan.window_rows * plan.row_floats);
  // A chunk's GEMM covers from one input row up to the whole window; its scratch grows with
  // the rows, so the whole window sizes it.
  plan.gemm_floats = gemm_packed_scratch_floats(plan.window_rows * p.in_w, p.in_c);
  plan.slice_floats = round_up_floats(plan.columns_floats) + round_up_floats(plan.gemm_floats);
  return plan;
}

float* aligned_workspace(void* workspace) {
  const auto address = reinterpret_cast<std::uintptr_t>(workspace);
  const std::uintptr_t align = kScratchAlignFloats * sizeof(float);
  return reinterpret_cast<float*>((address + align - 1) & ~(align - 1));
}

// One thread's columns: the GEMM results of input rows [lo, hi] of image n.
struct ColumnWindow {
  float* data;
  int64_t n = -1, lo = 0, hi = -1;
};

// Makes `win` hold input rows [lo, hi] of image n, keeping rows it already has.
void fill_window(const ConvTranspose2dParams& p, const TransposePlan& plan, const float* x,
                 const float* w, int64_t n, int64_t lo, int64_t hi, ColumnWindow& win,
                 float* gemm_scratch) {
  int64_t first_new = lo;
  if (win.n == n && lo >= win.lo && lo <= win.hi) {
    const int64_t kept = win.hi - lo + 1;
    std::memmove(win.data, win.data + (lo - win.lo) * plan.row_floats,
                 sizeof(float) * kept * plan.row_floats);
    first_new = win.hi + 1;
  }
  if (first_new <= hi) {
    const int64_t ncols = int64_t{p.kernel_h} * p.kernel_w * p.out_c;
    const Epilogue none{nullptr, nullptr, 0, Unary::Identity, 0.f};
    gemm_packed((hi - first_new + 1) * p.in_w, ncols,
                {x + (n * p.in_h + first_new) * p.in_w * p.in_c, p.in_c, false}, {w, p.in_c},
                win.data + (first_new - lo) * plan.row_floats, ncols, false, none, gemm_scratch);
  }
  win.n = n;
  win.lo = lo;
  win.hi = hi;
}

// Output row oh of image n: bias + residual, plus every column entry landing on it.
void gather_row(const ConvTranspose2dParams& p, const TransposePlan& plan, const ColumnWindow& win,
                int64_t n, int64_t oh, const Epilogue& epilogue, float* y) {
  float* y_row = y + (n * p.out_h + oh) * p.out_w * p.out_c;
  const Epilogue e = epilogue_block(epilogue, (n * p.out_h + oh) * p.out_w, 0);
  epilogue_init(e, p.out_w, p.out_c, y_row, p.out_c);
  const int64_t tap_floats = int64_t{p.kernel_w} * p.out_c;  // one ky of an input pixel
  for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
    const int64_t t = oh + p.pad_top - ky;
    if (t < 0 || t % p.stride_h != 0) continue;
    const int64_t ih = t / p.stride_h;
    // Rows past the image are never in the window; every row in the image that reaches
    // this chunk is.
    if (win.n != n || ih < win.lo || ih > win.hi) continue;
    const float* col_row = win.data + (ih - win.lo) * plan.row_floats + ky * tap_floats;
    for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
      // Output columns ow = iw * stride - pad_left + kx for iw in [0, in_w).
      const int64_t first_iw = std::max<int64_t>(0, ceil_div(p.pad_left - kx, p.stride_w));
      const int64_t last_iw =
          std::min<int64_t>(p.in_w - 1, floor_div(p.out_w - 1 + p.pad_left - kx, p.stride_w));
      for (int64_t iw = first_iw; iw <= last_iw; ++iw) {
        const int64_t ow = iw * p.stride_w - p.pad_left + kx;
        const float* src = col_row + iw * int64_t{p.kernel_h} * tap_floats + kx * p.out_c;
        float* dst = y_row + ow * p.out_c;
        for (int64_t c = 0; c < p.out_c; ++c) dst[c] += src[c];
      }
    }
  }
  epilogue_activate(e, p.out_w, p.out_c, y_row, p.out_c);
}

// Everything a parallel_for body needs, captured by one reference so std::function keeps
// the lambda inline instead of allocating it on every call.
struct TransposeJob {
  const ConvTranspose2dParams& p;
  const TransposePlan& plan;
  const float* x;
  const float* w;
  const Epilogue& epilogue;
  float* y;
  float* workspace;
};

// Output rows [r0, r1) (r = n * out_h + oh) on one thread, chunk by chunk.
void transpose_rows(const TransposeJob& job, int64_t r0, int64_t r1, int thread) {
  const ConvTranspose2dParams& p = job.p;
  const TransposePlan& plan = job.plan;
  ColumnWindow win{job.workspace + thread * plan.slice_floats};
  float* gemm_scratch = win.data + round_up_floats(plan.columns_floats);
  for (int64_t r = r0; r < r1;) {
    // A chunk: up to chunk_rows output rows of one image, and the input rows they need.
    const int64_t n = r / p.out_h, oh0 = r % p.out_h;
    const int64_t oh1 = std::min<int64_t>({oh0 + plan.chunk_rows, p.out_h, oh0 + (r1 - r)});
    const int64_t first = oh0 + p.pad_top - p.kernel_h + 1;  // lowest ih * stride_h
    const int64_t lo = first <= 0 ? 0 : ceil_div(first, p.stride_h);
    const int64_t hi = std::min<int64_t>(p.in_h - 1, floor_div(oh1 - 1 + p.pad_top, p.stride_h));
    // lo > hi: no input reaches these rows (they get bias and residual only).
    if (lo <= hi) fill_window(p, plan, job.x, job.w, n, lo, hi, win, gemm_scratch);
    for (int64_t oh = oh0; oh < oh1; ++oh) gather_row(p, plan, win, n, oh, job.epilogue, job.y);
    r += oh1 - oh0;
  }
}

}  // namespace

size_t conv_transpose2d_packed_filter_floats(const ConvTranspose2dParams& p) {
  check_conv_transpose2d_params(p);
  return gemm_packed_b_floats(p.in_c, int64_t{p.kernel_h} * p.kernel_w * p.out_c);
}

// HWOI read as the row-major [kh*kw*out_c, in_c] matrix is the GEMM's B transposed.
void conv_transpose2d_pack_filter(const ConvTranspose2dParams& p, const float* w_hwoi,
                                  float* packed) {
  check_conv_transpose2d_params(p);
  gemm_pack_b({w_hwoi, p.in_c, true}, p.in_c, int64_t{p.kernel_h} * p.kernel_w * p.out_c, packed);
}

size_t conv_transpose2d_workspace_bytes(const ConvTranspose2dParams& p, int threads) {
  check_conv_transpose2d_params(p);
  const TransposePlan plan = plan_transpose(p, threads);
  return (static_cast<size_t>(std::max(1, threads)) * plan.slice_floats + kScratchAlignFloats) *
         sizeof(float);
}

void conv_transpose2d(ThreadPool& pool, const ConvTranspose2dParams& p, const float* x,
                      const float* w_packed, const float* bias, const float* residual, float* y,
                      void* workspace) {
  check_conv_transpose2d_params(p);
  P3D_CHECK(x && w_packed && y, "conv_transpose2d: null input, filter or output");
  P3D_CHECK(!p.has_bias || bias, "conv_transpose2d: has_bias but bias is null");
  P3D_CHECK(!p.has_residual || residual, "conv_transpose2d: has_residual but residual is null");
  P3D_CHECK(workspace, "conv_transpose2d: needs a workspace of conv_transpose2d_workspace_bytes()");
  const TransposePlan plan = plan_transpose(p, pool.size());
  float* ws = aligned_workspace(workspace);
  const Epilogue epilogue{p.has_bias ? bias : nullptr, p.has_residual ? residual : nullptr, p.out_c,
                          p.activation, p.activation_alpha};
  const TransposeJob job{p, plan, x, w_packed, epilogue, y, ws};
  const int64_t rows = int64_t{p.batch} * p.out_h;
  pool.parallel_for(rows, ceil_div(rows, plan.workers), [&job](int64_t r0, int64_t r1, int thread) {
    transpose_rows(job, r0, r1, thread);
  });
}

}  // namespace p3d::cpu
