// Pad-into-conv: slim's conv2d_same (and many TF graphs) pad H and W with zeros explicitly and
// then run a VALID conv. Zero padding is exactly what a conv's own padding does, so the conv
// reads the unpadded tensor with explicit padding instead: one copy of the activation saved.
// A MirrorPad (REFLECT or SYMMETRIC) before a conv with no padding of its own folds the same
// way, as mirrored padding (Conv2dAttrs::padding_fill): the conv reads the mirrored pixels
// where it would read the copy (the depth net's 18 MirrorPads had cost 9% of its time).
// Only VALID / EXPLICIT convs qualify: a SAME conv's padding depends on its input size, which
// the rewrite changes. The Pad stays if something else reads it.
#include <limits>

#include "engine/pass.h"

namespace p3d {
namespace {

bool merge_pads_into_convs(Graph& g) {
  bool changed = false;
  for (int id : g.topological_order()) {
    const Node& conv = g.node(id);
    if (conv.kind() != OpKind::Conv2d) continue;
    const Conv2dAttrs& a = conv.as<Conv2dAttrs>();
    if (a.pad_mode == Padding::Same) continue;
    const Node& pad = g.node(conv.inputs[0]);
    if (pad.kind() != OpKind::Pad) continue;
    const PadAttrs& p = pad.as<PadAttrs>();
    if (p.before.size() != 4) continue;
    if (p.before[0] || p.after[0] || p.before[3] || p.after[3]) continue;  // N or C padded
    const Pads2d old = a.pad_mode == Padding::Explicit ? a.pads : Pads2d{};
    const bool conv_pads = old.top || old.bottom || old.left || old.right;
    if (p.mode == PadMode::Constant) {
      if (p.value != 0.f || a.padding_fill != PadMode::Constant) continue;
    } else if (conv_pads) {
      continue;  // mirrored and zero padding cannot share one border
    }

    const int64_t top = old.top + p.before[1], bottom = old.bottom + p.after[1];
    const int64_t left = old.left + p.before[2], right = old.right + p.after[2];
    constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
    if (top > kMax || bottom > kMax || left > kMax || right > kMax) continue;

    Node& target = g.mutable_node(id);
    target.inputs[0] = pad.inputs[0];
    target.as<Conv2dAttrs>().explicit_padding(
        static_cast<int32_t>(top), static_cast<int32_t>(bottom), static_cast<int32_t>(left),
        static_cast<int32_t>(right));
    if (p.mode != PadMode::Constant) target.as<Conv2dAttrs>().padding_fill = p.mode;
    g.infer_node(id);
    changed = true;
  }
  return changed;
}

}  // namespace

std::unique_ptr<Pass> make_pad_into_conv_pass() {
  return make_pass("pad_into_conv", merge_pads_into_convs);
}

}  // namespace p3d
