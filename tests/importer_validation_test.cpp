// The importer refuses broken GraphDefs with a p3d::Error that names the file, the node, its
// op and the problem, and never crashes. One test per class of problem; each builds the
// broken graph in C++ (generated protobuf classes, or corrupted bytes of a real fixture).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "importer/graph_def_builder.h"
#include "importer/tf_importer.h"
#include "kernels/error.h"
#include "tests/support/expect_error.h"
#include "tests/test_paths.h"

namespace p3d {
namespace {

using tfimport::GraphDefBuilder;

std::string source_dir() { return test::source_dir().string(); }  // tests/test_paths.h

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A well-formed graph the tests break: x -> Conv2D(w) -> Relu.
GraphDefBuilder base_graph() {
  GraphDefBuilder b;
  b.placeholder("x", {1, 4, 4, 2});
  b.floats("w", {1, 1, 2, 3}, {1, 2, 3, 4, 5, 6});
  tf::NodeDef& conv = b.node("conv", "Conv2D", {"x", "w"});
  GraphDefBuilder::set_ints(conv, "strides", {1, 1, 1, 1});
  GraphDefBuilder::set_string(conv, "padding", "SAME");
  GraphDefBuilder::set_string(conv, "data_format", "NHWC");
  b.node("relu", "Relu", {"conv"});
  return b;
}

tf::NodeDef& find(GraphDefBuilder& b, const std::string& name) {
  for (tf::NodeDef& n : *b.def().mutable_node())
    if (n.name() == name) return n;
  throw Error("test graph has no node " + name);
}

tf::TensorProto& tensor_of(GraphDefBuilder& b, const std::string& name) {
  return *(*find(b, name).mutable_attr())["value"].mutable_tensor();
}

std::string import_error(const tf::GraphDef& def, const TfImportOptions& options = {}) {
  return test::error_message([&] { import_graph_def(def, "broken.pb", options); });
}

std::string bytes_error(const std::string& bytes, const TfImportOptions& options = {}) {
  return test::error_message([&] { import_graph_def_bytes(bytes, "broken.pb", options); });
}

// Every part must appear in the message.
void expect_mentions(const std::string& message, std::initializer_list<const char*> parts) {
  ASSERT_FALSE(message.empty()) << "no error was raised";
  for (const char* p : parts)
    EXPECT_NE(message.find(p), std::string::npos) << "'" << p << "' missing from: " << message;
}

TEST(ImporterValidation, BaseGraphImports) {
  const TfImportResult r = import_graph_def(base_graph().def(), "base.pb");
  EXPECT_EQ(r.info.outputs, std::vector<std::string>{"relu"});
  EXPECT_EQ(r.graph.count(OpKind::Conv2d), 1);
}

TEST(ImporterValidation, UnparsableBytes) {
  expect_mentions(bytes_error(std::string("\xff\xff\xff\xff\x0f this is not protobuf", 26)),
                  {"tensorflow graph 'broken.pb'", "not a valid GraphDef"});
  expect_mentions(bytes_error(""), {"broken.pb", "empty"});
}

TEST(ImporterValidation, TruncatedFile) {
  const std::string bytes = read_file(source_dir() + "/tests/fixtures/tf/rnet_reduced/graph.pb");
  ASSERT_GT(bytes.size(), 1000u);
  expect_mentions(bytes_error(bytes.substr(0, bytes.size() / 2)),
                  {"broken.pb", "not a valid GraphDef", "truncated"});
}

TEST(ImporterValidation, SizeCap) {
  const std::string path = source_dir() + "/tests/fixtures/tf/rnet_reduced/graph.pb";
  TfImportOptions o;
  o.max_file_bytes = 1000;
  try {
    load_graph_def(path, o);
    FAIL() << "no error";
  } catch (const Error& e) {
    expect_mentions(e.what(), {"rnet_reduced/graph.pb", "over the size cap of 1000 bytes"});
  }
  o.max_file_bytes = 50;
  expect_mentions(bytes_error(base_graph().serialize(), o),
                  {"broken.pb", "over the size cap of 50 bytes"});
}

TEST(ImporterValidation, MissingFile) {
  try {
    load_graph_def("/nonexistent/model.pb");
    FAIL() << "no error";
  } catch (const Error& e) {
    expect_mentions(e.what(), {"/nonexistent/model.pb", "cannot open"});
  }
}

TEST(ImporterValidation, EmptyNodeName) {
  GraphDefBuilder b = base_graph();
  b.node("", "Relu", {"conv"});
  expect_mentions(import_error(b.def()), {"broken.pb", "node #4 (Relu)", "empty name"});
}

TEST(ImporterValidation, DuplicateNodeName) {
  GraphDefBuilder b = base_graph();
  b.node("conv", "Relu", {"x"});
  expect_mentions(import_error(b.def()),
                  {"broken.pb", "duplicate node name 'conv'", "Conv2D", "Relu"});
}

TEST(ImporterValidation, InputNamesMissingNode) {
  GraphDefBuilder b = base_graph();
  find(b, "relu").set_input(0, "conv_typo");
  expect_mentions(import_error(b.def()),
                  {"broken.pb", "node 'relu' (Relu)", "'conv_typo'", "not in the graph"});
  // Control inputs are checked too.
  GraphDefBuilder c = base_graph();
  find(c, "relu").add_input("^ghost");
  expect_mentions(import_error(c.def()), {"node 'relu' (Relu)", "'^ghost'", "not in the graph"});
}

TEST(ImporterValidation, NonexistentOutputIndex) {
  GraphDefBuilder b = base_graph();
  find(b, "relu").set_input(0, "conv:3");
  expect_mentions(import_error(b.def()), {"broken.pb", "node 'relu' (Relu)", "'conv:3'",
                                          "output 3 of node 'conv' (Conv2D)", "1 output"});
  GraphDefBuilder c = base_graph();
  find(c, "relu").set_input(0, "conv:x");
  expect_mentions(import_error(c.def()), {"node 'relu' (Relu)", "'conv:x'", "malformed"});
}

TEST(ImporterValidation, UnusableBatchNormOutput) {
  GraphDefBuilder b;
  b.placeholder("x", {1, 2, 2, 2});
  for (const char* n : {"g", "b", "m", "v"}) b.floats(n, {2}, {1, 1});
  tf::NodeDef& bn = b.node("bn", "FusedBatchNormV3", {"x", "g", "b", "m", "v"});
  GraphDefBuilder::set_bool(bn, "is_training", false);
  b.node("y", "Relu", {"bn:1"});  // the batch mean: training-only
  expect_mentions(import_error(b.def()),
                  {"broken.pb", "node 'y' (Relu)", "'bn:1'", "only output 0"});
}

TEST(ImporterValidation, Cycle) {
  GraphDefBuilder b = base_graph();
  find(b, "conv").set_input(0, "relu");  // conv reads relu, relu reads conv
  b.node("out", "Identity", {"relu"});
  expect_mentions(import_error(b.def()), {"broken.pb", "cycle", "'conv'", "'relu'"});
}

TEST(ImporterValidation, UnknownOpsAreAllListed) {
  GraphDefBuilder b = base_graph();
  b.node("s1", "Softmax", {"relu"});
  b.node("s2", "Softmax", {"s1"});
  b.node("t", "TopKV2", {"s2"});
  b.node("f", "FancyOp", {"t"});
  const std::string msg = import_error(b.def());
  expect_mentions(msg, {"broken.pb", "3 unsupported ops", "Softmax (2 nodes: 's1', 's2')",
                        "TopKV2 (1 node: 't')", "FancyOp (1 node: 'f')"});
  // inspect lists them instead of throwing.
  const TfGraphInfo info = inspect_graph_def(b.def(), "broken.pb");
  ASSERT_EQ(info.unsupported.size(), 3u);
  EXPECT_EQ(info.unsupported[0].op, "FancyOp");
  EXPECT_EQ(info.unsupported[1].op, "Softmax");
  EXPECT_EQ(info.unsupported[1].count, 2);
}

TEST(ImporterValidation, MissingAttribute) {
  GraphDefBuilder b = base_graph();
  find(b, "conv").mutable_attr()->erase("strides");
  expect_mentions(import_error(b.def()),
                  {"broken.pb", "node 'conv' (Conv2D)", "attr 'strides' is missing"});
  GraphDefBuilder c = base_graph();
  find(c, "conv").mutable_attr()->erase("padding");
  expect_mentions(import_error(c.def()), {"node 'conv' (Conv2D)", "attr 'padding' is missing"});
}

TEST(ImporterValidation, IllTypedAttribute) {
  GraphDefBuilder b = base_graph();
  GraphDefBuilder::set_int(find(b, "conv"), "padding", 1);
  expect_mentions(import_error(b.def()),
                  {"node 'conv' (Conv2D)", "attr 'padding' must be a string, is an int"});
  GraphDefBuilder c = base_graph();
  GraphDefBuilder::set_string(find(c, "conv"), "strides", "1,1,1,1");
  expect_mentions(import_error(c.def()),
                  {"node 'conv' (Conv2D)", "attr 'strides' must be a list of ints, is a string"});
  GraphDefBuilder d = base_graph();
  GraphDefBuilder::set_ints(find(d, "conv"), "strides", {1, 2, 2});
  expect_mentions(import_error(d.def()),
                  {"node 'conv' (Conv2D)", "attr 'strides' must have 4 entries"});
  GraphDefBuilder e = base_graph();
  GraphDefBuilder::set_ints(find(e, "conv"), "strides", {2, 1, 1, 1});
  expect_mentions(import_error(e.def()), {"node 'conv' (Conv2D)", "only the spatial"});
  GraphDefBuilder f = base_graph();
  GraphDefBuilder::set_string(find(f, "conv"), "padding", "FULL");
  expect_mentions(import_error(f.def()), {"node 'conv' (Conv2D)", "attr 'padding' is 'FULL'"});
  // A ConcatV2 whose axis is not a constant integer.
  GraphDefBuilder g = base_graph();
  g.floats("axis", {}, {3.f});
  g.node("cat", "ConcatV2", {"relu", "relu", "axis"});
  expect_mentions(import_error(g.def()),
                  {"node 'cat' (ConcatV2)", "axis", "must be an integer tensor"});
}

TEST(ImporterValidation, NchwIsRefused) {
  GraphDefBuilder b = base_graph();
  GraphDefBuilder::set_string(find(b, "conv"), "data_format", "NCHW");
  expect_mentions(import_error(b.def()),
                  {"broken.pb", "node 'conv' (Conv2D)", "data_format 'NCHW'", "NHWC"});
}

TEST(ImporterValidation, NegativeDimension) {
  GraphDefBuilder b = base_graph();
  GraphDefBuilder::set_dims(tensor_of(b, "w"), {1, -1, 2, 3});
  expect_mentions(import_error(b.def()),
                  {"broken.pb", "node 'w' (Const)", "negative dimension -1"});
  GraphDefBuilder c = base_graph();
  GraphDefBuilder::set_shape(find(c, "x"), "shape", {1, -4, 4, 2});
  expect_mentions(import_error(c.def()), {"node 'x' (Placeholder)", "negative dimension -4"});
  TfImportOptions o;
  o.input_shapes["x"] = Shape{1, 4, -4, 2};
  expect_mentions(import_error(base_graph().def(), o),
                  {"node 'x' (Placeholder)", "negative dimension"});
}

TEST(ImporterValidation, ElementCountOverflow) {
  GraphDefBuilder b = base_graph();
  tf::TensorProto& w = tensor_of(b, "w");
  GraphDefBuilder::set_dims(w, {int64_t{1} << 40, int64_t{1} << 40});
  expect_mentions(import_error(b.def()),
                  {"broken.pb", "node 'w' (Const)", "element count overflows"});
  // Fits in int64 elements, not in bytes.
  GraphDefBuilder c = base_graph();
  GraphDefBuilder::set_dims(tensor_of(c, "w"), {int64_t{1} << 31, int64_t{1} << 31});
  expect_mentions(import_error(c.def()), {"node 'w' (Const)", "overflows in bytes"});
  // A splat claiming 64 GiB in a few bytes of file hits the tensor cap.
  GraphDefBuilder d = base_graph();
  tf::TensorProto& s = tensor_of(d, "w");
  s.clear_tensor_content();
  s.add_float_val(1.f);
  GraphDefBuilder::set_dims(s, {int64_t{1} << 34});
  expect_mentions(import_error(d.def()), {"node 'w' (Const)", "over the cap"});
}

TEST(ImporterValidation, TensorDataDisagreesWithShape) {
  GraphDefBuilder b = base_graph();
  tensor_of(b, "w").mutable_tensor_content()->resize(23);
  expect_mentions(import_error(b.def()),
                  {"broken.pb", "node 'w' (Const)", "tensor_content is 23 bytes", "needs 24"});
  GraphDefBuilder c = base_graph();
  tf::TensorProto& t = tensor_of(c, "w");
  t.clear_tensor_content();
  for (int i = 0; i < 7; ++i) t.add_float_val(1.f);
  expect_mentions(import_error(c.def()), {"node 'w' (Const)", "has 7 values", "holds 6"});
  GraphDefBuilder d = base_graph();
  tf::TensorProto& u = tensor_of(d, "w");
  u.clear_tensor_content();
  u.add_int_val(1);
  expect_mentions(import_error(d.def()), {"node 'w' (Const)", "field of another dtype"});
}

TEST(ImporterValidation, UnsupportedDtype) {
  GraphDefBuilder b = base_graph();
  tf::TensorProto& t = tensor_of(b, "w");
  t.set_dtype(tf::DT_STRING);
  GraphDefBuilder::set_type(find(b, "w"), "dtype", tf::DT_STRING);
  expect_mentions(import_error(b.def()),
                  {"broken.pb", "node 'w' (Const)", "unsupported dtype DT_STRING"});
  GraphDefBuilder c = base_graph();
  GraphDefBuilder::set_type(find(c, "x"), "dtype", tf::DT_COMPLEX64);
  expect_mentions(import_error(c.def()),
                  {"node 'x' (Placeholder)", "DT_COMPLEX64", "not supported"});
  GraphDefBuilder d = base_graph();
  tensor_of(d, "w").set_dtype(static_cast<tf::DataType>(77));
  expect_mentions(import_error(d.def()), {"node 'w' (Const)", "DataType(77)"});
}

TEST(ImporterValidation, NonFiniteWeights) {
  for (float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    GraphDefBuilder b = base_graph();
    std::string& bytes = *tensor_of(b, "w").mutable_tensor_content();
    std::memcpy(&bytes[4 * 3], &bad, 4);
    expect_mentions(import_error(b.def()),
                    {"broken.pb", "node 'w' (Const)", "at element 3", "NaN / Inf"});
    TfImportOptions o;
    o.reject_nonfinite_weights = false;
    EXPECT_EQ(import_error(b.def(), o), "");
  }
}

TEST(ImporterValidation, Int64OutOfRange) {
  GraphDefBuilder b = base_graph();
  tf::NodeDef& n = b.node("big", "Const");
  GraphDefBuilder::set_type(n, "dtype", tf::DT_INT64);
  tf::TensorProto& t = *(*n.mutable_attr())["value"].mutable_tensor();
  t.set_dtype(tf::DT_INT64);
  GraphDefBuilder::set_dims(t, {2});
  t.add_int64_val(5);
  t.add_int64_val(int64_t{1} << 40);
  b.node("r", "Reshape", {"relu", "big"});
  expect_mentions(import_error(b.def()),
                  {"node 'big' (Const)", "1099511627776", "does not fit in int32"});
}

TEST(ImporterValidation, BadOutputs) {
  TfImportOptions o;
  o.outputs = {"nothing_here"};
  expect_mentions(import_error(base_graph().def(), o),
                  {"broken.pb", "output 'nothing_here'", "no node"});
  o.outputs = {"relu:2"};
  expect_mentions(import_error(base_graph().def(), o),
                  {"output 'relu:2'", "node 'relu' (Relu)", "1 output"});
  o.outputs = {"relu", "relu:0"};
  expect_mentions(import_error(base_graph().def(), o), {"output 'relu:0'", "twice"});
}

TEST(ImporterValidation, PlaceholderShapes) {
  GraphDefBuilder b = base_graph();
  GraphDefBuilder::set_shape(find(b, "x"), "shape", {-1, -1, -1, 2});
  expect_mentions(import_error(b.def()), {"node 'x' (Placeholder)", "[?,?,?,2]", "input_shapes"});
  TfImportOptions o;
  o.input_shapes["x"] = Shape{1, 4, 4};
  expect_mentions(import_error(b.def(), o), {"node 'x' (Placeholder)", "rank 3"});
  o.input_shapes["x:0"] = o.input_shapes["x"] = Shape{1, 4, 4, 3};
  o.input_shapes.erase("x:0");
  expect_mentions(import_error(b.def(), o), {"node 'x' (Placeholder)", "disagrees", "dim 3"});
  o.input_shapes = {{"conv", Shape{1}}};
  expect_mentions(import_error(b.def(), o), {"broken.pb", "'conv'", "not a Placeholder", "'x'"});
  // Only the batch dim defaults (to 1).
  GraphDefBuilder c = base_graph();
  GraphDefBuilder::set_shape(find(c, "x"), "shape", {-1, 4, 4, 2});
  const TfImportResult r = import_graph_def(c.def(), "ok.pb");
  EXPECT_EQ(r.graph.shape(r.graph.at("x")), (Shape{1, 4, 4, 2}));
}

// As tf.import_graph_def(input_map=...): a declared [1,4,4,2] placeholder fed [3,6,5,2].
TEST(ImporterValidation, ReplaceDeclaredShapes) {
  GraphDefBuilder b = base_graph();
  GraphDefBuilder::set_shape(find(b, "x"), "shape", {1, 4, 4, 2});
  TfImportOptions o;
  o.input_shapes["x"] = Shape{3, 6, 5, 2};
  expect_mentions(import_error(b.def(), o), {"node 'x' (Placeholder)", "disagrees", "dim 0"});
  o.replace_declared_shapes = true;
  const TfImportResult r = import_graph_def(b.def(), "ok.pb", o);
  EXPECT_EQ(r.graph.shape(r.graph.at("x")), (Shape{3, 6, 5, 2}));
  // The rank still has to match.
  o.input_shapes["x"] = Shape{3, 6, 5};
  expect_mentions(import_error(b.def(), o), {"node 'x' (Placeholder)", "rank 3"});
}

TEST(ImporterValidation, TrainingModeBatchNorm) {
  GraphDefBuilder b;
  b.placeholder("x", {1, 2, 2, 2});
  for (const char* n : {"g", "b", "m", "v"}) b.floats(n, {2}, {1, 1});
  b.node("bn", "FusedBatchNorm",
         {"x", "g", "b", "m", "v"});  // is_training unset: TF's default is true
  expect_mentions(import_error(b.def()), {"node 'bn' (FusedBatchNorm)", "is_training"});
}

TEST(ImporterValidation, ShapeErrorsNameTheNode) {
  // Filter channels disagree with the input: the engine's shape inference reports it, the
  // importer adds the file and the TF node.
  GraphDefBuilder b = base_graph();
  GraphDefBuilder::set_shape(find(b, "x"), "shape", {1, 4, 4, 5});
  expect_mentions(import_error(b.def()), {"broken.pb", "node 'conv' (Conv2D)", "input channels 5"});
}

TEST(ImporterValidation, RuntimeValueWhereConstantNeeded) {
  GraphDefBuilder b = base_graph();
  b.placeholder("shape", {2}, tf::DT_INT32);
  b.node("r", "Reshape", {"relu", "shape"});
  expect_mentions(import_error(b.def()), {"node 'r' (Reshape)", "must be known at import time"});
}

TEST(ImporterValidation, FunctionCallsAreUnsupported) {
  GraphDefBuilder b = base_graph();
  b.node("call", "StatefulPartitionedCall", {"relu"});
  // A non-empty library: any bytes in field 1 of FunctionDefLibrary.
  b.def()
      .mutable_library()
      ->GetReflection()
      ->MutableUnknownFields(b.def().mutable_library())
      ->AddLengthDelimited(1, "f");
  expect_mentions(import_error(b.def()), {"StatefulPartitionedCall", "function library"});
}

// Random corruption of real files: every outcome is a successful import or a p3d::Error,
// never a crash or another exception (run under ASan/UBSan by tools/test.sh).
TEST(ImporterValidation, CorruptedBytesNeverCrash) {
  TfImportOptions o;
  o.max_tensor_bytes = 64u << 20;  // a corrupted splat may claim a huge shape
  int errors = 0, imported = 0;
  for (const char* name : {"conv2d_atrous", "depth_net_reduced", "reshape_dynamic"}) {
    const std::string good = read_file(source_dir() + "/tests/fixtures/tf/" + name + "/graph.pb");
    ASSERT_FALSE(good.empty()) << name;
    std::mt19937 rng(1234);
    for (int trial = 0; trial < 150; ++trial) {
      std::string bytes = good;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xff);
      if (trial % 10 == 0) bytes.resize(rng() % bytes.size());
      try {
        import_graph_def_bytes(bytes, name, o);
        ++imported;
      } catch (const Error& e) {
        ++errors;
        EXPECT_NE(std::string(e.what()).find(std::string("tensorflow graph '") + name + "'"),
                  std::string::npos)
            << e.what();
      }
    }
  }
  std::printf("[ corrupt ] %d imported, %d refused with p3d::Error\n", imported, errors);
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace p3d
