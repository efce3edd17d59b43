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

class ConvActivationFusion final : public Pass {
 public:
  std::string name() const override { return "conv_activation_fusion"; }

  bool run(Graph& g) override {
    bool changed = false;
    std::vector<int> uses = g.use_counts();
    for (int id : g.topological_order()) {
      const Node& n = g.node(id);
      if (!n.alive || n.kind() != OpKind::Unary) continue;
      const UnaryAttrs a = n.as<UnaryAttrs>();
      if (!fusable_activation(a.op)) continue;
      const int conv = n.inputs[0];
      const Node& cv = g.node(conv);
      if (!passes::is_conv_like(cv.kind()) || uses[static_cast<size_t>(conv)] != 1) continue;
      if (passes::activation_of(cv) != Unary::Identity) continue;
      passes::set_activation(g.mutable_node(conv), a.op, a.alpha);
      g.replace_all_uses(id, conv);
      g.remove_node(id);
      changed = true;
      uses = g.use_counts();
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> make_conv_activation_fusion_pass() {
  return std::make_unique<ConvActivationFusion>();
}

}  // namespace p3d
