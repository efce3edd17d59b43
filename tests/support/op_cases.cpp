// The op case table and the guarded runner; see op_cases.h.
//
// Layout of this file: input fills, the runner (CaseInstance), one builder per Backend
// kernel method (each turns a small spec into an OpCase: params, inputs, launch, reference,
// tolerance), then the two tables that list the specs.
#include "tests/support/op_cases.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <numeric>
#include <set>
#include <sstream>

#include "kernels/error.h"
#include "tests/support/naive_reference.h"

namespace p3d::test {
namespace {

// ---- tolerances ------------------------------------------------------------------------
// FP32 accumulation over K terms gives NMSE around eps^2 * K (~1e-12 for K in the
// thousands); TF32 or FP16 math would land near 1e-7, so 1e-9 separates the two cleanly.
const Tolerance kDense = Tolerance::nmse(1e-9);
// float transcendental functions are within a few ulp of the double result.
const Tolerance kTranscendental = Tolerance::close(1e-6, 4e-6);
const Tolerance kTranscendentalBackends = Tolerance::close(1e-6, 1e-5);
// Short float sums or lerps of O(1) values.
const Tolerance kShortSum = Tolerance::close(1e-6, 1e-5);
const Tolerance kExact = Tolerance::exact();

// ---- fills -----------------------------------------------------------------------------
// Hand-written draws instead of std::uniform_*_distribution, whose output differs between
// standard libraries: the same seed gives the same inputs everywhere.
double unit(std::mt19937& rng) { return double(rng() >> 8) * (1.0 / 16777216.0); }  // [0, 1)
int64_t integer(std::mt19937& rng, int64_t lo, int64_t hi) {
  const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
  const uint64_t draw = (uint64_t(rng()) << 32) | rng();
  return lo + static_cast<int64_t>(draw % span);
}

void store(Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case DType::F32:
      t.data<float>()[i] = static_cast<float>(v);
      break;
    case DType::F16:
      t.data<uint16_t>()[i] = naive::float_to_half(static_cast<float>(v));
      break;
    case DType::I32:
      t.data<int32_t>()[i] = static_cast<int32_t>(v);
      break;
    case DType::U8:
      t.data<uint8_t>()[i] = static_cast<uint8_t>(v);
      break;
  }
}

// Uniform in [lo, hi): real for f32/f16, integer in [ceil(lo), floor(hi)] for i32/u8.
FillFn uniform(double lo, double hi) {
  return [lo, hi](std::mt19937& rng, Tensor& t) {
    const bool integral = t.dtype() == DType::I32 || t.dtype() == DType::U8;
    for (int64_t i = 0; i < t.numel(); ++i) {
      store(t, i,
            integral ? double(integer(rng, int64_t(std::ceil(lo)), int64_t(std::floor(hi))))
                     : lo + (hi - lo) * unit(rng));
    }
  };
}
// Magnitude in [lo, hi) with a random sign (denominators, values away from zero).
FillFn nonzero(double lo, double hi) {
  return [lo, hi](std::mt19937& rng, Tensor& t) {
    for (int64_t i = 0; i < t.numel(); ++i) {
      const double magnitude = lo + (hi - lo) * unit(rng);
      store(t, i, (rng() & 1) ? magnitude : -magnitude);
    }
  };
}
// sign * 2^e with e uniform in [lo_exp, hi_exp): spans many binades (f16 rounding, subnormals).
FillFn log_uniform(double lo_exp, double hi_exp) {
  return [lo_exp, hi_exp](std::mt19937& rng, Tensor& t) {
    for (int64_t i = 0; i < t.numel(); ++i) {
      const double magnitude = std::exp2(lo_exp + (hi_exp - lo_exp) * unit(rng));
      store(t, i, (rng() & 1) ? magnitude : -magnitude);
    }
  };
}
// The given values in order, then repeated (hand-picked special cases).
FillFn values(std::vector<double> list) {
  return [list](std::mt19937&, Tensor& t) {
    for (int64_t i = 0; i < t.numel(); ++i) store(t, i, list[static_cast<size_t>(i) % list.size()]);
  };
}
// Every 16-bit pattern in order (exhaustive f16 checks).
FillFn all_half_bits() {
  return [](std::mt19937&, Tensor& t) {
    for (int64_t i = 0; i < t.numel(); ++i) t.data<uint16_t>()[i] = static_cast<uint16_t>(i);
  };
}

// ---- naming ----------------------------------------------------------------------------
std::string dims(const Shape& s) {
  std::string out;
  for (int d = 0; d < s.rank(); ++d) out += (d ? "x" : "") + std::to_string(s[d]);
  return out;
}
std::string dims(const std::vector<int64_t>& v) { return dims(Shape(v)); }
std::string hw(int a, int b) {
  return a == b ? std::to_string(a) : std::to_string(a) + "x" + std::to_string(b);
}

const char* unary_name(Unary op) {
  switch (op) {
    case Unary::Identity:
      return "identity";
    case Unary::Relu:
      return "relu";
    case Unary::Relu6:
      return "relu6";
    case Unary::LeakyRelu:
      return "leakyrelu";
    case Unary::Elu:
      return "elu";
    case Unary::Sigmoid:
      return "sigmoid";
    case Unary::Tanh:
      return "tanh";
    case Unary::Square:
      return "square";
    case Unary::Sqrt:
      return "sqrt";
    case Unary::Rsqrt:
      return "rsqrt";
    case Unary::Exp:
      return "exp";
    case Unary::Neg:
      return "neg";
    case Unary::Abs:
      return "abs";
  }
  return "?";
}
std::string activation_name(Unary act, float alpha) {
  std::string s = unary_name(act);
  if (act == Unary::LeakyRelu) {
    std::ostringstream a;
    a << alpha;
    s += a.str();
  }
  return s;
}
const char* binary_name(Binary op) {
  switch (op) {
    case Binary::Add:
      return "add";
    case Binary::Sub:
      return "sub";
    case Binary::Mul:
      return "mul";
    case Binary::Div:
      return "div";
    case Binary::Min:
      return "min";
    case Binary::Max:
      return "max";
  }
  return "?";
}

// ---- shared builder pieces -------------------------------------------------------------
const float* f32(const void* p) { return static_cast<const float*>(p); }
float* f32(void* p) { return static_cast<float*>(p); }

double byte_count(const OpCase& c) {
  double bytes = double(c.out_shape.numel()) * double(dtype_size(c.out_dtype));
  for (const InputSpec& in : c.inputs)
    bytes += double(in.shape.numel()) * double(dtype_size(in.dtype));
  return bytes;
}

InputSpec input(std::string label, Shape shape, FillFn fill, DType dtype = DType::F32) {
  InputSpec s;
  s.label = std::move(label);
  s.shape = std::move(shape);
  s.dtype = dtype;
  s.fill = std::move(fill);
  return s;
}

int32_t out_size(int32_t in, int32_t k, int32_t s, int32_t d, int32_t before, int32_t after) {
  return (in + before + after - ((k - 1) * d + 1)) / s + 1;
}

// Sampled flat indices for large cases: both ends plus a deterministic spread.
std::vector<int64_t> sample_indices(const OpCase& c) {
  const int64_t count = c.out_shape.numel();
  std::vector<int64_t> idx;
  if (count <= 4096) {
    idx.resize(static_cast<size_t>(count));
    std::iota(idx.begin(), idx.end(), int64_t{0});
    return idx;
  }
  std::mt19937 rng(case_seed(c.name) ^ 0x5EED5u);
  idx.push_back(0);
  idx.push_back(count - 1);
  while (idx.size() < 4096) idx.push_back(integer(rng, 0, count - 1));
  return idx;
}

// ---- conv2d ----------------------------------------------------------------------------
struct ConvSpec {
  int n, h, w, c, oc;
  int kh, kw;
  int sh = 1, sw = 1, dh = 1, dw = 1;
  int pt = 0, pl = 0, pb = 0, pr = 0;
  int groups = 1;
  bool bias = false, residual = false;
  Unary act = Unary::Identity;
  float alpha = 0.2f;
  bool large = false;

  ConvSpec& kernel(int y, int x) {
    kh = y;
    kw = x;
    return *this;
  }
  ConvSpec& stride(int s) { return stride(s, s); }
  ConvSpec& stride(int y, int x) {
    sh = y;
    sw = x;
    return *this;
  }
  ConvSpec& dilation(int d) {
    dh = dw = d;
    return *this;
  }
  ConvSpec& pad(int all) { return pad(all, all, all, all); }
  ConvSpec& pad(int t, int l, int b, int r) {
    pt = t;
    pl = l;
    pb = b;
    pr = r;
    return *this;
  }
  // TensorFlow SAME for conv2d: out = ceil(in / stride), the odd pixel of padding at the end.
  ConvSpec& same() {
    auto total = [](int in, int k, int s, int d) {
      const int out = (in + s - 1) / s;
      return std::max((out - 1) * s + (k - 1) * d + 1 - in, 0);
    };
    const int th = total(h, kh, sh, dh), tw = total(w, kw, sw, dw);
    return pad(th / 2, tw / 2, th - th / 2, tw - tw / 2);
  }
  ConvSpec& group(int g) {
    groups = g;
    return *this;
  }
  ConvSpec& with_bias() {
    bias = true;
    return *this;
  }
  ConvSpec& with_residual() {
    residual = true;
    return *this;
  }
  ConvSpec& activation(Unary a, float slope = 0.2f) {
    act = a;
    alpha = slope;
    return *this;
  }
  ConvSpec& big() {
    large = true;
    return *this;
  }
};
ConvSpec conv(int n, int h, int w, int c, int oc, int k) {
  ConvSpec s{};
  s.n = n;
  s.h = h;
  s.w = w;
  s.c = c;
  s.oc = oc;
  s.kh = s.kw = k;
  return s;
}

std::string conv2d_name(const ConvSpec& s, const Conv2dParams& p) {
  std::ostringstream name;
  name << "conv2d n" << s.n << " " << s.h << "x" << s.w << "x" << s.c << " o" << p.out_h << "x"
       << p.out_w << "x" << s.oc << " k" << s.kh << "x" << s.kw << " s" << hw(s.sh, s.sw);
  name << " d" << hw(s.dh, s.dw);
  name << " pad(t" << s.pt << ",l" << s.pl << ",b" << s.pb << ",r" << s.pr << ")";
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
  return p;
}

OpCase conv2d_case(const ConvSpec& s) {
  P3D_CHECK(s.c % s.groups == 0 && s.oc % s.groups == 0, "conv case: groups must divide channels");
  const Conv2dParams p = conv_params(s, out_size(s.h, s.kh, s.sh, s.dh, s.pt, s.pb),
                                     out_size(s.w, s.kw, s.sw, s.dw, s.pl, s.pr));
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
OpCase matmul_case(int batch, int m, int n, int k, bool ta, bool tb, bool bias,
                   Unary act = Unary::Identity, bool large = false) {
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
struct PoolSpec {
  PoolKind kind;
  int n, h, w, c;
  int kh, kw, sh, sw;
  int pt, pl, oh, ow;
};
// VALID: no padding, out = (in - k) / s + 1.
PoolSpec pool_valid(PoolKind kind, int n, int h, int w, int c, int k, int s) {
  return {kind, n, h, w, c, k, k, s, s, 0, 0, (h - k) / s + 1, (w - k) / s + 1};
}
// SAME: out = ceil(in / s), padding split with the odd pixel at the end.
PoolSpec pool_same(PoolKind kind, int n, int h, int w, int c, int kh, int kw, int sh, int sw) {
  const int oh = (h + sh - 1) / sh, ow = (w + sw - 1) / sw;
  const int th = std::max((oh - 1) * sh + kh - h, 0), tw = std::max((ow - 1) * sw + kw - w, 0);
  return {kind, n, h, w, c, kh, kw, sh, sw, th / 2, tw / 2, oh, ow};
}

OpCase pool2d_case(const PoolSpec& s, FillFn fill = uniform(-1, 1), const std::string& tag = "") {
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
OpCase reduce_case(ReduceKind kind, int64_t outer, int64_t reduced, int64_t inner,
                   FillFn fill = uniform(-1, 1), const std::string& tag = "") {
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

// ---- batch_norm ------------------------------------------------------------------------
OpCase batch_norm_case(const Shape& shape, float epsilon) {
  const int64_t channels = shape[shape.rank() - 1];
  const BatchNormParams p{shape.numel() / channels, static_cast<int32_t>(channels), epsilon};
  OpCase c;
  c.op = "batch_norm";
  std::ostringstream name;
  name << "batch_norm " << dims(shape) << " eps" << epsilon;
  c.name = name.str();
  c.out_shape = shape;
  c.inputs.push_back(input("x", shape, uniform(-2, 2)));
  c.inputs.push_back(input("gamma", Shape{channels}, uniform(0.5, 2)));
  c.inputs.push_back(input("beta", Shape{channels}, uniform(-1, 1)));
  c.inputs.push_back(input("mean", Shape{channels}, uniform(-1, 1)));
  c.inputs.push_back(input("variance", Shape{channels}, uniform(0.05, 2)));
  c.vs_reference = c.vs_cpu = Tolerance::close(1e-5, 1e-5);
  c.bytes = byte_count(c);
  c.launch = [p](Backend& b, const LaunchArgs& a) {
    b.batch_norm(p, f32(a.inputs[0]), f32(a.inputs[1]), f32(a.inputs[2]), f32(a.inputs[3]),
                 f32(a.inputs[4]), f32(a.output));
  };
  c.reference = [p](const std::vector<Tensor>& in, Tensor& out) {
    naive::batch_norm(p, in[0].data<float>(), in[1].data<float>(), in[2].data<float>(),
                      in[3].data<float>(), in[4].data<float>(), out.data<float>());
  };
  return c;
}

// ---- unary -----------------------------------------------------------------------------
// Inputs inside each op's domain, wide enough to reach every branch (both clamps of
// Relu6, the saturated ends of Sigmoid / Tanh).
FillFn unary_domain(Unary op) {
  switch (op) {
    case Unary::Sqrt:
    case Unary::Rsqrt:
      return uniform(0.01, 4);
    case Unary::Exp:
      return uniform(-10, 10);
    case Unary::Sigmoid:
    case Unary::Tanh:
      return uniform(-12, 12);
    case Unary::Relu6:
      return uniform(-8, 8);
    case Unary::Elu:
      return uniform(-5, 5);
    default:
      return uniform(-4, 4);
  }
}
bool unary_is_exact(Unary op) {
  switch (op) {
    case Unary::Identity:
    case Unary::Relu:
    case Unary::Relu6:
    case Unary::LeakyRelu:
    case Unary::Square:
    case Unary::Neg:
    case Unary::Abs:
      return true;
    default:
      return false;
  }
}

OpCase unary_case(Unary op, int64_t count, float alpha = 0.2f) {
  const UnaryParams p{count, op, alpha};
  OpCase c;
  c.op = "unary";
  c.name = std::string("unary ") + activation_name(op, alpha) + " n" + std::to_string(count);
  c.out_shape = Shape{count};
  c.inputs.push_back(input("x", Shape{count}, unary_domain(op)));
  c.vs_reference = unary_is_exact(op) ? kExact : kTranscendental;
  c.vs_cpu = unary_is_exact(op) ? kExact : kTranscendentalBackends;
  c.bytes = byte_count(c);
  c.launch = [p](Backend& b, const LaunchArgs& a) { b.unary(p, f32(a.inputs[0]), f32(a.output)); };
  c.reference = [p](const std::vector<Tensor>& in, Tensor& out) {
    naive::unary(p.op, p.alpha, in[0].data<float>(), out.data<float>(), p.count);
  };
  return c;
}

// ---- binary ----------------------------------------------------------------------------
// The caller resolves broadcasting into strides (BinaryParams); the reference gets only
// the two shapes, so a stride bug in this builder would show too.
OpCase binary_case(Binary op, const Shape& a, const Shape& b) {
  const int rank = std::max(a.rank(), b.rank());
  P3D_CHECK(rank <= kMaxRank, "binary case rank too high");
  BinaryParams p{};
  p.rank = rank;
  p.op = op;
  std::vector<int64_t> out(static_cast<size_t>(rank));
  int64_t a_stride = 1, b_stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    const int ad = d - (rank - a.rank()), bd = d - (rank - b.rank());
    const int64_t a_dim = ad >= 0 ? a[ad] : 1, b_dim = bd >= 0 ? b[bd] : 1;
    P3D_CHECK(a_dim == b_dim || a_dim == 1 || b_dim == 1, "binary case shapes do not broadcast");
    out[static_cast<size_t>(d)] = p.out_dims[d] = std::max(a_dim, b_dim);
    p.a_strides[d] = a_dim == 1 ? 0 : a_stride;
    p.b_strides[d] = b_dim == 1 ? 0 : b_stride;
    a_stride *= a_dim;
    b_stride *= b_dim;
  }
  OpCase c;
  c.op = "binary";
  c.name = std::string("binary ") + binary_name(op) + " " + dims(a) + " by " + dims(b);
  c.out_shape = Shape(out);
  c.inputs.push_back(input("a", a, uniform(-2, 2)));
  c.inputs.push_back(input("b", b, op == Binary::Div ? nonzero(0.25, 2) : uniform(-2, 2)));
  // Correctly rounded float ops: the double result rounded once is the same float.
  c.vs_reference = kExact;
  c.vs_cpu = op == Binary::Div ? Tolerance::close(0, 3e-7) : kExact;  // allows a 2-ulp division
  c.bytes = byte_count(c);
  c.launch = [p](Backend& bk, const LaunchArgs& args) {
    bk.binary(p, f32(args.inputs[0]), f32(args.inputs[1]), f32(args.output));
  };
  c.reference = [op, a, b](const std::vector<Tensor>& in, Tensor& y) {
    naive::binary(op, a.dims(), in[0].data<float>(), b.dims(), in[1].data<float>(),
                  y.data<float>());
  };
  return c;
}

// ---- cast ------------------------------------------------------------------------------
// Inputs that each pair converts exactly as documented (in range for integer targets).
FillFn cast_domain(DType from, DType to) {
  if (from == DType::U8) return uniform(0, 255);
  if (to == DType::U8) {
    if (from == DType::F16) return uniform(0, 255.8);  // 255.9 would round to 256 in f16
    return from == DType::F32 ? uniform(0, 255.99) : uniform(0, 255);
  }
  if (from == DType::I32)
    return to == DType::F16 ? uniform(-60000, 60000) : uniform(-2147483648.0, 2147483647.0);
  if (from == DType::F16) return uniform(-60000, 60000);
  // f32: many binades for f16 (subnormals included), fractions for i32.
  if (to == DType::F16) return log_uniform(-26, 15.9);
  if (to == DType::I32) return uniform(-3e6, 3e6);
  return log_uniform(-30, 30);
}

OpCase cast_case(DType from, DType to, int64_t count, FillFn fill = nullptr,
                 const std::string& tag = "", bool nonfinite = false) {
  const CastParams p{count, from, to};
  OpCase c;
  c.op = "cast";
  c.name = std::string("cast ") + dtype_name(from) + " to " + dtype_name(to) + " n" +
           std::to_string(count) + tag;
  c.out_shape = Shape{count};
  c.out_dtype = to;
  c.inputs.push_back(
      input("x", Shape{count}, fill ? std::move(fill) : cast_domain(from, to), from));
  c.vs_reference = c.vs_cpu = kExact;
  c.expect_nonfinite = nonfinite;
  c.bytes = byte_count(c);
  c.launch = [p](Backend& b, const LaunchArgs& a) { b.cast(p, a.inputs[0], a.output); };
  c.reference = [p](const std::vector<Tensor>& in, Tensor& out) {
    naive::cast(p.from, p.to, in[0].raw(), out.raw(), p.count);
  };
  return c;
}

// ---- concat ----------------------------------------------------------------------------
// One case is the whole concat: one concat_copy per input into the same output.
OpCase concat_case(const std::vector<Shape>& parts, int axis, DType dtype = DType::F32) {
  Shape out = parts[0];
  out[axis] = 0;
  for (const Shape& s : parts) out[axis] += s[axis];
  std::vector<ConcatCopyParams> copies;
  int64_t column = 0;
  const int64_t outer = out.product(0, axis);
  for (const Shape& s : parts) {
    const int64_t inner = s.product(axis, s.rank());
    copies.push_back({outer, inner, out.product(axis, out.rank()), column,
                      static_cast<int32_t>(dtype_size(dtype))});
    column += inner;
  }
  OpCase c;
  c.op = "concat_copy";
  c.name = std::string("concat ") + dtype_name(dtype) + " axis" + std::to_string(axis);
  for (const Shape& s : parts) c.name += " " + dims(s);
  c.out_shape = out;
  c.out_dtype = dtype;
  for (size_t i = 0; i < parts.size(); ++i)
    c.inputs.push_back(input("x" + std::to_string(i), parts[i], uniform(-100, 100), dtype));
  c.vs_reference = c.vs_cpu = kExact;
  c.bytes = byte_count(c);
  c.launch = [copies](Backend& b, const LaunchArgs& a) {
    for (size_t i = 0; i < copies.size(); ++i) b.concat_copy(copies[i], a.inputs[i], a.output);
  };
  c.reference = [parts, axis, dtype](const std::vector<Tensor>& in, Tensor& y) {
    std::vector<std::vector<int64_t>> shapes;
    std::vector<const void*> ptrs;
    for (size_t i = 0; i < parts.size(); ++i) {
      shapes.push_back(parts[i].dims());
      ptrs.push_back(in[i].raw());
    }
    naive::concat(shapes, ptrs, axis, static_cast<int>(dtype_size(dtype)), y.raw());
  };
  return c;
}

// ---- pad -------------------------------------------------------------------------------
OpCase pad_case(const Shape& in, const std::vector<int64_t>& before,
                const std::vector<int64_t>& after, PadMode mode, float value = 0.f) {
  PadParams p{};
  p.rank = in.rank();
  p.mode = mode;
  p.value = value;
  std::vector<int64_t> out(static_cast<size_t>(in.rank()));
  for (int d = 0; d < in.rank(); ++d) {
    p.in_dims[d] = in[d];
    p.before[d] = before[static_cast<size_t>(d)];
    p.after[d] = after[static_cast<size_t>(d)];
    out[static_cast<size_t>(d)] = in[d] + p.before[d] + p.after[d];
  }
  OpCase c;
  c.op = "pad";
  const char* mode_name = mode == PadMode::Constant  ? "constant"
                          : mode == PadMode::Reflect ? "reflect"
                                                     : "symmetric";
  std::ostringstream name;
  name << "pad " << mode_name << " " << dims(in) << " before " << dims(before) << " after "
       << dims(after);
  if (mode == PadMode::Constant) name << " value" << value;
  c.name = name.str();
  c.out_shape = Shape(out);
  c.inputs.push_back(input("x", in, uniform(-10, 10)));
  c.vs_reference = c.vs_cpu = kExact;
  c.bytes = byte_count(c);
  c.launch = [p](Backend& b, const LaunchArgs& a) { b.pad(p, f32(a.inputs[0]), f32(a.output)); };
  c.reference = [p](const std::vector<Tensor>& x, Tensor& y) {
    naive::pad(p, x[0].data<float>(), y.data<float>());
  };
  return c;
}

// ---- transpose -------------------------------------------------------------------------
OpCase transpose_case(const Shape& in, const std::vector<int>& perm, DType dtype = DType::F32) {
  TransposeParams p{};
  p.rank = in.rank();
  p.element_size = static_cast<int32_t>(dtype_size(dtype));
  std::vector<int64_t> out(static_cast<size_t>(in.rank()));
  std::string perm_name;
  for (int d = 0; d < in.rank(); ++d) {
    p.in_dims[d] = in[d];
    p.perm[d] = perm[static_cast<size_t>(d)];
    out[static_cast<size_t>(d)] = in[perm[static_cast<size_t>(d)]];
    perm_name += std::to_string(perm[static_cast<size_t>(d)]);
  }
  OpCase c;
  c.op = "transpose";
  c.name = std::string("transpose ") + dtype_name(dtype) + " " + dims(in) + " perm" + perm_name;
  c.out_shape = Shape(out);
  c.out_dtype = dtype;
  c.inputs.push_back(input("x", in, uniform(-1000, 1000), dtype));
  c.vs_reference = c.vs_cpu = kExact;
  c.bytes = byte_count(c);
  c.launch = [p](Backend& b, const LaunchArgs& a) { b.transpose(p, a.inputs[0], a.output); };
  c.reference = [p](const std::vector<Tensor>& x, Tensor& y) {
    naive::transpose(p, x[0].raw(), y.raw());
  };
  return c;
}

// ---- slice -----------------------------------------------------------------------------
// out[d] elements from begin[d] with step[d]; the builder checks every index is in range.
OpCase slice_case(const Shape& in, const std::vector<int64_t>& begin,
                  const std::vector<int64_t>& step, const std::vector<int64_t>& out,
                  DType dtype = DType::F32) {
  SliceParams p{};
  p.rank = in.rank();
  p.element_size = static_cast<int32_t>(dtype_size(dtype));
  for (int d = 0; d < in.rank(); ++d) {
    const size_t i = static_cast<size_t>(d);
    p.in_dims[d] = in[d];
    p.begin[d] = begin[i];
    p.step[d] = step[i];
    p.out_dims[d] = out[i];
    const int64_t last = begin[i] + (out[i] - 1) * step[i];
    P3D_CHECK(step[i] != 0 && begin[i] >= 0 && begin[i] < in[d] && last >= 0 && last < in[d],
              "slice case out of range on dim ", d);
  }
  OpCase c;
  c.op = "slice";
  c.name = std::string("slice ") + dtype_name(dtype) + " " + dims(in) + " begin " + dims(begin) +
           " step " + dims(step) + " out " + dims(out);
  c.out_shape = Shape(out);
  c.out_dtype = dtype;
  c.inputs.push_back(input("x", in, uniform(-1000, 1000), dtype));
  c.vs_reference = c.vs_cpu = kExact;
  c.bytes = byte_count(c);
  c.launch = [p](Backend& b, const LaunchArgs& a) { b.slice(p, a.inputs[0], a.output); };
  c.reference = [p](const std::vector<Tensor>& x, Tensor& y) {
    naive::slice(p, x[0].raw(), y.raw());
  };
  return c;
}

// ---- resize ----------------------------------------------------------------------------
OpCase resize_case(ResizeMode mode, int n, int h, int w, int ch, int oh, int ow, bool align_corners,
                   bool half_pixel) {
  P3D_CHECK(!(align_corners && half_pixel),
            "TensorFlow forbids align_corners with half_pixel_centers");
  ResizeParams p{};
  p.batch = n;
  p.in_h = h;
  p.in_w = w;
  p.channels = ch;
  p.out_h = oh;
  p.out_w = ow;
  p.mode = mode;
  p.align_corners = align_corners;
  p.half_pixel_centers = half_pixel;
  OpCase c;
  c.op = "resize";
  std::ostringstream name;
  name << "resize " << (mode == ResizeMode::Bilinear ? "bilinear" : "nearest") << " n" << n << " "
       << h << "x" << w << "x" << ch << " to " << oh << "x" << ow
       << (align_corners ? " align_corners" : "") << (half_pixel ? " half_pixel" : "")
       << (!align_corners && !half_pixel ? " legacy" : "");
  c.name = name.str();
  c.out_shape = Shape{n, oh, ow, ch};
  c.inputs.push_back(input("x", Shape{n, h, w, ch}, uniform(-1, 1)));
  c.vs_reference = c.vs_cpu = mode == ResizeMode::Nearest ? kExact : kShortSum;
  c.bytes = byte_count(c);
  c.launch = [p](Backend& b, const LaunchArgs& a) { b.resize(p, f32(a.inputs[0]), f32(a.output)); };
  c.reference = [p](const std::vector<Tensor>& x, Tensor& y) {
    naive::resize(p, x[0].data<float>(), y.data<float>());
  };
  return c;
}

// ---- the tables ------------------------------------------------------------------------
const Unary kFusableActivations[] = {Unary::Identity,  Unary::Relu, Unary::Relu6,
                                     Unary::LeakyRelu, Unary::Elu,  Unary::Sigmoid,
                                     Unary::Tanh};
const Unary kAllUnary[] = {Unary::Identity, Unary::Relu,    Unary::Relu6, Unary::LeakyRelu,
                           Unary::Elu,      Unary::Sigmoid, Unary::Tanh,  Unary::Square,
                           Unary::Sqrt,     Unary::Rsqrt,   Unary::Exp,   Unary::Neg,
                           Unary::Abs};
const Binary kAllBinary[] = {Binary::Add, Binary::Sub, Binary::Mul,
                             Binary::Div, Binary::Min, Binary::Max};
const DType kAllDTypes[] = {DType::F32, DType::F16, DType::I32, DType::U8};

void add_conv2d_cases(std::vector<OpCase>& t) {
  // Kernel 1: the unpadded stride-1 fast path, strided, padded, grouped.
  t.push_back(conv2d_case(conv(1, 8, 8, 3, 4, 1)));
  t.push_back(conv2d_case(conv(2, 7, 9, 16, 24, 1).with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 9, 11, 8, 8, 1).stride(2).with_bias()));
  t.push_back(conv2d_case(conv(1, 6, 5, 4, 5, 1).pad(1)));
  t.push_back(conv2d_case(conv(1, 7, 7, 4, 8, 1).group(2)));
  t.push_back(
      conv2d_case(conv(2, 5, 7, 12, 20, 1).with_bias().with_residual().activation(Unary::Relu)));
  // Kernel 3: symmetric, SAME-like asymmetric, VALID, stride 3, dilation, odd sizes.
  t.push_back(conv2d_case(conv(2, 9, 11, 5, 7, 3).pad(1).with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 10, 10, 6, 8, 3).stride(2).same().with_bias()));
  t.push_back(conv2d_case(
      conv(2, 9, 11, 5, 7, 3).stride(2).pad(0, 1, 1, 0).with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 9, 9, 3, 4, 3)));
  t.push_back(conv2d_case(conv(1, 11, 13, 4, 6, 3).stride(3).pad(1, 0, 2, 1)));
  t.push_back(conv2d_case(conv(1, 9, 9, 4, 5, 3).dilation(2).pad(2)));
  t.push_back(conv2d_case(conv(2, 12, 10, 3, 4, 3).stride(2).dilation(2).pad(2, 1, 2, 1)));
  t.push_back(
      conv2d_case(conv(1, 5, 5, 3, 4, 3).pad(3).with_bias()));  // corner windows all padding
  t.push_back(conv2d_case(conv(3, 3, 3, 2, 3, 3)));             // 1x1 output
  t.push_back(conv2d_case(conv(1, 8, 9, 4, 6, 3).stride(1, 2).pad(1, 0, 1, 1)));
  t.push_back(conv2d_case(conv(1, 16, 16, 32, 40, 3).pad(1).with_bias().activation(Unary::Relu6)));
  // Kernel 5 and 7, non-square kernels.
  t.push_back(conv2d_case(conv(2, 11, 9, 6, 5, 5).pad(2).with_bias()));
  t.push_back(conv2d_case(conv(1, 12, 12, 4, 6, 5).stride(2).same()));
  t.push_back(
      conv2d_case(conv(1, 13, 13, 3, 8, 7).stride(2).pad(3).with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 10, 11, 5, 6, 7).pad(3, 2, 3, 4)));
  t.push_back(conv2d_case(conv(1, 9, 9, 4, 6, 7).stride(3).pad(2, 3, 3, 2)));
  t.push_back(conv2d_case(conv(2, 8, 7, 4, 5, 1).kernel(1, 7).pad(0, 3, 0, 3)));
  t.push_back(conv2d_case(conv(1, 8, 7, 4, 5, 1).kernel(7, 1).pad(3, 0, 3, 0).with_bias()));
  t.push_back(conv2d_case(conv(1, 9, 10, 3, 4, 1).kernel(3, 5).stride(2, 1).pad(1, 2, 1, 2)));
  // Groups: 2, 4, depthwise (multiplier 1 and 2), depthwise dilated and strided.
  t.push_back(conv2d_case(conv(2, 9, 7, 8, 12, 3).pad(1).group(2).with_bias()));
  t.push_back(
      conv2d_case(conv(1, 10, 10, 12, 16, 3).stride(2).same().group(4).activation(Unary::Relu6)));
  t.push_back(
      conv2d_case(conv(2, 9, 11, 6, 6, 3).pad(1).group(6).with_bias().activation(Unary::Relu6)));
  t.push_back(conv2d_case(conv(1, 10, 10, 6, 12, 3).stride(2).same().group(6)));
  t.push_back(conv2d_case(conv(1, 9, 9, 8, 8, 5).dilation(2).pad(4).group(8)));
  t.push_back(conv2d_case(
      conv(1, 15, 13, 32, 32, 3).stride(2).same().group(32).with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(2, 7, 6, 5, 5, 3)
                              .pad(1)
                              .group(5)
                              .with_bias()
                              .with_residual()
                              .activation(Unary::LeakyRelu, 0.1f)));
  // Every fused-epilogue combination on one small conv.
  for (bool bias : {false, true})
    for (bool residual : {false, true})
      for (Unary act : kFusableActivations) {
        ConvSpec s = conv(2, 7, 6, 5, 6, 3).pad(1).activation(act, 0.2f);
        if (bias) s.with_bias();
        if (residual) s.with_residual();
        t.push_back(conv2d_case(s));
      }
  // ResNet-50 shapes at batch 1 (sampled naive check; the main CUDA-vs-CPU targets).
  t.push_back(conv2d_case(
      conv(1, 224, 224, 3, 64, 7).stride(2).same().with_bias().activation(Unary::Relu).big()));
  t.push_back(conv2d_case(conv(1, 56, 56, 64, 64, 1).with_bias().activation(Unary::Relu).big()));
  t.push_back(
      conv2d_case(conv(1, 56, 56, 64, 64, 3).pad(1).with_bias().activation(Unary::Relu).big()));
  t.push_back(conv2d_case(
      conv(1, 56, 56, 64, 256, 1).with_bias().with_residual().activation(Unary::Relu).big()));
  t.push_back(conv2d_case(conv(1, 56, 56, 256, 512, 1).stride(2).with_bias().big()));
  t.push_back(conv2d_case(
      conv(1, 56, 56, 128, 128, 3).stride(2).same().with_bias().activation(Unary::Relu).big()));
  t.push_back(
      conv2d_case(conv(1, 14, 14, 256, 256, 3).pad(1).with_bias().activation(Unary::Relu).big()));
  t.push_back(conv2d_case(
      conv(1, 7, 7, 512, 2048, 1).with_bias().with_residual().activation(Unary::Relu).big()));
}

void add_conv_transpose2d_cases(std::vector<OpCase>& t) {
  // conv(n, out_h, out_w, in_c, out_c, k): sizes are the output's; the input follows.
  t.push_back(conv_transpose2d_case(conv(1, 8, 10, 6, 5, 2).stride(2)));
  t.push_back(
      conv_transpose2d_case(conv(2, 10, 10, 4, 3, 3).stride(2).pad(0, 0, 1, 1).with_bias()));
  t.push_back(conv_transpose2d_case(
      conv(1, 9, 9, 4, 4, 3).stride(2).pad(1).with_bias().activation(Unary::Relu)));
  t.push_back(conv_transpose2d_case(conv(1, 8, 12, 8, 4, 4).stride(2).pad(1).with_bias()));
  t.push_back(conv_transpose2d_case(conv(1, 9, 10, 3, 2, 4).stride(2).pad(1, 2, 2, 1)));
  t.push_back(conv_transpose2d_case(
      conv(2, 6, 7, 5, 3, 3).pad(1).with_bias().with_residual().activation(Unary::LeakyRelu)));
  t.push_back(conv_transpose2d_case(conv(1, 7, 6, 3, 4, 3)));  // "full" conv: out = in + 2
  t.push_back(conv_transpose2d_case(conv(1, 9, 12, 3, 2, 2).stride(3)));  // kernel < stride: gaps
  t.push_back(
      conv_transpose2d_case(conv(2, 10, 9, 4, 3, 3).stride(2).with_bias()));  // last row uncovered
  t.push_back(conv_transpose2d_case(
      conv(1, 8, 8, 4, 4, 2).stride(2).with_bias().with_residual().activation(Unary::Tanh)));
  t.push_back(conv_transpose2d_case(conv(1, 5, 5, 3, 3, 1).with_bias().activation(Unary::Sigmoid)));
  t.push_back(conv_transpose2d_case(
      conv(1, 12, 10, 16, 8, 4).stride(2).pad(1, 1, 2, 2).activation(Unary::Relu6)));
  t.push_back(conv_transpose2d_case(
      conv(1, 9, 9, 5, 4, 3).stride(2, 1).pad(1, 1, 1, 1).activation(Unary::Elu)));
  // Decoder-size upsampling for the CUDA comparison. The naive check stays complete: the
  // scatter reference has no per-element form, and at ~0.1 s per case it is cheap enough.
  t.push_back(conv_transpose2d_case(conv(1, 56, 56, 256, 128, 2).stride(2).with_bias().big()));
  t.push_back(conv_transpose2d_case(
      conv(1, 64, 64, 128, 64, 4).stride(2).pad(1).with_bias().activation(Unary::Relu).big()));
}

void add_matmul_cases(std::vector<OpCase>& t) {
  for (int batch : {1, 3})
    for (bool ta : {false, true})
      for (bool tb : {false, true}) t.push_back(matmul_case(batch, 17, 23, 29, ta, tb, false));
  t.push_back(matmul_case(1, 17, 23, 29, false, false, true));
  t.push_back(matmul_case(2, 33, 65, 47, true, false, true, Unary::Relu));
  t.push_back(matmul_case(1, 64, 96, 128, false, true, true, Unary::Sigmoid));
  t.push_back(matmul_case(1, 1, 1000, 256, false, false, true));  // a fully connected layer
  t.push_back(matmul_case(1, 19, 1, 31, false, false, false));    // n = 1
  t.push_back(matmul_case(4, 9, 11, 1, false, true, true));       // k = 1
  t.push_back(matmul_case(1, 130, 70, 257, true, true, false, Unary::LeakyRelu));
  t.push_back(matmul_case(1, 256, 1000, 2048, false, false, true, Unary::Identity, true));
}

void add_pool2d_cases(std::vector<OpCase>& t) {
  for (PoolKind kind : {PoolKind::Max, PoolKind::Average}) {
    t.push_back(pool2d_case(pool_valid(kind, 1, 8, 8, 3, 2, 2)));
    t.push_back(
        pool2d_case(pool_same(kind, 2, 9, 11, 5, 3, 3, 2, 2)));  // kernel > stride, pad 1 both ends
    t.push_back(pool2d_case(pool_same(kind, 1, 10, 10, 16, 3, 3, 2, 2)));  // SAME pads only the end
    t.push_back(pool2d_case(pool_same(kind, 1, 7, 9, 4, 3, 3, 1, 1)));
    t.push_back(pool2d_case(pool_valid(kind, 2, 7, 6, 3, 2, 1)));
    t.push_back(pool2d_case(pool_valid(kind, 1, 7, 7, 8, 7, 7)));       // global
    t.push_back(pool2d_case(pool_same(kind, 1, 9, 8, 5, 3, 2, 2, 1)));  // non-square
    t.push_back(pool2d_case(pool_same(kind, 1, 13, 13, 3, 5, 5, 3, 3)));
    t.push_back(pool2d_case({kind, 1, 6, 7, 2, 3, 3, 2, 2, 2, 1, 4, 4}));  // pad top 2, explicit
    t.push_back(
        pool2d_case(pool_same(kind, 2, 11, 11, 6, 3, 3, 2, 2), uniform(-3, -1), " negative"));
  }
  t.push_back(
      pool2d_case(pool_same(PoolKind::Max, 1, 112, 112, 64, 3, 3, 2, 2)));  // ResNet stem pool
}

void add_reduce_cases(std::vector<OpCase>& t) {
  for (ReduceKind kind : {ReduceKind::Sum, ReduceKind::Mean, ReduceKind::Max}) {
    t.push_back(reduce_case(kind, 1, 1000, 1));
    t.push_back(reduce_case(kind, 3, 7, 5));
    t.push_back(reduce_case(kind, 2, 49, 64));  // global average pool of 7x7x64
    t.push_back(reduce_case(kind, 5, 1, 3));
    t.push_back(reduce_case(kind, 1, 4097, 3));
    t.push_back(reduce_case(kind, 64, 33, 1));
    t.push_back(reduce_case(kind, 2, 300, 17, uniform(-3, -1), " negative"));
  }
  t.push_back(reduce_case(ReduceKind::Mean, 1, 20000, 1, uniform(0, 1), " positive"));
  t.push_back(reduce_case(ReduceKind::Sum, 1, 3136, 256));
}

void add_elementwise_cases(std::vector<OpCase>& t) {
  t.push_back(batch_norm_case(Shape{2, 5, 7, 16}, 1e-3f));
  t.push_back(batch_norm_case(Shape{1, 3}, 1e-5f));
  t.push_back(batch_norm_case(Shape{13, 64}, 1e-5f));
  t.push_back(batch_norm_case(Shape{1, 9, 11, 37}, 1e-3f));

  for (Unary op : kAllUnary) {
    t.push_back(unary_case(op, 37));
    t.push_back(unary_case(op, 10007));
  }
  t.push_back(unary_case(Unary::LeakyRelu, 1001, 0.01f));
  t.push_back(unary_case(Unary::Relu, 1));

  for (Binary op : kAllBinary) {
    t.push_back(binary_case(op, Shape{2, 5, 7, 3}, Shape{2, 5, 7, 3}));  // same shape
    t.push_back(binary_case(op, Shape{2, 5, 7, 16}, Shape{16}));         // channel broadcast
    t.push_back(binary_case(op, Shape{3, 4, 5}, Shape{1}));              // tensor op scalar
    t.push_back(binary_case(op, Shape{1}, Shape{3, 4, 5}));              // scalar op tensor
    t.push_back(binary_case(op, Shape{2, 1, 5, 3}, Shape{1, 4, 1, 3}));  // both broadcast, rank 4
    t.push_back(binary_case(op, Shape{2, 3, 1, 4, 1}, Shape{3, 5, 1, 2}));  // rank 5 vs 4
  }
  t.push_back(
      binary_case(Binary::Add, Shape{2, 1, 3, 1, 2, 3}, Shape{1, 2, 1, 4, 1, 3}));  // rank 6
  t.push_back(binary_case(Binary::Mul, Shape{1, 9, 11, 1}, Shape{2, 1, 1, 8}));
  t.push_back(binary_case(Binary::Sub, Shape{4099}, Shape{4099}));

  for (DType from : kAllDTypes)
    for (DType to : kAllDTypes) t.push_back(cast_case(from, to, 1031));
  // Specials: ties to even, subnormals, overflow to inf, inf and NaN into f16; saturation
  // and truncation toward zero into integers; every f16 pattern out of f16.
  t.push_back(
      cast_case(DType::F32, DType::F16, 16,
                values({1.0 + 1.0 / 2048, 1.0 + 3.0 / 2048, 65504, 65519.99, 65520, 1e6, -1e6,
                        std::ldexp(1.0, -24), std::ldexp(1.5, -24), std::ldexp(1.0, -25),
                        std::ldexp(3.0, -26), 6.1e-5, -0.0, INFINITY, -INFINITY, NAN}),
                " specials", true));
  t.push_back(cast_case(DType::F32, DType::I32, 12,
                        values({-2.9, -0.5, 0.5, 2.9, 1e10, -1e10, 2147483520.0, -2147483648.0, 3e9,
                                -3e9, 16777217.0, -7.99999}),
                        " saturate"));
  t.push_back(cast_case(DType::F32, DType::U8, 10,
                        values({-300, -1.5, -0.9, 0.1, 127.5, 254.99, 255, 255.5, 256, 1000}),
                        " saturate"));
  t.push_back(cast_case(DType::F16, DType::F32, 65536, all_half_bits(), " all patterns", true));
}

void add_layout_cases(std::vector<OpCase>& t) {
  const std::vector<Shape> a = {Shape{2, 3, 4, 5}, Shape{1, 3, 4, 5}},
                           b = {Shape{2, 3, 4, 5}, Shape{2, 2, 4, 5}},
                           c = {Shape{2, 3, 4, 5}, Shape{2, 3, 1, 5}},
                           d = {Shape{2, 3, 4, 5}, Shape{2, 3, 4, 3}};
  t.push_back(concat_case(a, 0));
  t.push_back(concat_case(b, 1));
  t.push_back(concat_case(c, 2));
  t.push_back(concat_case(d, 3));
  t.push_back(concat_case({Shape{1, 5, 7, 3}, Shape{1, 5, 7, 1}, Shape{1, 5, 7, 4}}, 3, DType::U8));
  t.push_back(concat_case({Shape{2, 6, 3, 1}, Shape{2, 6, 3, 2}}, 3, DType::F16));
  t.push_back(
      concat_case({Shape{1, 4, 4, 2}, Shape{1, 4, 4, 2}, Shape{1, 4, 4, 2}}, 2, DType::I32));

  for (PadMode mode : {PadMode::Constant, PadMode::Reflect, PadMode::Symmetric}) {
    t.push_back(pad_case(Shape{5, 6}, {1, 2}, {3, 1}, mode));
    t.push_back(pad_case(Shape{3, 4, 5}, {0, 2, 1}, {2, 0, 3}, mode));
    t.push_back(pad_case(Shape{2, 7, 9, 3}, {0, 3, 2, 0}, {0, 2, 3, 0}, mode));
    t.push_back(pad_case(Shape{2, 6, 5, 2}, {1, 1, 1, 1}, {0, 1, 1, 1}, mode));
  }
  t.push_back(pad_case(Shape{2, 7, 9, 3}, {0, 3, 2, 0}, {0, 2, 3, 0}, PadMode::Constant, 1.5f));
  t.push_back(pad_case(Shape{4, 5}, {3, 4}, {3, 4}, PadMode::Reflect));    // pad = dim - 1
  t.push_back(pad_case(Shape{4, 5}, {4, 5}, {4, 5}, PadMode::Symmetric));  // pad = dim
  t.push_back(
      pad_case(Shape{2, 3, 2, 3, 2}, {1, 0, 1, 0, 1}, {0, 1, 0, 2, 0}, PadMode::Constant, -2.f));

  t.push_back(transpose_case(Shape{67, 129}, {1, 0}));
  t.push_back(transpose_case(Shape{5, 6, 7}, {0, 2, 1}));
  t.push_back(transpose_case(Shape{5, 6, 7}, {2, 0, 1}));
  t.push_back(transpose_case(Shape{2, 7, 9, 5}, {0, 3, 1, 2}));  // NHWC -> NCHW
  t.push_back(transpose_case(Shape{2, 5, 7, 9}, {0, 2, 3, 1}));  // NCHW -> NHWC
  t.push_back(transpose_case(Shape{3, 4, 5, 6}, {3, 2, 1, 0}));
  t.push_back(transpose_case(Shape{3, 4, 5, 6}, {0, 1, 2, 3}));  // identity
  t.push_back(transpose_case(Shape{2, 3, 4, 5, 6}, {0, 4, 1, 2, 3}));
  t.push_back(transpose_case(Shape{2, 3, 4, 5, 6}, {4, 3, 2, 1, 0}));
  t.push_back(transpose_case(Shape{2, 3, 2, 4, 3, 2}, {5, 0, 4, 1, 3, 2}));
  t.push_back(transpose_case(Shape{2, 9, 11, 3}, {0, 3, 1, 2}, DType::U8));
  t.push_back(transpose_case(Shape{33, 65}, {1, 0}, DType::F16));
  t.push_back(transpose_case(Shape{2, 3, 4, 5}, {1, 0, 3, 2}, DType::I32));

  t.push_back(slice_case(Shape{20}, {2}, {3}, {6}));
  t.push_back(slice_case(Shape{5, 9}, {1, 8}, {1, -1}, {3, 9}));  // reverse a dim
  t.push_back(slice_case(Shape{2, 9, 11, 6}, {0, 1, 2, 0}, {1, 2, 1, 3}, {2, 4, 7, 2}));
  t.push_back(slice_case(Shape{13, 7}, {11, 6}, {-2, -3}, {6, 3}));  // negative steps
  t.push_back(slice_case(Shape{6, 8, 10}, {5, 1, 9}, {-1, 2, -3}, {6, 4, 4}));
  t.push_back(slice_case(Shape{2, 8, 8, 16}, {1, 2, 0, 4}, {1, 1, 1, 1},
                         {1, 5, 8, 8}));  // contiguous block
  t.push_back(slice_case(Shape{2, 3, 4, 3, 4, 5}, {1, 0, 3, 0, 1, 4}, {1, 2, -1, 1, 2, -2},
                         {1, 2, 4, 3, 2, 3}));
  t.push_back(slice_case(Shape{3, 10, 4}, {2, 9, 0}, {-1, -2, 1}, {3, 5, 4}, DType::U8));
  t.push_back(slice_case(Shape{4, 12}, {0, 1}, {2, 5}, {2, 3}, DType::F16));

  // Resize: both modes x (legacy, align_corners, half_pixel) x (up, down), plus odd ratios,
  // identity size, a single output row, and the 0.5-tie of align_corners nearest.
  for (ResizeMode mode : {ResizeMode::Bilinear, ResizeMode::Nearest}) {
    for (auto [ac, hp] :
         {std::pair{false, false}, std::pair{true, false}, std::pair{false, true}}) {
      t.push_back(resize_case(mode, 2, 5, 7, 3, 11, 16, ac, hp));  // up, non-integer ratio
      t.push_back(resize_case(mode, 1, 13, 17, 2, 6, 5, ac, hp));  // down
      t.push_back(resize_case(mode, 1, 8, 8, 4, 16, 16, ac, hp));  // 2x
    }
    t.push_back(resize_case(mode, 1, 5, 5, 3, 9, 9, true, false));  // ac scale 0.5: round(1.5) ties
    t.push_back(resize_case(mode, 1, 6, 7, 2, 1, 3, true, false));  // one output row
    t.push_back(resize_case(mode, 1, 6, 7, 2, 6, 7, false, true));  // same size
    t.push_back(resize_case(mode, 1, 64, 64, 8, 224, 224, false, true));
  }
}

void check_unique(const std::vector<OpCase>& table) {
  std::set<std::string> names;
  for (const OpCase& c : table)
    P3D_CHECK(names.insert(identifier(c.name)).second, "duplicate case name: ", c.name);
}

}  // namespace

// ---- public API ------------------------------------------------------------------------

uint32_t case_seed(const std::string& name) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char ch : name) h = (h ^ ch) * 16777619u;
  return h;
}

OpCase in_place(OpCase c, int input) {
  c.output_aliases = input;
  c.name += " in-place(" + c.inputs.at(static_cast<size_t>(input)).label + ")";
  return c;
}

OpCase misaligned(OpCase c, size_t bytes) {
  c.misalign = bytes;
  c.name += " misaligned+" + std::to_string(bytes);
  return c;
}

namespace {

// The executor runs elementwise ops and residual adds in place and hands kernels pointers
// at any element offset (slices of the arena); these cases make both happen in the table,
// so the in-place paths (cuDNN's beta = 1 accumulate, the transposed conv's residual copy)
// and the scalar fallbacks of vectorised kernels run against the naive reference too.
void add_aliasing_and_alignment_cases(std::vector<OpCase>& t) {
  // In place.
  t.push_back(in_place(unary_case(Unary::Relu, 1024), 0));
  t.push_back(in_place(unary_case(Unary::Tanh, 1001), 0));
  t.push_back(in_place(binary_case(Binary::Add, Shape{2, 7, 5, 8}, Shape{2, 7, 5, 8}), 0));
  t.push_back(in_place(binary_case(Binary::Mul, Shape{3, 33}, Shape{3, 33}), 1));
  t.push_back(in_place(binary_case(Binary::Sub, Shape{2, 6, 5, 8}, Shape{8}), 0));
  // conv2d's residual is y: 1x1 (no staging) and 3x3 with SAME-like asymmetric padding
  // (the padded input staged in the workspace). Inputs: x, filter, bias, residual.
  t.push_back(in_place(
      conv2d_case(conv(2, 5, 7, 12, 20, 1).with_bias().with_residual().activation(Unary::Relu)),
      3));
  t.push_back(in_place(conv2d_case(conv(1, 10, 10, 6, 8, 3)
                                       .stride(2)
                                       .same()
                                       .with_bias()
                                       .with_residual()
                                       .activation(Unary::LeakyRelu, 0.1f)),
                       3));
  // conv_transpose2d's residual is y: symmetric (cuDNN writes y) and asymmetric (the crop
  // would overwrite the residual, which is copied first).
  t.push_back(in_place(
      conv_transpose2d_case(conv(2, 6, 7, 5, 3, 3).pad(1).with_bias().with_residual()), 3));
  t.push_back(in_place(conv_transpose2d_case(conv(1, 10, 10, 4, 3, 3)
                                                 .stride(2)
                                                 .pad(0, 0, 1, 1)
                                                 .with_bias()
                                                 .with_residual()
                                                 .activation(Unary::Relu)),
                       3));
  // Misaligned by one float: element-aligned, never 16-byte aligned.
  t.push_back(misaligned(unary_case(Unary::Relu, 1024), 4));
  t.push_back(misaligned(unary_case(Unary::Sigmoid, 4099), 4));
  t.push_back(misaligned(binary_case(Binary::Add, Shape{4, 256}, Shape{4, 256}), 4));
  t.push_back(misaligned(binary_case(Binary::Mul, Shape{2, 9, 64}, Shape{64}), 4));
  t.push_back(misaligned(in_place(binary_case(Binary::Max, Shape{512}, Shape{512}), 0), 4));
  t.push_back(misaligned(cast_case(DType::F32, DType::F16, 1024), 4));
  t.push_back(misaligned(cast_case(DType::U8, DType::F32, 1027), 4));
  t.push_back(misaligned(transpose_case(Shape{2, 8, 16, 12}, {0, 3, 1, 2}), 4));
  t.push_back(
      misaligned(slice_case(Shape{2, 16, 16, 8}, {0, 1, 2, 0}, {1, 2, 1, 1}, {2, 7, 14, 8}), 4));
  t.push_back(misaligned(concat_case({Shape{2, 5, 8}, Shape{2, 5, 12}}, 2), 4));
  t.push_back(
      misaligned(pad_case(Shape{1, 9, 9, 8}, {0, 1, 2, 0}, {0, 2, 1, 0}, PadMode::Constant), 4));
  t.push_back(misaligned(batch_norm_case(Shape{2, 5, 5, 16}, 1e-3f), 4));
  t.push_back(misaligned(resize_case(ResizeMode::Bilinear, 1, 9, 9, 8, 17, 17, false, true), 4));
  // The conv epilogue's scalar path on a channel count that would vectorise (bias and
  // residual off alignment), and the matmul bias epilogue.
  t.push_back(misaligned(
      conv2d_case(conv(1, 6, 6, 8, 16, 1).with_bias().with_residual().activation(Unary::Relu)), 4));
  t.push_back(misaligned(matmul_case(2, 5, 8, 12, false, false, true), 4));
}

}  // namespace

std::vector<Tensor> make_inputs(const OpCase& c) {
  std::mt19937 rng(case_seed(c.name));
  std::vector<Tensor> inputs;
  for (const InputSpec& spec : c.inputs) {
    Tensor t = Tensor::empty(spec.shape, spec.dtype);
    spec.fill(rng, t);
    inputs.push_back(std::move(t));
  }
  return inputs;
}

void* CaseInstance::Region::payload() const { return static_cast<uint8_t*>(base.get()) + lead; }

void* CaseInstance::add_region(const std::string& label, Role role, size_t bytes, int element_size,
                               const void* payload) {
  Region r;
  r.label = label;
  r.role = role;
  r.bytes = bytes;
  r.element_size = element_size;
  r.salt = static_cast<uint32_t>(regions_.size() * 2 + 1);
  r.lead = kGuardBytes + case_.misalign;
  const size_t total = r.lead + bytes + kGuardBytes;
  Backend& backend = backend_;
  r.base = std::shared_ptr<void>(backend.allocate(total),
                                 [&backend](void* p) { backend.deallocate(p); });
  r.image.assign(total, 0xFF);
  fill_guard(r.image.data(), r.lead, r.salt);
  fill_guard(r.image.data() + r.lead + bytes, kGuardBytes, r.salt + 1);
  if (payload) std::memcpy(r.image.data() + r.lead, payload, bytes);
  backend_.upload(r.base.get(), r.image.data(), total);
  regions_.push_back(std::move(r));
  return regions_.back().payload();
}

CaseInstance::CaseInstance(const OpCase& c, Backend& backend,
                           const std::vector<Tensor>& host_inputs)
    : case_(c), backend_(backend) {
  P3D_CHECK(host_inputs.size() == c.inputs.size(), c.name, ": expected ", c.inputs.size(),
            " inputs");
  regions_.reserve(c.inputs.size() + 2);
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const InputSpec& spec = c.inputs[i];
    const Tensor& host = host_inputs[i];
    if (spec.pack) {
      Packed packed{spec.label, spec.pack(backend_, host), {}};
      packed.snapshot.resize(packed.tensor.bytes());
      backend_.download(packed.snapshot.data(), packed.tensor.raw(), packed.snapshot.size());
      args_.inputs.push_back(packed.tensor.raw());
      packed_.push_back(std::move(packed));
    } else {
      args_.inputs.push_back(add_region(spec.label, Role::Input, host.bytes(),
                                        static_cast<int>(dtype_size(host.dtype())), host.raw()));
    }
  }
  const size_t out_bytes = static_cast<size_t>(c.out_shape.numel()) * dtype_size(c.out_dtype);
  if (c.output_aliases >= 0) {
    // In place: the aliased input's region is the output (its guards still checked, its
    // payload no longer expected unchanged).
    const size_t k = static_cast<size_t>(c.output_aliases);
    P3D_CHECK(k < c.inputs.size() && !c.inputs[k].pack && host_inputs[k].bytes() == out_bytes &&
                  host_inputs[k].dtype() == c.out_dtype,
              c.name, ": output_aliases names no plain input of the output's size and dtype");
    args_.output = const_cast<void*>(args_.inputs[k]);
    for (Region& r : regions_)
      if (r.payload() == args_.output) {
        r.role = Role::Output;
        r.label += " (= output)";
      }
  } else {
    args_.output = add_region("output", Role::Output, out_bytes,
                              static_cast<int>(dtype_size(c.out_dtype)), nullptr);
  }
  const size_t workspace = c.workspace ? c.workspace(backend_) : 0;
  if (workspace > 0)
    args_.workspace = add_region("workspace", Role::Workspace, workspace, 1, nullptr);
  backend_.synchronize();
}

void CaseInstance::launch() { case_.launch(backend_, args_); }

Tensor CaseInstance::output() {
  backend_.synchronize();
  Tensor host = Tensor::empty(case_.out_shape, case_.out_dtype);
  if (host.bytes()) backend_.download(host.raw(), args_.output, host.bytes());
  return host;
}

std::vector<std::string> CaseInstance::integrity_problems() {
  backend_.synchronize();
  std::vector<std::string> problems;
  for (const Region& r : regions_) {
    std::vector<uint8_t> now(r.image.size());
    backend_.download(now.data(), r.base.get(), now.size());
    const int64_t before = find_guard_damage(now.data(), r.lead, r.salt);
    if (before >= 0) {
      problems.push_back("write before the start of " + r.label + ": guard byte " +
                         std::to_string(int64_t(r.lead) - before) + " bytes before it changed");
    }
    const int64_t after = find_guard_damage(now.data() + r.lead + r.bytes, kGuardBytes, r.salt + 1);
    if (after >= 0) {
      problems.push_back("write past the end of " + r.label + " (" + std::to_string(r.bytes) +
                         " bytes): guard byte at +" + std::to_string(after) + " changed");
    }
    if (r.role == Role::Input) {
      for (size_t i = 0; i < r.bytes; ++i) {
        if (now[r.lead + i] != r.image[r.lead + i]) {
          problems.push_back("input " + r.label + " was modified, first at element " +
                             std::to_string(i / static_cast<size_t>(r.element_size)));
          break;
        }
      }
    }
  }
  for (const Packed& p : packed_) {
    std::vector<uint8_t> now(p.snapshot.size());
    backend_.download(now.data(), p.tensor.raw(), now.size());
    if (now != p.snapshot) problems.push_back("packed " + p.label + " was modified by the kernel");
  }
  return problems;
}

CaseRun run_case(const OpCase& c, Backend& backend, const std::vector<Tensor>& host_inputs) {
  CaseInstance instance(c, backend, host_inputs);
  instance.launch();
  CaseRun run;
  run.output = instance.output();
  run.problems = instance.integrity_problems();
  return run;
}

Comparison check_against_reference(const OpCase& c, const std::vector<Tensor>& inputs,
                                   const Tensor& output) {
  if (c.large && c.reference_at) {
    const std::vector<int64_t> indices = sample_indices(c);
    std::vector<double> expected;
    expected.reserve(indices.size());
    for (int64_t i : indices) expected.push_back(c.reference_at(inputs, i));
    return compare_at(output, indices, expected, c.vs_reference);
  }
  Tensor expected = Tensor::empty(c.out_shape, c.out_dtype);
  c.reference(inputs, expected);
  return compare(output, expected, c.vs_reference);
}

const std::vector<OpCase>& test_cases() {
  static const std::vector<OpCase> table = [] {
    std::vector<OpCase> t;
    add_conv2d_cases(t);
    add_conv_transpose2d_cases(t);
    add_matmul_cases(t);
    add_pool2d_cases(t);
    add_reduce_cases(t);
    add_elementwise_cases(t);
    add_layout_cases(t);
    add_aliasing_and_alignment_cases(t);
    check_unique(t);
    return t;
  }();
  return table;
}

std::vector<OpCase> bench_cases() {
  std::vector<OpCase> t;
  // ResNet-50 convolutions (batch 1 and 8), a depthwise conv, decoder upsampling.
  t.push_back(conv2d_case(
      conv(1, 224, 224, 3, 64, 7).stride(2).same().with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 56, 56, 64, 64, 1).with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 56, 56, 64, 64, 3).pad(1).with_bias().activation(Unary::Relu)));
  t.push_back(
      conv2d_case(conv(1, 56, 56, 64, 256, 1).with_bias().with_residual().activation(Unary::Relu)));
  t.push_back(conv2d_case(
      conv(1, 56, 56, 128, 128, 3).stride(2).same().with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 14, 14, 256, 256, 3).pad(1).with_bias().activation(Unary::Relu)));
  t.push_back(
      conv2d_case(conv(1, 7, 7, 512, 2048, 1).with_bias().with_residual().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(8, 56, 56, 64, 64, 3).pad(1).with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(
      conv(1, 56, 56, 128, 128, 3).pad(1).group(128).with_bias().activation(Unary::Relu6)));
  t.push_back(conv_transpose2d_case(conv(1, 56, 56, 256, 128, 2).stride(2).with_bias()));
  t.push_back(conv_transpose2d_case(
      conv(1, 64, 64, 128, 64, 4).stride(2).pad(1).with_bias().activation(Unary::Relu)));
  t.push_back(matmul_case(1, 1, 1000, 2048, false, false, true));
  t.push_back(matmul_case(1, 512, 512, 512, false, false, false));
  t.push_back(matmul_case(8, 128, 128, 64, false, true, false));
  t.push_back(pool2d_case(pool_same(PoolKind::Max, 1, 112, 112, 64, 3, 3, 2, 2)));
  t.push_back(pool2d_case(pool_valid(PoolKind::Average, 1, 56, 56, 256, 2, 2)));
  t.push_back(reduce_case(ReduceKind::Mean, 1, 49, 2048));
  t.push_back(reduce_case(ReduceKind::Sum, 1, 3136, 256));
  t.push_back(reduce_case(ReduceKind::Max, 256, 3136, 1));
  t.push_back(batch_norm_case(Shape{1, 56, 56, 256}, 1e-3f));
  const int64_t activation = 56 * 56 * 256;
  t.push_back(unary_case(Unary::Relu, activation));
  t.push_back(unary_case(Unary::Sigmoid, activation));
  t.push_back(unary_case(Unary::Exp, activation));
  t.push_back(binary_case(Binary::Add, Shape{1, 56, 56, 256}, Shape{1, 56, 56, 256}));
  t.push_back(binary_case(Binary::Mul, Shape{1, 56, 56, 256}, Shape{256}));
  t.push_back(binary_case(Binary::Sub, Shape{8, 1, 56, 256}, Shape{1, 56, 1, 256}));
  t.push_back(cast_case(DType::U8, DType::F32, 224 * 224 * 3));
  t.push_back(cast_case(DType::F32, DType::F16, activation));
  t.push_back(cast_case(DType::F16, DType::F32, activation));
  t.push_back(concat_case({Shape{1, 56, 56, 128}, Shape{1, 56, 56, 128}}, 3));
  t.push_back(pad_case(Shape{1, 224, 224, 3}, {0, 3, 3, 0}, {0, 3, 3, 0}, PadMode::Constant));
  t.push_back(pad_case(Shape{1, 128, 128, 64}, {0, 1, 1, 0}, {0, 1, 1, 0}, PadMode::Reflect));
  t.push_back(transpose_case(Shape{1, 56, 56, 256}, {0, 3, 1, 2}));
  t.push_back(transpose_case(Shape{1, 256, 56, 56}, {0, 2, 3, 1}));
  t.push_back(slice_case(Shape{1, 56, 56, 256}, {0, 0, 0, 0}, {1, 2, 2, 1}, {1, 28, 28, 256}));
  t.push_back(slice_case(Shape{1, 224, 224, 3}, {0, 0, 0, 2}, {1, 1, 1, -1},
                         {1, 224, 224, 3}));  // RGB <-> BGR
  t.push_back(resize_case(ResizeMode::Bilinear, 1, 128, 128, 64, 256, 256, false, true));
  t.push_back(resize_case(ResizeMode::Nearest, 1, 128, 128, 64, 256, 256, false, true));
  t.push_back(resize_case(ResizeMode::Bilinear, 1, 512, 512, 3, 224, 224, false, false));
  check_unique(t);
  return t;
}

std::string identifier(const std::string& name) {
  std::string out;
  for (unsigned char ch : name) {
    if (std::isalnum(ch))
      out += static_cast<char>(ch);
    else if (!out.empty() && out.back() != '_')
      out += '_';
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

}  // namespace p3d::test
