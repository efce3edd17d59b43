// See precision_emulation.h.
#include "kernels/cpu/precision_emulation.h"

#include <algorithm>

#include "kernels/cpu/cpu_kernels.h"

namespace p3d::cpu {
namespace {

size_t input_count(const Conv2dParams& p) {
  return static_cast<size_t>(p.batch) * p.in_h * p.in_w * p.in_c;
}
size_t output_count(const Conv2dParams& p) {
  return static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.out_c;
}

// The same params with the epilogue removed: the kernel then writes the bare conv.
Conv2dParams without_epilogue(const Conv2dParams& p) {
  Conv2dParams q = p;
  q.has_bias = false;
  q.has_residual = false;
  q.activation = Unary::Identity;
  return q;
}

}  // namespace

void round_in_place(Rounding r, float* data, size_t count) {
  if (r == Rounding::Tf32) {
    for (size_t i = 0; i < count; ++i) data[i] = round_to_tf32(data[i]);
  } else {
    for (size_t i = 0; i < count; ++i) data[i] = round_to_half(data[i]);
  }
}

const float* PrecisionEmulation::rounded_input(const float* x, size_t count) {
  if (input_.size() < count) input_.resize(count);
  std::copy(x, x + count, input_.begin());
  round_in_place(rounding_, input_.data(), count);
  return input_.data();
}

void PrecisionEmulation::finish_half_conv(const Conv2dParams& p, const float* bias,
                                          const float* residual, float* y) {
  const size_t count = output_count(p);
  const size_t channels = static_cast<size_t>(p.out_c);
  for (size_t i = 0; i < count; ++i) {
    float v = round_to_half(y[i]);
    if (p.has_bias) v += bias[i % channels];
    if (p.has_residual) v += residual[i];
    y[i] = apply_unary(p.activation, v, p.activation_alpha);
  }
}

void PrecisionEmulation::conv2d(ThreadPool& pool, const Conv2dParams& p, const float* x,
                                const float* w_packed, const float* bias, const float* residual,
                                float* y, void* workspace) {
  const float* rx = rounded_input(x, input_count(p));
  if (rounding_ == Rounding::Tf32) {
    cpu::conv2d(pool, p, rx, w_packed, bias, residual, y, workspace);
    return;
  }
  const float* kept_residual = residual;
  if (p.has_residual && residual == y) {  // the bare conv overwrites an in-place residual
    residual_.assign(residual, residual + output_count(p));
    kept_residual = residual_.data();
  }
  cpu::conv2d(pool, without_epilogue(p), rx, w_packed, nullptr, nullptr, y, workspace);
  finish_half_conv(p, bias, kept_residual, y);
}

void PrecisionEmulation::conv_transpose2d(ThreadPool& pool, const ConvTranspose2dParams& p,
                                          const float* x, const float* w_packed, const float* bias,
                                          const float* residual, float* y, void* workspace) {
  const float* rx = rounded_input(x, input_count(p));
  if (rounding_ == Rounding::Tf32) {
    cpu::conv_transpose2d(pool, p, rx, w_packed, bias, residual, y, workspace);
    return;
  }
  const float* kept_residual = residual;
  if (p.has_residual && residual == y) {
    residual_.assign(residual, residual + output_count(p));
    kept_residual = residual_.data();
  }
  cpu::conv_transpose2d(pool, without_epilogue(p), rx, w_packed, nullptr, nullptr, y, workspace);
  finish_half_conv(p, bias, kept_residual, y);
}

void PrecisionEmulation::matmul(ThreadPool& pool, const MatmulParams& p, const float* a,
                                const float* b, const float* bias, float* c) {
  const size_t a_count = static_cast<size_t>(p.batch) * p.m * p.k;
  const size_t b_count = static_cast<size_t>(p.batch) * p.k * p.n;
  const float* ra = rounded_input(a, a_count);
  if (other_input_.size() < b_count) other_input_.resize(b_count);
  std::copy(b, b + b_count, other_input_.begin());
  round_in_place(rounding_, other_input_.data(), b_count);
  cpu::matmul(pool, p, ra, other_input_.data(), bias, c);
}

}  // namespace p3d::cpu
