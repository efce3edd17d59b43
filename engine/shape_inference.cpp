// Shape and dtype inference of the built-in ops, one rule per op (the op table, engine/
// op_table.cpp, names them; ops written in engine/ops/ carry their own). Every error names the
// node, its op and the shapes or attrs that do not fit, because the person reading it is usually
// debugging an imported graph they did not write.
#include <algorithm>
#include <sstream>

#include "engine/graph.h"
#include "engine/op_registry.h"
#include "engine/op_rules.h"
#include "kernels/conv.h"
#include "kernels/error.h"
#include "kernels/limits.h"

namespace p3d {
namespace {

class Inference {
 public:
  Inference(const Graph& graph, Node& node) : graph_(graph), node_(node) {}

  template <typename... Parts>
  [[noreturn]] void fail(const Parts&... parts) const {
    P3D_THROW("node '", node_.name, "' (", op_name(node_.kind()), "): ", parts...);
  }

  const Node& in(size_t i) const { return graph_.node(node_.inputs[i]); }
  const Shape& shape(size_t i) const { return in(i).shape; }

  void expect_inputs(size_t count) const {
    if (node_.inputs.size() != count) fail("expects ", count, " inputs, has ", node_.inputs.size());
  }
  void expect_f32(size_t i, const char* what) const {
    if (in(i).dtype != DType::F32)
      fail(what, " '", in(i).name, "' must be f32, is ", dtype_name(in(i).dtype), shape(i).str());
  }
  void expect_rank(size_t i, int rank, const char* what) const {
    if (shape(i).rank() != rank)
      fail(what, " '", in(i).name, "' must have rank ", rank, ", has shape ", shape(i).str());
  }
  void set(Shape s, DType t = DType::F32) {
    node_.shape = std::move(s);
    node_.dtype = t;
  }

  void input();
  void constant();
  void conv2d();
  void conv_transpose2d();
  void matmul();
  void pool2d();
  void reduce();
  void batch_norm();
  void binary();
  void concat();
  void pad();
  void transpose();
  void slice();
  void unary();
  void cast();
  void reshape();
  void squeeze();
  void expand_dims();

 private:
  void check_epilogue(size_t first_optional, bool has_bias, bool has_residual, int64_t channels);
  void check_window(int32_t kh, int32_t kw, int32_t sh, int32_t sw, int32_t dh, int32_t dw,
                    const Pads2d& pads) const;

  const Graph& graph_;
  Node& node_;
};

std::string pads_str(const Pads2d& p) {
  std::ostringstream out;
  out << "(" << p.top << "," << p.bottom << "," << p.left << "," << p.right << ")";
  return out.str();
}

void Inference::check_window(int32_t kh, int32_t kw, int32_t sh, int32_t sw, int32_t dh, int32_t dw,
                             const Pads2d& pads) const {
  if (kh < 1 || kw < 1) fail("kernel ", kh, "x", kw, " must be at least 1x1");
  if (sh < 1 || sw < 1) fail("stride ", sh, "x", sw, " must be at least 1");
  if (dh < 1 || dw < 1) fail("dilation ", dh, "x", dw, " must be at least 1");
  if (pads.top < 0 || pads.bottom < 0 || pads.left < 0 || pads.right < 0)
    fail("negative padding ", pads_str(pads));
}

// Bias [channels] and a residual of the output's shape, for the fused conv epilogue.
void Inference::check_epilogue(size_t first_optional, bool has_bias, bool has_residual,
                               int64_t channels) {
  expect_inputs(first_optional + (has_bias ? 1 : 0) + (has_residual ? 1 : 0));
  size_t next = first_optional;
  if (has_bias) {
    expect_f32(next, "bias");
    if (shape(next) != Shape{channels})
      fail("bias '", in(next).name, "' has shape ", shape(next).str(), ", expected [", channels,
           "]");
    ++next;
  }
  if (has_residual) {
    expect_f32(next, "residual");
    if (shape(next) != node_.shape)
      fail("residual '", in(next).name, "' has shape ", shape(next).str(), ", the output has ",
           node_.shape.str());
  }
}

void Inference::conv2d() {
  const Conv2dAttrs& a = node_.as<Conv2dAttrs>();
  if (node_.inputs.size() < 2) fail("expects x and filter inputs, has ", node_.inputs.size());
  expect_f32(0, "input");
  expect_f32(1, "filter");
  expect_rank(0, 4, "input (NHWC)");
  expect_rank(1, 4, "filter (HWIO)");
  const Shape& x = shape(0);
  const Shape& w = shape(1);
  check_window(static_cast<int32_t>(w[0]), static_cast<int32_t>(w[1]), a.stride_h, a.stride_w,
               a.dilation_h, a.dilation_w, a.pads);
  const int64_t groups = a.group_count;
  if (groups < 1) fail("groups must be at least 1, is ", groups);
  if (x[3] % groups != 0) fail("input channels ", x[3], " are not divisible by groups ", groups);
  if (w[2] * groups != x[3]) {
    if (groups == 1)
      fail("input channels ", x[3], " do not match filter in_c ", w[2], " (filter ", w.str(),
           ", input ", x.str(), ")");
    fail("input channels ", x[3], " / groups ", groups, " = ", x[3] / groups,
         " do not match filter in_c ", w[2], " (filter ", w.str(), ")");
  }
  if (w[3] % groups != 0) fail("filter out_c ", w[3], " is not divisible by groups ", groups);
  const Pads2d p = resolve_padding(a.pad_mode, a.pads, x[1], x[2], static_cast<int32_t>(w[0]),
                                   static_cast<int32_t>(w[1]), a.stride_h, a.stride_w, a.dilation_h,
                                   a.dilation_w);
  const int64_t eff_h = (w[0] - 1) * a.dilation_h + 1, eff_w = (w[1] - 1) * a.dilation_w + 1;
  const int64_t ph = x[1] + p.top + p.bottom, pw = x[2] + p.left + p.right;
  if (ph < eff_h || pw < eff_w)
    fail("input ", x.str(), " padded by ", pads_str(p), " is smaller than the ", eff_h, "x", eff_w,
         " (dilated) kernel of filter ", w.str());
  set(Shape{x[0], (ph - eff_h) / a.stride_h + 1, (pw - eff_w) / a.stride_w + 1, w[3]});
  check_epilogue(2, a.has_bias, a.has_residual, w[3]);
}

void Inference::conv_transpose2d() {
  const ConvTranspose2dAttrs& a = node_.as<ConvTranspose2dAttrs>();
  if (node_.inputs.size() < 2) fail("expects x and filter inputs, has ", node_.inputs.size());
  expect_f32(0, "input");
  expect_f32(1, "filter");
  expect_rank(0, 4, "input (NHWC)");
  expect_rank(1, 4, "filter (HWOI)");
  const Shape& x = shape(0);
  const Shape& w = shape(1);
  check_window(static_cast<int32_t>(w[0]), static_cast<int32_t>(w[1]), a.stride_h, a.stride_w, 1, 1,
               a.pads);
  if (w[3] != x[3])
    fail("input channels ", x[3], " do not match filter in_c ", w[3], " (filter HWOI ", w.str(),
         ", input ", x.str(), ")");
  if (a.out_h < 1 || a.out_w < 1) fail("output size ", a.out_h, "x", a.out_w, " must be positive");
  // The forward conv (same kernel, stride, padding) must map the output back onto x.
  const Pads2d p = resolve_padding(a.pad_mode, a.pads, a.out_h, a.out_w, static_cast<int32_t>(w[0]),
                                   static_cast<int32_t>(w[1]), a.stride_h, a.stride_w, 1, 1);
  const int64_t ph = a.out_h + p.top + p.bottom, pw = a.out_w + p.left + p.right;
  const int64_t fh = ph >= w[0] ? (ph - w[0]) / a.stride_h + 1 : 0;
  const int64_t fw = pw >= w[1] ? (pw - w[1]) / a.stride_w + 1 : 0;
  if (fh != x[1] || fw != x[2])
    fail("output size ", a.out_h, "x", a.out_w, " with kernel ", w[0], "x", w[1], ", stride ",
         a.stride_h, "x", a.stride_w, " and padding ", padding_name(a.pad_mode), pads_str(p),
         " corresponds to an input of ", fh, "x", fw, ", but the input is ", x.str());
  set(Shape{x[0], a.out_h, a.out_w, w[2]});
  check_epilogue(2, a.has_bias, a.has_residual, w[2]);
}

void Inference::matmul() {
  const MatMulAttrs& a = node_.as<MatMulAttrs>();
  expect_inputs(a.has_bias ? 3 : 2);
  expect_f32(0, "a");
  expect_f32(1, "b");
  const Shape& sa = shape(0);
  const Shape& sb = shape(1);
  if (sa.rank() < 2 || sb.rank() < 2)
    fail("operands must have rank >= 2, have ", sa.str(), " and ", sb.str());
  const int ra = sa.rank(), rb = sb.rank();
  const int64_t m = a.transpose_a ? sa[ra - 1] : sa[ra - 2];
  const int64_t k = a.transpose_a ? sa[ra - 2] : sa[ra - 1];
  const int64_t kb = a.transpose_b ? sb[rb - 1] : sb[rb - 2];
  const int64_t n = a.transpose_b ? sb[rb - 2] : sb[rb - 1];
  if (k != kb)
    fail("inner dims differ: a ", sa.str(), (a.transpose_a ? " (transposed)" : ""), " has k=", k,
         ", b ", sb.str(), (a.transpose_b ? " (transposed)" : ""), " has k=", kb);
  std::vector<int64_t> out(sa.dims().begin(), sa.dims().end() - 2);
  if (rb == 2) {
    // A dense layer on a batch of rows: the batch folds into m, which needs a untransposed.
    if (a.transpose_a && sa.product(0, ra - 2) > 1)
      fail("a batched, transposed a ", sa.str(), " with a 2-D b ", sb.str(), " is not supported");
  } else if (ra != rb || !std::equal(sa.dims().begin(), sa.dims().end() - 2, sb.dims().begin())) {
    fail("batch dims of a ", sa.str(), " and b ", sb.str(), " differ (no broadcasting)");
  }
  out.push_back(m);
  out.push_back(n);
  set(Shape(out));
  if (a.has_bias) {
    expect_f32(2, "bias");
    if (shape(2) != Shape{n})
      fail("bias '", in(2).name, "' has shape ", shape(2).str(), ", expected [", n, "]");
  }
}

void Inference::pool2d() {
  const Pool2dAttrs& a = node_.as<Pool2dAttrs>();
  expect_inputs(1);
  expect_f32(0, "input");
  expect_rank(0, 4, "input (NHWC)");
  const Shape& x = shape(0);
  check_window(a.kernel_h, a.kernel_w, a.stride_h, a.stride_w, 1, 1, a.pads);
  const Pads2d p = resolve_padding(a.pad_mode, a.pads, x[1], x[2], a.kernel_h, a.kernel_w,
                                   a.stride_h, a.stride_w, 1, 1);
  // A window lying wholly in the padding would have nothing to take the max or mean of.
  if (p.top >= a.kernel_h || p.bottom >= a.kernel_h || p.left >= a.kernel_w ||
      p.right >= a.kernel_w)
    fail("padding ", pads_str(p), " must be smaller than the kernel ", a.kernel_h, "x", a.kernel_w);
  const int64_t ph = x[1] + p.top + p.bottom, pw = x[2] + p.left + p.right;
  if (ph < a.kernel_h || pw < a.kernel_w)
    fail("input ", x.str(), " padded by ", pads_str(p), " is smaller than the kernel ", a.kernel_h,
         "x", a.kernel_w);
  set(Shape{x[0], (ph - a.kernel_h) / a.stride_h + 1, (pw - a.kernel_w) / a.stride_w + 1, x[3]});
}

void Inference::reduce() {
  const ReduceAttrs& a = node_.as<ReduceAttrs>();
  expect_inputs(1);
  expect_f32(0, "input");
  const Shape& x = shape(0);
  if (x.rank() > kMaxRank) fail("rank ", x.rank(), " exceeds ", kMaxRank);
  std::vector<char> reduced(static_cast<size_t>(x.rank()), 0);
  for (int axis : a.axes) {
    if (axis < -x.rank() || axis >= x.rank())
      fail("axis ", axis, " out of range for input ", x.str());
    const int ax = axis < 0 ? axis + x.rank() : axis;
    if (reduced[static_cast<size_t>(ax)]) fail("axis ", axis, " listed twice");
    reduced[static_cast<size_t>(ax)] = 1;
  }
  std::vector<int64_t> out;
  for (int d = 0; d < x.rank(); ++d) {
    if (!reduced[static_cast<size_t>(d)])
      out.push_back(x[d]);
    else if (a.keep)
      out.push_back(1);
    else if (x[d] == 0)
      fail("reducing over an empty axis ", d, " of ", x.str());
  }
  set(Shape(out));
}

void Inference::batch_norm() {
  expect_inputs(5);
  const char* names[5] = {"input", "gamma", "beta", "mean", "variance"};
  for (size_t i = 0; i < 5; ++i) expect_f32(i, names[i]);
  const Shape& x = shape(0);
  if (x.rank() < 1) fail("input must have a channel axis, is a scalar");
  const int64_t c = x[x.rank() - 1];
  for (size_t i = 1; i < 5; ++i)
    if (shape(i) != Shape{c})
      fail(names[i], " '", in(i).name, "' has shape ", shape(i).str(), ", expected [", c,
           "] (the channels of input ", x.str(), ")");
  if (!(node_.as<BatchNormAttrs>().epsilon >= 0.f)) fail("epsilon must be >= 0");
  set(x);
}

void Inference::binary() {
  expect_inputs(2);
  expect_f32(0, "a");
  expect_f32(1, "b");
  const Shape& a = shape(0);
  const Shape& b = shape(1);
  const int rank = std::max(a.rank(), b.rank());
  if (rank > kMaxRank) fail("rank ", rank, " exceeds ", kMaxRank);
  std::vector<int64_t> out(static_cast<size_t>(rank));
  for (int d = 0; d < rank; ++d) {
    // NumPy: align the trailing dims; a missing or size-1 dim stretches.
    const int da = d - (rank - a.rank()), db = d - (rank - b.rank());
    const int64_t ea = da >= 0 ? a[da] : 1, eb = db >= 0 ? b[db] : 1;
    if (ea != eb && ea != 1 && eb != 1)
      fail("shapes ", a.str(), " and ", b.str(), " do not broadcast (dim ", d, ": ", ea, " vs ", eb,
           ")");
    out[static_cast<size_t>(d)] = ea == 1 ? eb : ea;
  }
  set(Shape(out));
}

void Inference::concat() {
  if (node_.inputs.empty()) fail("needs at least one input");
  const Shape& first = shape(0);
  const int rank = first.rank();
  int axis = node_.as<ConcatAttrs>().axis;
  if (rank == 0) fail("cannot concatenate scalars");
  if (axis < -rank || axis >= rank) fail("axis ", axis, " out of range for rank ", rank);
  if (axis < 0) axis += rank;
  std::vector<int64_t> out = first.dims();
  out[static_cast<size_t>(axis)] = 0;
  for (size_t i = 0; i < node_.inputs.size(); ++i) {
    const Shape& s = shape(i);
    if (in(i).dtype != in(0).dtype)
      fail("input ", i, " '", in(i).name, "' is ", dtype_name(in(i).dtype), ", input 0 is ",
           dtype_name(in(0).dtype));
    bool ok = s.rank() == rank;
    for (int d = 0; ok && d < rank; ++d) ok = d == axis || s[d] == first[d];
    if (!ok)
      fail("input ", i, " '", in(i).name, "' has shape ", s.str(), ", incompatible with ",
           first.str(), " along axis ", axis);
    out[static_cast<size_t>(axis)] += s[axis];
  }
  set(Shape(out), in(0).dtype);
}

void Inference::pad() {
  const PadAttrs& a = node_.as<PadAttrs>();
  expect_inputs(1);
  expect_f32(0, "input");
  const Shape& x = shape(0);
  if (x.rank() > kMaxRank) fail("rank ", x.rank(), " exceeds ", kMaxRank);
  if (static_cast<int>(a.before.size()) != x.rank() || static_cast<int>(a.after.size()) != x.rank())
    fail("needs ", x.rank(), " before/after pads for input ", x.str(), ", has ", a.before.size(),
         "/", a.after.size());
  std::vector<int64_t> out = x.dims();
  for (int d = 0; d < x.rank(); ++d) {
    const int64_t b = a.before[static_cast<size_t>(d)], e = a.after[static_cast<size_t>(d)];
    if (b < 0 || e < 0) fail("negative padding ", b, "/", e, " on dim ", d);
    if (a.mode == PadMode::Reflect && (b >= x[d] || e >= x[d]) && (b || e))
      fail("reflect padding ", b, "/", e, " on dim ", d, " must be smaller than the dim (", x[d],
           ")");
    if (a.mode == PadMode::Symmetric && (b > x[d] || e > x[d]))
      fail("symmetric padding ", b, "/", e, " on dim ", d, " must not exceed the dim (", x[d], ")");
    out[static_cast<size_t>(d)] += b + e;
  }
  set(Shape(out));
}

void Inference::transpose() {
  const std::vector<int>& perm = node_.as<TransposeAttrs>().perm;
  expect_inputs(1);
  const Shape& x = shape(0);
  if (x.rank() > kMaxRank) fail("rank ", x.rank(), " exceeds ", kMaxRank);
  if (static_cast<int>(perm.size()) != x.rank())
    fail("perm has ", perm.size(), " entries for input ", x.str());
  std::vector<char> seen(perm.size(), 0);
  std::vector<int64_t> out;
  for (int p : perm) {
    if (p < 0 || p >= x.rank() || seen[static_cast<size_t>(p)])
      fail("perm is not a permutation of 0..", x.rank() - 1);
    seen[static_cast<size_t>(p)] = 1;
    out.push_back(x[p]);
  }
  set(Shape(out), in(0).dtype);
}

void Inference::slice() {
  const SliceAttrs& a = node_.as<SliceAttrs>();
  expect_inputs(1);
  const Shape& x = shape(0);
  if (x.rank() > kMaxRank) fail("rank ", x.rank(), " exceeds ", kMaxRank);
  if (a.begin.size() != a.end.size() || a.begin.size() != a.step.size())
    fail("begin/end/step have different lengths");
  if (static_cast<int>(a.begin.size()) > x.rank())
    fail("slices ", a.begin.size(), " dims of input ", x.str());
  std::vector<int64_t> out = x.dims();  // dims not listed are taken whole
  for (size_t d = 0; d < a.begin.size(); ++d) {
    if (a.step[d] == 0) fail("step of dim ", d, " is 0");
    out[d] = resolve_slice_dim(x[static_cast<int>(d)], a.begin[d], a.end[d], a.step[d]).count;
  }
  set(Shape(out), in(0).dtype);
}

void Inference::reshape() {
  const std::vector<int64_t>& dims = node_.as<ReshapeAttrs>().dims;
  expect_inputs(1);
  const Shape& x = shape(0);
  int wildcard = -1;
  int64_t known = 1;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == -1) {
      if (wildcard >= 0) fail("more than one -1 in target dims ", Shape(dims).str());
      wildcard = static_cast<int>(d);
    } else if (dims[d] < 0) {
      fail("negative target dim ", dims[d]);
    } else {
      known *= dims[d];
    }
  }
  std::vector<int64_t> out = dims;
  const int64_t count = x.numel();
  if (wildcard >= 0) {
    if (known == 0 || count % known != 0)
      fail("cannot reshape ", x.str(), " (", count, " elements) to ", Shape(dims).str());
    out[static_cast<size_t>(wildcard)] = count / known;
  } else if (known != count) {
    fail("cannot reshape ", x.str(), " (", count, " elements) to ", Shape(dims).str(), " (", known,
         " elements)");
  }
  set(Shape(out), in(0).dtype);
}

void Inference::squeeze() {
  const std::vector<int>& axes = node_.as<SqueezeAttrs>().axes;
  expect_inputs(1);
  const Shape& x = shape(0);
  std::vector<char> drop(static_cast<size_t>(x.rank()), 0);
  for (int axis : axes) {
    if (axis < -x.rank() || axis >= x.rank())
      fail("axis ", axis, " out of range for input ", x.str());
    const int ax = axis < 0 ? axis + x.rank() : axis;
    if (x[ax] != 1)
      fail("cannot squeeze axis ", axis, " of size ", x[ax], " (input ", x.str(), ")");
    drop[static_cast<size_t>(ax)] = 1;
  }
  std::vector<int64_t> out;
  for (int d = 0; d < x.rank(); ++d) {
    const bool gone = axes.empty() ? x[d] == 1 : drop[static_cast<size_t>(d)] != 0;
    if (!gone) out.push_back(x[d]);
  }
  set(Shape(out), in(0).dtype);
}

void Inference::expand_dims() {
  const int axis = node_.as<ExpandDimsAttrs>().axis;
  expect_inputs(1);
  const Shape& x = shape(0);
  const int r = x.rank();
  if (axis < -r - 1 || axis > r)
    fail("axis ", axis, " out of range [", -r - 1, ", ", r, "] for input ", x.str());
  if (r + 1 > kMaxRank) fail("result rank ", r + 1, " exceeds ", kMaxRank);
  std::vector<int64_t> out = x.dims();
  out.insert(out.begin() + (axis < 0 ? axis + r + 1 : axis), 1);
  set(Shape(out), in(0).dtype);
}

void Inference::input() {
  expect_inputs(0);
  const InputAttrs& a = node_.as<InputAttrs>();
  for (int64_t d : a.shape.dims())
    if (d < 0) fail("input shape ", a.shape.str(), " has a negative dim (set a concrete shape)");
  set(a.shape, a.dtype);
}

void Inference::constant() {
  expect_inputs(0);
  const Tensor& t = node_.as<ConstantAttrs>().value;
  if (t.raw() == nullptr && t.numel() != 0) fail("holds no data");
  set(t.shape(), t.dtype());
}

void Inference::unary() {
  expect_inputs(1);
  expect_f32(0, "input");
  set(shape(0));
}

void Inference::cast() {
  expect_inputs(1);
  set(shape(0), node_.as<CastAttrs>().to);
}

}  // namespace

// ---- the per-op shape rules the op table names (engine/op_rules.h) ------------------------

#define P3D_SHAPE_RULE(op) \
  void infer_##op(const Graph& g, Node& n) { Inference(g, n).op(); }
P3D_SHAPE_RULE(input)
P3D_SHAPE_RULE(constant)
P3D_SHAPE_RULE(conv2d)
P3D_SHAPE_RULE(conv_transpose2d)
P3D_SHAPE_RULE(matmul)
P3D_SHAPE_RULE(pool2d)
P3D_SHAPE_RULE(reduce)
P3D_SHAPE_RULE(batch_norm)
P3D_SHAPE_RULE(unary)
P3D_SHAPE_RULE(binary)
P3D_SHAPE_RULE(cast)
P3D_SHAPE_RULE(concat)
P3D_SHAPE_RULE(pad)
P3D_SHAPE_RULE(transpose)
P3D_SHAPE_RULE(slice)
P3D_SHAPE_RULE(reshape)
P3D_SHAPE_RULE(squeeze)
P3D_SHAPE_RULE(expand_dims)
#undef P3D_SHAPE_RULE

void infer_node_shape(const Graph& graph, Node& node) { op_info(node.kind()).infer(graph, node); }

}  // namespace p3d
