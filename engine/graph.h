// The layer graph: a list of single-output nodes (so a node id is also its value id), NHWC,
// with a builder API that research code and the TensorFlow importer both call. Shapes and
// dtypes are inferred as nodes are added; an inconsistency throws p3d::Error naming the
// node, its op and the offending shapes. Passes (engine/pass.h) rewrite the graph in place;
// the executor (engine/executor.h) lowers it to backend calls.
//
// Node ids are stable: removing a node leaves a tombstone (alive == false) so ids held by
// callers and passes stay valid. Node order is not assumed to be topological after passes
// rewire inputs; topological_order() computes one.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/op_attrs.h"
#include "engine/shape.h"
#include "engine/tensor.h"

namespace p3d {

// A handle to a node's output. Default-constructed = none (e.g. "no bias").
struct Value {
  int id = -1;
  bool valid() const { return id >= 0; }
  bool operator==(const Value& o) const { return id == o.id; }
  bool operator!=(const Value& o) const { return id != o.id; }
};

struct Node {
  int id = -1;
  std::string name;          // unique within the graph
  std::vector<int> inputs;   // node ids, in the op's documented order
  OpAttrs attrs;             // its alternative determines the op kind
  Shape shape;               // inferred output shape
  DType dtype = DType::F32;  // inferred output dtype
  bool alive = true;         // false once removed (a tombstone)

  OpKind kind() const { return op_kind_of(attrs); }
  template <typename A>
  const A& as() const {
    return std::get<A>(attrs);
  }
  template <typename A>
  A& as() {
    return std::get<A>(attrs);
  }
};

// The four per-channel inputs of an inference batch norm, named so they cannot be swapped
// by position: BatchNormInputs{}.scale(g).offset(b).moving_mean(m).moving_variance(v).
// Each must be set; each is [C], C the last dim of x.
struct BatchNormInputs {
  Value gamma, beta, mean, variance;

  BatchNormInputs& scale(Value v) {
    gamma = v;
    return *this;
  }
  BatchNormInputs& offset(Value v) {
    beta = v;
    return *this;
  }
  BatchNormInputs& moving_mean(Value v) {
    mean = v;
    return *this;
  }
  BatchNormInputs& moving_variance(Value v) {
    variance = v;
    return *this;
  }
};

struct GraphOutput {
  std::string name;  // the name the caller gets the result under
  int node = -1;
};

class Graph {
 public:
  // ---- building: inputs, constants, outputs ----------------------------------------------
  Value input(const std::string& name, const Shape& shape, DType dtype = DType::F32);
  // A constant holding a host tensor (shared, not copied: do not modify it afterwards).
  Value constant(const Tensor& host_value, const std::string& name = "");
  // A scalar (shape []) f32 constant, handy for Binary ops.
  Value scalar(float value, const std::string& name = "");
  // Marks `v` as a graph output named `name` (names must be unique among outputs).
  void output(Value v, const std::string& name);

  // ---- building: ops (name "" picks a unique one from the op name) -----------------------
  Value conv2d(Value x, Value filter, Value bias, const Conv2dAttrs& attrs,
               const std::string& name = "");
  Value conv_transpose2d(Value x, Value filter, Value bias, const ConvTranspose2dAttrs& attrs,
                         const std::string& name = "");
  Value matmul(Value a, Value b, Value bias = {}, const MatMulAttrs& attrs = {},
               const std::string& name = "");
  Value pool2d(Value x, const Pool2dAttrs& attrs, const std::string& name = "");
  Value max_pool(Value x, Pool2dAttrs attrs, const std::string& name = "");
  Value avg_pool(Value x, Pool2dAttrs attrs, const std::string& name = "");
  Value reduce(Value x, const ReduceAttrs& attrs, const std::string& name = "");
  Value reduce_mean(Value x, std::vector<int> axes, bool keep_dims, const std::string& name = "");
  // Mean over H and W of an NHWC tensor: [N,H,W,C] -> [N,C] (or [N,1,1,C] with keep_dims).
  Value global_mean(Value x, bool keep_dims = false, const std::string& name = "");
  // Inference batch norm over the last axis: (x - mean) * gamma / sqrt(variance + eps) + beta.
  Value batch_norm(Value x, const BatchNormInputs& stats, float epsilon = 1e-3f,
                   const std::string& name = "");
  Value unary(Value x, Unary op, float alpha = 0.2f, const std::string& name = "");
  Value relu(Value x, const std::string& name = "") { return unary(x, Unary::Relu, 0.f, name); }
  Value relu6(Value x, const std::string& name = "") { return unary(x, Unary::Relu6, 0.f, name); }
  Value leaky_relu(Value x, float alpha = 0.2f, const std::string& name = "") {
    return unary(x, Unary::LeakyRelu, alpha, name);
  }
  Value elu(Value x, const std::string& name = "") { return unary(x, Unary::Elu, 0.f, name); }
  Value sigmoid(Value x, const std::string& name = "") {
    return unary(x, Unary::Sigmoid, 0.f, name);
  }
  Value tanh(Value x, const std::string& name = "") { return unary(x, Unary::Tanh, 0.f, name); }
  Value binary(Value a, Value b, Binary op, const std::string& name = "");
  Value add(Value a, Value b, const std::string& name = "") {
    return binary(a, b, Binary::Add, name);
  }
  Value sub(Value a, Value b, const std::string& name = "") {
    return binary(a, b, Binary::Sub, name);
  }
  Value mul(Value a, Value b, const std::string& name = "") {
    return binary(a, b, Binary::Mul, name);
  }
  Value div(Value a, Value b, const std::string& name = "") {
    return binary(a, b, Binary::Div, name);
  }
  Value minimum(Value a, Value b, const std::string& name = "") {
    return binary(a, b, Binary::Min, name);
  }
  Value maximum(Value a, Value b, const std::string& name = "") {
    return binary(a, b, Binary::Max, name);
  }
  Value cast(Value x, DType to, const std::string& name = "");
  Value concat(const std::vector<Value>& xs, int axis, const std::string& name = "");
  Value pad(Value x, const PadAttrs& attrs, const std::string& name = "");
  Value transpose(Value x, std::vector<int> perm, const std::string& name = "");
  Value slice(Value x, const SliceAttrs& attrs, const std::string& name = "");
  Value resize(Value x, const ResizeAttrs& attrs, const std::string& name = "");
  Value reshape(Value x, std::vector<int64_t> dims, const std::string& name = "");
  Value squeeze(Value x, std::vector<int> axes, const std::string& name = "");
  Value expand_dims(Value x, int axis, const std::string& name = "");
  // A user op (CustomAttrs, engine/op_attrs.h): its kernels and output-shape function are
  // the caller's; name "" picks one from attrs.op_name.
  Value custom(const std::vector<Value>& inputs, const CustomAttrs& attrs,
               const std::string& name = "");

  // The generic form every builder method goes through (the importer and passes may call it
  // directly): appends a node, infers its shape (throwing on error; the graph is then
  // unchanged) and returns it.
  Value add_node(OpAttrs attrs, std::vector<Value> inputs, const std::string& name = "");

  // ---- queries ---------------------------------------------------------------------------
  // Every node slot ever created, removed ones included (check alive).
  int node_capacity() const { return static_cast<int>(nodes_.size()); }
  const Node& node(int id) const;
  const Node& node(Value v) const { return node(v.id); }
  Node& mutable_node(int id);
  const Shape& shape(Value v) const { return node(v).shape; }
  // The channel count of an NHWC (or any channels-last) value: its last dim.
  int64_t channels(Value v) const;
  DType dtype(Value v) const { return node(v).dtype; }
  // The value of a Constant node.
  const Tensor& constant_value(int id) const;
  bool is_constant(int id) const { return node(id).kind() == OpKind::Constant; }

  // The node with this name, or an invalid Value.
  Value find(const std::string& name) const;
  // The node with this name; throws listing a few names when absent.
  Value at(const std::string& name) const;

  const std::vector<GraphOutput>& outputs() const { return outputs_; }
  // Input node ids in creation order.
  std::vector<int> inputs() const;
  // Alive nodes, each after all of its inputs (ties broken by id, so an untouched
  // graph comes out in creation order). Throws on a cycle.
  std::vector<int> topological_order() const;
  int node_count() const;        // alive nodes
  int count(OpKind kind) const;  // alive nodes of this kind
  // For every node id, the ids of alive nodes that read it (once per reading input slot).
  std::vector<std::vector<int>> consumers() const;
  // For every node id, how many input slots read it plus how many graph outputs name it.
  std::vector<int> use_counts() const;
  bool is_output(int id) const;

  // One line per alive node in topological order: "name = Op(inputs) attrs -> f32[..]".
  std::string dump() const;

  // ---- shapes ----------------------------------------------------------------------------
  // Replaces an input's declared shape and re-infers every node. On error the graph keeps
  // its previous shapes and the error names the first node that no longer fits.
  void set_input_shape(const std::string& name, const Shape& shape);
  void set_input_shapes(const std::map<std::string, Shape>& shapes);
  // Re-infers every alive node in topological order (after passes edit attrs or inputs).
  void infer_shapes();
  // Re-infers one node from its inputs' current shapes.
  void infer_node(int id);

  // ---- editing (used by passes) ----------------------------------------------------------
  // Makes every reader of `from` (input slots and graph outputs) read `to` instead.
  void replace_all_uses(int from, int to);
  // Turns a node into a tombstone; throws if something still reads it.
  void remove_node(int id);
  // The same for a set of nodes at once (they may read each other), in one sweep.
  void remove_nodes(const std::vector<int>& ids);
  // Turns node `id` into a Constant holding `value` (its name, id and uses are kept).
  void replace_with_constant(int id, const Tensor& value);
  void rename(int id, const std::string& name);
  // `base` if no node has it, else base_1, base_2, ...
  std::string unique_name(const std::string& base) const;

 private:
  Node& checked(int id);
  const Node& checked(int id) const;
  int append(Node node);
  OpKind node_kind_by_name(const std::string& name) const;

  std::vector<Node> nodes_;
  std::unordered_map<std::string, int> by_name_;
  std::vector<GraphOutput> outputs_;
};

// Sets node.shape / node.dtype from its attrs and its inputs' shapes (engine/shape_inference.cpp).
void infer_node_shape(const Graph& graph, Node& node);

// Multiply-accumulate FLOPs (2 per MAC) of a node, by its op's table entry (Conv2d,
// ConvTranspose2d and MatMul count theirs; the others 0).
int64_t node_flops(const Graph& graph, const Node& node);
// Sum of node_flops over the alive nodes: what a benchmark divides by the time.
int64_t graph_flops(const Graph& graph);

// The input ids of a conv-like node's optional operands (-1 when absent).
int conv_bias_input(const Node& node);
int conv_residual_input(const Node& node);

}  // namespace p3d
