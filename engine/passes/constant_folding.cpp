// Constant folding: a node whose inputs are all Constants is computed once, on the CPU
// backend through the executor (so folding uses exactly the kernels a run would), and
// becomes a Constant. Imported graphs are full of these (BN parameter arithmetic, shape
// plumbing, weights behind Identity / Reshape); folding them lets the fusions see plain
// constants.
#include "engine/executor.h"
#include "engine/pass.h"

namespace p3d {
namespace {

// Folds every node whose inputs are all constants and whose result fits max_output_bytes.
bool fold_constants(Graph& g, size_t max_output_bytes) {
  bool changed = false;
  // Topological order: a folded node's readers see it as a Constant in the same sweep.
  for (int id : g.topological_order()) {
    const Node& n = g.node(id);
    if (n.inputs.empty()) continue;  // Input, Constant
    bool all_constant = true;
    for (int in : n.inputs) all_constant = all_constant && g.is_constant(in);
    if (!all_constant) continue;
    const size_t bytes = static_cast<size_t>(n.shape.numel()) * dtype_size(n.dtype);
    if (bytes > max_output_bytes) continue;
    g.replace_with_constant(id, evaluate_constant_node(g, id));
    changed = true;
  }
  return changed;
}

}  // namespace

std::unique_ptr<Pass> make_constant_folding_pass(size_t max_output_bytes) {
  return make_pass("constant_folding",
                   [max_output_bytes](Graph& g) { return fold_constants(g, max_output_bytes); });
}

}  // namespace p3d
