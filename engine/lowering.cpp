// Node -> kernel params. Shapes are already inferred and validated; what remains is turning
// them into the kernels' fixed-size, int32 fields (checked) and resolving padding, slices,
// broadcasting and reduction layouts.
#include "engine/lowering.h"

#include <algorithm>
#include <limits>

#include "engine/op_registry.h"
#include "engine/op_rules.h"
#include "kernels/error.h"
#include "kernels/limits.h"

namespace p3d {
namespace {

class Lowerer {
 public:
  Lowerer(const Graph& graph, const Node& node) : graph_(graph), node_(node) {}

  template <typename... Parts>
  [[noreturn]] void fail(const Parts&... parts) const {
    P3D_THROW("node '", node_.name, "' (", op_name(node_.kind()), "): cannot lower: ", parts...);
  }
  const Shape& in_shape(size_t i) const { return graph_.node(node_.inputs[i]).shape; }
  DType in_dtype(size_t i) const { return graph_.node(node_.inputs[i]).dtype; }

  int32_t i32(int64_t v, const char* what) const {
    if (v < 0 || v > std::numeric_limits<int32_t>::max())
      fail(what, " = ", v, " does not fit the kernel's int32 field");
    return static_cast<int32_t>(v);
  }
  void check_rank(const Shape& s) const {
    if (s.rank() > kMaxRank) fail("rank of ", s.str(), " exceeds ", kMaxRank);
  }

  Conv2dParams conv2d() const;
  Conv2dParams conv_transpose2d() const;
  template <typename ConvAttrs>
  Conv2dParams conv_common(const Shape& x, const Shape& w, const Shape& y, const ConvAttrs& a,
                           const Pads2d& pads) const;
  MatmulParams matmul() const;
  Pool2dParams pool2d() const;
  ReduceLowering reduce(size_t& scratch) const;
  ConcatLowering concat() const;
  PadParams pad() const;
  TransposeParams transpose() const;
  SliceParams slice() const;

 private:
  const Graph& graph_;
  const Node& node_;
};

// The fields conv2d and conv_transpose2d fill alike: sizes (x the input, w the filter, y the
// output), strides, padding and the fused epilogue. Dilation and groups are the caller's.
template <typename ConvAttrs>
Conv2dParams Lowerer::conv_common(const Shape& x, const Shape& w, const Shape& y,
                                  const ConvAttrs& a, const Pads2d& pads) const {
  Conv2dParams p{};
  p.batch = i32(x[0], "batch");
  p.in_h = i32(x[1], "in_h");
  p.in_w = i32(x[2], "in_w");
  p.in_c = i32(x[3], "in_c");
  p.out_h = i32(y[1], "out_h");
  p.out_w = i32(y[2], "out_w");
  p.out_c = i32(y[3], "out_c");
  p.kernel_h = i32(w[0], "kernel_h");
  p.kernel_w = i32(w[1], "kernel_w");
  p.stride_h = a.stride_h;
  p.stride_w = a.stride_w;
  p.pad_top = pads.top;
  p.pad_bottom = pads.bottom;
  p.pad_left = pads.left;
  p.pad_right = pads.right;
  p.has_bias = a.has_bias;
  p.has_residual = a.has_residual;
  p.activation = a.activation;
  p.activation_alpha = a.activation_alpha;
  return p;
}

Conv2dParams Lowerer::conv2d() const {
  const Conv2dAttrs& a = node_.as<Conv2dAttrs>();
  const Shape& x = in_shape(0);
  const Shape& w = in_shape(1);
  const Shape& y = node_.shape;
  const Pads2d pads = resolve_padding(a.pad_mode, a.pads, x[1], x[2], static_cast<int32_t>(w[0]),
                                      static_cast<int32_t>(w[1]), a.stride_h, a.stride_w,
                                      a.dilation_h, a.dilation_w);
  Conv2dParams p = conv_common(x, w, y, a, pads);
  p.dilation_h = a.dilation_h;
  p.dilation_w = a.dilation_w;
  p.groups = a.group_count;
  p.padding_fill = a.padding_fill;
  return p;
}

Conv2dParams Lowerer::conv_transpose2d() const {
  const ConvTranspose2dAttrs& a = node_.as<ConvTranspose2dAttrs>();
  const Shape& x = in_shape(0);
  const Shape& w = in_shape(1);  // HWOI
  const Shape& y = node_.shape;
  // Padding is that of the forward conv, whose input is our output.
  const Pads2d pads = resolve_padding(a.pad_mode, a.pads, y[1], y[2], static_cast<int32_t>(w[0]),
                                      static_cast<int32_t>(w[1]), a.stride_h, a.stride_w, 1, 1);
  Conv2dParams p = conv_common(x, w, y, a, pads);
  p.dilation_h = 1;
  p.dilation_w = 1;
  p.groups = 1;
  return p;
}

MatmulParams Lowerer::matmul() const {
  const MatMulAttrs& a = node_.as<MatMulAttrs>();
  const Shape& sa = in_shape(0);
  const Shape& sb = in_shape(1);
  const int ra = sa.rank(), rb = sb.rank();
  MatmulParams p{};
  p.transpose_a = a.transpose_a;
  p.transpose_b = a.transpose_b;
  p.has_bias = a.has_bias;
  p.activation = a.activation;
  p.activation_alpha = a.activation_alpha;
  const int64_t k = a.transpose_a ? sa[ra - 2] : sa[ra - 1];
  const int64_t n = a.transpose_b ? sb[rb - 2] : sb[rb - 1];
  int64_t batch = 1, m = 0;
  if (rb == 2) {
    // b is shared: a's leading dims are just more rows (shape inference ensured that a is not
    // transposed when they hold more than one matrix).
    m = a.transpose_a ? sa[ra - 1] : sa.product(0, ra - 1);
  } else {
    batch = sa.product(0, ra - 2);
    m = a.transpose_a ? sa[ra - 1] : sa[ra - 2];
  }
  p.batch = i32(batch, "batch");
  p.m = i32(m, "m");
  p.n = i32(n, "n");
  p.k = i32(k, "k");
  return p;
}

Pool2dParams Lowerer::pool2d() const {
  const Pool2dAttrs& a = node_.as<Pool2dAttrs>();
  const Shape& x = in_shape(0);
  const Pads2d pads = resolve_padding(a.pad_mode, a.pads, x[1], x[2], a.kernel_h, a.kernel_w,
                                      a.stride_h, a.stride_w, 1, 1);
  Pool2dParams p{};
  p.batch = i32(x[0], "batch");
  p.in_h = i32(x[1], "in_h");
  p.in_w = i32(x[2], "in_w");
  p.channels = i32(x[3], "channels");
  p.out_h = i32(node_.shape[1], "out_h");
  p.out_w = i32(node_.shape[2], "out_w");
  p.kernel_h = a.kernel_h;
  p.kernel_w = a.kernel_w;
  p.stride_h = a.stride_h;
  p.stride_w = a.stride_w;
  p.pad_top = pads.top;
  p.pad_left = pads.left;
  p.kind = a.pool;
  return p;
}

ReduceLowering Lowerer::reduce(size_t& scratch) const {
  const ReduceAttrs& a = node_.as<ReduceAttrs>();
  const Shape& x = in_shape(0);
  check_rank(x);
  const int rank = x.rank();
  std::vector<char> reduced(static_cast<size_t>(rank), 0);
  for (int axis : a.axes) reduced[static_cast<size_t>(axis < 0 ? axis + rank : axis)] = 1;

  ReduceLowering r;
  r.reduce.kind = a.reduce;
  // Size-1 dims do not move memory, so they may sit on either side: only the others decide
  // whether the reduced axes form one contiguous run.
  int first = -1, last = -1, runs = 0;
  bool previous = false;
  for (int d = 0; d < rank; ++d) {
    if (x[d] == 1) continue;
    const bool r = reduced[static_cast<size_t>(d)] != 0;
    if (r && !previous) ++runs;
    if (r) {
      if (first < 0) first = d;
      last = d;
    }
    previous = r;
  }
  const bool contiguous = runs <= 1;
  if (first < 0) {  // nothing of size > 1 is reduced: a copy (or a mean over size-1 axes)
    r.reduce.outer = x.numel();
    r.reduce.reduced = 1;
    r.reduce.inner = 1;
    return r;
  }
  if (contiguous) {
    r.reduce.outer = x.product(0, first);
    r.reduce.reduced = x.product(first, last + 1);
    r.reduce.inner = x.product(last + 1, rank);
    return r;
  }
  // Move the kept axes first (in order) and the reduced ones last: the output order is then
  // the kept axes in their original order, which is what the node's shape says.
  r.transpose_first = true;
  r.transpose.rank = rank;
  r.transpose.element_size = static_cast<int32_t>(dtype_size(in_dtype(0)));
  int next = 0;
  for (int pass = 0; pass < 2; ++pass)
    for (int d = 0; d < rank; ++d)
      if ((reduced[static_cast<size_t>(d)] != 0) == (pass == 1)) r.transpose.perm[next++] = d;
  int64_t kept = 1, red = 1;
  for (int d = 0; d < rank; ++d) {
    r.transpose.in_dims[d] = x[d];
    (reduced[static_cast<size_t>(d)] ? red : kept) *= x[d];
  }
  r.reduce.outer = kept;
  r.reduce.reduced = red;
  r.reduce.inner = 1;
  scratch = static_cast<size_t>(x.numel()) * dtype_size(in_dtype(0));
  return r;
}

ConcatLowering Lowerer::concat() const {
  const int rank = node_.shape.rank();
  int axis = node_.as<ConcatAttrs>().axis;
  if (axis < 0) axis += rank;
  const Shape& y = node_.shape;
  ConcatLowering c;
  const int64_t outer = y.product(0, axis);
  const int64_t inner_total = y.product(axis, rank);
  int64_t offset = 0;
  for (size_t i = 0; i < node_.inputs.size(); ++i) {
    ConcatCopyParams p{};
    p.outer = outer;
    p.inner = in_shape(i).product(axis, rank);
    p.inner_total = inner_total;
    p.column_offset = offset;
    p.element_size = static_cast<int32_t>(dtype_size(node_.dtype));
    offset += p.inner;
    c.copies.push_back(p);
  }
  return c;
}

PadParams Lowerer::pad() const {
  const PadAttrs& a = node_.as<PadAttrs>();
  const Shape& x = in_shape(0);
  check_rank(x);
  PadParams p{};
  p.rank = x.rank();
  for (int d = 0; d < x.rank(); ++d) {
    p.in_dims[d] = x[d];
    p.before[d] = a.before[static_cast<size_t>(d)];
    p.after[d] = a.after[static_cast<size_t>(d)];
  }
  p.mode = a.mode;
  p.value = a.value;
  return p;
}

TransposeParams Lowerer::transpose() const {
  const Shape& x = in_shape(0);
  check_rank(x);
  const std::vector<int>& perm = node_.as<TransposeAttrs>().perm;
  TransposeParams p{};
  p.rank = x.rank();
  for (int d = 0; d < x.rank(); ++d) {
    p.in_dims[d] = x[d];
    p.perm[d] = perm[static_cast<size_t>(d)];
  }
  p.element_size = static_cast<int32_t>(dtype_size(node_.dtype));
  return p;
}

SliceParams Lowerer::slice() const {
  const SliceAttrs& a = node_.as<SliceAttrs>();
  const Shape& x = in_shape(0);
  check_rank(x);
  SliceParams p{};
  p.rank = x.rank();
  for (int d = 0; d < x.rank(); ++d) {
    p.in_dims[d] = x[d];
    SliceDim s;
    s.count = x[d];  // dims not listed are taken whole
    if (static_cast<size_t>(d) < a.begin.size())
      s = resolve_slice_dim(x[d], a.begin[static_cast<size_t>(d)], a.end[static_cast<size_t>(d)],
                            a.step[static_cast<size_t>(d)]);
    p.out_dims[d] = s.count;
    p.begin[d] = s.start;
    p.step[d] = s.step;
  }
  p.element_size = static_cast<int32_t>(dtype_size(node_.dtype));
  return p;
}

}  // namespace

BinaryParams broadcast_params(Binary op, const Shape& sa, const Shape& sb, const Shape& out) {
  const int rank = out.rank();
  P3D_CHECK(rank <= kMaxRank, "broadcast rank ", rank, " exceeds ", kMaxRank);
  // Per output dim: each operand's element stride, 0 where it broadcasts.
  std::vector<int64_t> dims, as, bs;
  auto strides_of = [&](const Shape& s) {
    std::vector<int64_t> st(static_cast<size_t>(rank), 0);
    int64_t step = 1;
    for (int d = s.rank() - 1; d >= 0; --d) {
      const int od = d + rank - s.rank();
      st[static_cast<size_t>(od)] = s[d] == 1 ? 0 : step;
      step *= s[d];
    }
    return st;
  };
  const std::vector<int64_t> fa = strides_of(sa), fb = strides_of(sb);
  // Merge from the innermost dim outwards: dim d joins the group inside it when, for both
  // operands, stepping over the whole group equals one step of d (or both broadcast).
  for (int d = rank - 1; d >= 0; --d) {
    const int64_t n = out[d];
    const int64_t sa_d = fa[static_cast<size_t>(d)], sb_d = fb[static_cast<size_t>(d)];
    if (n == 1) continue;  // size-1 output dims move nothing
    if (!dims.empty() && sa_d == as.back() * dims.back() && sb_d == bs.back() * dims.back()) {
      dims.back() *= n;
      continue;
    }
    dims.push_back(n);
    as.push_back(sa_d);
    bs.push_back(sb_d);
  }
  if (dims.empty()) {  // every dim is 1 (a scalar result)
    dims.push_back(1);
    as.push_back(0);
    bs.push_back(0);
  }
  BinaryParams p{};
  p.op = op;
  p.rank = static_cast<int32_t>(dims.size());
  for (int d = 0; d < p.rank; ++d) {  // dims were collected innermost first
    const size_t from = dims.size() - 1 - static_cast<size_t>(d);
    p.out_dims[d] = dims[from];
    p.a_strides[d] = as[from];
    p.b_strides[d] = bs[from];
  }
  return p;
}

// ---- the per-op lower functions the op table names (engine/op_rules.h) --------------------

void lower_conv2d(const Graph& g, const Node& n, LoweredNode& out) {
  out.params = Lowerer(g, n).conv2d();
}
void lower_conv_transpose2d(const Graph& g, const Node& n, LoweredNode& out) {
  out.params = Lowerer(g, n).conv_transpose2d();
}
void lower_matmul(const Graph& g, const Node& n, LoweredNode& out) {
  out.params = Lowerer(g, n).matmul();
}
void lower_pool2d(const Graph& g, const Node& n, LoweredNode& out) {
  out.params = Lowerer(g, n).pool2d();
}
void lower_reduce(const Graph& g, const Node& n, LoweredNode& out) {
  out.params = Lowerer(g, n).reduce(out.scratch_bytes);
}
void lower_batch_norm(const Graph& g, const Node& n, LoweredNode& out) {
  const Shape& x = g.node(n.inputs[0]).shape;
  out.params =
      BatchNormParams{x.product(0, x.rank() - 1), lowered_i32(n, x[x.rank() - 1], "channels"),
                      n.as<BatchNormAttrs>().epsilon};
}
void lower_unary(const Graph&, const Node& n, LoweredNode& out) {
  const UnaryAttrs& a = n.as<UnaryAttrs>();
  out.params = UnaryParams{n.shape.numel(), a.op, a.alpha};
}
void lower_binary(const Graph& g, const Node& n, LoweredNode& out) {
  out.params = broadcast_params(n.as<BinaryAttrs>().op, g.node(n.inputs[0]).shape,
                                g.node(n.inputs[1]).shape, n.shape);
}
void lower_cast(const Graph& g, const Node& n, LoweredNode& out) {
  out.params = CastParams{n.shape.numel(), g.node(n.inputs[0]).dtype, n.dtype};
}
void lower_concat(const Graph& g, const Node& n, LoweredNode& out) {
  out.params = Lowerer(g, n).concat();
}
void lower_pad(const Graph& g, const Node& n, LoweredNode& out) {
  out.params = Lowerer(g, n).pad();
}
void lower_transpose(const Graph& g, const Node& n, LoweredNode& out) {
  out.params = Lowerer(g, n).transpose();
}
void lower_slice(const Graph& g, const Node& n, LoweredNode& out) {
  out.params = Lowerer(g, n).slice();
}

int32_t lowered_i32(const Node& node, int64_t value, const char* what) {
  if (value < 0 || value > std::numeric_limits<int32_t>::max())
    P3D_THROW("node '", node.name, "' (", op_name(node.kind()), "): cannot lower: ", what, " = ",
              value, " does not fit the kernel's int32 field");
  return static_cast<int32_t>(value);
}

LoweredNode lower_node(const Graph& graph, const Node& node) {
  LoweredNode out;
  out.op = node.kind();
  const OpInfo& info = op_info(node.kind());
  if (info.lower) info.lower(graph, node, out);
  return out;
}

}  // namespace p3d
