// The state of one import and the per-node view the op lowerings work through.
//
// Every TF tensor ("node:k") maps to a TfValue while the graph is lowered in topological
// order: a graph value, a host tensor known at import time (constants and everything folded
// from them and from the input shapes), or one of the two "pending" halves of a dilated
// convolution that TF1 spells SpaceToBatchND -> Conv2D -> BatchToSpaceND (emitted as one
// conv once BatchToSpaceND is reached). Host tensors become graph constants only when a graph
// op reads them (materialised once per tensor and shape).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/graph.h"
#include "importer/tensor_decode.h"
#include "importer/tensorflow_graph.pb.h"
#include "importer/tf_importer.h"
#include "kernels/error.h"

namespace p3d::tfimport {

// The two halves of a dilated conv seen so far (see the header comment).
struct PendingAtrous {
  std::string space_to_batch;  // node names, for messages
  std::string conv;
  Value x;  // the conv's real input
  int64_t block_h = 1, block_w = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  // Set once the conv is seen:
  bool has_conv = false;
  Tensor filter;              // HWIO (a depthwise filter already reshaped)
  std::string filter_origin;  // the Const it came from
  int32_t groups = 1;
  Pads2d inner_pads;  // the inner conv's own padding, in the space-to-batch domain
};

struct TfValue {
  enum class Kind { Graph, Host, Pending };
  Kind kind = Kind::Graph;
  Value value;         // Graph
  Tensor host;         // Host
  std::string origin;  // Host: the TF node a materialised constant is named after
  std::shared_ptr<const PendingAtrous> pending;  // Pending

  static TfValue graph(Value v) {
    TfValue t;
    t.value = v;
    return t;
  }
  static TfValue constant(Tensor h, std::string origin) {
    TfValue t;
    t.kind = Kind::Host;
    t.host = std::move(h);
    t.origin = std::move(origin);
    return t;
  }
};

// "name" / "name:k" / "^name" as written in NodeDef.input.
struct TensorRef {
  std::string node;
  int index = 0;
  bool control = false;
};
// Parses an input string; returns false when malformed (empty name, bad index).
bool parse_tensor_ref(const std::string& text, TensorRef& out);
// "name:k" (the key of a tensor).
inline std::string tensor_key(const std::string& node, int index) {
  return node + ":" + std::to_string(index);
}

struct ImportState {
  ImportState(std::string source_name, const TfImportOptions& opts, TfImportResult& out)
      : source(std::move(source_name)), options(opts), result(out) {}

  std::string source;
  const TfImportOptions& options;
  TfImportResult& result;
  std::unordered_map<std::string, TfValue> tensors;  // tensor_key -> value
  // Materialised host tensors: (storage, shape) -> constant node.
  std::map<std::pair<const void*, std::vector<int64_t>>, int> materialised;

  Graph& graph() { return result.graph; }
  std::string prefix() const { return "tensorflow graph '" + source + "'"; }
  // A graph constant for a host value (created on first use).
  Value materialise(const TfValue& v);
};

class OpContext {
 public:
  OpContext(ImportState& state, const tf::NodeDef& node);

  const tf::NodeDef& node() const { return node_; }
  const std::string& name() const { return node_.name(); }
  const std::string& op() const { return node_.op(); }
  ImportState& state() { return state_; }
  const TfImportOptions& options() const { return state_.options; }
  Graph& graph() { return state_.graph(); }
  // "tensorflow graph 'f.pb': node 'n' (Op)": what every message of this node starts with.
  std::string where() const;

  template <typename... Parts>
  [[noreturn]] void fail(const Parts&... parts) const {
    P3D_THROW(where(), ": ", parts...);
  }

  // ---- inputs (data inputs only; control inputs are ignored for inference) ----
  size_t num_inputs() const { return inputs_.size(); }
  void expect_inputs(size_t count) const;
  void expect_inputs(size_t min_count, size_t max_count) const;
  const TfValue& input(size_t i) const;
  const std::string& input_name(size_t i) const { return input_names_[i]; }
  bool is_host(size_t i) const { return input(i).kind == TfValue::Kind::Host; }
  bool all_host() const;
  // The host value of input i; fails unless it is known at import time.
  const Tensor& host(size_t i, const char* what) const;
  // Input i as integers (an i32 scalar or vector known at import time).
  std::vector<int64_t> host_ints(size_t i, const char* what) const;
  int64_t host_int(size_t i, const char* what) const;
  // Input i as a graph value (host values become constants); fails for pending values.
  Value value(size_t i);
  Shape shape(size_t i) const;
  DType dtype(size_t i) const;

  // ---- attributes ----
  bool has_attr(const char* attr) const;
  int64_t attr_int(const char* attr) const;
  int64_t attr_int(const char* attr, int64_t fallback) const;
  float attr_float(const char* attr, float fallback) const;
  bool attr_bool(const char* attr, bool fallback) const;
  std::string attr_string(const char* attr) const;
  std::string attr_string(const char* attr, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const char* attr) const;
  std::vector<int64_t> attr_ints(const char* attr, std::vector<int64_t> fallback) const;
  int attr_type(const char* attr) const;
  int attr_type(const char* attr, int fallback) const;
  // data_format must be absent or NHWC.
  void check_nhwc() const;
  // A 4-entry NHWC window attr (strides, ksize, dilations): returns (h, w), requiring the
  // batch and channel entries to be 1 and h, w >= 1.
  std::pair<int32_t, int32_t> spatial_attr(const char* attr,
                                           std::vector<int64_t> fallback = {}) const;
  // padding (+ explicit_paddings for EXPLICIT).
  Padding padding_attr(Pads2d& explicit_pads, bool allow_explicit = true) const;

  // ---- outputs ----
  void set_output(TfValue v, int index = 0);
  void set_value(Value v) { set_output(TfValue::graph(v)); }
  void set_host(Tensor t) { set_output(TfValue::constant(std::move(t), name())); }
  // A name for a helper node this op adds: "<node>#<suffix>" (TF names cannot contain '#').
  std::string helper_name(const std::string& suffix) const;

 private:
  // The attr, required to be set and of the given AttrValue::ValueCase.
  const tf::AttrValue& typed_attr(const char* attr, int value_case, const char* expected) const;

  ImportState& state_;
  const tf::NodeDef& node_;
  std::vector<const TfValue*> inputs_;
  std::vector<std::string> input_names_;
};

using LowerFn = void (*)(OpContext&);

struct OpSpec {
  int num_outputs = 1;  // outputs TF defines (for validating "node:k" references)
  LowerFn lower = nullptr;
};
using OpTable = std::map<std::string, OpSpec>;

// Each op family registers its lowerings (importer/lower_*.cpp, shape_folding.cpp).
void add_basic_ops(OpTable& table);
void add_conv_ops(OpTable& table);
void add_nn_ops(OpTable& table);
void add_math_ops(OpTable& table);
void add_array_ops(OpTable& table);
void add_shape_ops(OpTable& table);

// All of them (built once).
const OpTable& op_table();
const OpSpec* find_op(const std::string& op);

}  // namespace p3d::tfimport
