// F(2x2, 3x3) Winograd convolution; see conv2d_winograd.h. With the matrices of Lavin and
// Gray's "Fast Algorithms for Convolutional Neural Networks":
//   filter  U = G g G^T   (4x4 from 3x3),   G   = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]
//   input   V = B^T d B   (4x4 from 4x4),   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   output  Y = A^T M A   (2x2 from 4x4),   A^T = [1 1 1 0; 0 1 -1 -1]
// where M[e] = sum over input channels of U[e] * V[e], e the 16 positions: one GEMM each,
// over a block of tiles at a time so V and M of a block stay in L2.
#include "kernels/cpu/conv2d_winograd.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "kernels/cpu/cpu_isa.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/isa/winograd_transforms.h"
#include "kernels/cpu/tile_queue.h"
#include "kernels/error.h"

namespace p3d::cpu {
namespace {

constexpr int kPositions = 16;  // 4 x 4 transform positions
// With fewer 2x2 output tiles in the batch (a 12 x 12 output at batch 1), each transformed
// filter (16 / 9 the size of the filter) would be streamed for a handful of rows: the
// R-Net's 7 x 7 layers (16 tiles per image) take im2col at batch 1 and Winograd at batch 8
// (7.0 -> 5.8 ms per layer there); at 14 x 14 (49 tiles) it already beats im2col.
constexpr int64_t kMinTiles = 36;
constexpr int64_t kBlockBudgetFloats = 192 * 1024;  // V + M of one block: 768 KiB
constexpr int64_t kMinTilesPerBlock = 12;
constexpr int64_t kMaxTilesPerBlock = 384;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct WinogradPlan {
  int64_t tiles_h, tiles_w, tiles;  // 2x2 output tiles
  int64_t block;                    // tiles per block
  int64_t blocks;
  int64_t workers;
  size_t v_floats, m_floats, gemm_floats, zero_floats, slice_floats;  // per thread
};

size_t round16(size_t n) { return (n + 15) / 16 * 16; }

WinogradPlan plan_winograd(const Conv2dParams& p, int threads) {
  WinogradPlan plan{};
  plan.tiles_h = ceil_div(p.out_h, 2);
  plan.tiles_w = ceil_div(p.out_w, 2);
  plan.tiles = int64_t{p.batch} * plan.tiles_h * plan.tiles_w;
  plan.workers = std::max(1, threads);
  const int64_t by_cache = kBlockBudgetFloats / (kPositions * (int64_t{p.in_c} + p.out_c));
  int64_t block = std::clamp(by_cache, kMinTilesPerBlock, kMaxTilesPerBlock);
  // At least a few blocks per thread, so a late thread just takes fewer.
  block = std::min(block, std::max(kMinTilesPerBlock, ceil_div(plan.tiles, 4 * plan.workers)));
  plan.block = std::min(block, plan.tiles);
  plan.blocks = ceil_div(plan.tiles, plan.block);
  plan.v_floats = round16(static_cast<size_t>(kPositions * plan.block * p.in_c));
  plan.m_floats = round16(static_cast<size_t>(kPositions * plan.block * p.out_c));
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
  const float* packed;  // 16 packed [in_c, out_c] matrices
  const Epilogue& epilogue;
  float* y;
  float* workspace;
  TileQueue* blocks;
};

void run_blocks(const WinogradJob& job, int thread) {
  const Conv2dParams& p = job.p;
  const WinogradPlan& plan = job.plan;
  float* v = job.workspace + thread * plan.slice_floats;
  float* m = v + plan.v_floats;
  float* gemm_scratch = m + plan.m_floats;
  float* zeros = gemm_scratch + plan.gemm_floats;  // in_c zeros: the patch past the image
  std::fill(zeros, zeros + p.in_c, 0.0f);
  const WinogradTransforms& transform = transforms();
  const Epilogue& epilogue = job.epilogue;
  WinogradOutputTile out{};
  out.m_stride = plan.block * p.out_c;
  out.channels = p.out_c;
  out.bias = epilogue.bias;
  out.alpha = epilogue.alpha;
  const bool fused = fusable_activation(epilogue.activation);
  out.activation = micro_activation(epilogue.activation);
  out.activate = fused && epilogue.activation != Unary::Identity;
  const size_t per_position = gemm_packed_b_floats(p.in_c, p.out_c);
  const Epilogue none{nullptr, nullptr, 0, Unary::Identity, 0.f};
  for (;;) {
    const int64_t b = job.blocks->next(thread);
    if (b < 0) break;
    const int64_t t0 = b * plan.block, count = std::min(plan.block, plan.tiles - t0);
    const int64_t v_stride = plan.block * p.in_c, m_stride = plan.block * p.out_c;
    for (int64_t t = 0; t < count; ++t) {
      const int64_t tile = t0 + t;
      const int64_t n = tile / (plan.tiles_h * plan.tiles_w);
      const int64_t th = (tile / plan.tiles_w) % plan.tiles_h, tw = tile % plan.tiles_w;
      const float* d[16];
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
          const int64_t ih = 2 * th - p.pad_top + i, iw = 2 * tw - p.pad_left + j;
          d[i * 4 + j] = ih < 0 || ih >= p.in_h || iw < 0 || iw >= p.in_w
                             ? zeros
                             : job.x + ((n * p.in_h + ih) * p.in_w + iw) * p.in_c;
        }
      transform.input(d, p.in_c, v + t * p.in_c, v_stride);
    }
    for (int e = 0; e < kPositions; ++e)
      gemm_packed(count, p.out_c, {v + e * v_stride, p.in_c, false},
                  {job.packed + e * per_position, p.in_c}, m + e * m_stride, p.out_c, false, none,
                  gemm_scratch);
    for (int64_t t = 0; t < count; ++t) {
      const int64_t tile = t0 + t;
      const int64_t n = tile / (plan.tiles_h * plan.tiles_w);
      const int64_t th = (tile / plan.tiles_w) % plan.tiles_h, tw = tile % plan.tiles_w;
      out.m = m + t * p.out_c;
      for (int k = 0; k < 4; ++k) {
        const int64_t py = 2 * th + k / 2, px = 2 * tw + k % 2;
        const bool inside = py < p.out_h && px < p.out_w;  // not past an odd-sized output
        const int64_t pixel = (n * p.out_h + py) * p.out_w + px;
        out.y[k] = inside ? job.y + pixel * p.out_c : nullptr;
        out.residual[k] = inside && epilogue.residual
                              ? epilogue.residual + pixel * epilogue.residual_ld
                              : nullptr;
      }
      transform.output(out);  // bias, residual and a fusable activation included
      if (!fused)
        for (int k = 0; k < 4; ++k)
          if (out.y[k]) epilogue_activate(epilogue, 1, p.out_c, out.y[k], p.out_c);
    }
  }
}

float* aligned_workspace(void* workspace) {
  const auto address = reinterpret_cast<std::uintptr_t>(workspace);
  return reinterpret_cast<float*>((address + 63) & ~std::uintptr_t(63));
}

}  // namespace

bool winograd_fits_filter(const Conv2dParams& p) {
  return p.kernel_h == 3 && p.kernel_w == 3 && p.stride_h == 1 && p.stride_w == 1 &&
         p.dilation_h == 1 && p.dilation_w == 1 && p.groups == 1 && p.in_c >= 8 && p.out_c >= 8;
}

// Decided when the filter is packed, for the batch and size the graph was compiled for;
// a run at another batch or size follows the packed form (conv2d.cpp's header).
bool winograd_applies(const Conv2dParams& p) {
  return winograd_fits_filter(p) &&
         int64_t{p.batch} * ceil_div(p.out_h, 2) * ceil_div(p.out_w, 2) >= kMinTiles;
}

size_t winograd_packed_filter_floats(const Conv2dParams& p) {
  return kPositions * gemm_packed_b_floats(p.in_c, p.out_c);
}

void winograd_pack_filter(const Conv2dParams& p, const float* w, float* packed) {
  const int64_t ic_count = p.in_c, oc_count = p.out_c;
  // U[e][ic][oc] = (G g G^T)[e] with g = w[ky][kx][ic][oc]; built once, at plan time.
  std::vector<float> u(static_cast<size_t>(kPositions * ic_count * oc_count));
  const int64_t plane = ic_count * oc_count;
  for (int64_t ic = 0; ic < ic_count; ++ic)
    for (int64_t oc = 0; oc < oc_count; ++oc) {
      float g[3][3];
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx)
          g[ky][kx] = w[((ky * 3 + kx) * ic_count + ic) * oc_count + oc];
      float s[4][3];  // s = G g
      for (int k = 0; k < 3; ++k) {
        s[0][k] = g[0][k];
        s[1][k] = 0.5f * (g[0][k] + g[1][k] + g[2][k]);
        s[2][k] = 0.5f * (g[0][k] - g[1][k] + g[2][k]);
        s[3][k] = g[2][k];
      }
      for (int i = 0; i < 4; ++i) {  // U = s G^T
        float* out = u.data() + (i * 4) * plane + ic * oc_count + oc;
        out[0 * plane] = s[i][0];
        out[1 * plane] = 0.5f * (s[i][0] + s[i][1] + s[i][2]);
        out[2 * plane] = 0.5f * (s[i][0] - s[i][1] + s[i][2]);
        out[3 * plane] = s[i][2];
      }
    }
  const size_t per_position = gemm_packed_b_floats(ic_count, oc_count);
  for (int e = 0; e < kPositions; ++e)
    gemm_pack_b({u.data() + e * plane, oc_count, false}, ic_count, oc_count,
                packed + e * per_position);
}

size_t winograd_workspace_bytes(const Conv2dParams& p, int threads) {
  const WinogradPlan plan = plan_winograd(p, threads);
  return (static_cast<size_t>(std::max(1, threads)) * plan.slice_floats + 16) * sizeof(float);
}

void winograd_conv2d(ThreadPool& pool, const Conv2dParams& p, const float* x, const float* packed,
                     const float* bias, const float* residual, float* y, void* workspace) {
  P3D_CHECK(workspace, "conv2d: needs a workspace of conv2d_workspace_bytes() bytes");
  const WinogradPlan plan = plan_winograd(p, pool.size());
  const Epilogue epilogue{p.has_bias ? bias : nullptr, p.has_residual ? residual : nullptr, p.out_c,
                          p.activation, p.activation_alpha};
  TileQueue blocks(plan.blocks, plan.workers);
  const WinogradJob job{p, plan, x, packed, epilogue, y, aligned_workspace(workspace), &blocks};
  pool.parallel_for(plan.workers, 1,
                    [&job](int64_t, int64_t, int thread) { run_blocks(job, thread); });
}

}  // namespace p3d::cpu
