// The layer graph: builder, shape inference per op (with TensorFlow's padding and Python's
// slicing rules), error messages that name node / op / shapes, input-shape replacement,
// topological order, lookup and the dump.
#include "engine/graph.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "engine/op_registry.h"
#include "kernels/error.h"
#include "tests/support/expect_error.h"

namespace p3d {
namespace {

Tensor zeros(const Shape& s, DType t = DType::F32) { return Tensor::empty(s, t); }

using test::expect_error;

TEST(Padding, SameFollowsTensorFlow) {
  // 224 -> 112 with a 7x7/2 kernel: total 5, before 2, after 3 (the extra goes at the end).
  Pads2d p = resolve_padding(Padding::Same, {}, 224, 224, 7, 7, 2, 2, 1, 1);
  EXPECT_EQ(p.top, 2);
  EXPECT_EQ(p.bottom, 3);
  EXPECT_EQ(p.left, 2);
  EXPECT_EQ(p.right, 3);
  // 5 -> 3 with 3x3/2: total max((3-1)*2 + 3 - 5, 0) = 2.
  p = resolve_padding(Padding::Same, {}, 5, 6, 3, 3, 2, 2, 1, 1);
  EXPECT_EQ(p.top, 1);
  EXPECT_EQ(p.bottom, 1);
  EXPECT_EQ(p.left, 0);  // 6 -> 3: total max(4 + 3 - 6, 0) = 1
  EXPECT_EQ(p.right, 1);
  // Dilation widens the kernel: 3x3 dilation 2 acts like 5x5.
  p = resolve_padding(Padding::Same, {}, 10, 10, 3, 3, 1, 1, 2, 2);
  EXPECT_EQ(p.top, 2);
  EXPECT_EQ(p.bottom, 2);
  // A big stride can need no padding at all.
  p = resolve_padding(Padding::Same, {}, 8, 8, 1, 1, 2, 2, 1, 1);
  EXPECT_EQ(p.top + p.bottom, 0);
  p = resolve_padding(Padding::Explicit, Pads2d{1, 2, 3, 4}, 8, 8, 3, 3, 1, 1, 1, 1);
  EXPECT_EQ(p.bottom, 2);
  EXPECT_EQ(p.right, 4);
}

TEST(GraphBuilder, ConvPoolChainShapes) {
  Graph g;
  Value x = g.input("img", {2, 224, 224, 3});
  Value w = g.constant(zeros({7, 7, 3, 64}), "w");
  Value b = g.constant(zeros({64}), "b");
  x = g.conv2d(x, w, b, Conv2dAttrs{}.stride(2).padding(Padding::Same), "conv1");
  EXPECT_EQ(g.shape(x), (Shape{2, 112, 112, 64}));
  x = g.relu(x);
  x = g.max_pool(x, Pool2dAttrs{}.kernel(3).stride(2).padding(Padding::Same), "pool1");
  EXPECT_EQ(g.shape(x), (Shape{2, 56, 56, 64}));
  Value v = g.avg_pool(x, Pool2dAttrs{}.kernel(2).stride(2), "avg");
  EXPECT_EQ(g.shape(v), (Shape{2, 28, 28, 64}));
  // VALID: (56 - 3) / 2 + 1 = 27.
  Value w3 = g.constant(zeros({3, 3, 64, 8}), "w3");
  Value valid = g.conv2d(x, w3, Value{}, Conv2dAttrs{}.stride(2), "valid");
  EXPECT_EQ(g.shape(valid), (Shape{2, 27, 27, 8}));
  Value expl = g.conv2d(x, w3, Value{}, Conv2dAttrs{}.explicit_padding(1, 1, 0, 2), "explicit");
  EXPECT_EQ(g.shape(expl), (Shape{2, 56, 56, 8}));
  Value dil = g.conv2d(x, w3, Value{}, Conv2dAttrs{}.dilation(2), "dilated");
  EXPECT_EQ(g.shape(dil), (Shape{2, 52, 52, 8}));
  EXPECT_EQ(g.node(x).kind(), OpKind::Pool2d);
  EXPECT_EQ(g.node(g.at("conv1")).as<Conv2dAttrs>().has_bias, true);
  EXPECT_EQ(g.node(valid).as<Conv2dAttrs>().has_bias, false);
}

TEST(GraphBuilder, DepthwiseAndGroupedConv) {
  Graph g;
  Value x = g.input("x", {1, 8, 8, 6});
  // TF depthwise [3,3,6,2] has the memory of HWIO [3,3,1,12] with groups = 6.
  Value dw = g.conv2d(x, g.constant(zeros({3, 3, 1, 12})), Value{},
                      Conv2dAttrs{}.groups(6).padding(Padding::Same), "depthwise");
  EXPECT_EQ(g.shape(dw), (Shape{1, 8, 8, 12}));
  Value grouped =
      g.conv2d(x, g.constant(zeros({1, 1, 2, 9})), Value{}, Conv2dAttrs{}.groups(3), "grouped");
  EXPECT_EQ(g.shape(grouped), (Shape{1, 8, 8, 9}));
  expect_error(
      [&] {
        g.conv2d(x, g.constant(zeros({1, 1, 3, 9})), Value{}, Conv2dAttrs{}.groups(3),
                 "bad_groups");
      },
      {"'bad_groups'", "(Conv2d)", "groups 3", "filter in_c 3"});
}

TEST(GraphBuilder, ConvErrorNamesNodeOpAndShapes) {
  Graph g;
  Value x = g.input("x", {1, 16, 16, 64});
  Value w = g.constant(zeros({3, 3, 32, 64}), "w");
  expect_error([&] { g.conv2d(x, w, Value{}, Conv2dAttrs{}, "block1/conv2"); },
               {"node 'block1/conv2' (Conv2d)", "input channels 64 do not match filter in_c 32",
                "[3,3,32,64]"});
  // The failed node was not added.
  EXPECT_FALSE(g.find("block1/conv2").valid());
  expect_error(
      [&] {
        g.conv2d(x, g.constant(zeros({64, 3, 3})), Value{}, Conv2dAttrs{}, "c");
      },
      {"'c'", "rank 4"});
  expect_error(
      [&] {
        g.conv2d(x, g.constant(zeros({3, 3, 64, 8})), g.constant(zeros({7})), Conv2dAttrs{}, "c2");
      },
      {"'c2'", "bias", "[7]", "expected [8]"});
  expect_error(
      [&] {
        g.conv2d(x, g.constant(zeros({17, 17, 64, 8})), Value{}, Conv2dAttrs{}, "c3");
      },
      {"'c3'", "smaller than"});
  expect_error([&] { g.conv2d(x, w, Value{}, Conv2dAttrs{}.stride(0), "c4"); }, {"'c4'", "stride"});
}

TEST(GraphBuilder, ConvTranspose) {
  Graph g;
  Value x = g.input("x", {2, 8, 8, 16});
  Value w = g.constant(zeros({3, 3, 4, 16}), "w");  // HWOI
  Value y = g.conv_transpose2d(
      x, w, Value{}, ConvTranspose2dAttrs{}.stride(2).padding(Padding::Same).output_size(16, 16),
      "up");
  EXPECT_EQ(g.shape(y), (Shape{2, 16, 16, 4}));
  // 15 also maps back to 8 under SAME with stride 2 (ceil(15/2) = 8).
  y = g.conv_transpose2d(
      x, w, Value{}, ConvTranspose2dAttrs{}.stride(2).padding(Padding::Same).output_size(15, 15),
      "up15");
  EXPECT_EQ(g.shape(y), (Shape{2, 15, 15, 4}));
  // VALID: forward (17 - 3) / 2 + 1 = 8.
  y = g.conv_transpose2d(x, w, Value{}, ConvTranspose2dAttrs{}.stride(2).output_size(17, 17),
                         "upv");
  EXPECT_EQ(g.shape(y), (Shape{2, 17, 17, 4}));
  expect_error(
      [&] {
        g.conv_transpose2d(
            x, w, Value{},
            ConvTranspose2dAttrs{}.stride(2).padding(Padding::Same).output_size(20, 20), "bad");
      },
      {"'bad' (ConvTranspose2d)", "corresponds to an input of 10x10", "[2,8,8,16]"});
  expect_error(
      [&] {
        g.conv_transpose2d(x, g.constant(zeros({3, 3, 16, 4})), Value{},
                           ConvTranspose2dAttrs{}.output_size(10, 10), "bad_c");
      },
      {"'bad_c'", "input channels 16 do not match filter in_c 4"});
}

TEST(GraphBuilder, MatMulShapes) {
  Graph g;
  Value a = g.input("a", {4, 3});
  Value b = g.constant(zeros({3, 5}), "b");
  EXPECT_EQ(g.shape(g.matmul(a, b)), (Shape{4, 5}));
  Value bt = g.constant(zeros({5, 3}), "bt");
  EXPECT_EQ(g.shape(g.matmul(a, bt, {}, MatMulAttrs{}.transposed_b())), (Shape{4, 5}));
  Value at = g.input("at", {3, 4});
  EXPECT_EQ(g.shape(g.matmul(at, b, {}, MatMulAttrs{}.transposed_a())), (Shape{4, 5}));
  // A dense layer over a batch of rows.
  Value rows = g.input("rows", {2, 7, 3});
  EXPECT_EQ(g.shape(g.matmul(rows, b, g.constant(zeros({5})))), (Shape{2, 7, 5}));
  // Batched with equal batch dims.
  Value bb = g.input("bb", {2, 3, 6});
  EXPECT_EQ(g.shape(g.matmul(rows, bb)), (Shape{2, 7, 6}));
  expect_error(
      [&] {
        g.matmul(a, g.constant(zeros({4, 5})), {}, {}, "mm");
      },
      {"'mm' (MatMul)", "inner dims differ", "[4,3]", "[4,5]"});
  expect_error(
      [&] {
        g.matmul(rows, g.input("bad_batch", {3, 3, 6}), {}, {}, "mm2");
      },
      {"'mm2'", "batch dims"});
}

TEST(GraphBuilder, ReduceAndBatchNorm) {
  Graph g;
  Value x = g.input("x", {2, 5, 6, 8});
  EXPECT_EQ(g.shape(g.global_mean(x)), (Shape{2, 8}));
  EXPECT_EQ(g.shape(g.global_mean(x, true)), (Shape{2, 1, 1, 8}));
  EXPECT_EQ(g.shape(g.reduce(x, ReduceAttrs{}.kind(ReduceKind::Max).over({-1, 0}))), (Shape{5, 6}));
  EXPECT_EQ(g.shape(g.reduce(x, ReduceAttrs{}.kind(ReduceKind::Sum).over({1, 3}).keep_dims())),
            (Shape{2, 1, 6, 1}));
  expect_error([&] { g.reduce(x, ReduceAttrs{}.over({4}), "r"); },
               {"'r' (Reduce)", "axis 4 out of range", "[2,5,6,8]"});
  expect_error([&] { g.reduce(x, ReduceAttrs{}.over({1, -3}), "r2"); }, {"'r2'", "twice"});
  Value c8 = g.constant(zeros({8})), c7 = g.constant(zeros({7}), "var7");
  const BatchNormInputs stats = BatchNormInputs{}.scale(c8).offset(c8).moving_mean(c8);
  EXPECT_EQ(g.shape(g.batch_norm(x, BatchNormInputs(stats).moving_variance(c8))),
            (Shape{2, 5, 6, 8}));
  expect_error([&] { g.batch_norm(x, BatchNormInputs(stats).moving_variance(c7), 1e-3f, "bn"); },
               {"'bn' (BatchNorm)", "variance 'var7'", "[7]", "expected [8]"});
  // A statistic left out is named, not read as some other input.
  expect_error([&] { g.batch_norm(x, stats, 1e-3f, "bn2"); },
               {"batch_norm 'bn2'", "no variance (moving_variance)"});
}

TEST(GraphBuilder, ElementwiseAndBroadcast) {
  Graph g;
  Value x = g.input("x", {2, 1, 4, 3});
  Value y = g.input("y", {5, 1, 3});
  EXPECT_EQ(g.shape(g.add(x, y)), (Shape{2, 5, 4, 3}));
  EXPECT_EQ(g.shape(g.mul(x, g.scalar(2.f))), (Shape{2, 1, 4, 3}));
  EXPECT_EQ(g.shape(g.leaky_relu(x, 0.1f)), (Shape{2, 1, 4, 3}));
  expect_error(
      [&] {
        g.sub(x, g.input("z", {2, 4, 2}), "s");
      },
      {"'s' (Binary)", "do not broadcast", "[2,1,4,3]", "[2,4,2]"});
  Value u8 = g.input("u8", {2, 3}, DType::U8);
  expect_error([&] { g.relu(u8, "r"); }, {"'r' (Unary)", "must be f32", "u8"});
  Value f = g.cast(u8, DType::F32);
  EXPECT_EQ(g.dtype(f), DType::F32);
  EXPECT_EQ(g.shape(f), (Shape{2, 3}));
}

TEST(GraphBuilder, DataMovementShapes) {
  Graph g;
  Value a = g.input("a", {2, 3, 4});
  Value b = g.input("b", {2, 5, 4});
  EXPECT_EQ(g.shape(g.concat({a, b, a}, 1)), (Shape{2, 11, 4}));
  EXPECT_EQ(g.shape(g.concat({a, a}, -1)), (Shape{2, 3, 8}));
  expect_error([&] { g.concat({a, b}, 2, "cat"); }, {"'cat' (Concat)", "[2,5,4]", "axis 2"});
  EXPECT_EQ(g.shape(g.pad(a, PadAttrs{}.pads({0, 1, 2}, {1, 0, 3}))), (Shape{3, 4, 9}));
  expect_error(
      [&] {
        g.pad(a, PadAttrs{}.pads({0, 3, 0}, {0, 0, 0}).with_mode(PadMode::Reflect), "p");
      },
      {"'p' (Pad)", "reflect", "smaller than the dim (3)"});
  EXPECT_EQ(g.shape(g.pad(a, PadAttrs{}.pads({0, 3, 0}, {0, 0, 0}).with_mode(PadMode::Symmetric))),
            (Shape{2, 6, 4}));
  EXPECT_EQ(g.shape(g.transpose(a, {2, 0, 1})), (Shape{4, 2, 3}));
  expect_error([&] { g.transpose(a, {0, 0, 1}, "t"); }, {"'t' (Transpose)", "not a permutation"});
  Value img = g.input("img", {1, 10, 20, 3});
  EXPECT_EQ(g.shape(g.resize(img, ResizeAttrs{}.size(5, 7))), (Shape{1, 5, 7, 3}));
  expect_error(
      [&] { g.resize(img, ResizeAttrs{}.size(5, 7).corners_aligned().half_pixel(), "rs"); },
      {"'rs' (Resize)", "align_corners"});
}

TEST(GraphBuilder, SliceFollowsPython) {
  EXPECT_EQ(resolve_slice_dim(5, SliceAttrs::kSliceStart, SliceAttrs::kSliceEnd, -1).count,
            5);  // [::-1]
  EXPECT_EQ(resolve_slice_dim(5, SliceAttrs::kSliceStart, SliceAttrs::kSliceEnd, -1).start, 4);
  EXPECT_EQ(resolve_slice_dim(5, 1, -1, 1).count, 3);                      // [1:-1]
  EXPECT_EQ(resolve_slice_dim(5, -2, SliceAttrs::kSliceEnd, 1).count, 2);  // [-2:]
  SliceDim s = resolve_slice_dim(5, 4, 0, -2);                             // [4:0:-2] -> 4, 2
  EXPECT_EQ(s.count, 2);
  EXPECT_EQ(s.start, 4);
  EXPECT_EQ(resolve_slice_dim(5, 10, SliceAttrs::kSliceEnd, 1).count, 0);  // [10:]
  EXPECT_EQ(resolve_slice_dim(5, -100, 100, 2).count, 3);                  // [-100:100:2]
  EXPECT_EQ(resolve_slice_dim(5, 100, -100, -3).count, 2);                 // [100:-100:-3] -> 4, 1
  EXPECT_EQ(resolve_slice_dim(5, 3, 3, 1).count, 0);

  Graph g;
  Value x = g.input("x", {4, 6, 3});
  Value y = g.slice(
      x, SliceAttrs{}.all().dim(SliceAttrs::kSliceStart, SliceAttrs::kSliceEnd, -2).dim(0, 2));
  EXPECT_EQ(g.shape(y), (Shape{4, 3, 2}));
  EXPECT_EQ(g.shape(g.slice(x, SliceAttrs{}.dim(1, 3))), (Shape{2, 6, 3}));  // unlisted dims whole
  expect_error([&] { g.slice(x, SliceAttrs{}.dim(0, 1, 0), "sl"); }, {"'sl' (Slice)", "step"});
}

TEST(GraphBuilder, ReshapeSqueezeExpandDims) {
  Graph g;
  Value x = g.input("x", {2, 1, 3, 1});
  EXPECT_EQ(g.shape(g.reshape(x, {-1, 3})), (Shape{2, 3}));
  EXPECT_EQ(g.shape(g.reshape(x, {3, 2})), (Shape{3, 2}));
  expect_error([&] { g.reshape(x, {-1, -1}, "rs"); }, {"'rs' (Reshape)", "more than one -1"});
  expect_error([&] { g.reshape(x, {4, -1}, "rs2"); }, {"'rs2'", "cannot reshape [2,1,3,1]"});
  EXPECT_EQ(g.shape(g.squeeze(x, {})), (Shape{2, 3}));
  EXPECT_EQ(g.shape(g.squeeze(x, {-1})), (Shape{2, 1, 3}));
  expect_error([&] { g.squeeze(x, {0}, "sq"); }, {"'sq' (Squeeze)", "axis 0 of size 2"});
  EXPECT_EQ(g.shape(g.expand_dims(x, 0)), (Shape{1, 2, 1, 3, 1}));
  EXPECT_EQ(g.shape(g.expand_dims(x, -1)), (Shape{2, 1, 3, 1, 1}));
  EXPECT_EQ(g.shape(g.expand_dims(g.input("v", {5}), -2)), (Shape{1, 5}));
}

TEST(Graph, NamesAndLookup) {
  Graph g;
  Value x = g.input("x", {1, 4});
  Value r1 = g.relu(x);
  Value r2 = g.relu(x);
  EXPECT_EQ(g.node(r1).name, "relu");
  EXPECT_EQ(g.node(r2).name, "relu_1");
  EXPECT_EQ(g.find("relu_1"), r2);
  EXPECT_FALSE(g.find("nope").valid());
  expect_error([&] { g.at("nope"); }, {"no node named 'nope'", "'x'"});
  expect_error([&] { g.relu(x, "relu"); }, {"'relu' is already used"});
  g.output(r1, "out");
  expect_error([&] { g.output(r2, "out"); }, {"'out' is used twice"});
  expect_error([&] { g.add(x, Value{}, "bad"); }, {"'bad'", "input 1"});
}

TEST(Graph, SetInputShapeReinfersEverything) {
  Graph g;
  Value x = g.input("img", {1, 32, 32, 3});
  Value y = g.conv2d(x, g.constant(zeros({3, 3, 3, 8})), Value{},
                     Conv2dAttrs{}.stride(2).padding(Padding::Same), "conv");
  Value z = g.reshape(g.global_mean(y), {-1, 8}, "flat");
  g.output(z, "out");
  g.set_input_shape("img", {4, 64, 48, 3});
  EXPECT_EQ(g.shape(y), (Shape{4, 32, 24, 8}));
  EXPECT_EQ(g.shape(z), (Shape{4, 8}));
  // A shape the graph cannot take: the error names the node, and nothing changes.
  expect_error(
      [&] {
        g.set_input_shape("img", {4, 64, 48, 5});
      },
      {"'conv' (Conv2d)", "input channels 5 do not match filter in_c 3"});
  EXPECT_EQ(g.shape(x), (Shape{4, 64, 48, 3}));
  EXPECT_EQ(g.shape(y), (Shape{4, 32, 24, 8}));
  EXPECT_EQ(g.node(x).as<InputAttrs>().shape, (Shape{4, 64, 48, 3}));
  expect_error([&] { g.set_input_shape("conv", {1}); }, {"'conv' is not an input"});
}

TEST(Graph, EditsAndTopologicalOrder) {
  Graph g;
  Value x = g.input("x", {2, 3});
  Value a = g.relu(x, "a");
  Value b = g.sigmoid(x, "b");
  Value c = g.add(a, b, "c");
  g.output(c, "out");
  // Rewire c to read a node created after it: the order must follow the edges, not ids.
  Value late = g.tanh(x, "late");
  g.mutable_node(c.id).inputs[1] = late.id;
  const std::vector<int> order = g.topological_order();
  auto pos = [&](Value v) { return std::find(order.begin(), order.end(), v.id) - order.begin(); };
  EXPECT_LT(pos(late), pos(c));
  EXPECT_LT(pos(x), pos(a));
  expect_error([&] { g.remove_node(a.id); }, {"cannot remove node 'a'", "'c' still reads it"});
  g.remove_node(b.id);
  EXPECT_FALSE(g.node(b).alive);
  EXPECT_FALSE(g.find("b").valid());
  EXPECT_EQ(g.node_count(), 4);
  g.replace_all_uses(c.id, a.id);
  EXPECT_EQ(g.outputs()[0].node, a.id);
  g.remove_node(c.id);  // nothing reads c any more
  expect_error([&] { g.remove_node(a.id); }, {"graph output 'out'"});
  // A cycle is reported by name.
  Value d = g.relu(a, "d");
  g.mutable_node(a.id).inputs[0] = d.id;
  expect_error([&] { g.topological_order(); }, {"cycle"});
}

TEST(Graph, DumpAndCounts) {
  Graph g;
  Value x = g.input("img", {1, 8, 8, 3});
  Value y = g.conv2d(x, g.constant(zeros({3, 3, 3, 4}), "w"), Value{},
                     Conv2dAttrs{}.stride(2).padding(Padding::Same), "conv");
  g.output(g.relu(y, "act"), "out");
  const std::string d = g.dump();
  EXPECT_NE(d.find("conv = Conv2d(img, w) stride=2x2 pad=SAME -> f32[1,4,4,4]"), std::string::npos)
      << d;
  EXPECT_NE(d.find("act = Unary(conv) Relu -> f32[1,4,4,4]"), std::string::npos) << d;
  EXPECT_NE(d.find("output 'out' <- act"), std::string::npos) << d;
  EXPECT_EQ(g.count(OpKind::Conv2d), 1);
  EXPECT_EQ(g.node_count(), 4);
  // 2 * out elements (64) * 3*3*3 MACs each.
  EXPECT_EQ(graph_flops(g), 2 * 64 * 27);
  const std::vector<int> uses = g.use_counts();
  EXPECT_EQ(uses[static_cast<size_t>(y.id)], 1);
  EXPECT_TRUE(g.is_output(g.at("act").id));
}

TEST(Graph, ChannelsIsTheLastDim) {
  Graph g;
  EXPECT_EQ(g.channels(g.input("img", {2, 8, 8, 3})), 3);
  EXPECT_EQ(g.channels(g.input("rows", {5, 7})), 7);
  expect_error([&] { g.channels(g.scalar(1.f, "s")); }, {"node 's'", "scalar", "no channel axis"});
}

TEST(OpTable, OneEntryPerKindInOrder) {
  // Every OpKind's entry is its own (op_info checks the order) and has what every op needs;
  // an op with a backend call also lowers, and the views (no call) are marked.
  for (int k = 0; k <= static_cast<int>(OpKind::Custom); ++k) {
    const OpInfo& info = op_info(static_cast<OpKind>(k));
    EXPECT_EQ(static_cast<int>(info.kind), k);
    ASSERT_NE(info.name, nullptr);
    EXPECT_STREQ(op_name(info.kind), info.name);
    EXPECT_NE(info.infer, nullptr) << info.name;
    EXPECT_NE(info.describe, nullptr) << info.name;
    EXPECT_EQ(info.lower == nullptr, info.run == nullptr) << info.name;
    if (info.is_view) {
      EXPECT_EQ(info.run, nullptr) << info.name;
    }
    // Packing a filter comes with its workspace and plan hooks.
    EXPECT_EQ(info.pack_filter == nullptr, info.workspace == nullptr) << info.name;
  }
  EXPECT_TRUE(is_view_op(OpKind::Reshape));
  EXPECT_FALSE(is_view_op(OpKind::Resize));
  expect_error([] { op_info(static_cast<OpKind>(99)); }, {"unknown op kind 99"});
}

}  // namespace
}  // namespace p3d
