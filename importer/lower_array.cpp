// Data movement: Pad / PadV2 / MirrorPad, Squeeze, ExpandDims, Reshape, ConcatV2, Pack and
// Transpose. Shape-only ops on host values (the Pack that builds a resize size, the
// Reshape of a constant) fold at import time; the rest become layer-graph ops.
#include <limits>

#include "importer/lower_common.h"

namespace p3d::tfimport {
namespace {

// Axis in [-(rank), rank) (or [-(rank+1), rank] when inserting) -> [0, rank(+1)).
int normalised_axis(const OpContext& op, int64_t axis, int rank, bool inserting, const char* what) {
  const int64_t limit = rank + (inserting ? 1 : 0);
  if (axis < -limit || axis >= limit) op.fail(what, " ", axis, " is out of range for rank ", rank);
  return static_cast<int>(axis < 0 ? axis + limit : axis);
}

void lower_pad_common(OpContext& op, PadMode mode) {
  const Shape x = op.shape(0);
  const Tensor& p = op.host(1, "paddings");
  if (p.dtype() != DType::I32 || p.shape() != Shape{x.rank(), 2})
    op.fail("paddings must be an int tensor of shape [", x.rank(), ",2] for input ", x.str(),
            ", is ", p.str());
  PadAttrs a;
  a.with_mode(mode);
  for (int d = 0; d < x.rank(); ++d) {
    const int64_t before = p.data<int32_t>()[2 * d], after = p.data<int32_t>()[2 * d + 1];
    if (before < 0 || after < 0) op.fail("paddings has a negative entry on dim ", d);
    a.before.push_back(before);
    a.after.push_back(after);
  }
  if (mode == PadMode::Constant && op.num_inputs() == 3) {
    const Tensor& v = op.host(2, "constant_values");
    if (v.numel() != 1 || v.dtype() != DType::F32)
      op.fail("constant_values must be a float scalar, is ", v.str());
    a.constant_value(v.data<float>()[0]);
  }
  op.set_value(op.graph().pad(op.value(0), a, op.name()));
}

void lower_pad(OpContext& op) {
  op.expect_inputs(2);
  lower_pad_common(op, PadMode::Constant);
}

void lower_pad_v2(OpContext& op) {
  op.expect_inputs(3);
  lower_pad_common(op, PadMode::Constant);
}

void lower_mirror_pad(OpContext& op) {
  op.expect_inputs(2);
  const std::string mode = op.attr_string("mode");
  if (mode == "REFLECT") return lower_pad_common(op, PadMode::Reflect);
  if (mode == "SYMMETRIC") return lower_pad_common(op, PadMode::Symmetric);
  op.fail("attr 'mode' is '", mode, "'; expected REFLECT or SYMMETRIC");
}

void lower_squeeze(OpContext& op) {
  op.expect_inputs(1);
  const Shape x = op.shape(0);
  std::vector<int> axes;
  std::vector<char> drop(static_cast<size_t>(x.rank()), 0);
  for (int64_t axis : op.attr_ints("squeeze_dims", {})) {
    const int a = normalised_axis(op, axis, x.rank(), false, "squeeze axis");
    if (x[a] != 1) op.fail("cannot squeeze dim ", a, " of size ", x[a], " (input ", x.str(), ")");
    drop[static_cast<size_t>(a)] = 1;
    axes.push_back(a);
  }
  if (!op.is_host(0)) {
    op.set_value(op.graph().squeeze(op.value(0), axes, op.name()));
    return;
  }
  std::vector<int64_t> out;
  for (int d = 0; d < x.rank(); ++d)
    if (!(axes.empty() ? x[d] == 1 : drop[static_cast<size_t>(d)] != 0)) out.push_back(x[d]);
  op.set_host(host_reshape(op.host(0, "x"), Shape(out)));
}

void lower_expand_dims(OpContext& op) {
  op.expect_inputs(2);
  const Shape x = op.shape(0);
  const int axis = normalised_axis(op, op.host_int(1, "dim"), x.rank(), true, "axis");
  if (!op.is_host(0)) {
    op.set_value(op.graph().expand_dims(op.value(0), axis, op.name()));
    return;
  }
  std::vector<int64_t> out = x.dims();
  out.insert(out.begin() + axis, 1);
  op.set_host(host_reshape(op.host(0, "x"), Shape(out)));
}

void lower_reshape(OpContext& op) {
  op.expect_inputs(2);
  const Shape x = op.shape(0);
  std::vector<int64_t> dims = op.host_ints(1, "shape");
  int wildcard = -1;
  int64_t known = 1;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == -1 && wildcard < 0) {
      wildcard = static_cast<int>(d);
    } else if (dims[d] < 0) {
      op.fail("target shape ", Shape(dims).str(), " has a negative dimension (or a second -1)");
    } else {
      if (dims[d] != 0 && known > std::numeric_limits<int64_t>::max() / dims[d])
        op.fail("target shape ", Shape(dims).str(), " has too many elements");
      known *= dims[d];
    }
  }
  const int64_t count = x.numel();
  if (wildcard >= 0) {
    if (known == 0 || count % known) op.fail("cannot reshape ", x.str(), " to ", Shape(dims).str());
    dims[static_cast<size_t>(wildcard)] = count / known;
  } else if (known != count) {
    op.fail("cannot reshape ", x.str(), " (", count, " elements) to ", Shape(dims).str());
  }
  if (op.is_host(0)) {
    op.set_host(host_reshape(op.host(0, "x"), Shape(dims)));
    return;
  }
  op.set_value(op.graph().reshape(op.value(0), dims, op.name()));
}

void lower_concat_v2(OpContext& op) {
  if (op.num_inputs() < 2) op.fail("expects at least one value and the axis");
  const size_t n = op.num_inputs() - 1;
  const int64_t declared = op.attr_int("N", static_cast<int64_t>(n));
  if (declared != static_cast<int64_t>(n))
    op.fail("attr N is ", declared, " but there are ", n, " values");
  const int axis = normalised_axis(op, op.host_int(n, "axis"), op.shape(0).rank(), false, "axis");
  bool host = true;
  for (size_t i = 0; i < n; ++i) host = host && op.is_host(i);
  if (host) {
    std::vector<Tensor> xs;
    for (size_t i = 0; i < n; ++i) xs.push_back(op.host(i, "value"));
    op.set_host(host_concat(xs, axis));
    return;
  }
  std::vector<Value> xs;
  for (size_t i = 0; i < n; ++i) xs.push_back(op.value(i));
  op.set_value(op.graph().concat(xs, axis, op.name()));
}

void lower_pack(OpContext& op) {
  const size_t n = op.num_inputs();
  if (n < 1) op.fail("expects at least one value");
  const int64_t declared = op.attr_int("N", static_cast<int64_t>(n));
  if (declared != static_cast<int64_t>(n))
    op.fail("attr N is ", declared, " but there are ", n, " values");
  const Shape first = op.shape(0);
  for (size_t i = 1; i < n; ++i)
    if (op.shape(i) != first)
      op.fail("value ", i, " has shape ", op.shape(i).str(), ", value 0 has ", first.str());
  const int axis = normalised_axis(op, op.attr_int("axis", 0), first.rank(), true, "axis");
  std::vector<int64_t> expanded = first.dims();
  expanded.insert(expanded.begin() + axis, 1);
  if (op.all_host()) {
    std::vector<Tensor> xs;
    for (size_t i = 0; i < n; ++i) xs.push_back(host_reshape(op.host(i, "value"), Shape(expanded)));
    op.set_host(host_concat(xs, axis));
    return;
  }
  if (n == 1) {
    op.set_value(op.graph().expand_dims(op.value(0), axis, op.name()));
    return;
  }
  std::vector<Value> xs;
  for (size_t i = 0; i < n; ++i)
    xs.push_back(
        op.graph().expand_dims(op.value(i), axis, op.helper_name("expand_" + std::to_string(i))));
  op.set_value(op.graph().concat(xs, axis, op.name()));
}

void lower_transpose(OpContext& op) {
  op.expect_inputs(2);
  std::vector<int> perm;
  for (int64_t p : op.host_ints(1, "perm")) {
    if (p < 0 || p >= 64) op.fail("perm entry ", p, " is out of range");
    perm.push_back(static_cast<int>(p));
  }
  op.set_value(op.graph().transpose(op.value(0), perm, op.name()));
}

}  // namespace

void add_array_ops(OpTable& table) {
  table["Pad"] = {1, lower_pad};
  table["PadV2"] = {1, lower_pad_v2};
  table["MirrorPad"] = {1, lower_mirror_pad};
  table["Squeeze"] = {1, lower_squeeze};
  table["ExpandDims"] = {1, lower_expand_dims};
  table["Reshape"] = {1, lower_reshape};
  table["ConcatV2"] = {1, lower_concat_v2};
  table["Pack"] = {1, lower_pack};
  table["Transpose"] = {1, lower_transpose};
}

}  // namespace p3d::tfimport
