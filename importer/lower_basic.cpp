// Graph plumbing: Placeholder (the graph inputs, with the caller's shape overrides), Const
// (decoded weights, kept on the host until a graph op reads them), and the ops that do
// nothing at inference (Identity, StopGradient, Snapshot, NoOp), which vanish.
#include "importer/import_context.h"

namespace p3d::tfimport {
namespace {

DType placeholder_dtype(const OpContext& op) {
  const int t = op.attr_type("dtype");
  switch (t) {
    case tf::DT_FLOAT:
      return DType::F32;
    case tf::DT_HALF:
      return DType::F16;
    case tf::DT_INT32:
      return DType::I32;
    case tf::DT_UINT8:
      return DType::U8;
    default:
      op.fail("placeholder dtype ", tf_dtype_name(t),
              " is not supported (DT_FLOAT, DT_HALF, DT_INT32, DT_UINT8)");
  }
}

const Shape* find_override(const OpContext& op) {
  const auto& shapes = op.options().input_shapes;
  for (const std::string& key : {op.name(), op.name() + ":0"}) {
    auto it = shapes.find(key);
    if (it != shapes.end()) return &it->second;
  }
  return nullptr;
}

std::string dims_str(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? "," : "") + (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  return s + "]";
}

void lower_placeholder(OpContext& op) {
  op.expect_inputs(0);
  const DType dtype = placeholder_dtype(op);
  bool known_rank = false;
  std::vector<int64_t> declared;
  if (op.has_attr("shape")) {
    const tf::AttrValue& a = op.node().attr().at("shape");
    if (a.value_case() != tf::AttrValue::kShape) op.fail("attr 'shape' must be a shape");
    known_rank = !a.shape().unknown_rank();
    for (const auto& d : a.shape().dim()) {
      if (d.size() < -1) op.fail("attr 'shape' has negative dimension ", d.size());
      declared.push_back(d.size());
    }
  }
  std::vector<int64_t> dims;
  if (const Shape* given = find_override(op)) {
    dims = given->dims();
    if (known_rank && dims.size() != declared.size())
      op.fail("input shape ", given->str(), " has rank ", dims.size(),
              ", the placeholder is declared ", dims_str(declared));
    for (size_t d = 0; d < dims.size(); ++d) {
      if (dims[d] < 0) op.fail("input shape ", given->str(), " has a negative dimension");
      if (known_rank && declared[d] >= 0 && declared[d] != dims[d] &&
          !op.options().replace_declared_shapes)
        op.fail("input shape ", given->str(), " disagrees with the declared shape ",
                dims_str(declared), " at dim ", d);
    }
  } else {
    if (!known_rank)
      op.fail("placeholder has no declared shape; give one in TfImportOptions::input_shapes");
    dims = declared;
    for (size_t d = 0; d < dims.size(); ++d) {
      if (dims[d] >= 0) continue;
      if (d != 0)
        op.fail(
            "placeholder shape ", dims_str(declared),
            " has unknown dims besides the batch; give its shape in TfImportOptions::input_shapes");
      dims[d] = op.options().default_batch;
    }
  }
  const Shape shape(dims);
  try {
    (void)shape.numel();
  } catch (const Error&) {
    op.fail("input shape ", shape.str(), " has too many elements");
  }
  op.set_value(op.graph().input(op.name(), shape, dtype));
}

void lower_const(OpContext& op) {
  op.expect_inputs(0);
  auto it = op.node().attr().find("value");
  if (it == op.node().attr().end()) op.fail("attr 'value' is missing");
  if (it->second.value_case() != tf::AttrValue::kTensor) op.fail("attr 'value' must be a tensor");
  const tf::TensorProto& proto = it->second.tensor();
  const int declared = op.attr_type("dtype", proto.dtype());
  if (declared != proto.dtype())
    op.fail("attr 'dtype' is ", tf_dtype_name(declared), " but the tensor is ",
            tf_dtype_name(proto.dtype()));
  DecodeOptions decode;
  decode.max_tensor_bytes = op.options().max_tensor_bytes;
  decode.reject_nonfinite = op.options().reject_nonfinite_weights;
  op.set_host(decode_tensor(proto, op.where(), decode));
}

void lower_identity(OpContext& op) {
  op.expect_inputs(1);
  op.set_output(op.input(0));
}

void lower_noop(OpContext& op) { op.expect_inputs(0); }

}  // namespace

void add_basic_ops(OpTable& table) {
  table["Placeholder"] = {1, lower_placeholder};
  table["Const"] = {1, lower_const};
  table["Identity"] = {1, lower_identity};
  table["StopGradient"] = {1, lower_identity};
  table["Snapshot"] = {1, lower_identity};
  table["NoOp"] = {0, lower_noop};
}

}  // namespace p3d::tfimport
