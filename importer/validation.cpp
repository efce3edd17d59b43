// Structural validation (see validation.h). Graph walks are iterative: a hostile file can
// be a chain of millions of nodes, and recursion would overflow the stack.
#include "importer/validation.h"

#include <algorithm>
#include <sstream>

namespace p3d::tfimport {
namespace {

std::string node_desc(const tf::NodeDef& n) { return "node '" + n.name() + "' (" + n.op() + ")"; }

}  // namespace

GraphIndex index_graph(const tf::GraphDef& def, const std::string& prefix) {
  GraphIndex index;
  index.def = &def;
  for (int i = 0; i < def.node_size(); ++i) {
    const tf::NodeDef& n = def.node(i);
    if (n.name().empty()) P3D_THROW(prefix, ": node #", i, " (", n.op(), ") has an empty name");
    if (n.op().empty()) P3D_THROW(prefix, ": node '", n.name(), "' has no op");
    auto [it, inserted] = index.by_name.emplace(n.name(), i);
    if (!inserted)
      P3D_THROW(prefix, ": duplicate node name '", n.name(), "' (nodes #", it->second, " ",
                def.node(it->second).op(), " and #", i, " ", n.op(), ")");
  }
  index.data_inputs.resize(static_cast<size_t>(def.node_size()));
  for (int i = 0; i < def.node_size(); ++i) {
    const tf::NodeDef& n = def.node(i);
    bool seen_control = false;
    for (int k = 0; k < n.input_size(); ++k) {
      TensorRef ref;
      if (!parse_tensor_ref(n.input(k), ref))
        P3D_THROW(prefix, ": ", node_desc(n), ": input ", k, " '", n.input(k), "' is malformed");
      auto it = index.by_name.find(ref.node);
      if (it == index.by_name.end())
        P3D_THROW(prefix, ": ", node_desc(n), ": input ", k, " '", n.input(k), "' names node '",
                  ref.node, "', which is not in the graph");
      if (ref.control) {
        seen_control = true;
        continue;
      }
      if (seen_control)
        P3D_THROW(prefix, ": ", node_desc(n), ": data input ", k, " '", n.input(k),
                  "' follows a control input");
      const tf::NodeDef& producer = def.node(it->second);
      if (const OpSpec* spec = find_op(producer.op()); spec && ref.index >= spec->num_outputs)
        P3D_THROW(prefix, ": ", node_desc(n), ": input ", k, " '", n.input(k),
                  "' refers to output ", ref.index, " of ", node_desc(producer), ", which has ",
                  spec->num_outputs, spec->num_outputs == 1 ? " output" : " outputs");
      index.data_inputs[static_cast<size_t>(i)].push_back(ref);
    }
  }
  return index;
}

std::string output_name(const TensorRef& ref) {
  return ref.index == 0 ? ref.node : ref.node + ":" + std::to_string(ref.index);
}

std::vector<TensorRef> select_outputs(const GraphIndex& index,
                                      const std::vector<std::string>& requested,
                                      const std::string& prefix) {
  const tf::GraphDef& def = *index.def;
  std::vector<TensorRef> out;
  if (!requested.empty()) {
    for (const std::string& text : requested) {
      TensorRef ref;
      if (!parse_tensor_ref(text, ref) || ref.control)
        P3D_THROW(prefix, ": output '", text, "' is not a tensor name");
      auto it = index.by_name.find(ref.node);
      if (it == index.by_name.end())
        P3D_THROW(prefix, ": output '", text, "': no node named '", ref.node, "'");
      const tf::NodeDef& n = def.node(it->second);
      if (const OpSpec* spec = find_op(n.op()); spec && ref.index >= spec->num_outputs)
        P3D_THROW(prefix, ": output '", text, "': ", node_desc(n), " has ", spec->num_outputs,
                  " output(s)");
      for (const TensorRef& o : out)
        if (output_name(o) == output_name(ref))
          P3D_THROW(prefix, ": output '", text, "' is requested twice");
      out.push_back(ref);
    }
    return out;
  }
  // Sinks: nodes whose outputs nothing reads. Those that do not depend on any Placeholder
  // (a leftover "w/read" of an unused weight) are constants, not results: skip them unless
  // nothing else is left.
  const size_t count = static_cast<size_t>(def.node_size());
  std::vector<char> read(count, 0), live(count, 0);
  std::vector<std::vector<int>> readers(count);
  for (size_t i = 0; i < count; ++i)
    for (const TensorRef& ref : index.data_inputs[i]) {
      const int producer = index.by_name.at(ref.node);
      read[static_cast<size_t>(producer)] = 1;
      readers[static_cast<size_t>(producer)].push_back(static_cast<int>(i));
    }
  std::vector<int> stack;
  for (size_t i = 0; i < count; ++i)
    if (def.node(static_cast<int>(i)).op() == "Placeholder") stack.push_back(static_cast<int>(i));
  while (!stack.empty()) {
    const int id = stack.back();
    stack.pop_back();
    if (live[static_cast<size_t>(id)]) continue;
    live[static_cast<size_t>(id)] = 1;
    for (int r : readers[static_cast<size_t>(id)]) stack.push_back(r);
  }
  std::vector<TensorRef> constant_sinks;
  for (int i = 0; i < def.node_size(); ++i) {
    const tf::NodeDef& n = def.node(i);
    if (read[static_cast<size_t>(i)] || n.op() == "Const" || n.op() == "NoOp" ||
        n.op() == "Placeholder")
      continue;
    if (const OpSpec* spec = find_op(n.op()); spec && spec->num_outputs == 0) continue;
    (live[static_cast<size_t>(i)] ? out : constant_sinks).push_back(TensorRef{n.name(), 0, false});
  }
  if (out.empty()) out = constant_sinks;
  if (out.empty())
    P3D_THROW(prefix, ": the graph has no outputs (no node's output is left unread)");
  return out;
}

std::vector<int> reachable_nodes(const GraphIndex& index, const std::vector<TensorRef>& outputs) {
  std::vector<char> seen(static_cast<size_t>(index.def->node_size()), 0);
  std::vector<int> stack;
  for (const TensorRef& o : outputs) stack.push_back(index.by_name.at(o.node));
  while (!stack.empty()) {
    const int id = stack.back();
    stack.pop_back();
    if (seen[static_cast<size_t>(id)]) continue;
    seen[static_cast<size_t>(id)] = 1;
    for (const TensorRef& ref : index.data_inputs[static_cast<size_t>(id)])
      stack.push_back(index.by_name.at(ref.node));
  }
  std::vector<int> nodes;
  for (int i = 0; i < index.def->node_size(); ++i)
    if (seen[static_cast<size_t>(i)]) nodes.push_back(i);
  return nodes;
}

std::vector<TfUnsupportedOp> find_unsupported(const GraphIndex& index,
                                              const std::vector<int>& nodes) {
  std::map<std::string, TfUnsupportedOp> by_op;
  for (int id : nodes) {
    const tf::NodeDef& n = index.node(id);
    if (find_op(n.op())) continue;
    TfUnsupportedOp& u = by_op[n.op()];
    u.op = n.op();
    ++u.count;
    if (u.nodes.size() < 3) u.nodes.push_back(n.name());
  }
  std::vector<TfUnsupportedOp> out;
  for (auto& [op, u] : by_op) out.push_back(u);
  return out;
}

void check_supported(const GraphIndex& index, const std::vector<int>& nodes,
                     const std::string& prefix) {
  const std::vector<TfUnsupportedOp> unsupported = find_unsupported(index, nodes);
  if (unsupported.empty()) return;
  std::ostringstream msg;
  msg << prefix << ": " << unsupported.size() << " unsupported op"
      << (unsupported.size() == 1 ? "" : "s") << ": ";
  for (size_t i = 0; i < unsupported.size(); ++i) {
    const TfUnsupportedOp& u = unsupported[i];
    msg << (i ? "; " : "") << u.op << " (" << u.count << " node" << (u.count == 1 ? "" : "s")
        << ": ";
    for (size_t k = 0; k < u.nodes.size(); ++k) msg << (k ? ", " : "") << "'" << u.nodes[k] << "'";
    msg << (u.count > static_cast<int>(u.nodes.size()) ? ", ..." : "") << ")";
  }
  if (index.def->library().ByteSizeLong() > 0)
    msg << ". The graph has a function library: calls into it (PartitionedCall, While, If) are not "
           "supported; freeze the model with its functions inlined";
  P3D_THROW(msg.str());
}

std::vector<int> topological_order(const GraphIndex& index, const std::vector<TensorRef>& outputs,
                                   const std::string& prefix) {
  enum : char { kWhite, kGray, kBlack };
  std::vector<char> color(static_cast<size_t>(index.def->node_size()), kWhite);
  std::vector<int> order;
  // Iterative DFS: (node, next input to visit). Gray nodes are exactly those on the stack.
  std::vector<std::pair<int, size_t>> stack;
  for (const TensorRef& o : outputs) {
    const int root = index.by_name.at(o.node);
    if (color[static_cast<size_t>(root)] != kWhite) continue;
    stack.push_back({root, 0});
    color[static_cast<size_t>(root)] = kGray;
    while (!stack.empty()) {
      auto& [id, next] = stack.back();
      const auto& inputs = index.data_inputs[static_cast<size_t>(id)];
      if (next == inputs.size()) {
        color[static_cast<size_t>(id)] = kBlack;
        order.push_back(id);
        stack.pop_back();
        continue;
      }
      const int in = index.by_name.at(inputs[next++].node);
      if (color[static_cast<size_t>(in)] == kBlack) continue;
      if (color[static_cast<size_t>(in)] == kGray) {
        // The cycle is the stack from `in` to the top.
        std::ostringstream path;
        size_t from = 0;
        while (stack[from].first != in) ++from;
        for (size_t k = from; k < stack.size(); ++k)
          path << "'" << index.node(stack[k].first).name() << "' <- ";
        path << "'" << index.node(in).name() << "'";
        P3D_THROW(prefix, ": the graph has a cycle: ", path.str(),
                  " (each node reads the next; frozen inference graphs must be acyclic)");
      }
      color[static_cast<size_t>(in)] = kGray;
      stack.push_back({in, 0});
    }
  }
  return order;
}

}  // namespace p3d::tfimport
