// Conv + bias-add fusion: Add(conv, c) / Add(c, conv) / Sub(conv, c) with c a constant
// per-output-channel vector (TensorFlow's BiasAdd, or the Add half of a decomposed batch
// norm) becomes the conv's bias, added in the conv's epilogue instead of another pass over
// the activation. Also for MatMul (dense layers). The conv must be the Add's only source of
// its value (no other reader) and have no activation yet (the bias goes before it); a fused
// residual is fine: conv + bias + residual + c = conv + (bias + c) + residual.
#include "engine/pass.h"
#include "engine/passes/pass_util.h"

namespace p3d {
namespace {

using passes::is_conv_like;

bool fusable(const Graph& g, const Node& add, int conv, int c, const std::vector<int>& uses) {
  const Node& cv = g.node(conv);
  if (!is_conv_like(cv.kind()) || conv == c || uses[static_cast<size_t>(conv)] != 1) return false;
  if (passes::activation_of(cv) != Unary::Identity) return false;
  const int bias = conv_bias_input(cv);
  if (bias >= 0 && !g.is_constant(bias)) return false;
  if (add.shape != cv.shape) return false;
  return passes::is_per_channel_constant(g, c, cv.shape[cv.shape.rank() - 1], cv.shape.rank());
}

void fuse(Graph& g, int add, int conv, int c, float sign) {
  const Node& cv = g.node(conv);
  const std::string conv_name = cv.name;
  std::vector<float> bias = passes::constant_floats(g, c);
  for (float& b : bias) b *= sign;
  if (conv_bias_input(cv) >= 0) {
    const std::vector<float> old = passes::constant_floats(g, conv_bias_input(cv));
    for (size_t k = 0; k < bias.size(); ++k) bias[k] += old[k];
  }
  const int bias_id = passes::add_vector_constant(g, bias, conv_name + "/fused_bias");
  passes::set_bias(g.mutable_node(conv), bias_id);
  g.infer_node(conv);
  g.replace_all_uses(add, conv);
  g.remove_node(add);
}

// Fuses the Add / Sub `id` into the conv on one of its sides, when it can.
bool fuse_into_conv(Graph& g, int id, const std::vector<int>& uses) {
  const Node& n = g.node(id);
  if (n.kind() != OpKind::Binary) return false;
  const Binary op = n.as<BinaryAttrs>().op;
  if (op != Binary::Add && op != Binary::Sub) return false;
  // Sub only as conv - c: c - conv is not a bias.
  for (int side = 0; side < (op == Binary::Add ? 2 : 1); ++side) {
    const int conv = n.inputs[static_cast<size_t>(side)];
    const int c = n.inputs[static_cast<size_t>(1 - side)];
    if (!fusable(g, n, conv, c, uses)) continue;
    fuse(g, id, conv, c, op == Binary::Sub ? -1.f : 1.f);
    return true;
  }
  return false;
}

}  // namespace

std::unique_ptr<Pass> make_conv_bias_fusion_pass() {
  return passes::make_sweep_pass("conv_bias_fusion", fuse_into_conv);
}

}  // namespace p3d
