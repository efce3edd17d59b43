// Neural-network layers: BiasAdd, FusedBatchNorm (V1/V2/V3, inference only), activations,
// MaxPool / AvgPool, MatMul and the two resizes. Each maps to one layer-graph op; the engine's
// passes later fuse BiasAdd, batch norm and activations into the preceding conv.
#include "importer/lower_common.h"

namespace p3d::tfimport {
namespace {

void lower_bias_add(OpContext& op) {
  op.expect_inputs(2);
  op.check_nhwc();
  const Shape x = op.shape(0), b = op.shape(1);
  if (b.rank() != 1 || x.rank() < 1 || x[x.rank() - 1] != b[0])
    op.fail("bias of shape ", b.str(), " does not match the channels (last dim) of input ",
            x.str());
  emit_binary(op, HostBinary::Add, Binary::Add);
}

void lower_fused_batch_norm(OpContext& op) {
  op.expect_inputs(5);
  op.check_nhwc();
  // TF's default for is_training is true: a graph frozen from training mode normalises with
  // batch statistics, which is not what an inference graph means.
  if (op.attr_bool("is_training", true))
    op.fail(
        "is_training is true (or unset): only inference-mode batch norm (is_training=false, using "
        "the "
        "moving mean and variance) can be imported; freeze the graph in inference mode");
  const int u = op.attr_type("U", tf::DT_FLOAT);
  if (u != tf::DT_FLOAT)
    op.fail("attr 'U' is ", tf_dtype_name(u), "; only DT_FLOAT statistics are supported");
  const float epsilon = op.attr_float("epsilon", 1e-4f);
  if (epsilon < 0.f) op.fail("epsilon ", epsilon, " is negative");
  // FusedBatchNorm's inputs: x, scale, offset, mean, variance.
  const BatchNormInputs stats = BatchNormInputs{}
                                    .scale(op.value(1))
                                    .offset(op.value(2))
                                    .moving_mean(op.value(3))
                                    .moving_variance(op.value(4));
  op.set_value(op.graph().batch_norm(op.value(0), stats, epsilon, op.name()));
}

template <Unary fn>
void lower_activation(OpContext& op) {
  emit_unary(op, fn);
}

void lower_leaky_relu(OpContext& op) {
  emit_unary(op, Unary::LeakyRelu, op.attr_float("alpha", 0.2f));
}

void lower_pool(OpContext& op, PoolKind kind) {
  op.expect_inputs(1);
  op.check_nhwc();
  Pool2dAttrs a;
  a.kind(kind);
  const auto [kh, kw] = op.spatial_attr("ksize");
  const auto [sh, sw] = op.spatial_attr("strides");
  a.kernel(kh, kw).stride(sh, sw);
  a.pad_mode = op.padding_attr(a.pads, kind == PoolKind::Max);
  op.set_value(op.graph().pool2d(op.value(0), a, op.name()));
}

void lower_max_pool(OpContext& op) { lower_pool(op, PoolKind::Max); }
void lower_avg_pool(OpContext& op) { lower_pool(op, PoolKind::Average); }

void lower_matmul(OpContext& op) {
  op.expect_inputs(2);
  if (op.shape(0).rank() != 2 || op.shape(1).rank() != 2)
    op.fail("MatMul takes 2-D operands, has ", op.shape(0).str(), " and ", op.shape(1).str());
  MatMulAttrs a;
  a.transposed_a(op.attr_bool("transpose_a", false))
      .transposed_b(op.attr_bool("transpose_b", false));
  op.set_value(op.graph().matmul(op.value(0), op.value(1), {}, a, op.name()));
}

void lower_resize(OpContext& op, ResizeMode mode) {
  op.expect_inputs(2);
  const std::vector<int64_t> size = op.host_ints(1, "size");
  if (size.size() != 2 || size[0] < 1 || size[1] < 1)
    op.fail("size must be two positive integers (height, width), is ", Shape(size).str());
  ResizeAttrs a;
  a.with_mode(mode)
      .size(size[0], size[1])
      .corners_aligned(op.attr_bool("align_corners", false))
      .half_pixel(op.attr_bool("half_pixel_centers", false));
  op.set_value(op.graph().resize(op.value(0), a, op.name()));
}

void lower_resize_bilinear(OpContext& op) { lower_resize(op, ResizeMode::Bilinear); }
void lower_resize_nearest(OpContext& op) { lower_resize(op, ResizeMode::Nearest); }

}  // namespace

void add_nn_ops(OpTable& table) {
  table["BiasAdd"] = {1, lower_bias_add};
  table["FusedBatchNorm"] = {5, lower_fused_batch_norm};
  table["FusedBatchNormV2"] = {5, lower_fused_batch_norm};
  table["FusedBatchNormV3"] = {6, lower_fused_batch_norm};
  table["Relu"] = {1, lower_activation<Unary::Relu>};
  table["Relu6"] = {1, lower_activation<Unary::Relu6>};
  table["LeakyRelu"] = {1, lower_leaky_relu};
  table["Elu"] = {1, lower_activation<Unary::Elu>};
  table["Sigmoid"] = {1, lower_activation<Unary::Sigmoid>};
  table["Tanh"] = {1, lower_activation<Unary::Tanh>};
  table["MaxPool"] = {1, lower_max_pool};
  table["AvgPool"] = {1, lower_avg_pool};
  table["MatMul"] = {1, lower_matmul};
  table["ResizeBilinear"] = {1, lower_resize_bilinear};
  table["ResizeNearestNeighbor"] = {1, lower_resize_nearest};
}

}  // namespace p3d::tfimport
