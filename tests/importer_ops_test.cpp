// Importer semantics the fixtures do not pin down, on small GraphDefs built in C++ with
// hand-computed expectations: StridedSlice masks (host folding and graph lowering agree),
// the typed-value and splat forms of TensorProto, a SAME inner conv inside the dilated-conv
// pattern, Pack of run-time tensors, Cast to half, names of inputs and outputs, and what
// inspect reports.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/backend.h"
#include "engine/executor.h"
#include "importer/graph_def_builder.h"
#include "importer/tf_importer.h"
#include "kernels/half.h"
#include "tests/support/test_tensors.h"

namespace p3d {
namespace {

using tfimport::GraphDefBuilder;

Backend& cpu() { return test::cpu_backend_with(1); }

TensorMap run(TfImportResult r, const TensorMap& inputs) {
  ExecutorOptions o;
  o.optimize = false;
  Executor exec(std::move(r.graph), cpu(), o);
  return exec.run(inputs);
}

Tensor iota(const Shape& shape, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (dtype == DType::F32)
      t.data<float>()[i] = static_cast<float>(i);
    else
      t.data<int32_t>()[i] = static_cast<int32_t>(i);
  }
  return t;
}

std::vector<float> floats_of(const Tensor& t) {
  std::vector<float> v;
  for (int64_t i = 0; i < t.numel(); ++i)
    v.push_back(t.dtype() == DType::F32 ? t.data<float>()[i]
                                        : static_cast<float>(t.data<int32_t>()[i]));
  return v;
}

struct SliceCase {
  const char* what;
  std::vector<int32_t> begin, end, strides;
  int64_t begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_mask;
  Shape shape;
  std::vector<float> first_values;  // leading elements of the result
};

// x = arange(24).reshape(2, 3, 4) sliced as numpy would.
TEST(ImporterOps, StridedSliceMasks) {
  const std::vector<SliceCase> cases = {
      {"x[1]", {1}, {2}, {1}, 0, 0, 0, 0, 1, Shape{3, 4}, {12, 13, 14, 15, 16}},
      {"x[..., 1]", {0, 1}, {0, 2}, {1, 1}, 0, 0, 1, 0, 2, Shape{2, 3}, {1, 5, 9, 13, 17, 21}},
      {"x[:, newaxis, ::-1]",
       {0, 0, 0},
       {0, 0, 0},
       {1, 1, -1},
       5,
       5,
       0,
       2,
       0,
       Shape{2, 1, 3, 4},
       {8, 9, 10, 11, 4}},
      {"x[-1, -2:]", {-1, -2}, {0, 0}, {1, 1}, 0, 2, 0, 0, 1, Shape{2, 4}, {16, 17, 18, 19, 20}},
      {"x[0:2, 1:100:2, ::3]",
       {0, 1, 0},
       {2, 100, 0},
       {1, 2, 3},
       4,
       4,
       0,
       0,
       0,
       Shape{2, 1, 2},
       {4, 7, 16, 19}},
      {"x[:, -1:0:-1]", {0, -1}, {0, 0}, {1, -1}, 1, 1, 0, 0, 0, Shape{2, 2, 4}, {8, 9, 10, 11, 4}},
  };
  for (const SliceCase& c : cases) {
    for (bool host : {true, false}) {
      GraphDefBuilder b;
      if (host)
        b.constant("x", iota(Shape{2, 3, 4}, DType::I32));
      else
        b.placeholder("x", {2, 3, 4});
      const int64_t n = static_cast<int64_t>(c.begin.size());
      b.ints("begin", {n}, c.begin);
      b.ints("end", {n}, c.end);
      b.ints("strides", {n}, c.strides);
      tf::NodeDef& s = b.node("s", "StridedSlice", {"x", "begin", "end", "strides"});
      GraphDefBuilder::set_int(s, "begin_mask", c.begin_mask);
      GraphDefBuilder::set_int(s, "end_mask", c.end_mask);
      GraphDefBuilder::set_int(s, "ellipsis_mask", c.ellipsis_mask);
      GraphDefBuilder::set_int(s, "new_axis_mask", c.new_axis_mask);
      GraphDefBuilder::set_int(s, "shrink_axis_mask", c.shrink_mask);
      TfImportResult r = import_graph_def(b.def(), "slice.pb");
      Tensor got;
      if (host) {
        ASSERT_TRUE(r.folded.count("s:0")) << c.what;
        got = r.folded.at("s:0");
      } else {
        got = run(std::move(r), {{"x", iota(Shape{2, 3, 4}, DType::F32)}}).at("s");
      }
      EXPECT_EQ(got.shape(), c.shape) << c.what << (host ? " (host)" : " (graph)");
      const std::vector<float> v = floats_of(got);
      for (size_t i = 0; i < c.first_values.size() && i < v.size(); ++i)
        EXPECT_EQ(v[i], c.first_values[i])
            << c.what << (host ? " (host)" : " (graph)") << " element " << i;
    }
  }
}

tf::TensorProto& add_const(GraphDefBuilder& b, const std::string& name, int dtype,
                           const std::vector<int64_t>& dims) {
  tf::NodeDef& n = b.node(name, "Const");
  GraphDefBuilder::set_type(n, "dtype", dtype);
  tf::TensorProto& t = *(*n.mutable_attr())["value"].mutable_tensor();
  t.set_dtype(static_cast<tf::DataType>(dtype));
  GraphDefBuilder::set_dims(t, dims);
  return t;
}

TEST(ImporterOps, TypedValuesAndSplats) {
  GraphDefBuilder b;
  add_const(b, "splat", tf::DT_FLOAT, {2, 3}).add_float_val(2.5f);
  tf::TensorProto& tail = add_const(b, "tail", tf::DT_FLOAT, {4});
  tail.add_float_val(1.f);
  tail.add_float_val(7.f);                   // [1, 7, 7, 7]: the last value repeats
  add_const(b, "zeros", tf::DT_FLOAT, {3});  // no values: zeros
  tf::TensorProto& i64 = add_const(b, "i64", tf::DT_INT64, {3});
  for (int64_t v : {-3, 0, 2147483647}) i64.add_int64_val(v);
  tf::TensorProto& bools = add_const(b, "bools", tf::DT_BOOL, {2});
  bools.add_bool_val(true);
  bools.add_bool_val(false);
  tf::TensorProto& half = add_const(b, "half", tf::DT_HALF, {2});
  half.add_half_val(0x3e00);  // 1.5
  half.add_half_val(0xc000);  // -2
  tf::TensorProto& raw16 = add_const(b, "raw16", tf::DT_HALF, {1});
  const uint16_t bits = float_to_half(0.25f);
  raw16.set_tensor_content(std::string(reinterpret_cast<const char*>(&bits), 2));
  TfImportOptions o;
  o.outputs = {"splat", "tail", "zeros", "i64", "bools", "half", "raw16"};
  const TfImportResult r = import_graph_def(b.def(), "typed.pb", o);
  EXPECT_EQ(floats_of(r.folded.at("splat:0")), std::vector<float>(6, 2.5f));
  EXPECT_EQ(floats_of(r.folded.at("tail:0")), (std::vector<float>{1, 7, 7, 7}));
  EXPECT_EQ(floats_of(r.folded.at("zeros:0")), (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(r.folded.at("i64:0").dtype(), DType::I32);
  EXPECT_EQ(floats_of(r.folded.at("i64:0")), (std::vector<float>{-3, 0, 2147483647.f}));
  EXPECT_EQ(floats_of(r.folded.at("bools:0")), (std::vector<float>{1, 0}));
  EXPECT_EQ(r.folded.at("half:0").dtype(), DType::F32);
  EXPECT_EQ(floats_of(r.folded.at("half:0")), (std::vector<float>{1.5f, -2.f}));
  EXPECT_EQ(floats_of(r.folded.at("raw16:0")), (std::vector<float>{0.25f}));
}

void conv_attrs(tf::NodeDef& n, const char* padding,
                std::vector<int64_t> dilations = {1, 1, 1, 1}) {
  GraphDefBuilder::set_ints(n, "strides", {1, 1, 1, 1});
  GraphDefBuilder::set_ints(n, "dilations", dilations);
  GraphDefBuilder::set_string(n, "padding", padding);
}

// SpaceToBatchND -> SAME conv -> BatchToSpaceND equals a SAME conv with dilation = block.
TEST(ImporterOps, DilatedConvPatternWithSameInnerConv) {
  Tensor w = Tensor::empty(Shape{3, 3, 2, 3}, DType::F32);
  for (int64_t i = 0; i < w.numel(); ++i)
    w.data<float>()[i] = std::sin(0.7f * static_cast<float>(i));
  Tensor x = Tensor::empty(Shape{1, 8, 6, 2}, DType::F32);
  for (int64_t i = 0; i < x.numel(); ++i)
    x.data<float>()[i] = std::cos(0.3f * static_cast<float>(i));

  GraphDefBuilder pattern;
  pattern.placeholder("x", {1, 8, 6, 2});
  pattern.constant("w", w);
  pattern.ints("block", {2}, {2, 2});
  pattern.ints("zero_pads", {2, 2}, {0, 0, 0, 0});
  pattern.node("s2b", "SpaceToBatchND", {"x", "block", "zero_pads"});
  conv_attrs(pattern.node("conv", "Conv2D", {"s2b", "w"}), "SAME");
  pattern.node("y", "BatchToSpaceND", {"conv", "block", "zero_pads"});
  TfImportResult a = import_graph_def(pattern.def(), "atrous.pb");
  EXPECT_EQ(a.graph.count(OpKind::Conv2d), 1);

  GraphDefBuilder direct;
  direct.placeholder("x", {1, 8, 6, 2});
  direct.constant("w", w);
  conv_attrs(direct.node("y", "Conv2D", {"x", "w"}), "SAME", {1, 2, 2, 1});
  const Tensor want = run(import_graph_def(direct.def(), "dilated.pb"), {{"x", x}}).at("y");
  const Tensor got = run(std::move(a), {{"x", x}}).at("y");
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i)
    EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-5f) << i;
}

TEST(ImporterOps, SpaceToBatchAloneIsRefused) {
  GraphDefBuilder b;
  b.placeholder("x", {1, 4, 4, 1});
  b.ints("block", {2}, {2, 2});
  b.ints("pads", {2, 2}, {0, 0, 0, 0});
  b.node("s2b", "SpaceToBatchND", {"x", "block", "pads"});
  b.node("y", "Relu", {"s2b"});
  try {
    import_graph_def(b.def(), "s2b.pb");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("node 'y' (Relu)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("dilated convolution"), std::string::npos) << e.what();
  }
}

TEST(ImporterOps, PackOfRuntimeTensorsAndNames) {
  GraphDefBuilder b;
  b.placeholder("a", {-1, 3});
  b.placeholder("b", {-1, 3});
  tf::NodeDef& p = b.node("stack", "Pack", {"a", "b"});
  GraphDefBuilder::set_int(p, "axis", -1);
  GraphDefBuilder::set_int(p, "N", 2);
  b.node("out", "Identity", {"stack"});
  b.node("out2", "StopGradient", {"out"});
  TfImportOptions o;
  o.input_shapes["a:0"] = Shape{2, 3};
  o.input_shapes["b"] = Shape{2, 3};
  o.outputs = {"out2:0"};
  TfImportResult r = import_graph_def(b.def(), "pack.pb", o);
  EXPECT_EQ(r.outputs.at("out2"), "out2:0");
  EXPECT_EQ(r.tensor_nodes.at("out:0"), r.tensor_nodes.at("stack:0"));  // Identity chains vanish
  const TensorMap got = run(
      std::move(r), {{"a", iota(Shape{2, 3}, DType::F32)}, {"b", iota(Shape{2, 3}, DType::F32)}});
  const Tensor& y = got.at("out2");
  EXPECT_EQ(y.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(floats_of(y), (std::vector<float>{0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5}));
}

TEST(ImporterOps, CastToHalfRoundsLikeHalf) {
  GraphDefBuilder b;
  b.placeholder("x", {3});
  tf::NodeDef& c = b.node("h", "Cast", {"x"});
  GraphDefBuilder::set_type(c, "SrcT", tf::DT_FLOAT);
  GraphDefBuilder::set_type(c, "DstT", tf::DT_HALF);
  Tensor x = Tensor::empty(Shape{3}, DType::F32);
  x.data<float>()[0] = 1.0001f;
  x.data<float>()[1] = 65504.f;
  x.data<float>()[2] = -0.1f;
  const Tensor y = run(import_graph_def(b.def(), "cast.pb"), {{"x", x}}).at("h");
  ASSERT_EQ(y.dtype(), DType::F32);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(y.data<float>()[i], half_to_float(float_to_half(x.data<float>()[i])));
}

TEST(ImporterOps, InspectReportsTheGraph) {
  GraphDefBuilder b;
  b.placeholder("img", {-1, 8, 8, 3});
  b.floats("w", {1, 1, 3, 2}, {1, 2, 3, 4, 5, 6});
  b.node("w/read", "Identity", {"w"});
  conv_attrs(b.node("conv", "Conv2D", {"img", "w/read"}), "VALID");
  b.node("act", "Relu", {"conv"});
  b.node("mystery", "Softmax", {"act"});
  b.node("side", "Sigmoid", {"conv"});
  b.def().mutable_versions()->set_producer(27);
  const TfGraphInfo info = inspect_graph_def(b.def(), "m.pb");
  EXPECT_EQ(info.producer, 27);
  EXPECT_EQ(info.node_count, 7);
  ASSERT_EQ(info.inputs.size(), 1u);
  EXPECT_EQ(info.inputs[0].name, "img");
  EXPECT_EQ(info.inputs[0].dtype, "DT_FLOAT");
  EXPECT_EQ(info.inputs[0].dims, (std::vector<int64_t>{-1, 8, 8, 3}));
  EXPECT_EQ(info.outputs, (std::vector<std::string>{"mystery", "side"}));
  EXPECT_EQ(info.op_histogram.at("Conv2D"), 1);
  EXPECT_EQ(info.parameter_count, 6);
  EXPECT_EQ(info.parameter_bytes, 24);
  ASSERT_EQ(info.unsupported.size(), 1u);
  EXPECT_EQ(info.unsupported[0].op, "Softmax");
  // Importing just the supported part works.
  TfImportOptions o;
  o.outputs = {"side"};
  const TfImportResult r = import_graph_def(b.def(), "m.pb", o);
  EXPECT_EQ(r.graph.shape(r.graph.at("side")), (Shape{1, 8, 8, 2}));
  const std::vector<std::string> ops = supported_tf_ops();
  EXPECT_NE(std::find(ops.begin(), ops.end(), "FusedBatchNormV3"), ops.end());
}

}  // namespace
}  // namespace p3d
