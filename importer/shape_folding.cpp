// The shape arithmetic frozen graphs carry: Shape, Size, Rank, StridedSlice, Slice, Fill and
// Range. The input shapes are fixed at import time, so Shape and friends always fold to host
// constants; StridedSlice / Slice of a graph value (a real tensor, not a shape) lower to the
// layer graph's Slice (+ Reshape for shrunk or new axes).
#include <cmath>
#include <cstring>
#include <limits>

#include "importer/host_ops.h"
#include "importer/import_context.h"
#include "importer/strided_slice.h"

namespace p3d::tfimport {
namespace {

Tensor int_vector(const std::vector<int64_t>& values, const OpContext& op) {
  Tensor t = Tensor::empty(Shape{static_cast<int64_t>(values.size())}, DType::I32);
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] > std::numeric_limits<int32_t>::max())
      op.fail("value ", values[i], " does not fit in int32");
    t.data<int32_t>()[i] = static_cast<int32_t>(values[i]);
  }
  return t;
}

Tensor int_scalar(int64_t value, const OpContext& op) {
  return host_reshape(int_vector({value}, op), Shape{});
}

void check_out_type(const OpContext& op) {
  const int t = op.attr_type("out_type", tf::DT_INT32);
  if (t != tf::DT_INT32 && t != tf::DT_INT64)
    op.fail("attr 'out_type' is ", tf_dtype_name(t), "; expected DT_INT32 or DT_INT64");
}

void lower_shape(OpContext& op) {
  op.expect_inputs(1);
  check_out_type(op);
  op.set_host(int_vector(op.shape(0).dims(), op));
}

void lower_size(OpContext& op) {
  op.expect_inputs(1);
  check_out_type(op);
  op.set_host(int_scalar(op.shape(0).numel(), op));
}

void lower_rank(OpContext& op) {
  op.expect_inputs(1);
  op.set_host(int_scalar(op.shape(0).rank(), op));
}

// Applies a resolved slice to input 0: on the host when known, else as graph nodes.
void emit_slice(OpContext& op, const ResolvedStridedSlice& r) {
  const Shape final_shape(r.final_shape);
  if (op.is_host(0)) {
    op.set_host(host_reshape(host_slice(op.host(0, "input"), r.dims), final_shape));
    return;
  }
  std::vector<int64_t> sliced;
  for (const SliceDim& d : r.dims) sliced.push_back(d.count);
  if (Shape(sliced) == final_shape) {
    op.set_value(op.graph().slice(op.value(0), r.slice, op.name()));
    return;
  }
  const Value s = op.graph().slice(op.value(0), r.slice, op.helper_name("slice"));
  op.set_value(op.graph().reshape(s, r.final_shape, op.name()));
}

void lower_strided_slice(OpContext& op) {
  op.expect_inputs(4);
  StridedSliceSpec spec;
  spec.begin = op.host_ints(1, "begin");
  spec.end = op.host_ints(2, "end");
  spec.strides = op.host_ints(3, "strides");
  spec.begin_mask = op.attr_int("begin_mask", 0);
  spec.end_mask = op.attr_int("end_mask", 0);
  spec.ellipsis_mask = op.attr_int("ellipsis_mask", 0);
  spec.new_axis_mask = op.attr_int("new_axis_mask", 0);
  spec.shrink_axis_mask = op.attr_int("shrink_axis_mask", 0);
  emit_slice(op, resolve_strided_slice(op.shape(0), spec));
}

// tf.slice: begin and size per dim, size -1 meaning "to the end".
void lower_slice(OpContext& op) {
  op.expect_inputs(3);
  const Shape x = op.shape(0);
  const std::vector<int64_t> begin = op.host_ints(1, "begin"), size = op.host_ints(2, "size");
  if (static_cast<int>(begin.size()) != x.rank() || static_cast<int>(size.size()) != x.rank())
    op.fail("begin and size must have one entry per dim of input ", x.str(), ", have ",
            begin.size(), " and ", size.size());
  StridedSliceSpec spec;
  for (int d = 0; d < x.rank(); ++d) {
    const size_t k = static_cast<size_t>(d);
    const int64_t end = size[k] == -1 ? x[d] : begin[k] + size[k];
    if (begin[k] < 0 || size[k] < -1 || end > x[d])
      op.fail("slice begin ", begin[k], " size ", size[k], " is out of range for dim ", d, " of ",
              x.str());
    spec.begin.push_back(begin[k]);
    spec.end.push_back(end);
    spec.strides.push_back(1);
  }
  emit_slice(op, resolve_strided_slice(x, spec));
}

void lower_fill(OpContext& op) {
  op.expect_inputs(2);
  const std::vector<int64_t> dims = op.host_ints(0, "dims");
  const Tensor& value = op.host(1, "value");
  if (value.numel() != 1) op.fail("value must be a scalar, has shape ", value.shape().str());
  for (int64_t d : dims)
    if (d < 0) op.fail("dims ", Shape(dims).str(), " has a negative dimension");
  const Shape shape(dims);
  const uint64_t bytes = static_cast<uint64_t>(shape.numel()) * dtype_size(value.dtype());
  if (bytes > op.options().max_tensor_bytes)
    op.fail("filling ", shape.str(), " needs ", bytes, " bytes, over the cap of ",
            op.options().max_tensor_bytes, " (TfImportOptions::max_tensor_bytes)");
  Tensor out = Tensor::empty(shape, value.dtype());
  const size_t elem = dtype_size(value.dtype());
  for (int64_t i = 0; i < out.numel(); ++i)
    std::memcpy(static_cast<char*>(out.raw()) + static_cast<size_t>(i) * elem, value.raw(), elem);
  op.set_host(out);
}

void lower_range(OpContext& op) {
  op.expect_inputs(3);
  const Tensor &start = op.host(0, "start"), &limit = op.host(1, "limit"),
               &delta = op.host(2, "delta");
  for (const Tensor* t : {&start, &limit, &delta})
    if (t->numel() != 1) op.fail("start, limit and delta must be scalars");
  const DType dtype = start.dtype();
  if (limit.dtype() != dtype || delta.dtype() != dtype ||
      (dtype != DType::F32 && dtype != DType::I32))
    op.fail("start, limit and delta must all be float or all integer");
  auto scalar = [&](const Tensor& t) -> double {
    return dtype == DType::F32 ? static_cast<double>(t.data<float>()[0])
                               : static_cast<double>(t.data<int32_t>()[0]);
  };
  const double s = scalar(start), l = scalar(limit), d = scalar(delta);
  if (d == 0) op.fail("delta is 0");
  if ((d > 0 && l < s) || (d < 0 && l > s))
    op.fail("start ", s, ", limit ", l, " and delta ", d, " are inconsistent");
  // TF: size = ceil(|limit - start| / |delta|), exactly for integers.
  int64_t count = 0;
  if (dtype == DType::I32) {
    const int64_t si = static_cast<int64_t>(s), li = static_cast<int64_t>(l),
                  di = static_cast<int64_t>(d);
    count = (std::abs(li - si) + std::abs(di) - 1) / std::abs(di);
  } else {
    const float sf = start.data<float>()[0], lf = limit.data<float>()[0],
                df = delta.data<float>()[0];
    const float size =
        std::ceil(std::abs((lf - sf) / df));  // in float, as TF computes it for T = float
    if (!(size < 1e9f)) op.fail("range of ", size, " elements is too large");
    count = static_cast<int64_t>(size);
  }
  if (static_cast<uint64_t>(count) * 4 > op.options().max_tensor_bytes)
    op.fail("range of ", count, " elements is too large");
  Tensor out = Tensor::empty(Shape{count}, dtype);
  for (int64_t i = 0; i < count; ++i) {
    if (dtype == DType::I32)
      out.data<int32_t>()[i] =
          static_cast<int32_t>(static_cast<int64_t>(s) + i * static_cast<int64_t>(d));
    else
      out.data<float>()[i] =
          start.data<float>()[0] + static_cast<float>(i) * delta.data<float>()[0];
  }
  op.set_host(out);
}

}  // namespace

void add_shape_ops(OpTable& table) {
  table["Shape"] = {1, lower_shape};
  table["Size"] = {1, lower_size};
  table["Rank"] = {1, lower_rank};
  table["StridedSlice"] = {1, lower_strided_slice};
  table["Slice"] = {1, lower_slice};
  table["Fill"] = {1, lower_fill};
  table["Range"] = {1, lower_range};
}

}  // namespace p3d::tfimport
