// Each pass on a small graph: the expected node counts afterwards, and outputs on the CPU
// backend identical (within float tolerance) to the graph before the pass. Negative cases
// check that a pass leaves alone what it must not touch.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/backend.h"
#include "engine/executor.h"
#include "engine/pass.h"
#include "tests/support/test_tensors.h"

namespace p3d {
namespace {

Backend& cpu() { return test::cpu_backend_with(2); }
using test::random_tensor;

// Runs the graph exactly as built (no passes).
TensorMap run_as_is(const Graph& g, const TensorMap& inputs) {
  ExecutorOptions options;
  options.optimize = false;
  Executor ex(g, cpu(), options);
  return ex.run(inputs);
}

Graph apply(Graph g, std::vector<std::unique_ptr<Pass>> passes) {
  PassPipeline pipeline;
  for (auto& p : passes) pipeline.add(std::move(p));
  pipeline.run(g);
  return g;
}

template <typename... P>
std::vector<std::unique_ptr<Pass>> list(P... p) {
  std::vector<std::unique_ptr<Pass>> v;
  (v.push_back(std::move(p)), ...);
  return v;
}

// max |got - want| <= tol * (1 + max |want|): float reassociation of folded weights.
void expect_same_outputs(const Graph& before, const Graph& after, const TensorMap& inputs,
                         double tol = 1e-5) {
  const TensorMap want = run_as_is(before, inputs);
  const TensorMap got = run_as_is(after, inputs);
  ASSERT_EQ(want.size(), got.size());
  for (const auto& [name, w] : want) {
    const Tensor& o = got.at(name);
    ASSERT_EQ(o.shape(), w.shape()) << name;
    double scale = 0, worst = 0;
    for (int64_t i = 0; i < w.numel(); ++i)
      scale = std::max(scale, std::fabs(double(w.data<float>()[i])));
    for (int64_t i = 0; i < w.numel(); ++i)
      worst = std::max(worst, std::fabs(double(o.data<float>()[i]) - double(w.data<float>()[i])));
    EXPECT_LE(worst, tol * (1 + scale)) << "output '" << name << "' (max |want| " << scale << ")";
  }
}

// x [1,9,9,4] -> conv 3x3 SAME -> ..., the common start of the fusion tests.
struct ConvGraph {
  Graph g;
  Value x, conv;
  TensorMap inputs;
  explicit ConvGraph(bool bias = false, int out_c = 6) {
    x = g.input("x", {2, 9, 9, 4});
    Value w = g.constant(random_tensor({3, 3, 4, out_c}, 1), "w");
    Value b = bias ? g.constant(random_tensor({out_c}, 2), "b") : Value{};
    conv = g.conv2d(x, w, b, Conv2dAttrs{}.padding(Padding::Same), "conv");
    inputs["x"] = random_tensor({2, 9, 9, 4}, 3);
  }
  Value per_channel(const Shape& s, uint32_t seed, float lo = -1.f, float hi = 1.f) {
    return g.constant(random_tensor(s, seed, lo, hi));
  }
};

TEST(ConstantFolding, FoldsConstantSubgraphs) {
  Graph g;
  Value x = g.input("x", {2, 3});
  Value s = g.add(g.constant(random_tensor({3}, 1)), g.constant(random_tensor({3}, 2)));
  Value t = g.reshape(g.mul(s, g.scalar(2.f)), {1, 3});
  g.output(g.add(x, t, "y"), "y");
  EXPECT_EQ(g.node_count(), 8);
  Graph folded = apply(g, list(make_constant_folding_pass(), make_dead_node_removal_pass()));
  EXPECT_EQ(folded.node_count(), 3);  // x, the folded constant, y
  EXPECT_EQ(folded.count(OpKind::Constant), 1);
  EXPECT_EQ(folded.node(folded.at("y")).inputs.size(), 2u);
  expect_same_outputs(g, folded, {{"x", random_tensor({2, 3}, 4)}});
  // Outputs bigger than the limit stay as computations.
  Graph limited = g;
  EXPECT_FALSE(make_constant_folding_pass(8)->run(limited));
}

TEST(DeadNodeRemoval, RemovesWhatNoOutputNeedsButKeepsInputs) {
  Graph g;
  Value x = g.input("x", {2, 3});
  g.input("unused_input", {4});
  g.tanh(g.sigmoid(x));
  g.output(g.relu(x), "y");
  Graph pruned = apply(g, list(make_dead_node_removal_pass()));
  EXPECT_EQ(pruned.node_count(), 3);
  EXPECT_EQ(pruned.inputs().size(), 2u);
  EXPECT_EQ(pruned.count(OpKind::Unary), 1);
  EXPECT_FALSE(make_dead_node_removal_pass()->run(pruned));
}

TEST(BatchNormFolding, ConvWithAndWithoutBias) {
  for (bool bias : {false, true}) {
    ConvGraph c(bias);
    Value bn = c.g.batch_norm(c.conv,
                              BatchNormInputs{}
                                  .scale(c.per_channel({6}, 10, 0.5f, 1.5f))
                                  .offset(c.per_channel({6}, 11))
                                  .moving_mean(c.per_channel({6}, 12))
                                  .moving_variance(c.per_channel({6}, 13, 0.2f, 2.f)),
                              1e-3f, "bn");
    c.g.output(c.g.relu(bn), "y");
    Graph folded = apply(c.g, list(make_batch_norm_folding_pass(), make_dead_node_removal_pass()));
    EXPECT_EQ(folded.count(OpKind::BatchNorm), 0);
    EXPECT_EQ(folded.count(OpKind::Conv2d), 1);
    EXPECT_EQ(folded.node_count(), 5);  // x, filter, bias, conv, relu
    EXPECT_TRUE(folded.node(folded.at("conv")).as<Conv2dAttrs>().has_bias);
    expect_same_outputs(c.g, folded, c.inputs);
  }
}

TEST(BatchNormFolding, ConvTransposeAndPerChannelMul) {
  Graph g;
  Value x = g.input("x", {1, 5, 5, 3});
  Value up = g.conv_transpose2d(
      x, g.constant(random_tensor({3, 3, 4, 3}, 1)), Value{},
      ConvTranspose2dAttrs{}.stride(2).padding(Padding::Same).output_size(10, 10), "up");
  Value bn = g.batch_norm(up,
                          BatchNormInputs{}
                              .scale(g.constant(random_tensor({4}, 2, 0.5f, 1.5f)))
                              .offset(g.constant(random_tensor({4}, 3)))
                              .moving_mean(g.constant(random_tensor({4}, 4)))
                              .moving_variance(g.constant(random_tensor({4}, 5, 0.5f, 1.5f))),
                          1e-5f);
  Value conv =
      g.conv2d(bn, g.constant(random_tensor({1, 1, 4, 2}, 6)), Value{}, Conv2dAttrs{}, "conv");
  // Decomposed batch norm: Mul by [1,1,1,C] then Add of [C].
  Value scaled = g.mul(g.constant(random_tensor({1, 1, 1, 2}, 7)), conv);
  g.output(g.add(scaled, g.constant(random_tensor({2}, 8))), "y");
  Graph folded = apply(g, list(make_batch_norm_folding_pass(), make_conv_bias_fusion_pass(),
                               make_dead_node_removal_pass()));
  EXPECT_EQ(folded.count(OpKind::BatchNorm), 0);
  EXPECT_EQ(folded.count(OpKind::Binary), 0);
  EXPECT_EQ(folded.node_count(), 7);  // x and, per conv, its filter, bias and itself
  expect_same_outputs(g, folded, {{"x", random_tensor({1, 5, 5, 3}, 9)}});
}

TEST(BatchNormFolding, LeavesSharedConvAlone) {
  ConvGraph c;
  Value bn = c.g.batch_norm(c.conv, BatchNormInputs{}
                                        .scale(c.per_channel({6}, 10))
                                        .offset(c.per_channel({6}, 11))
                                        .moving_mean(c.per_channel({6}, 12))
                                        .moving_variance(c.per_channel({6}, 13, 0.5f, 1.f)));
  c.g.output(bn, "y");
  c.g.output(c.conv, "raw");  // the conv's own value is needed too
  EXPECT_FALSE(make_batch_norm_folding_pass()->run(c.g));
}

TEST(PadIntoConv, ExplicitPadBeforeValidConv) {
  Graph g;
  Value x = g.input("x", {1, 10, 11, 3});
  Value p = g.pad(x, PadAttrs{}.spatial(1, 2, 2, 1), "pad");
  Value conv = g.conv2d(p, g.constant(random_tensor({3, 3, 3, 5}, 1)), Value{},
                        Conv2dAttrs{}.stride(2), "conv");
  g.output(conv, "y");
  Graph folded = apply(g, list(make_pad_into_conv_pass(), make_dead_node_removal_pass()));
  EXPECT_EQ(folded.count(OpKind::Pad), 0);
  const Conv2dAttrs& a = folded.node(folded.at("conv")).as<Conv2dAttrs>();
  EXPECT_EQ(a.pad_mode, Padding::Explicit);
  EXPECT_EQ(a.pads.top, 1);
  EXPECT_EQ(a.pads.bottom, 2);
  EXPECT_EQ(a.pads.left, 2);
  EXPECT_EQ(a.pads.right, 1);
  EXPECT_EQ(folded.shape(folded.at("conv")), g.shape(conv));
  expect_same_outputs(g, folded, {{"x", random_tensor({1, 10, 11, 3}, 2)}});
}

// A MirrorPad before a conv with no padding of its own becomes the conv's mirrored padding
// (the depth net's SYMMETRIC pads); the result is the Pad op's (itself checked against
// TensorFlow's MirrorPad fixtures) followed by the VALID conv, on every CPU conv path the
// shapes reach: Winograd (16 channels), the column gather (3), strided im2col.
TEST(PadIntoConv, MirrorPadBecomesMirroredConvPadding) {
  Graph g;
  Value x = g.input("x", {2, 13, 12, 16});
  Value x3 = g.input("x3", {1, 9, 10, 3});
  auto conv = [&](Value in, int in_c, PadMode mode, int pad, int stride, const char* name) {
    Value padded = g.pad(in, PadAttrs{}.spatial(pad, pad + 1, pad + 1, pad).with_mode(mode));
    return g.conv2d(padded, g.constant(random_tensor({3, 3, in_c, 8}, 7)), Value{},
                    Conv2dAttrs{}.stride(stride), name);
  };
  g.output(conv(x, 16, PadMode::Symmetric, 1, 1, "winograd"), "a");
  g.output(conv(x3, 3, PadMode::Reflect, 2, 1, "gather"), "b");
  g.output(conv(x, 16, PadMode::Reflect, 1, 2, "strided"), "c");
  Graph folded = apply(g, list(make_pad_into_conv_pass(), make_dead_node_removal_pass()));
  EXPECT_EQ(folded.count(OpKind::Pad), 0);
  const Conv2dAttrs& a = folded.node(folded.at("winograd")).as<Conv2dAttrs>();
  EXPECT_EQ(a.padding_fill, PadMode::Symmetric);
  EXPECT_EQ(a.pads.top, 1);
  EXPECT_EQ(a.pads.bottom, 2);
  EXPECT_EQ(folded.node(folded.at("gather")).as<Conv2dAttrs>().padding_fill, PadMode::Reflect);
  expect_same_outputs(
      g, folded,
      {{"x", random_tensor({2, 13, 12, 16}, 2)}, {"x3", random_tensor({1, 9, 10, 3}, 3)}});
}

// A mirrored and a zero border cannot share one conv: neither folds onto the other.
TEST(PadIntoConv, MirroredAndZeroPaddingDoNotMix) {
  Graph g;
  Value x = g.input("x", {1, 8, 8, 3});
  Value w = g.constant(random_tensor({3, 3, 3, 2}, 1));
  Value mirrored = g.pad(x, PadAttrs{}.spatial(1, 1, 1, 1).with_mode(PadMode::Symmetric));
  g.output(g.conv2d(mirrored, w, Value{}, Conv2dAttrs{}.explicit_padding(1, 1, 0, 0)), "a");
  g.output(g.conv2d(g.pad(x, PadAttrs{}.spatial(1, 1, 1, 1)), w, Value{},
                    Conv2dAttrs{}.explicit_padding(0, 0, 0, 0).mirrored_padding(PadMode::Reflect)),
           "b");
  EXPECT_FALSE(make_pad_into_conv_pass()->run(g));
}

TEST(PadIntoConv, LeavesNonZeroChannelAndSamePadsAlone) {
  Graph g;
  Value x = g.input("x", {1, 8, 8, 3});
  Value w = g.constant(random_tensor({3, 3, 3, 2}, 1));
  g.output(g.conv2d(g.pad(x, PadAttrs{}.spatial(1, 1, 1, 1).constant_value(1.f)), w, Value{},
                    Conv2dAttrs{}),
           "b");
  g.output(g.conv2d(g.pad(x, PadAttrs{}.spatial(1, 1, 1, 1)), w, Value{},
                    Conv2dAttrs{}.padding(Padding::Same)),
           "c");
  Value w4 = g.constant(random_tensor({3, 3, 4, 2}, 2));
  g.output(
      g.conv2d(g.pad(x, PadAttrs{}.pads({0, 0, 0, 0}, {0, 0, 0, 1})), w4, Value{}, Conv2dAttrs{}),
      "d");
  EXPECT_FALSE(make_pad_into_conv_pass()->run(g));
}

TEST(ConvBiasFusion, AddSubAndMatMul) {
  ConvGraph c;
  Value y = c.g.add(c.per_channel({1, 1, 1, 6}, 5), c.conv);  // constant first
  y = c.g.sub(y, c.per_channel({6}, 6));                      // then conv - c on the fused conv
  c.g.output(y, "y");
  Graph fused = apply(c.g, list(make_conv_bias_fusion_pass(), make_dead_node_removal_pass()));
  EXPECT_EQ(fused.count(OpKind::Binary), 0);
  EXPECT_TRUE(fused.node(fused.at("conv")).as<Conv2dAttrs>().has_bias);
  expect_same_outputs(c.g, fused, c.inputs);

  Graph g;
  Value x = g.input("x", {3, 8});
  Value mm = g.matmul(x, g.constant(random_tensor({8, 5}, 1)), Value{}, MatMulAttrs{}, "dense");
  g.output(g.add(mm, g.constant(random_tensor({5}, 2))), "y");
  Graph fused_mm = apply(g, list(make_conv_bias_fusion_pass()));
  EXPECT_EQ(fused_mm.count(OpKind::Binary), 0);
  EXPECT_TRUE(fused_mm.node(fused_mm.at("dense")).as<MatMulAttrs>().has_bias);
  expect_same_outputs(g, fused_mm, {{"x", random_tensor({3, 8}, 3)}});
}

TEST(ConvBiasFusion, LeavesNonBiasAddsAlone) {
  ConvGraph c;
  c.g.output(c.g.add(c.conv, c.per_channel({1, 9, 9, 6}, 5)), "full");  // not per-channel
  ConvGraph d;
  d.g.output(d.g.sub(d.per_channel({6}, 5), d.conv), "reversed_sub");  // c - conv
  ConvGraph e;
  e.g.output(e.g.add(e.g.relu(e.conv), e.per_channel({6}, 5)), "after_act");
  EXPECT_FALSE(make_conv_bias_fusion_pass()->run(c.g));
  EXPECT_FALSE(make_conv_bias_fusion_pass()->run(d.g));
  EXPECT_FALSE(make_conv_bias_fusion_pass()->run(e.g));
}

TEST(ConvActivationFusion, EveryFusableActivation) {
  for (Unary op :
       {Unary::Relu, Unary::Relu6, Unary::LeakyRelu, Unary::Elu, Unary::Sigmoid, Unary::Tanh}) {
    ConvGraph c(true);
    c.g.output(c.g.unary(c.conv, op, 0.1f), "y");
    Graph fused = apply(c.g, list(make_conv_activation_fusion_pass()));
    EXPECT_EQ(fused.count(OpKind::Unary), 0) << unary_name(op);
    const Conv2dAttrs& a = fused.node(fused.at("conv")).as<Conv2dAttrs>();
    EXPECT_EQ(a.activation, op);
    expect_same_outputs(c.g, fused, c.inputs);
  }
  Graph g;
  Value x = g.input("x", {3, 8});
  Value mm = g.matmul(x, g.constant(random_tensor({8, 5}, 1)), g.constant(random_tensor({5}, 2)),
                      MatMulAttrs{}, "dense");
  g.output(g.relu6(mm), "y");
  Graph fused = apply(g, list(make_conv_activation_fusion_pass()));
  EXPECT_EQ(fused.node(fused.at("dense")).as<MatMulAttrs>().activation, Unary::Relu6);
  expect_same_outputs(g, fused, {{"x", random_tensor({3, 8}, 3, -5.f, 5.f)}});
}

TEST(ConvActivationFusion, LeavesSharedConvsAndOtherUnariesAlone) {
  ConvGraph c;
  c.g.output(c.g.relu(c.conv), "a");
  c.g.output(c.g.sigmoid(c.conv), "b");
  EXPECT_FALSE(make_conv_activation_fusion_pass()->run(c.g));
  ConvGraph d;
  d.g.output(d.g.unary(d.conv, Unary::Exp), "e");
  EXPECT_FALSE(make_conv_activation_fusion_pass()->run(d.g));
}

TEST(ConvResidualFusion, ShortcutAddThenRelu) {
  Graph g;
  Value x = g.input("x", {2, 7, 7, 6});
  Value a = g.conv2d(x, g.constant(random_tensor({3, 3, 6, 6}, 1)),
                     g.constant(random_tensor({6}, 2)), Conv2dAttrs{}.padding(Padding::Same), "a");
  g.output(g.relu(g.add(x, a)), "identity_shortcut");
  // Both operands convs (a projection shortcut): one absorbs the add.
  Value p =
      g.conv2d(x, g.constant(random_tensor({1, 1, 6, 6}, 3)), Value{}, Conv2dAttrs{}, "projection");
  Value b = g.conv2d(x, g.constant(random_tensor({1, 1, 6, 6}, 4)), Value{}, Conv2dAttrs{}, "b");
  g.output(g.relu(g.add(p, b)), "projection_shortcut");
  Graph fused =
      apply(g, list(make_conv_residual_fusion_pass(), make_conv_activation_fusion_pass()));
  EXPECT_EQ(fused.count(OpKind::Binary), 0);
  EXPECT_EQ(fused.count(OpKind::Unary), 0);
  EXPECT_EQ(fused.count(OpKind::Conv2d), 3);
  const Conv2dAttrs& fa = fused.node(fused.at("a")).as<Conv2dAttrs>();
  EXPECT_TRUE(fa.has_residual);
  EXPECT_EQ(fa.activation, Unary::Relu);
  EXPECT_EQ(conv_residual_input(fused.node(fused.at("a"))), x.id);
  // The later of the two convs absorbs the add.
  EXPECT_TRUE(fused.node(fused.at("b")).as<Conv2dAttrs>().has_residual);
  expect_same_outputs(g, fused, {{"x", random_tensor({2, 7, 7, 6}, 5)}});
}

TEST(ConvResidualFusion, LeavesBroadcastAndActivatedConvsAlone) {
  ConvGraph c;
  c.g.output(c.g.add(c.conv, c.g.input("row", {1, 1, 9, 6})), "broadcast");
  EXPECT_FALSE(make_conv_residual_fusion_pass()->run(c.g));
  ConvGraph d;
  d.g.output(d.g.add(d.g.relu(d.conv), d.g.input("r", {2, 9, 9, 6})), "after_relu");
  d.g = apply(d.g, list(make_conv_activation_fusion_pass()));
  EXPECT_FALSE(make_conv_residual_fusion_pass()->run(d.g));
}

TEST(ReshapeChain, CollapsesViewsAndDropsNoOps) {
  Graph g;
  Value x = g.input("x", {2, 3, 4});
  Value v = g.squeeze(g.expand_dims(x, 0), {0});
  v = g.reshape(g.reshape(v, {6, 4}), {24});
  v = g.transpose(v, {0});
  v = g.cast(v, DType::F32);
  v = g.unary(v, Unary::Identity);
  v = g.pad(v, PadAttrs{}.pads({0}, {0}));
  v = g.concat({v}, 0);
  v = g.slice(v, SliceAttrs{}.all());
  g.output(v, "y");
  Graph collapsed = apply(g, list(make_reshape_chain_pass(), make_dead_node_removal_pass()));
  EXPECT_EQ(collapsed.node_count(), 2) << collapsed.dump();  // x and one Reshape
  EXPECT_EQ(collapsed.count(OpKind::Reshape), 1);
  EXPECT_EQ(collapsed.shape(Value{collapsed.outputs()[0].node}), (Shape{24}));
  expect_same_outputs(g, collapsed, {{"x", random_tensor({2, 3, 4}, 1)}});
}

TEST(ReshapeChain, KeepsRealTransposesAndSlices) {
  Graph g;
  Value x = g.input("x", {3, 3});
  g.output(g.transpose(x, {1, 0}), "t");
  g.output(g.slice(x, SliceAttrs{}.dim(SliceAttrs::kSliceStart, SliceAttrs::kSliceEnd, -1)),
           "flip");
  EXPECT_FALSE(make_reshape_chain_pass()->run(g));
}

TEST(Pipeline, DefaultPipelineOnASmallNetwork) {
  Graph g;
  Value x = g.input("x", {2, 12, 12, 3});
  // slim-style stem: explicit pad, VALID strided conv, BN, relu.
  Value y = g.pad(x, PadAttrs{}.spatial(1, 1, 1, 1));
  y = g.conv2d(y, g.constant(random_tensor({3, 3, 3, 8}, 1)), Value{}, Conv2dAttrs{}.stride(2),
               "stem");
  auto bn = [&](Value v, int c, uint32_t seed) {
    // BN parameters computed in the graph, as decomposed TF graphs do: folded first.
    Value var = g.add(g.constant(random_tensor({c}, seed, 0.5f, 1.5f)), g.scalar(0.001f));
    return g.batch_norm(v,
                        BatchNormInputs{}
                            .scale(g.constant(random_tensor({c}, seed + 1, 0.5f, 1.5f)))
                            .offset(g.constant(random_tensor({c}, seed + 2)))
                            .moving_mean(g.constant(random_tensor({c}, seed + 3)))
                            .moving_variance(var),
                        1e-5f);
  };
  y = g.relu(bn(y, 8, 10));
  Value r = g.conv2d(y, g.constant(random_tensor({3, 3, 8, 8}, 2)), Value{},
                     Conv2dAttrs{}.padding(Padding::Same), "res");
  y = g.relu(g.add(y, bn(r, 8, 20)));
  y = g.reshape(g.global_mean(y, true), {-1, 8});
  y = g.matmul(y, g.constant(random_tensor({8, 4}, 3)), Value{}, MatMulAttrs{}, "head");
  g.output(g.add(y, g.constant(random_tensor({4}, 4))), "logits");

  std::vector<std::string> log;
  Graph optimized = g;
  const int rounds = default_pipeline()
                         .set_log([&](const std::string& line) { log.push_back(line); })
                         .run(optimized);
  EXPECT_EQ(rounds, 2);  // one round of changes, one that confirms the fixed point
  EXPECT_EQ(optimized.count(OpKind::BatchNorm), 0);
  EXPECT_EQ(optimized.count(OpKind::Pad), 0);
  EXPECT_EQ(optimized.count(OpKind::Binary), 0);
  EXPECT_EQ(optimized.count(OpKind::Unary), 0);
  EXPECT_EQ(optimized.count(OpKind::Conv2d), 2);
  const Conv2dAttrs& res = optimized.node(optimized.at("res")).as<Conv2dAttrs>();
  EXPECT_TRUE(res.has_bias && res.has_residual && res.activation == Unary::Relu);
  EXPECT_FALSE(log.empty());
  for (const std::string& line : log) std::printf("  %s\n", line.c_str());
  expect_same_outputs(g, optimized, {{"x", random_tensor({2, 12, 12, 3}, 5, 0.f, 2.f)}}, 1e-4);
}

}  // namespace
}  // namespace p3d
