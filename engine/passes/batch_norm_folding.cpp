// Batch-norm folding: conv -> BatchNorm (inference) is one conv with a rescaled filter,
//   y = (conv(x, W) + b - mean) * s + beta,  s = gamma / sqrt(var + eps)
//     = conv(x, W * s) + (b - mean) * s + beta        (s per output channel),
// and conv -> Mul by a per-channel constant s is the same with mean = 0, beta = 0 (older
// TensorFlow graphs spell batch norm as Mul + Add; the Add then becomes the bias).
// Requirements: the conv's filter (and bias, if any) are constants, the BN / Mul is its only
// reader, and it has no residual or activation yet (those act after the scale).
// New constants are created: the old filter may be shared with another conv.
#include <cmath>

#include "engine/pass.h"
#include "engine/passes/pass_util.h"

namespace p3d {
namespace {

using passes::add_vector_constant;
using passes::constant_floats;
using passes::is_conv;

// Returns the conv that `id` can fold into (filling per-channel scale and shift), or -1.
int match(const Graph& g, int id, const std::vector<int>& uses, std::vector<float>& scale,
          std::vector<float>& shift) {
  const Node& n = g.node(id);
  int conv = -1;
  if (n.kind() == OpKind::BatchNorm) {
    conv = n.inputs[0];
    for (size_t i = 1; i < 5; ++i)
      if (!g.is_constant(n.inputs[i])) return -1;
  } else if (n.kind() == OpKind::Binary && n.as<BinaryAttrs>().op == Binary::Mul) {
    for (int side = 0; side < 2 && conv < 0; ++side) {
      const int c = n.inputs[static_cast<size_t>(side)],
                other = n.inputs[static_cast<size_t>(1 - side)];
      if (is_conv(g.node(c).kind()) && c != other &&
          passes::is_per_channel_constant(g, other, g.node(c).shape[3], 4))
        conv = c;
    }
    if (conv < 0) return -1;
  } else {
    return -1;
  }
  const Node& c = g.node(conv);
  if (!is_conv(c.kind()) || uses[static_cast<size_t>(conv)] != 1) return -1;
  if (!g.is_constant(c.inputs[1])) return -1;
  if (conv_residual_input(c) >= 0 || passes::activation_of(c) != Unary::Identity) return -1;
  const int bias = conv_bias_input(c);
  if (bias >= 0 && !g.is_constant(bias)) return -1;
  if (n.shape != c.shape) return -1;  // a Mul that broadcasts the conv to a larger shape

  const int64_t channels = c.shape[3];
  if (n.kind() == OpKind::BatchNorm) {
    const float eps = n.as<BatchNormAttrs>().epsilon;
    const std::vector<float> gamma = constant_floats(g, n.inputs[1]),
                             beta = constant_floats(g, n.inputs[2]),
                             mean = constant_floats(g, n.inputs[3]),
                             var = constant_floats(g, n.inputs[4]);
    scale.resize(static_cast<size_t>(channels));
    shift.resize(static_cast<size_t>(channels));
    for (size_t k = 0; k < scale.size(); ++k) {
      scale[k] = gamma[k] / std::sqrt(var[k] + eps);
      shift[k] = beta[k] - mean[k] * scale[k];
    }
  } else {
    const int other = n.inputs[0] == conv ? n.inputs[1] : n.inputs[0];
    scale = constant_floats(g, other);
    shift.assign(scale.size(), 0.f);
  }
  return conv;
}

void fold(Graph& g, int conv, int bn, const std::vector<float>& scale,
          const std::vector<float>& shift) {
  const Node& c = g.node(conv);
  const std::string conv_name = c.name;
  // Output channels are the last filter axis for conv2d (HWIO) and the third for
  // conv_transpose2d (HWOI); either way `inner` consecutive floats share one channel.
  const Tensor& w = g.constant_value(c.inputs[1]);
  const int64_t channels = static_cast<int64_t>(scale.size());
  const int64_t inner = c.kind() == OpKind::Conv2d ? 1 : w.shape()[3];
  Tensor folded = w.clone();
  float* data = folded.data<float>();
  // Element i scales by channel (i / inner) % channels, walked as nested loops: a division
  // and a modulo per element (and numel() per test) had made this pass a third of the
  // R-Net's compile time (25 M filter floats).
  const int64_t outer = folded.numel() / (channels * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < channels; ++k) {
      const float s = scale[static_cast<size_t>(k)];
      float* run = data + (o * channels + k) * inner;
      for (int64_t j = 0; j < inner; ++j) run[j] *= s;
    }

  std::vector<float> bias(static_cast<size_t>(channels), 0.f);
  if (conv_bias_input(c) >= 0) bias = constant_floats(g, conv_bias_input(c));
  for (size_t k = 0; k < bias.size(); ++k) bias[k] = bias[k] * scale[k] + shift[k];

  // Adding constants may move node storage: take references again afterwards.
  const int filter_id = g.constant(folded, g.unique_name(conv_name + "/folded_filter")).id;
  const int bias_id = add_vector_constant(g, bias, conv_name + "/folded_bias");
  Node& target = g.mutable_node(conv);
  target.inputs[1] = filter_id;
  passes::set_bias(target, bias_id);
  g.infer_node(conv);
  g.replace_all_uses(bn, conv);
  g.remove_node(bn);
}

// Folds the BatchNorm / Mul `id` into the conv it reads, when it can.
bool fold_into_conv(Graph& g, int id, const std::vector<int>& uses) {
  std::vector<float> scale, shift;
  const int conv = match(g, id, uses, scale, shift);
  if (conv < 0) return false;
  fold(g, conv, id, scale, shift);
  return true;
}

}  // namespace

std::unique_ptr<Pass> make_batch_norm_folding_pass() {
  return passes::make_sweep_pass("batch_norm_folding", fold_into_conv);
}

}  // namespace p3d
