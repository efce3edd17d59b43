// The backend calls of the built-in ops (what the executor runs per step), their FLOPs, and
// the convolutions' filter packing, workspace and plan hooks; the op table names them.
#include "engine/op_registry.h"
#include "engine/op_rules.h"

namespace p3d {

namespace {

const float* f32(const void* p) { return static_cast<const float*>(p); }

// The fused epilogue's optional operands: bias then residual, after x and the filter.
void conv_operands(const Conv2dParams& p, const OpCall& c, const float*& bias,
                   const float*& residual) {
  const int b = p.has_bias ? 2 : -1;
  const int r = p.has_residual ? (p.has_bias ? 3 : 2) : -1;
  bias = b >= 0 ? f32(c.inputs[static_cast<size_t>(b)]) : nullptr;
  residual = r >= 0 ? f32(c.inputs[static_cast<size_t>(r)]) : nullptr;
}

const Conv2dParams& conv_params(const LoweredNode& l) {
  return *std::any_cast<Conv2dParams>(&l.params);
}

}  // namespace

void run_conv2d(Backend& b, const OpCall& c) {
  const Conv2dParams& p = c.params<Conv2dParams>();
  const float *bias, *residual;
  conv_operands(p, c, bias, residual);
  b.conv2d(p, c.f32_input(0), c.f32_input(1), bias, residual, c.f32_output(), c.workspace);
}

void run_conv_transpose2d(Backend& b, const OpCall& c) {
  const Conv2dParams& p = c.params<Conv2dParams>();
  const float *bias, *residual;
  conv_operands(p, c, bias, residual);
  b.conv_transpose2d(p, c.f32_input(0), c.f32_input(1), bias, residual, c.f32_output(),
                     c.workspace);
}

void run_matmul(Backend& b, const OpCall& c) {
  const MatmulParams& p = c.params<MatmulParams>();
  b.matmul(p, c.f32_input(0), c.f32_input(1), p.has_bias ? c.f32_input(2) : nullptr,
           c.f32_output());
}

void run_pool2d(Backend& b, const OpCall& c) {
  b.pool2d(c.params<Pool2dParams>(), c.f32_input(0), c.f32_output());
}

void run_reduce(Backend& b, const OpCall& c) {
  const ReduceLowering& r = c.params<ReduceLowering>();
  const void* x = c.inputs[0];
  if (r.transpose_first) {
    b.transpose(r.transpose, x, c.scratch);
    x = c.scratch;
  }
  b.reduce(r.reduce, f32(x), c.f32_output());
}

void run_batch_norm(Backend& b, const OpCall& c) {
  b.batch_norm(c.params<BatchNormParams>(), c.f32_input(0), c.f32_input(1), c.f32_input(2),
               c.f32_input(3), c.f32_input(4), c.f32_output());
}

void run_unary(Backend& b, const OpCall& c) {
  b.unary(c.params<UnaryParams>(), c.f32_input(0), c.f32_output());
}

void run_binary(Backend& b, const OpCall& c) {
  b.binary(c.params<BinaryParams>(), c.f32_input(0), c.f32_input(1), c.f32_output());
}

void run_cast(Backend& b, const OpCall& c) {
  b.cast(c.params<CastParams>(), c.inputs[0], c.output);
}

void run_concat(Backend& b, const OpCall& c) {
  const ConcatLowering& l = c.params<ConcatLowering>();
  for (size_t i = 0; i < l.copies.size(); ++i)
    if (l.copies[i].outer * l.copies[i].inner > 0)
      b.concat_copy(l.copies[i], c.inputs[i], c.output);
}

void run_pad(Backend& b, const OpCall& c) {
  b.pad(c.params<PadParams>(), c.f32_input(0), c.f32_output());
}

void run_transpose(Backend& b, const OpCall& c) {
  b.transpose(c.params<TransposeParams>(), c.inputs[0], c.output);
}

void run_slice(Backend& b, const OpCall& c) {
  b.slice(c.params<SliceParams>(), c.inputs[0], c.output);
}

int64_t flops_conv2d(const Graph& g, const Node& n) {
  const Shape& w = g.node(n.inputs[1]).shape;  // HWIO, I = in_c / groups
  return 2 * n.shape.numel() * w[0] * w[1] * w[2];
}

int64_t flops_conv_transpose2d(const Graph& g, const Node& n) {
  const Shape& x = g.node(n.inputs[0]).shape;
  const Shape& w = g.node(n.inputs[1]).shape;  // HWOI: every input pixel scatters kh*kw*O
  return 2 * x.numel() * w[0] * w[1] * w[2];
}

int64_t flops_matmul(const Graph& g, const Node& n) {
  const Shape& a = g.node(n.inputs[0]).shape;
  const int64_t k = n.as<MatMulAttrs>().transpose_a ? a[a.rank() - 2] : a[a.rank() - 1];
  return 2 * n.shape.numel() * k;
}

Tensor pack_conv2d_filter(Backend& b, const LoweredNode& l, const Tensor& host) {
  return b.pack_conv_filter(conv_params(l), host);
}
Tensor pack_conv_transpose2d_filter(Backend& b, const LoweredNode& l, const Tensor& host) {
  return b.pack_conv_transpose_filter(conv_params(l), host);
}
size_t conv2d_workspace(Backend& b, const LoweredNode& l) {
  return b.conv2d_workspace(conv_params(l));
}
size_t conv_transpose2d_workspace(Backend& b, const LoweredNode& l) {
  return b.conv_transpose2d_workspace(conv_params(l));
}
std::string conv2d_kernel_plan(Backend& b, const LoweredNode& l) {
  return b.conv2d_plan(conv_params(l));
}
std::string conv_transpose2d_kernel_plan(Backend& b, const LoweredNode& l) {
  return b.conv_transpose2d_plan(conv_params(l));
}

}  // namespace p3d
