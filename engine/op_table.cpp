// The op table: one entry per OpKind, in OpKind order. An entry names its op's functions
// (engine/op_rules.h for the built-in ops, or an OpInfo exported by an engine/ops/ file);
// the graph, the lowering, the executor and the dumps read nothing else about an op.
#include "engine/op_registry.h"
#include "engine/op_rules.h"
#include "kernels/error.h"

namespace p3d {

// The ops written as one file each (engine/ops/), exporting their entry.
extern const OpInfo kResizeOp;  // engine/ops/resize.cpp
extern const OpInfo kCustomOp;  // engine/ops/custom.cpp

namespace {

// Fields: kind, name, infer, describe, lower, run, flops, is_view, pack_filter, workspace,
// kernel_plan (engine/op_registry.h); trailing ones left out are null / false.
const OpInfo kInputOp{OpKind::Input, "Input", infer_input, describe_input};
const OpInfo kConstantOp{OpKind::Constant, "Constant", infer_constant, describe_constant};
const OpInfo kConv2dOp{OpKind::Conv2d,     "Conv2d",         infer_conv2d,      describe_conv2d,
                       lower_conv2d,       run_conv2d,       flops_conv2d,      false,
                       pack_conv2d_filter, conv2d_workspace, conv2d_kernel_plan};
const OpInfo kConvTranspose2dOp{OpKind::ConvTranspose2d,      "ConvTranspose2d",
                                infer_conv_transpose2d,       describe_conv_transpose2d,
                                lower_conv_transpose2d,       run_conv_transpose2d,
                                flops_conv_transpose2d,       false,
                                pack_conv_transpose2d_filter, conv_transpose2d_workspace,
                                conv_transpose2d_kernel_plan};
const OpInfo kMatMulOp{OpKind::MatMul, "MatMul",   infer_matmul, describe_matmul,
                       lower_matmul,   run_matmul, flops_matmul};
const OpInfo kPool2dOp{OpKind::Pool2d,  "Pool2d",     infer_pool2d,
                       describe_pool2d, lower_pool2d, run_pool2d};
const OpInfo kReduceOp{OpKind::Reduce,  "Reduce",     infer_reduce,
                       describe_reduce, lower_reduce, run_reduce};
const OpInfo kBatchNormOp{OpKind::BatchNorm,   "BatchNorm",      infer_batch_norm,
                          describe_batch_norm, lower_batch_norm, run_batch_norm};
const OpInfo kUnaryOp{OpKind::Unary, "Unary", infer_unary, describe_unary, lower_unary, run_unary};
const OpInfo kBinaryOp{OpKind::Binary,  "Binary",     infer_binary,
                       describe_binary, lower_binary, run_binary};
const OpInfo kCastOp{OpKind::Cast, "Cast", infer_cast, describe_cast, lower_cast, run_cast};
const OpInfo kConcatOp{OpKind::Concat,  "Concat",     infer_concat,
                       describe_concat, lower_concat, run_concat};
const OpInfo kPadOp{OpKind::Pad, "Pad", infer_pad, describe_pad, lower_pad, run_pad};
const OpInfo kTransposeOp{OpKind::Transpose,  "Transpose",     infer_transpose,
                          describe_transpose, lower_transpose, run_transpose};
const OpInfo kSliceOp{OpKind::Slice, "Slice", infer_slice, describe_slice, lower_slice, run_slice};
const OpInfo kReshapeOp{OpKind::Reshape, "Reshape", infer_reshape, describe_reshape,
                        nullptr,         nullptr,   nullptr,       true};
const OpInfo kSqueezeOp{OpKind::Squeeze, "Squeeze", infer_squeeze, describe_squeeze,
                        nullptr,         nullptr,   nullptr,       true};
const OpInfo kExpandDimsOp{OpKind::ExpandDims,
                           "ExpandDims",
                           infer_expand_dims,
                           describe_expand_dims,
                           nullptr,
                           nullptr,
                           nullptr,
                           true};

// Indexed by OpKind.
const OpInfo* const kTable[] = {
    &kInputOp,  &kConstantOp, &kConv2dOp,    &kConvTranspose2dOp, &kMatMulOp,
    &kPool2dOp, &kReduceOp,   &kBatchNormOp, &kUnaryOp,           &kBinaryOp,
    &kCastOp,   &kConcatOp,   &kPadOp,       &kTransposeOp,       &kSliceOp,
    &kResizeOp, &kReshapeOp,  &kSqueezeOp,   &kExpandDimsOp,      &kCustomOp,
};
static_assert(sizeof(kTable) / sizeof(kTable[0]) == std::variant_size_v<OpAttrs>,
              "the op table needs one entry per OpKind (and OpAttrs alternative)");

}  // namespace

const OpInfo& op_info(OpKind kind) {
  const size_t i = static_cast<size_t>(kind);
  P3D_CHECK(i < sizeof(kTable) / sizeof(kTable[0]), "unknown op kind ", static_cast<int>(kind));
  const OpInfo& info = *kTable[i];
  // An entry out of place would give one op another's rules: say which, not a wrong result.
  P3D_CHECK(info.kind == kind, "op table entry ", i, " is ", info.name, ", out of OpKind order");
  return info;
}

bool is_view_op(OpKind kind) { return op_info(kind).is_view; }

}  // namespace p3d
