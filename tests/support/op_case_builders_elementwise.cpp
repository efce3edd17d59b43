// Builders for the elementwise ops: batch_norm, unary, binary, cast.
#include <algorithm>
#include <sstream>

#include "kernels/error.h"
#include "tests/support/naive_reference.h"
#include "tests/support/op_case_builders.h"

namespace p3d::test::cases {

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

OpCase unary_case(Unary op, int64_t count, float alpha) {
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

OpCase cast_case(DType from, DType to, int64_t count, FillFn fill, const std::string& tag,
                 bool nonfinite) {
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

}  // namespace p3d::test::cases
