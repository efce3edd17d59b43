// Our CUDA kernels of conv2d and conv_transpose2d (kernels/cuda/conv2d.h).
//
// The epilogue is one pass over y: bias, skip connection and activation cost one read and
// one write of the output instead of three. When the channel count is a multiple of 4 and
// the pointers are 16-byte aligned each thread moves float4s (a row of channels never
// straddles a vector then); otherwise the scalar path runs, which the agreement table's
// misaligned and odd-channel cases exercise.
//
// The direct kernels run one thread per output element with the output channel fastest, so
// a warp shares one output pixel: its input reads hit the same few cache lines (for
// depthwise, adjacent channels - coalesced) and only the filter reads are strided (the
// filter is small and stays in L1/L2).
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/conv2d.h"

namespace p3d::cuda {
namespace {

constexpr int kEpilogueBlock = 256;
constexpr int kFilterLayoutBlock = 256;
constexpr int kDirectConvBlock = 256;

// Scalar path: element i belongs to channel i % channels.
static __global__ void conv_epilogue_kernel(int64_t count, int32_t channels,
                                            const float* __restrict__ bias, const float* residual,
                                            Unary activation, float alpha, float* y) {
  for (int64_t i = detail::grid_thread_index(); i < count; i += detail::grid_thread_count()) {
    float v = y[i];
    if (bias) v += bias[i % channels];
    if (residual) v += residual[i];
    y[i] = apply_unary(activation, v, alpha);
  }
}

// float4 path: vector j covers elements 4j..4j+3, all in one row since channels % 4 == 0.
static __global__ void conv_epilogue_vec4_kernel(int64_t vectors, int32_t channels,
                                                 const float* __restrict__ bias,
                                                 const float* residual, Unary activation,
                                                 float alpha, float* y) {
  float4* y4 = reinterpret_cast<float4*>(y);
  const float4* residual4 = reinterpret_cast<const float4*>(residual);
  for (int64_t j = detail::grid_thread_index(); j < vectors; j += detail::grid_thread_count()) {
    float4 v = y4[j];
    if (bias) {
      const float4 b = *reinterpret_cast<const float4*>(bias + (j * 4) % channels);
      v.x += b.x;
      v.y += b.y;
      v.z += b.z;
      v.w += b.w;
    }
    if (residual) {
      const float4 r = residual4[j];
      v.x += r.x;
      v.y += r.y;
      v.z += r.z;
      v.w += r.w;
    }
    v.x = apply_unary(activation, v.x, alpha);
    v.y = apply_unary(activation, v.y, alpha);
    v.z = apply_unary(activation, v.z, alpha);
    v.w = apply_unary(activation, v.w, alpha);
    y4[j] = v;
  }
}

// One thread per output element, writes coalesced, reads strided by O. Runs once per weight
// when a graph is compiled, so a plain gather is enough.
static __global__ void hwio_to_ohwi_kernel(int64_t count, int32_t kh, int32_t kw, int32_t in_c,
                                           int32_t out_c, const float* __restrict__ hwio,
                                           float* __restrict__ ohwi) {
  for (int64_t idx = detail::grid_thread_index(); idx < count; idx += detail::grid_thread_count()) {
    // Output index idx = ((o * kh + h) * kw + w) * in_c + i.
    int64_t rest = idx;
    const int64_t i = rest % in_c;
    rest /= in_c;
    const int64_t w = rest % kw;
    rest /= kw;
    const int64_t h = rest % kh;
    const int64_t o = rest / kh;
    ohwi[idx] = hwio[((h * kw + w) * in_c + i) * out_c + o];
  }
}

// Output index idx = ((n * out_h + oy) * out_w + ox) * out_c + oc, split into its parts.
struct OutputIndex {
  int64_t n;
  int32_t oy, ox, oc;
};
__device__ __forceinline__ OutputIndex split_output_index(const Conv2dParams& p, int64_t idx) {
  OutputIndex o;
  int64_t rest = idx;
  o.oc = static_cast<int32_t>(rest % p.out_c);
  rest /= p.out_c;
  o.ox = static_cast<int32_t>(rest % p.out_w);
  rest /= p.out_w;
  o.oy = static_cast<int32_t>(rest % p.out_h);
  o.n = rest / p.out_h;
  return o;
}

static __global__ void direct_conv2d_kernel(Conv2dParams p, int64_t count,
                                            const float* __restrict__ x,
                                            const float* __restrict__ filter,
                                            const float* __restrict__ bias, const float* residual,
                                            float* y) {
  const int32_t group_in = p.in_c / p.groups;
  const int32_t group_out = p.out_c / p.groups;
  for (int64_t idx = detail::grid_thread_index(); idx < count; idx += detail::grid_thread_count()) {
    const OutputIndex o = split_output_index(p, idx);
    const int32_t first_in = (o.oc / group_out) * group_in;  // this group's first input channel
    float acc = 0.f;
    const float* w = filter + static_cast<int64_t>(o.oc) * p.kernel_h * p.kernel_w * group_in;
    for (int32_t ky = 0; ky < p.kernel_h; ++ky) {
      // Zero padding taps are skipped, mirrored ones read the mirrored pixel.
      const int32_t iy =
          static_cast<int32_t>(padded_source(o.oy * p.stride_h - p.pad_top + ky * p.dilation_h,
                                             p.in_h, p.pad_top, p.pad_bottom, p.padding_fill));
      if (iy < 0) continue;
      for (int32_t kx = 0; kx < p.kernel_w; ++kx) {
        const int32_t ix =
            static_cast<int32_t>(padded_source(o.ox * p.stride_w - p.pad_left + kx * p.dilation_w,
                                               p.in_w, p.pad_left, p.pad_right, p.padding_fill));
        if (ix < 0) continue;
        const float* in = x + ((o.n * p.in_h + iy) * p.in_w + ix) * p.in_c + first_in;
        const float* tap = w + (static_cast<int64_t>(ky) * p.kernel_w + kx) * group_in;
        for (int32_t ic = 0; ic < group_in; ++ic) acc = fmaf(in[ic], tap[ic], acc);
      }
    }
    if (bias) acc += bias[o.oc];
    if (residual) acc += residual[idx];  // read before y[idx] is written: y may alias it
    y[idx] = apply_unary(p.activation, acc, p.activation_alpha);
  }
}

// Input (iy, ix) scatters into output oy = iy * stride - pad + ky * dilation; the output
// gathers, for each tap ky, the input row iy = (oy + pad - ky * dilation) / stride when that
// division is exact and in range (likewise for columns).
static __global__ void direct_conv_transpose2d_kernel(Conv2dParams p, int64_t count,
                                                      const float* __restrict__ x,
                                                      const float* __restrict__ filter,
                                                      const float* __restrict__ bias,
                                                      const float* residual, float* y) {
  for (int64_t idx = detail::grid_thread_index(); idx < count; idx += detail::grid_thread_count()) {
    const OutputIndex o = split_output_index(p, idx);
    float acc = 0.f;
    for (int32_t ky = 0; ky < p.kernel_h; ++ky) {
      const int32_t ty = o.oy + p.pad_top - ky * p.dilation_h;
      if (ty < 0 || ty % p.stride_h != 0) continue;
      const int32_t iy = ty / p.stride_h;
      if (iy >= p.in_h) continue;
      for (int32_t kx = 0; kx < p.kernel_w; ++kx) {
        const int32_t tx = o.ox + p.pad_left - kx * p.dilation_w;
        if (tx < 0 || tx % p.stride_w != 0) continue;
        const int32_t ix = tx / p.stride_w;
        if (ix >= p.in_w) continue;
        const float* in = x + ((o.n * p.in_h + iy) * p.in_w + ix) * p.in_c;
        // Forward KRSC [in_c, kh, kw, out_c]: tap (ic, ky, kx, oc).
        const float* tap = filter + (static_cast<int64_t>(ky) * p.kernel_w + kx) * p.out_c + o.oc;
        const int64_t ic_stride = static_cast<int64_t>(p.kernel_h) * p.kernel_w * p.out_c;
        for (int32_t ic = 0; ic < p.in_c; ++ic) acc = fmaf(in[ic], tap[ic * ic_stride], acc);
      }
    }
    if (bias) acc += bias[o.oc];
    if (residual) acc += residual[idx];  // read before y[idx] is written: y may alias it
    y[idx] = apply_unary(p.activation, acc, p.activation_alpha);
  }
}

void check_direct_params(const Conv2dParams& p, const char* op) {
  P3D_CHECK(p.batch >= 0 && p.in_h > 0 && p.in_w > 0 && p.in_c > 0 && p.out_h >= 0 &&
                p.out_w >= 0 && p.out_c > 0 && p.kernel_h > 0 && p.kernel_w > 0 && p.stride_h > 0 &&
                p.stride_w > 0 && p.dilation_h > 0 && p.dilation_w > 0 && p.groups > 0 &&
                p.in_c % p.groups == 0 && p.out_c % p.groups == 0,
            op, ": bad params (sizes, kernel, stride, dilation and groups must be positive, ",
            "channels divisible by groups)");
}

}  // namespace

void conv_epilogue(int64_t rows, int32_t channels, const float* bias, const float* residual,
                   Unary activation, float alpha, float* y, cudaStream_t stream) {
  const int64_t count = rows * channels;
  if (count <= 0) return;
  if (!bias && !residual && activation == Unary::Identity) return;  // nothing to do
  const bool vectorise = channels % 4 == 0 && detail::is_aligned(y, 16) &&
                         (!bias || detail::is_aligned(bias, 16)) &&
                         (!residual || detail::is_aligned(residual, 16));
  if (vectorise) {
    const int64_t vectors = count / 4;
    conv_epilogue_vec4_kernel<<<detail::grid_blocks(vectors, kEpilogueBlock), kEpilogueBlock, 0,
                                stream>>>(vectors, channels, bias, residual, activation, alpha, y);
    P3D_CUDA_CHECK_LAUNCH();
  } else {
    conv_epilogue_kernel<<<detail::grid_blocks(count, kEpilogueBlock), kEpilogueBlock, 0, stream>>>(
        count, channels, bias, residual, activation, alpha, y);
    P3D_CUDA_CHECK_LAUNCH();
  }
}

void hwio_to_ohwi(int32_t kh, int32_t kw, int32_t in_c, int32_t out_c, const float* hwio,
                  float* ohwi, cudaStream_t stream) {
  const int64_t count = static_cast<int64_t>(kh) * kw * in_c * out_c;
  if (count <= 0) return;
  hwio_to_ohwi_kernel<<<detail::grid_blocks(count, kFilterLayoutBlock), kFilterLayoutBlock, 0,
                        stream>>>(count, kh, kw, in_c, out_c, hwio, ohwi);
  P3D_CUDA_CHECK_LAUNCH();
}

void direct_conv2d(const Conv2dParams& p, const float* x, const float* filter, const float* bias,
                   const float* residual, float* y, cudaStream_t stream) {
  check_direct_params(p, "direct_conv2d");
  const int64_t count = static_cast<int64_t>(p.batch) * p.out_h * p.out_w * p.out_c;
  if (count <= 0) return;
  direct_conv2d_kernel<<<detail::grid_blocks(count, kDirectConvBlock), kDirectConvBlock, 0,
                         stream>>>(p, count, x, filter, bias, residual, y);
  P3D_CUDA_CHECK_LAUNCH();
}

void direct_conv_transpose2d(const ConvTranspose2dParams& p, const float* x, const float* filter,
                             const float* bias, const float* residual, float* y,
                             cudaStream_t stream) {
  check_direct_params(p, "direct_conv_transpose2d");
  P3D_CHECK(p.groups == 1, "direct_conv_transpose2d: groups must be 1, got ", p.groups);
  const int64_t count = static_cast<int64_t>(p.batch) * p.out_h * p.out_w * p.out_c;
  if (count <= 0) return;
  direct_conv_transpose2d_kernel<<<detail::grid_blocks(count, kDirectConvBlock), kDirectConvBlock,
                                   0, stream>>>(p, count, x, filter, bias, residual, y);
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace p3d::cuda
