// Emission helpers shared by the op families (see lower_common.h).
#include "importer/lower_common.h"

namespace p3d::tfimport {

void emit_unary(OpContext& op, Unary fn, float alpha) {
  op.expect_inputs(1);
  if (op.is_host(0)) {
    op.set_host(host_unary(fn, op.host(0, "x"), alpha));
    return;
  }
  op.set_value(op.graph().unary(op.value(0), fn, alpha, op.name()));
}

void emit_binary(OpContext& op, HostBinary host_fn, Binary graph_fn) {
  op.expect_inputs(2);
  if (op.dtype(0) != op.dtype(1))
    op.fail("operands have different dtypes (", dtype_name(op.dtype(0)), " and ",
            dtype_name(op.dtype(1)), ")");
  if (op.all_host()) {
    // Broadcasting can make a result far larger than either operand: cap it first.
    const Shape out = broadcast_shapes(op.shape(0), op.shape(1));
    const uint64_t bytes = static_cast<uint64_t>(out.numel()) * dtype_size(op.dtype(0));
    if (bytes > op.options().max_tensor_bytes)
      op.fail("folding ", out.str(), " would need ", bytes, " bytes, over the cap of ",
              op.options().max_tensor_bytes, " (TfImportOptions::max_tensor_bytes)");
    op.set_host(host_binary(host_fn, op.host(0, "x"), op.host(1, "y")));
    return;
  }
  op.set_value(op.graph().binary(op.value(0), op.value(1), graph_fn, op.name()));
}

}  // namespace p3d::tfimport
