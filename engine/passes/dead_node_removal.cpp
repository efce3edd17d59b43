// Dead-node removal: everything no graph output depends on goes (fused-away constants,
// the intermediate views a collapsed chain skipped, unused branches of imported graphs).
// Inputs stay even when unused: they are the graph's calling interface.
#include <vector>

#include "engine/pass.h"

namespace p3d {
namespace {

bool remove_dead_nodes(Graph& g) {
  std::vector<char> live(static_cast<size_t>(g.node_capacity()), 0);
  std::vector<int> stack;
  for (const GraphOutput& o : g.outputs()) stack.push_back(o.node);
  while (!stack.empty()) {
    const int id = stack.back();
    stack.pop_back();
    if (live[static_cast<size_t>(id)]) continue;
    live[static_cast<size_t>(id)] = 1;
    for (int in : g.node(id).inputs) stack.push_back(in);
  }
  std::vector<int> dead;
  for (int id = 0; id < g.node_capacity(); ++id) {
    const Node& n = g.node(id);
    if (n.alive && !live[static_cast<size_t>(id)] && n.kind() != OpKind::Input) dead.push_back(id);
  }
  if (dead.empty()) return false;
  g.remove_nodes(dead);
  return true;
}

}  // namespace

std::unique_ptr<Pass> make_dead_node_removal_pass() {
  return make_pass("dead_node_removal", remove_dead_nodes);
}

}  // namespace p3d
