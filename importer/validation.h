// Structural validation of a GraphDef before anything is lowered: node names, input
// references, output selection, unknown ops and cycles. Each check throws p3d::Error starting
// with `prefix` ("tensorflow graph 'f.pb'") and naming the node, its op and the problem.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "importer/import_context.h"

namespace p3d::tfimport {

struct GraphIndex {
  const tf::GraphDef* def = nullptr;
  std::unordered_map<std::string, int> by_name;
  std::vector<std::vector<TensorRef>> data_inputs;  // per node, parsed and checked
  const tf::NodeDef& node(int i) const { return def->node(i); }
};

// Checks that every node has a non-empty, unique name and an op, and that every input names
// an existing node (and, for ops we know, an output it has; control inputs come last).
GraphIndex index_graph(const tf::GraphDef& def, const std::string& prefix);

// The requested output tensors, or by default every output nothing reads (see
// TfImportOptions::outputs). Throws for names that are not in the graph.
std::vector<TensorRef> select_outputs(const GraphIndex& index,
                                      const std::vector<std::string>& requested,
                                      const std::string& prefix);
// "coeff:0" -> "coeff", "bn:2" -> "bn:2": the graph output name of a tensor.
std::string output_name(const TensorRef& ref);

// Nodes the outputs depend on through data edges (control-only dependencies do not compute
// anything at inference), in file order.
std::vector<int> reachable_nodes(const GraphIndex& index, const std::vector<TensorRef>& outputs);

// Unknown ops among `nodes`, grouped by op (sorted by op name).
std::vector<TfUnsupportedOp> find_unsupported(const GraphIndex& index,
                                              const std::vector<int>& nodes);
// Throws one error listing all of them (no-op when empty).
void check_supported(const GraphIndex& index, const std::vector<int>& nodes,
                     const std::string& prefix);

// Nodes the outputs depend on, each after its data inputs; throws naming the nodes of a cycle.
std::vector<int> topological_order(const GraphIndex& index, const std::vector<TensorRef>& outputs,
                                   const std::string& prefix);

}  // namespace p3d::tfimport
