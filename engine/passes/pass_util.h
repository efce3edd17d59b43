// Small helpers the fusion passes share: the epilogue fields of conv-like nodes (Conv2d,
// ConvTranspose2d, MatMul), recognising per-channel constants, and the node-by-node sweep
// that tries one rewrite on every node.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/graph.h"
#include "engine/pass.h"

namespace p3d::passes {

inline bool is_conv(OpKind k) { return k == OpKind::Conv2d || k == OpKind::ConvTranspose2d; }
inline bool is_conv_like(OpKind k) { return is_conv(k) || k == OpKind::MatMul; }

// The fused activation of a conv-like node.
inline Unary activation_of(const Node& n) {
  switch (n.kind()) {
    case OpKind::Conv2d:
      return n.as<Conv2dAttrs>().activation;
    case OpKind::ConvTranspose2d:
      return n.as<ConvTranspose2dAttrs>().activation;
    case OpKind::MatMul:
      return n.as<MatMulAttrs>().activation;
    default:
      return Unary::Identity;
  }
}

inline void set_activation(Node& n, Unary op, float alpha) {
  switch (n.kind()) {
    case OpKind::Conv2d:
      n.as<Conv2dAttrs>().fused_activation(op, alpha);
      break;
    case OpKind::ConvTranspose2d:
      n.as<ConvTranspose2dAttrs>().fused_activation(op, alpha);
      break;
    case OpKind::MatMul:
      n.as<MatMulAttrs>().fused_activation(op, alpha);
      break;
    default:
      break;
  }
}

// Sets (or replaces) the bias input of a conv-like node; the bias slot is input 2, before
// any residual.
inline void set_bias(Node& n, int bias_id) {
  bool* has_bias = nullptr;
  switch (n.kind()) {
    case OpKind::Conv2d:
      has_bias = &n.as<Conv2dAttrs>().has_bias;
      break;
    case OpKind::ConvTranspose2d:
      has_bias = &n.as<ConvTranspose2dAttrs>().has_bias;
      break;
    case OpKind::MatMul:
      has_bias = &n.as<MatMulAttrs>().has_bias;
      break;
    default:
      return;
  }
  if (*has_bias) {
    n.inputs[2] = bias_id;
  } else {
    n.inputs.insert(n.inputs.begin() + 2, bias_id);
    *has_bias = true;
  }
}

// True when `id` is an f32 Constant holding `channels` values that broadcast along the last
// axis only (shape [C], [1,C], [1,1,1,C], ...) and whose rank is at most `max_rank`, so that
// adding or multiplying it leaves a tensor of rank max_rank unchanged in shape.
inline bool is_per_channel_constant(const Graph& g, int id, int64_t channels, int max_rank) {
  const Node& n = g.node(id);
  if (n.kind() != OpKind::Constant || n.dtype != DType::F32) return false;
  const Shape& s = n.shape;
  if (s.rank() < 1 || s.rank() > max_rank || s[s.rank() - 1] != channels) return false;
  for (int d = 0; d + 1 < s.rank(); ++d)
    if (s[d] != 1) return false;
  return true;
}

// The values of an f32 constant, as a vector.
inline std::vector<float> constant_floats(const Graph& g, int id) {
  const Tensor& t = g.constant_value(id);
  const float* p = t.data<float>();
  return std::vector<float>(p, p + t.numel());
}

// A new f32 constant [values.size()] named after `base`.
inline int add_vector_constant(Graph& g, const std::vector<float>& values,
                               const std::string& base) {
  Tensor t =
      Tensor::from_data(Shape{static_cast<int64_t>(values.size())}, values.data(), values.size());
  return g.constant(t, g.unique_name(base)).id;
}

// The sweep the fusion passes share: visits the alive nodes of `order` and lets
// `rewrite(g, id, uses)` fold node `id` into a neighbour, given every node's reader count
// (Graph::use_counts). After a rewrite that changed the graph (returned true) the counts are
// taken again, since the rewrite rewired readers. Returns whether anything changed.
template <typename Rewrite>
bool rewrite_in_order(Graph& g, const std::vector<int>& order, Rewrite&& rewrite) {
  bool changed = false;
  std::vector<int> uses = g.use_counts();
  for (int id : order) {
    if (!g.node(id).alive || !rewrite(g, id, static_cast<const std::vector<int>&>(uses))) continue;
    changed = true;
    uses = g.use_counts();
  }
  return changed;
}

// The same in topological order.
template <typename Rewrite>
bool rewrite_in_order(Graph& g, Rewrite&& rewrite) {
  return rewrite_in_order(g, g.topological_order(), std::forward<Rewrite>(rewrite));
}

// A pass that is one such sweep of `rewrite`.
using NodeRewrite = bool (*)(Graph& g, int id, const std::vector<int>& uses);
inline std::unique_ptr<Pass> make_sweep_pass(std::string name, NodeRewrite rewrite) {
  return make_pass(std::move(name), [rewrite](Graph& g) { return rewrite_in_order(g, rewrite); });
}

}  // namespace p3d::passes
