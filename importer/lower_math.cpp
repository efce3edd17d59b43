// Arithmetic: the binary ops with NumPy broadcasting, unary math, reductions and Cast.
// Everything here folds on the host when its operands are known at import time (the
// constants of an unfused batch norm, shape arithmetic), and is a graph op otherwise.
#include "importer/lower_common.h"

namespace p3d::tfimport {
namespace {

template <HostBinary host_fn, Binary graph_fn>
void lower_binary(OpContext& op) {
  emit_binary(op, host_fn, graph_fn);
}

void lower_floor_div(OpContext& op) {
  op.expect_inputs(2);
  op.set_host(host_binary(HostBinary::FloorDiv, op.host(0, "x"), op.host(1, "y")));
}

template <Unary fn>
void lower_unary(OpContext& op) {
  emit_unary(op, fn);
}

void lower_reduce(OpContext& op, ReduceKind kind) {
  op.expect_inputs(2);
  const std::vector<int64_t> axes = op.host_ints(1, "reduction_indices");
  const int rank = op.shape(0).rank();
  ReduceAttrs a;
  a.kind(kind).keep_dims(op.attr_bool("keep_dims", false));
  for (int64_t axis : axes) {
    if (axis < -rank || axis >= rank)
      op.fail("axis ", axis, " is out of range for input ", op.shape(0).str());
    a.axes.push_back(static_cast<int>(axis));
  }
  op.set_value(op.graph().reduce(op.value(0), a, op.name()));
}

void lower_mean(OpContext& op) { lower_reduce(op, ReduceKind::Mean); }
void lower_sum(OpContext& op) { lower_reduce(op, ReduceKind::Sum); }
void lower_max(OpContext& op) { lower_reduce(op, ReduceKind::Max); }

void lower_cast(OpContext& op) {
  op.expect_inputs(1);
  const int to = op.attr_type("DstT");
  if (op.is_host(0)) {
    const Tensor& x = op.host(0, "x");
    switch (to) {
      case tf::DT_FLOAT:
        op.set_host(host_cast(x, DType::F32));
        return;
      case tf::DT_HALF:
        op.set_host(host_round_to_half(host_cast(x, DType::F32)));
        return;
      case tf::DT_INT32:
      case tf::DT_INT64:
        op.set_host(host_cast(x, DType::I32));
        return;
      case tf::DT_UINT8:
        op.set_host(host_cast(x, DType::U8));
        return;
      case tf::DT_BOOL: {
        const Tensor f = host_cast(x, DType::F32);
        Tensor b = Tensor::empty(f.shape(), DType::I32);
        for (int64_t i = 0; i < f.numel(); ++i) b.data<int32_t>()[i] = f.data<float>()[i] != 0.f;
        op.set_host(b);
        return;
      }
      default:
        break;
    }
  } else {
    switch (to) {
      case tf::DT_FLOAT:
        op.set_value(op.graph().cast(op.value(0), DType::F32, op.name()));
        return;
      case tf::DT_INT32:
      case tf::DT_INT64:
        op.set_value(op.graph().cast(op.value(0), DType::I32, op.name()));
        return;
      case tf::DT_UINT8:
        op.set_value(op.graph().cast(op.value(0), DType::U8, op.name()));
        return;
      case tf::DT_HALF: {
        // Our graphs compute in f32: keep f32 tensors but round them as TF's half would.
        const Value h = op.graph().cast(op.value(0), DType::F16, op.helper_name("half"));
        op.set_value(op.graph().cast(h, DType::F32, op.name()));
        return;
      }
      default:
        break;
    }
  }
  op.fail("cast to ", tf_dtype_name(to), " is not supported",
          op.is_host(0) ? "" : " for run-time tensors");
}

}  // namespace

void add_math_ops(OpTable& table) {
  table["Add"] = {1, lower_binary<HostBinary::Add, Binary::Add>};
  table["AddV2"] = {1, lower_binary<HostBinary::Add, Binary::Add>};
  table["Sub"] = {1, lower_binary<HostBinary::Sub, Binary::Sub>};
  table["Mul"] = {1, lower_binary<HostBinary::Mul, Binary::Mul>};
  table["RealDiv"] = {1, lower_binary<HostBinary::RealDiv, Binary::Div>};
  table["Maximum"] = {1, lower_binary<HostBinary::Maximum, Binary::Max>};
  table["Minimum"] = {1, lower_binary<HostBinary::Minimum, Binary::Min>};
  table["FloorDiv"] = {1, lower_floor_div};
  table["Square"] = {1, lower_unary<Unary::Square>};
  table["Rsqrt"] = {1, lower_unary<Unary::Rsqrt>};
  table["Sqrt"] = {1, lower_unary<Unary::Sqrt>};
  table["Exp"] = {1, lower_unary<Unary::Exp>};
  table["Neg"] = {1, lower_unary<Unary::Neg>};
  table["Abs"] = {1, lower_unary<Unary::Abs>};
  table["Mean"] = {1, lower_mean};
  table["Sum"] = {1, lower_sum};
  table["Max"] = {1, lower_max};
  table["Cast"] = {1, lower_cast};
}

}  // namespace p3d::tfimport
