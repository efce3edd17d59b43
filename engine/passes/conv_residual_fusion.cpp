// Conv + residual-add fusion: Add(conv, r) with r of the conv's exact shape (a ResNet
// shortcut) becomes the conv's residual input, added in its epilogue before the activation:
// conv -> add -> relu turns into one conv (the activation pass then fuses the relu).
// The conv must have no other reader, no residual and no activation yet. When both operands
// qualify, the one later in execution order absorbs the add, so the earlier result is what
// waits in memory (as it would anyway until the add).
//
// Rewiring cannot create a cycle: r cannot depend on the conv, whose only reader is the add.
#include "engine/pass.h"
#include "engine/passes/pass_util.h"

namespace p3d {
namespace {

bool fusable(const Graph& g, const Node& add, int conv, const std::vector<int>& uses) {
  const Node& c = g.node(conv);
  if (!passes::is_conv(c.kind()) || uses[static_cast<size_t>(conv)] != 1) return false;
  if (conv_residual_input(c) >= 0 || passes::activation_of(c) != Unary::Identity) return false;
  const Node& other = g.node(add.inputs[0] == conv ? add.inputs[1] : add.inputs[0]);
  return other.shape == c.shape && other.dtype == DType::F32 && add.shape == c.shape;
}

// Fuses the Add `id` into one of its operands as that conv's residual, when it can;
// `position` is each node's place in this sweep's execution order.
bool fuse_into_conv(Graph& g, int id, const std::vector<int>& uses,
                    const std::vector<int>& position) {
  const Node& n = g.node(id);
  if (n.kind() != OpKind::Binary || n.as<BinaryAttrs>().op != Binary::Add) return false;
  const int a = n.inputs[0], b = n.inputs[1];
  if (a == b) return false;
  const bool fa = fusable(g, n, a, uses), fb = fusable(g, n, b, uses);
  if (!fa && !fb) return false;
  // Positions are from the start of this sweep; nodes added later (none here) would be -1.
  const bool pick_a =
      fa && (!fb || position[static_cast<size_t>(a)] > position[static_cast<size_t>(b)]);
  const int conv = pick_a ? a : b, other = pick_a ? b : a;

  Node& target = g.mutable_node(conv);
  target.inputs.push_back(other);  // the residual is the last input
  if (target.kind() == OpKind::Conv2d)
    target.as<Conv2dAttrs>().has_residual = true;
  else
    target.as<ConvTranspose2dAttrs>().has_residual = true;
  g.infer_node(conv);
  g.replace_all_uses(id, conv);
  g.remove_node(id);
  return true;
}

bool fuse_residuals(Graph& g) {
  const std::vector<int> order = g.topological_order();
  std::vector<int> position(static_cast<size_t>(g.node_capacity()), -1);
  for (size_t i = 0; i < order.size(); ++i)
    position[static_cast<size_t>(order[i])] = static_cast<int>(i);
  return passes::rewrite_in_order(g, order,
                                  [&](Graph& graph, int id, const std::vector<int>& uses) {
                                    return fuse_into_conv(graph, id, uses, position);
                                  });
}

}  // namespace

std::unique_ptr<Pass> make_conv_residual_fusion_pass() {
  return make_pass("conv_residual_fusion", fuse_residuals);
}

}  // namespace p3d
