// The layer graph: node storage, the builder methods, queries and the edits passes use.
// Per-op shape rules live in engine/shape_inference.cpp.
#include "engine/graph.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <queue>
#include <sstream>

#include "engine/op_registry.h"
#include "kernels/error.h"

namespace p3d {

namespace {

// "Conv2d" -> "conv2d", "BatchNorm" -> "batch_norm": the default name stem of a node.
std::string default_stem(OpKind kind) {
  std::string out;
  const std::string name = op_name(kind);
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (i > 0 && !std::isdigit(static_cast<unsigned char>(name[i - 1]))) out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

// ---- node storage ------------------------------------------------------------------------

Node& Graph::checked(int id) {
  if (id < 0 || id >= static_cast<int>(nodes_.size()))
    P3D_THROW("node id ", id, " out of range (the graph has ", nodes_.size(), " node slots)");
  return nodes_[static_cast<size_t>(id)];
}

const Node& Graph::checked(int id) const { return const_cast<Graph*>(this)->checked(id); }

const Node& Graph::node(int id) const { return checked(id); }
Node& Graph::mutable_node(int id) { return checked(id); }

const Tensor& Graph::constant_value(int id) const {
  const Node& n = checked(id);
  if (n.kind() != OpKind::Constant)
    P3D_THROW("node '", n.name, "' (", op_name(n.kind()), ") is not a Constant");
  return n.as<ConstantAttrs>().value;
}

int Graph::append(Node node) {
  node.id = static_cast<int>(nodes_.size());
  by_name_[node.name] = node.id;
  nodes_.push_back(std::move(node));
  return nodes_.back().id;
}

std::string Graph::unique_name(const std::string& base) const {
  if (!by_name_.count(base)) return base;
  for (int i = 1;; ++i) {
    std::string candidate = base + "_" + std::to_string(i);
    if (!by_name_.count(candidate)) return candidate;
  }
}

Value Graph::add_node(OpAttrs attrs, std::vector<Value> inputs, const std::string& name) {
  Node node;
  node.attrs = std::move(attrs);
  node.name = name.empty() ? unique_name(default_stem(node.kind())) : name;
  if (by_name_.count(node.name))
    P3D_THROW("node name '", node.name, "' is already used (by a ",
              op_name(node_kind_by_name(node.name)), " node); names must be unique");
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value v = inputs[i];
    if (!v.valid() || v.id >= static_cast<int>(nodes_.size()) ||
        !nodes_[static_cast<size_t>(v.id)].alive)
      P3D_THROW("node '", node.name, "' (", op_name(node.kind()), "): input ", i,
                " is not a value of this graph (id ", v.id, ")");
    node.inputs.push_back(v.id);
  }
  infer_node_shape(*this, node);  // throws before anything is stored
  return Value{append(std::move(node))};
}

OpKind Graph::node_kind_by_name(const std::string& name) const {
  return nodes_[static_cast<size_t>(by_name_.at(name))].kind();
}

// ---- builder -----------------------------------------------------------------------------

Value Graph::input(const std::string& name, const Shape& shape, DType dtype) {
  P3D_CHECK(!name.empty(), "graph inputs need a name");
  return add_node(InputAttrs{shape, dtype}, {}, name);
}

Value Graph::constant(const Tensor& host_value, const std::string& name) {
  if (host_value.device().kind != DeviceKind::CPU)
    P3D_THROW("constant '", name, "' must be a host tensor, got ", host_value.str());
  return add_node(ConstantAttrs{host_value}, {}, name);
}

Value Graph::scalar(float value, const std::string& name) {
  Tensor t = Tensor::empty(Shape{}, DType::F32);
  *t.data<float>() = value;
  return constant(t, name);
}

void Graph::output(Value v, const std::string& name) {
  P3D_CHECK(v.valid(), "graph output '", name, "' is not a value");
  checked(v.id);
  P3D_CHECK(nodes_[static_cast<size_t>(v.id)].alive, "output '", name, "' names a removed node");
  for (const GraphOutput& o : outputs_)
    if (o.name == name) P3D_THROW("graph output name '", name, "' is used twice");
  outputs_.push_back(GraphOutput{name, v.id});
}

Value Graph::conv2d(Value x, Value filter, Value bias, const Conv2dAttrs& attrs,
                    const std::string& name) {
  Conv2dAttrs a = attrs;
  a.has_bias = bias.valid();
  a.has_residual = false;
  std::vector<Value> in{x, filter};
  if (bias.valid()) in.push_back(bias);
  return add_node(a, in, name);
}

Value Graph::conv_transpose2d(Value x, Value filter, Value bias, const ConvTranspose2dAttrs& attrs,
                              const std::string& name) {
  ConvTranspose2dAttrs a = attrs;
  a.has_bias = bias.valid();
  a.has_residual = false;
  std::vector<Value> in{x, filter};
  if (bias.valid()) in.push_back(bias);
  return add_node(a, in, name);
}

Value Graph::matmul(Value a, Value b, Value bias, const MatMulAttrs& attrs,
                    const std::string& name) {
  MatMulAttrs m = attrs;
  m.has_bias = bias.valid();
  std::vector<Value> in{a, b};
  if (bias.valid()) in.push_back(bias);
  return add_node(m, in, name);
}

Value Graph::pool2d(Value x, const Pool2dAttrs& attrs, const std::string& name) {
  return add_node(attrs, {x}, name);
}
Value Graph::max_pool(Value x, Pool2dAttrs attrs, const std::string& name) {
  return add_node(attrs.kind(PoolKind::Max), {x}, name.empty() ? unique_name("max_pool") : name);
}
Value Graph::avg_pool(Value x, Pool2dAttrs attrs, const std::string& name) {
  return add_node(attrs.kind(PoolKind::Average), {x},
                  name.empty() ? unique_name("avg_pool") : name);
}

Value Graph::reduce(Value x, const ReduceAttrs& attrs, const std::string& name) {
  return add_node(attrs, {x}, name);
}
Value Graph::reduce_mean(Value x, std::vector<int> axes, bool keep_dims, const std::string& name) {
  return reduce(x, ReduceAttrs{}.kind(ReduceKind::Mean).over(std::move(axes)).keep_dims(keep_dims),
                name.empty() ? unique_name("mean") : name);
}
Value Graph::global_mean(Value x, bool keep_dims, const std::string& name) {
  return reduce_mean(x, {1, 2}, keep_dims, name.empty() ? unique_name("global_mean") : name);
}

Value Graph::batch_norm(Value x, const BatchNormInputs& stats, float epsilon,
                        const std::string& name) {
  const char* missing = !stats.gamma.valid()      ? "gamma (scale)"
                        : !stats.beta.valid()     ? "beta (offset)"
                        : !stats.mean.valid()     ? "mean (moving_mean)"
                        : !stats.variance.valid() ? "variance (moving_variance)"
                                                  : nullptr;
  if (missing)
    P3D_THROW("batch_norm", name.empty() ? "" : " '" + name + "'", ": BatchNormInputs has no ",
              missing);
  return add_node(BatchNormAttrs{epsilon}, {x, stats.gamma, stats.beta, stats.mean, stats.variance},
                  name);
}

Value Graph::custom(const std::vector<Value>& inputs, const CustomAttrs& attrs,
                    const std::string& name) {
  return add_node(attrs, inputs, name.empty() ? unique_name(attrs.op_name) : name);
}

int64_t Graph::channels(Value v) const {
  const Node& n = node(v);
  if (n.shape.rank() < 1)
    P3D_THROW("channels: node '", n.name, "' (", op_name(n.kind()), ") is a scalar ", n.shape.str(),
              "; it has no channel axis");
  return n.shape[n.shape.rank() - 1];
}

Value Graph::unary(Value x, Unary op, float alpha, const std::string& name) {
  std::string stem = unary_name(op);
  std::transform(stem.begin(), stem.end(), stem.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return add_node(UnaryAttrs{op, alpha}, {x}, name.empty() ? unique_name(stem) : name);
}

Value Graph::binary(Value a, Value b, Binary op, const std::string& name) {
  std::string stem = binary_name(op);
  std::transform(stem.begin(), stem.end(), stem.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return add_node(BinaryAttrs{op}, {a, b}, name.empty() ? unique_name(stem) : name);
}

Value Graph::cast(Value x, DType to, const std::string& name) {
  return add_node(CastAttrs{to}, {x}, name);
}
Value Graph::concat(const std::vector<Value>& xs, int axis, const std::string& name) {
  return add_node(ConcatAttrs{axis}, xs, name);
}
Value Graph::pad(Value x, const PadAttrs& attrs, const std::string& name) {
  return add_node(attrs, {x}, name);
}
Value Graph::transpose(Value x, std::vector<int> perm, const std::string& name) {
  return add_node(TransposeAttrs{std::move(perm)}, {x}, name);
}
Value Graph::slice(Value x, const SliceAttrs& attrs, const std::string& name) {
  return add_node(attrs, {x}, name);
}
Value Graph::resize(Value x, const ResizeAttrs& attrs, const std::string& name) {
  return add_node(attrs, {x}, name);
}
Value Graph::reshape(Value x, std::vector<int64_t> dims, const std::string& name) {
  return add_node(ReshapeAttrs{std::move(dims)}, {x}, name);
}
Value Graph::squeeze(Value x, std::vector<int> axes, const std::string& name) {
  return add_node(SqueezeAttrs{std::move(axes)}, {x}, name);
}
Value Graph::expand_dims(Value x, int axis, const std::string& name) {
  return add_node(ExpandDimsAttrs{axis}, {x}, name);
}

// ---- queries -----------------------------------------------------------------------------

Value Graph::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? Value{} : Value{it->second};
}

Value Graph::at(const std::string& name) const {
  const Value v = find(name);
  if (v.valid()) return v;
  std::string some;
  int shown = 0;
  for (const Node& n : nodes_) {
    if (!n.alive) continue;
    if (shown == 8) {
      some += ", ...";
      break;
    }
    some += (shown++ ? ", '" : "'") + n.name + "'";
  }
  P3D_THROW("no node named '", name, "' in the graph (it has ", some, ")");
}

std::vector<int> Graph::inputs() const {
  std::vector<int> ids;
  for (const Node& n : nodes_)
    if (n.alive && n.kind() == OpKind::Input) ids.push_back(n.id);
  return ids;
}

int Graph::node_count() const {
  return static_cast<int>(
      std::count_if(nodes_.begin(), nodes_.end(), [](const Node& n) { return n.alive; }));
}

int Graph::count(OpKind kind) const {
  return static_cast<int>(std::count_if(
      nodes_.begin(), nodes_.end(), [&](const Node& n) { return n.alive && n.kind() == kind; }));
}

std::vector<std::vector<int>> Graph::consumers() const {
  std::vector<std::vector<int>> result(nodes_.size());
  for (const Node& n : nodes_)
    if (n.alive)
      for (int in : n.inputs) result[static_cast<size_t>(in)].push_back(n.id);
  return result;
}

std::vector<int> Graph::use_counts() const {
  std::vector<int> counts(nodes_.size(), 0);
  for (const Node& n : nodes_)
    if (n.alive)
      for (int in : n.inputs) ++counts[static_cast<size_t>(in)];
  for (const GraphOutput& o : outputs_) ++counts[static_cast<size_t>(o.node)];
  return counts;
}

bool Graph::is_output(int id) const {
  return std::any_of(outputs_.begin(), outputs_.end(),
                     [&](const GraphOutput& o) { return o.node == id; });
}

std::vector<int> Graph::topological_order() const {
  // Kahn's algorithm with a min-heap on the id: creation order wherever the edges allow.
  std::vector<int> pending(nodes_.size(), 0);
  const std::vector<std::vector<int>> readers = consumers();
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  int alive = 0;
  for (const Node& n : nodes_) {
    if (!n.alive) continue;
    ++alive;
    pending[static_cast<size_t>(n.id)] = static_cast<int>(n.inputs.size());
    if (n.inputs.empty()) ready.push(n.id);
  }
  std::vector<int> order;
  order.reserve(static_cast<size_t>(alive));
  while (!ready.empty()) {
    const int id = ready.top();
    ready.pop();
    order.push_back(id);
    for (int reader : readers[static_cast<size_t>(id)])
      if (--pending[static_cast<size_t>(reader)] == 0) ready.push(reader);
  }
  if (static_cast<int>(order.size()) != alive) {
    for (const Node& n : nodes_)
      if (n.alive && pending[static_cast<size_t>(n.id)] > 0)
        P3D_THROW("the graph has a cycle through node '", n.name, "' (", op_name(n.kind()), ")");
  }
  return order;
}

std::string Graph::dump() const {
  std::ostringstream out;
  for (int id : topological_order()) {
    const Node& n = nodes_[static_cast<size_t>(id)];
    out << n.name << " = " << op_name(n.kind()) << "(";
    for (size_t i = 0; i < n.inputs.size(); ++i)
      out << (i ? ", " : "") << nodes_[static_cast<size_t>(n.inputs[i])].name;
    out << ")";
    const std::string attrs = attrs_str(n.attrs);
    if (!attrs.empty()) out << " " << attrs;
    out << " -> " << dtype_name(n.dtype) << n.shape.str() << "\n";
  }
  for (const GraphOutput& o : outputs_)
    out << "output '" << o.name << "' <- " << nodes_[static_cast<size_t>(o.node)].name << "\n";
  return out.str();
}

// ---- shapes ------------------------------------------------------------------------------

void Graph::set_input_shape(const std::string& name, const Shape& shape) {
  set_input_shapes({{name, shape}});
}

void Graph::set_input_shapes(const std::map<std::string, Shape>& shapes) {
  // Keep the old state so a failed re-inference leaves the graph as it was.
  std::vector<std::pair<Shape, DType>> saved;
  saved.reserve(nodes_.size());
  for (const Node& n : nodes_) saved.emplace_back(n.shape, n.dtype);
  std::vector<std::pair<int, Shape>> old_declared;

  try {
    for (const auto& [name, shape] : shapes) {
      const Value v = find(name);
      if (!v.valid() || nodes_[static_cast<size_t>(v.id)].kind() != OpKind::Input)
        P3D_THROW("set_input_shape: '", name, "' is not an input of the graph");
      InputAttrs& a = nodes_[static_cast<size_t>(v.id)].as<InputAttrs>();
      old_declared.emplace_back(v.id, a.shape);
      a.shape = shape;
    }
    infer_shapes();
  } catch (...) {
    for (auto& [id, shape] : old_declared)
      nodes_[static_cast<size_t>(id)].as<InputAttrs>().shape = shape;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      nodes_[i].shape = saved[i].first;
      nodes_[i].dtype = saved[i].second;
    }
    throw;
  }
}

void Graph::infer_shapes() {
  for (int id : topological_order()) infer_node(id);
}

void Graph::infer_node(int id) { infer_node_shape(*this, checked(id)); }

// ---- editing -----------------------------------------------------------------------------

void Graph::replace_all_uses(int from, int to) {
  checked(from);
  checked(to);
  for (Node& n : nodes_) {
    if (!n.alive || n.id == to) continue;  // `to` may read `from` (it then keeps doing so)
    for (int& in : n.inputs)
      if (in == from) in = to;
  }
  for (GraphOutput& o : outputs_)
    if (o.node == from) o.node = to;
}

void Graph::remove_node(int id) { remove_nodes({id}); }

void Graph::remove_nodes(const std::vector<int>& ids) {
  std::vector<char> doomed(nodes_.size(), 0);
  for (int id : ids) doomed[static_cast<size_t>(checked(id).id)] = 1;
  for (const Node& n : nodes_) {
    if (!n.alive || doomed[static_cast<size_t>(n.id)]) continue;
    for (int in : n.inputs)
      if (doomed[static_cast<size_t>(in)])
        P3D_THROW("cannot remove node '", nodes_[static_cast<size_t>(in)].name, "': node '", n.name,
                  "' still reads it");
  }
  for (const GraphOutput& o : outputs_)
    if (doomed[static_cast<size_t>(o.node)])
      P3D_THROW("cannot remove node '", nodes_[static_cast<size_t>(o.node)].name,
                "': it is graph output '", o.name, "'");
  for (int id : ids) {
    Node& n = nodes_[static_cast<size_t>(id)];
    if (!n.alive) continue;
    by_name_.erase(n.name);
    n.alive = false;
    n.inputs.clear();
    if (n.kind() == OpKind::Constant) n.as<ConstantAttrs>().value = Tensor();  // free the weights
  }
}

void Graph::replace_with_constant(int id, const Tensor& value) {
  Node& n = checked(id);
  P3D_CHECK(n.alive, "replace_with_constant on removed node '", n.name, "'");
  P3D_CHECK(value.device().kind == DeviceKind::CPU, "constant '", n.name,
            "' must be a host tensor");
  n.attrs = ConstantAttrs{value};
  n.inputs.clear();
  infer_node_shape(*this, n);
}

void Graph::rename(int id, const std::string& name) {
  Node& n = checked(id);
  if (n.name == name) return;
  if (by_name_.count(name)) P3D_THROW("rename: node name '", name, "' is already used");
  by_name_.erase(n.name);
  n.name = name;
  by_name_[name] = id;
}

// ---- helpers -----------------------------------------------------------------------------

int conv_bias_input(const Node& node) {
  switch (node.kind()) {
    case OpKind::Conv2d:
      return node.as<Conv2dAttrs>().has_bias ? node.inputs[2] : -1;
    case OpKind::ConvTranspose2d:
      return node.as<ConvTranspose2dAttrs>().has_bias ? node.inputs[2] : -1;
    case OpKind::MatMul:
      return node.as<MatMulAttrs>().has_bias ? node.inputs[2] : -1;
    default:
      return -1;
  }
}

int conv_residual_input(const Node& node) {
  bool has_bias = false, has_residual = false;
  if (node.kind() == OpKind::Conv2d) {
    has_bias = node.as<Conv2dAttrs>().has_bias;
    has_residual = node.as<Conv2dAttrs>().has_residual;
  } else if (node.kind() == OpKind::ConvTranspose2d) {
    has_bias = node.as<ConvTranspose2dAttrs>().has_bias;
    has_residual = node.as<ConvTranspose2dAttrs>().has_residual;
  }
  return has_residual ? node.inputs[has_bias ? 3 : 2] : -1;
}

int64_t node_flops(const Graph& graph, const Node& node) {
  const OpInfo& info = op_info(node.kind());
  return info.flops ? info.flops(graph, node) : 0;
}

int64_t graph_flops(const Graph& graph) {
  int64_t total = 0;
  for (int id = 0; id < graph.node_capacity(); ++id)
    if (graph.node(id).alive) total += node_flops(graph, graph.node(id));
  return total;
}

}  // namespace p3d
