// Builders for the dense ops: conv2d, conv_transpose2d, matmul, pool2d, reduce.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "kernels/error.h"
#include "tests/support/naive_reference.h"
#include "tests/support/op_case_builders.h"

namespace p3d::test::cases {

// ---- conv2d ----------------------------------------------------------------------------
std::string conv2d_name(const ConvSpec& s, const Conv2dParams& p) {
  std::ostringstream name;
  name << "conv2d n" << s.n << " " << s.h << "x" << s.w << "x" << s.c << " o" << p.out_h << "x"
       << p.out_w << "x" << s.oc << " k" << s.kh << "x" << s.kw << " s" << hw(s.sh, s.sw);
  name << " d" << hw(s.dh, s.dw);
  name << " pad(t" << s.pt << ",l" << s.pl << ",b" << s.pb << ",r" << s.pr << ")";
  if (s.fill == PadMode::Reflect) name << " reflect";
  if (s.fill == PadMode::Symmetric) name << " symmetric";
  name << " g" << s.groups;
  if (s.bias) name << " bias";
  if (s.residual) name << " res";
  if (s.act != Unary::Identity) name << " " << activation_name(s.act, s.alpha);
  return name.str();
}

// Inputs 0 x, 1 filter, then bias and residual when present.
struct EpilogueInputs {
  int bias = -1, residual = -1;
};
EpilogueInputs add_epilogue_inputs(OpCase& c, const ConvSpec& s, const Shape& out_shape) {
  EpilogueInputs e;
  if (s.bias) {
    e.bias = static_cast<int>(c.inputs.size());
    c.inputs.push_back(input("bias", Shape{s.oc}, uniform(-1, 1)));
  }
  if (s.residual) {
    e.residual = static_cast<int>(c.inputs.size());
    c.inputs.push_back(input("residual", out_shape, uniform(-1, 1)));
  }
  return e;
}
const float* optional_input(const std::vector<Tensor>& in, int i) {
  return i >= 0 ? in[static_cast<size_t>(i)].data<float>() : nullptr;
}
const float* optional_input(const LaunchArgs& a, int i) {
  return i >= 0 ? f32(a.inputs[static_cast<size_t>(i)]) : nullptr;
}

Conv2dParams conv_params(const ConvSpec& s, int out_h, int out_w) {
  Conv2dParams p{};
  p.batch = s.n;
  p.in_h = s.h;
  p.in_w = s.w;
  p.in_c = s.c;
  p.out_h = out_h;
  p.out_w = out_w;
  p.out_c = s.oc;
  p.kernel_h = s.kh;
  p.kernel_w = s.kw;
  p.stride_h = s.sh;
  p.stride_w = s.sw;
  p.dilation_h = s.dh;
  p.dilation_w = s.dw;
  p.pad_top = s.pt;
  p.pad_left = s.pl;
  p.pad_bottom = s.pb;
  p.pad_right = s.pr;
  p.groups = s.groups;
  p.has_bias = s.bias;
  p.has_residual = s.residual;
  p.activation = s.act;
  p.activation_alpha = s.alpha;
  p.padding_fill = s.fill;
  return p;
}

Conv2dParams conv2d_params(const ConvSpec& s) {
  return conv_params(s, out_size(s.h, s.kh, s.sh, s.dh, s.pt, s.pb),
                     out_size(s.w, s.kw, s.sw, s.dw, s.pl, s.pr));
}

OpCase conv2d_case(const ConvSpec& s) {
  P3D_CHECK(s.c % s.groups == 0 && s.oc % s.groups == 0, "conv case: groups must divide channels");
  const Conv2dParams p = conv2d_params(s);
  P3D_CHECK(p.out_h > 0 && p.out_w > 0, "conv case with an empty output");
  OpCase c;
  c.op = "conv2d";
  c.name = conv2d_name(s, p);
  c.large = s.large;
  c.out_shape = Shape{s.n, p.out_h, p.out_w, s.oc};
  const int64_t k = int64_t(s.kh) * s.kw * (s.c / s.groups);
  const double w_range = std::sqrt(3.0 / double(k));  // keeps outputs O(1) for the activations
  c.inputs.push_back(input("x", Shape{s.n, s.h, s.w, s.c}, uniform(-1, 1)));
  c.inputs.push_back(
      input("filter", Shape{s.kh, s.kw, s.c / s.groups, s.oc}, uniform(-w_range, w_range)));
  c.inputs.back().pack = [p](Backend& b, const Tensor& host) {
    return b.pack_conv_filter(p, host);
  };
  const EpilogueInputs e = add_epilogue_inputs(c, s, c.out_shape);
  c.vs_reference = c.vs_cpu = kDense;
  c.flops = 2.0 * double(c.out_shape.numel()) * double(k);
  c.bytes = byte_count(c);
  c.workspace = [p](Backend& b) { return b.conv2d_workspace(p); };
  c.launch = [p, e](Backend& b, const LaunchArgs& a) {
    b.conv2d(p, f32(a.inputs[0]), f32(a.inputs[1]), optional_input(a, e.bias),
             optional_input(a, e.residual), f32(a.output), a.workspace);
  };
  c.reference = [p, e](const std::vector<Tensor>& in, Tensor& out) {
    naive::conv2d(p, in[0].data<float>(), in[1].data<float>(), optional_input(in, e.bias),
                  optional_input(in, e.residual), out.data<float>());
  };
  c.reference_at = [p, e](const std::vector<Tensor>& in, int64_t index) {
    return naive::conv2d_at(p, in[0].data<float>(), in[1].data<float>(), optional_input(in, e.bias),
                            optional_input(in, e.residual), index);
  };
  return c;
}

// ---- conv_transpose2d ------------------------------------------------------------------
// Spec'd by the (large) output: h, w, oc; c is the input channels; the input size is what
// the forward conv with this kernel, stride and padding makes of the output.
OpCase conv_transpose2d_case(const ConvSpec& s) {
  const int in_h = out_size(s.h, s.kh, s.sh, 1, s.pt, s.pb);
  const int in_w = out_size(s.w, s.kw, s.sw, 1, s.pl, s.pr);
  P3D_CHECK(in_h > 0 && in_w > 0 && s.groups == 1 && s.dh == 1, "bad conv_transpose2d case");
  ConvTranspose2dParams p = conv_params(s, s.h, s.w);
  p.in_h = in_h;
  p.in_w = in_w;
  OpCase c;
  c.op = "conv_transpose2d";
  std::ostringstream name;
  name << "conv_transpose2d n" << s.n << " " << in_h << "x" << in_w << "x" << s.c << " o" << s.h
       << "x" << s.w << "x" << s.oc << " k" << hw(s.kh, s.kw) << " s" << hw(s.sh, s.sw) << " pad(t"
       << s.pt << ",l" << s.pl << ",b" << s.pb << ",r" << s.pr << ")" << (s.bias ? " bias" : "")
       << (s.residual ? " res" : "");
  if (s.act != Unary::Identity) name << " " << activation_name(s.act, s.alpha);
  c.name = name.str();
  c.large = s.large;
  c.out_shape = Shape{s.n, s.h, s.w, s.oc};
  // Each output gathers about kh*kw*in_c/(sh*sw) terms.
  const double terms = double(s.kh) * s.kw * s.c / (double(s.sh) * s.sw);
  const double w_range = std::sqrt(3.0 / std::max(terms, 1.0));
  c.inputs.push_back(input("x", Shape{s.n, in_h, in_w, s.c}, uniform(-1, 1)));
  c.inputs.push_back(
      input("filter", Shape{s.kh, s.kw, s.oc, s.c}, uniform(-w_range, w_range)));  // HWOI
  c.inputs.back().pack = [p](Backend& b, const Tensor& host) {
    return b.pack_conv_transpose_filter(p, host);
  };
  const EpilogueInputs e = add_epilogue_inputs(c, s, c.out_shape);
  c.vs_reference = c.vs_cpu = kDense;
  c.flops = 2.0 * double(s.n) * in_h * in_w * s.c * double(s.kh) * s.kw * s.oc;
  c.bytes = byte_count(c);
  c.workspace = [p](Backend& b) { return b.conv_transpose2d_workspace(p); };
  c.launch = [p, e](Backend& b, const LaunchArgs& a) {
    b.conv_transpose2d(p, f32(a.inputs[0]), f32(a.inputs[1]), optional_input(a, e.bias),
                       optional_input(a, e.residual), f32(a.output), a.workspace);
  };
  c.reference = [p, e](const std::vector<Tensor>& in, Tensor& out) {
    naive::conv_transpose2d(p, in[0].data<float>(), in[1].data<float>(), optional_input(in, e.bias),
                            optional_input(in, e.residual), out.data<float>());
  };
  return c;
}

// ---- matmul ----------------------------------------------------------------------------
OpCase matmul_case(int batch, int m, int n, int k, bool ta, bool tb, bool bias, Unary act,
                   bool large) {
  MatmulParams p{};
  p.batch = batch;
  p.m = m;
  p.n = n;
  p.k = k;
  p.transpose_a = ta;
  p.transpose_b = tb;
  p.has_bias = bias;
  p.activation = act;
  p.activation_alpha = 0.2f;
  OpCase c;
  c.op = "matmul";
  std::ostringstream name;
  name << "matmul b" << batch << " m" << m << " n" << n << " k" << k << (ta ? " ta" : "")
       << (tb ? " tb" : "") << (bias ? " bias" : "");
  if (act != Unary::Identity) name << " " << unary_name(act);
  c.name = name.str();
  c.large = large;
  c.out_shape = batch == 1 ? Shape{m, n} : Shape{batch, m, n};
  const double b_range = std::sqrt(3.0 / k);
  c.inputs.push_back(input("a", ta ? Shape{batch, k, m} : Shape{batch, m, k}, uniform(-1, 1)));
  c.inputs.push_back(
      input("b", tb ? Shape{batch, n, k} : Shape{batch, k, n}, uniform(-b_range, b_range)));
  if (bias) c.inputs.push_back(input("bias", Shape{n}, uniform(-1, 1)));
  c.vs_reference = c.vs_cpu = kDense;
  c.flops = 2.0 * batch * double(m) * n * k;
  c.bytes = byte_count(c);
  c.launch = [p](Backend& b, const LaunchArgs& a) {
    b.matmul(p, f32(a.inputs[0]), f32(a.inputs[1]), p.has_bias ? f32(a.inputs[2]) : nullptr,
             f32(a.output));
  };
  c.reference = [p](const std::vector<Tensor>& in, Tensor& out) {
    naive::matmul(p, in[0].data<float>(), in[1].data<float>(),
                  p.has_bias ? in[2].data<float>() : nullptr, out.data<float>());
  };
  c.reference_at = [p](const std::vector<Tensor>& in, int64_t index) {
    return naive::matmul_at(p, in[0].data<float>(), in[1].data<float>(),
                            p.has_bias ? in[2].data<float>() : nullptr, index);
  };
  return c;
}

// ---- pool2d ----------------------------------------------------------------------------
PoolSpec pool_valid(PoolKind kind, int n, int h, int w, int c, int k, int s) {
  return {kind, n, h, w, c, k, k, s, s, 0, 0, (h - k) / s + 1, (w - k) / s + 1};
}
// SAME: out = ceil(in / s), padding split with the odd pixel at the end.
PoolSpec pool_same(PoolKind kind, int n, int h, int w, int c, int kh, int kw, int sh, int sw) {
  const int oh = (h + sh - 1) / sh, ow = (w + sw - 1) / sw;
  const int th = std::max((oh - 1) * sh + kh - h, 0), tw = std::max((ow - 1) * sw + kw - w, 0);
  return {kind, n, h, w, c, kh, kw, sh, sw, th / 2, tw / 2, oh, ow};
}

OpCase pool2d_case(const PoolSpec& s, FillFn fill, const std::string& tag) {
  Pool2dParams p{};
  p.batch = s.n;
  p.in_h = s.h;
  p.in_w = s.w;
  p.channels = s.c;
  p.out_h = s.oh;
  p.out_w = s.ow;
  p.kernel_h = s.kh;
  p.kernel_w = s.kw;
  p.stride_h = s.sh;
  p.stride_w = s.sw;
  p.pad_top = s.pt;
  p.pad_left = s.pl;
  p.kind = s.kind;
  // Every window must hold an input pixel (an empty average is undefined).
  P3D_CHECK((s.oh - 1) * s.sh - s.pt < s.h && s.kh > s.pt && (s.ow - 1) * s.sw - s.pl < s.w &&
                s.kw > s.pl,
            "pool case with an empty window");
  OpCase c;
  c.op = "pool2d";
  std::ostringstream name;
  name << "pool2d " << (s.kind == PoolKind::Max ? "max" : "avg") << " n" << s.n << " " << s.h << "x"
       << s.w << "x" << s.c << " o" << s.oh << "x" << s.ow << " k" << hw(s.kh, s.kw) << " s"
       << hw(s.sh, s.sw) << " pad(t" << s.pt << ",l" << s.pl << ")" << tag;
  c.name = name.str();
  c.out_shape = Shape{s.n, s.oh, s.ow, s.c};
  c.inputs.push_back(input("x", Shape{s.n, s.h, s.w, s.c}, std::move(fill)));
  c.vs_reference = c.vs_cpu = s.kind == PoolKind::Max ? kExact : kShortSum;
  c.bytes = byte_count(c);
  c.launch = [p](Backend& b, const LaunchArgs& a) { b.pool2d(p, f32(a.inputs[0]), f32(a.output)); };
  c.reference = [p](const std::vector<Tensor>& in, Tensor& out) {
    naive::pool2d(p, in[0].data<float>(), out.data<float>());
  };
  return c;
}

// ---- reduce ----------------------------------------------------------------------------
OpCase reduce_case(ReduceKind kind, int64_t outer, int64_t reduced, int64_t inner, FillFn fill,
                   const std::string& tag) {
  const ReduceParams p{outer, reduced, inner, kind};
  OpCase c;
  c.op = "reduce";
  const char* kind_name = kind == ReduceKind::Sum    ? "sum"
                          : kind == ReduceKind::Mean ? "mean"
                                                     : "max";
  c.name = std::string("reduce ") + kind_name + " " + std::to_string(outer) + "x[" +
           std::to_string(reduced) + "]x" + std::to_string(inner) + tag;
  c.out_shape = Shape{outer, inner};
  c.inputs.push_back(input("x", Shape{outer, reduced, inner}, std::move(fill)));
  c.vs_reference = c.vs_cpu = kind == ReduceKind::Max ? kExact : kDense;
  c.bytes = byte_count(c);
  c.launch = [p](Backend& b, const LaunchArgs& a) { b.reduce(p, f32(a.inputs[0]), f32(a.output)); };
  c.reference = [p](const std::vector<Tensor>& in, Tensor& out) {
    naive::reduce(p, in[0].data<float>(), out.data<float>());
  };
  return c;
}

}  // namespace p3d::test::cases
