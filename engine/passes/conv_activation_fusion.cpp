// Conv + activation fusion: an activation the conv kernels can apply in their epilogue
// (Relu, Relu6, LeakyRelu, Elu, Sigmoid, Tanh) right after a conv / matmul that has no other
// reader and no activation yet becomes part of that conv: no extra pass over the output.
#include "engine/pass.h"
#include "engine/passes/pass_util.h"

namespace p3d {
namespace {

bool fusable_activation(Unary op) {
  switch (op) {
    case Unary::Relu:
    case Unary::Relu6:
    case Unary::LeakyRelu:
    case Unary::Elu:
    case Unary::Sigmoid:
    case Unary::Tanh:
      return true;
    default:
      return false;
  }
}

// Fuses the activation `id` into the conv it reads, when it can.
bool fuse_into_conv(Graph& g, int id, const std::vector<int>& uses) {
  const Node& n = g.node(id);
  if (n.kind() != OpKind::Unary) return false;
  const UnaryAttrs a = n.as<UnaryAttrs>();
  if (!fusable_activation(a.op)) return false;
  const int conv = n.inputs[0];
  const Node& cv = g.node(conv);
  if (!passes::is_conv_like(cv.kind()) || uses[static_cast<size_t>(conv)] != 1) return false;
  if (passes::activation_of(cv) != Unary::Identity) return false;
  passes::set_activation(g.mutable_node(conv), a.op, a.alpha);
  g.replace_all_uses(id, conv);
  g.remove_node(id);
  return true;
}

}  // namespace

std::unique_ptr<Pass> make_conv_activation_fusion_pass() {
  return passes::make_sweep_pass("conv_activation_fusion", fuse_into_conv);
}

}  // namespace p3d
