// Reshape / identity chains: imported graphs stack views (Reshape of Squeeze of ExpandDims)
// and carry no-ops (Identity, a Cast to the same type, an identity Transpose, a zero Pad, a
// one-input Concat, a whole Slice). A Reshape only depends on its input's element count, so
// a Reshape of a view reads the view's source directly; a node that maps its input to itself
// is bypassed. Bypassed nodes die in dead-node removal if nothing else reads them.
#include "engine/pass.h"

namespace p3d {
namespace {

// True when `n` returns its only input unchanged (same shape, dtype and values).
bool is_identity(const Graph& g, const Node& n) {
  if (n.inputs.size() != 1) return false;
  const Node& x = g.node(n.inputs[0]);
  if (x.shape != n.shape || x.dtype != n.dtype) return false;
  switch (n.kind()) {
    case OpKind::Reshape:
    case OpKind::Squeeze:
    case OpKind::ExpandDims:  // cannot keep the shape, but harmless to list
    case OpKind::Cast:
    case OpKind::Concat:
      return true;
    case OpKind::Unary:
      return n.as<UnaryAttrs>().op == Unary::Identity;
    case OpKind::Transpose: {
      const std::vector<int>& perm = n.as<TransposeAttrs>().perm;
      for (size_t d = 0; d < perm.size(); ++d)
        if (perm[d] != static_cast<int>(d) && x.shape[static_cast<int>(d)] != 1) return false;
      return true;  // moving only size-1 axes does not move data either
    }
    case OpKind::Pad: {
      const PadAttrs& p = n.as<PadAttrs>();
      for (size_t d = 0; d < p.before.size(); ++d)
        if (p.before[d] || p.after[d]) return false;
      return true;
    }
    case OpKind::Slice: {
      const SliceAttrs& s = n.as<SliceAttrs>();
      for (size_t d = 0; d < s.begin.size(); ++d) {
        const SliceDim r =
            resolve_slice_dim(x.shape[static_cast<int>(d)], s.begin[d], s.end[d], s.step[d]);
        if (r.count > 1 && (r.start != 0 || r.step != 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

bool collapse_view_chains(Graph& g) {
  bool changed = false;
  for (int id : g.topological_order()) {
    const Node& n = g.node(id);
    if (!n.alive) continue;
    if (n.kind() == OpKind::Reshape && is_view_op(g.node(n.inputs[0]).kind())) {
      int source = n.inputs[0];
      while (is_view_op(g.node(source).kind())) source = g.node(source).inputs[0];
      g.mutable_node(id).inputs[0] = source;
      g.infer_node(id);
      changed = true;
    }
    // A graph output that is an identity of an Input would leave the output naming the
    // input node: fine for the executor, which copies it out.
    if (is_identity(g, g.node(id))) {
      const int source = g.node(id).inputs[0];
      g.replace_all_uses(id, source);
      g.remove_node(id);
      changed = true;
    }
  }
  return changed;
}

}  // namespace

std::unique_ptr<Pass> make_reshape_chain_pass() {
  return make_pass("reshape_chain", collapse_view_chains);
}

}  // namespace p3d
