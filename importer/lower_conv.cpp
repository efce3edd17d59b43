// Convolutions: Conv2D, DepthwiseConv2dNative (a grouped conv whose filter [kh,kw,C,M] is
// already HWIO [kh,kw,1,C*M] in memory), Conv2DBackpropInput (tf.nn.conv2d_transpose; the
// output size comes from its input_sizes operand, which the depth net computes at run time
// and we fold), and TF1's dilated conv SpaceToBatchND -> conv -> BatchToSpaceND.
//
// Why the dilated pattern folds into one conv: SpaceToBatchND pads x by (pb, pa) and splits
// it into block x block phases; a VALID conv on each phase and BatchToSpaceND's interleave is
// exactly a conv with dilation = block over the padded x; cropping (cb, ca) afterwards is the
// same as padding (pb - cb, pa - ca) in the first place. A SAME inner conv pads each phase by
// (k-1)/2 before, i.e. block*(k-1)/2 rows of the original, so it folds the same way.
#include <memory>

#include "importer/import_context.h"

namespace p3d::tfimport {
namespace {

// The filter operand as a 4-D f32 host tensor.
const Tensor& filter_of(OpContext& op, size_t i, const char* layout) {
  const Tensor& w = op.host(i, "filter");
  if (w.dtype() != DType::F32 || w.shape().rank() != 4)
    op.fail("filter '", op.input_name(i), "' must be a 4-D float tensor (", layout, "), is ",
            w.str());
  for (int d = 0; d < 4; ++d)
    if (w.shape()[d] < 1 || w.shape()[d] > (int64_t{1} << 24))
      op.fail("filter '", op.input_name(i), "' has unusable shape ", w.shape().str());
  return w;
}

// A depthwise filter [kh,kw,C,M] as the grouped conv's HWIO [kh,kw,1,C*M] (same bytes).
Tensor depthwise_as_hwio(const Tensor& w) {
  const Shape& s = w.shape();
  return w.reshaped(Shape{s[0], s[1], 1, s[2] * s[3]});
}

// A graph constant for a host filter that may have been reshaped (cached per shape).
Value filter_value(OpContext& op, size_t i, const Tensor& hwio) {
  TfValue v = op.input(i);
  v.host = hwio;
  return op.state().materialise(v);
}

struct ConvSetup {
  Conv2dAttrs attrs;
  Tensor filter;  // HWIO
};

ConvSetup conv_setup(OpContext& op, bool depthwise) {
  op.expect_inputs(2);
  op.check_nhwc();
  ConvSetup s;
  const Tensor& w = filter_of(op, 1, depthwise ? "[kh,kw,in_c,multiplier]" : "HWIO");
  s.filter = depthwise ? depthwise_as_hwio(w) : w;
  const auto [sh, sw] = op.spatial_attr("strides");
  const auto [dh, dw] = op.spatial_attr("dilations", {1, 1, 1, 1});
  s.attrs.stride(sh, sw).dilation(dh, dw);
  s.attrs.pad_mode = op.padding_attr(s.attrs.pads);
  if (depthwise) s.attrs.groups(static_cast<int32_t>(w.shape()[2]));
  return s;
}

void lower_conv(OpContext& op, bool depthwise) {
  ConvSetup s = conv_setup(op, depthwise);
  const TfValue& x = op.input(0);
  if (x.kind == TfValue::Kind::Pending) {
    // The middle of a dilated conv: remember it; BatchToSpaceND emits the conv.
    if (x.pending->has_conv)
      op.fail("reads the output of another convolution inside SpaceToBatchND/BatchToSpaceND");
    const Conv2dAttrs& a = s.attrs;
    if (a.stride_h != 1 || a.stride_w != 1 || a.dilation_h != 1 || a.dilation_w != 1 ||
        a.pad_mode == Padding::Explicit)
      op.fail(
          "inside SpaceToBatchND/BatchToSpaceND (a dilated convolution) the convolution must have "
          "stride 1, "
          "dilation 1 and SAME or VALID padding");
    auto p = std::make_shared<PendingAtrous>(*x.pending);
    p->has_conv = true;
    p->conv = op.name();
    p->filter = s.filter;
    p->filter_origin = op.input(1).origin;
    p->groups = a.group_count;
    if (a.pad_mode == Padding::Same) {
      const int32_t kh = static_cast<int32_t>(s.filter.shape()[0]),
                    kw = static_cast<int32_t>(s.filter.shape()[1]);
      p->inner_pads =
          Pads2d{(kh - 1) / 2, kh - 1 - (kh - 1) / 2, (kw - 1) / 2, kw - 1 - (kw - 1) / 2};
    }
    TfValue out;
    out.kind = TfValue::Kind::Pending;
    out.pending = p;
    op.set_output(out);
    return;
  }
  const Value w = filter_value(op, 1, s.filter);
  op.set_value(op.graph().conv2d(op.value(0), w, {}, s.attrs, op.name()));
}

void lower_conv2d(OpContext& op) { lower_conv(op, false); }
void lower_depthwise(OpContext& op) { lower_conv(op, true); }

void lower_conv2d_backprop_input(OpContext& op) {
  op.expect_inputs(3);
  op.check_nhwc();
  const std::vector<int64_t> sizes = op.host_ints(0, "input_sizes");
  const Tensor& w = filter_of(op, 1, "HWOI [kh,kw,out_c,in_c]");
  if (sizes.size() != 4) op.fail("input_sizes must have 4 entries (NHWC), has ", sizes.size());
  const Shape x = op.shape(2);
  if (x.rank() != 4) op.fail("out_backprop must be 4-D (NHWC), has shape ", x.str());
  if (sizes[0] != x[0])
    op.fail("input_sizes batch ", sizes[0], " differs from the input's batch ", x[0]);
  if (sizes[3] != w.shape()[2])
    op.fail("input_sizes channels ", sizes[3], " differ from the filter's output channels ",
            w.shape()[2]);
  const auto [dh, dw] = op.spatial_attr("dilations", {1, 1, 1, 1});
  if (dh != 1 || dw != 1)
    op.fail("dilated transposed convolution is not supported (dilations ", dh, "x", dw, ")");
  const auto [sh, sw] = op.spatial_attr("strides");
  ConvTranspose2dAttrs a;
  a.stride(sh, sw).output_size(sizes[1], sizes[2]);
  a.pad_mode = op.padding_attr(a.pads);
  const Value filter = filter_value(op, 1, w);
  op.set_value(op.graph().conv_transpose2d(op.value(2), filter, {}, a, op.name()));
}

// [2] block shape and a [2,2] paddings / crops operand of the dilated-conv pattern.
void block_and_pads(OpContext& op, int64_t& bh, int64_t& bw, int64_t pads[4], const char* what) {
  const std::vector<int64_t> block = op.host_ints(1, "block_shape");
  if (block.size() != 2 || block[0] < 1 || block[1] < 1 || block[0] > 4096 || block[1] > 4096)
    op.fail("block_shape must be two positive spatial factors, is ", Shape(block).str());
  const Tensor& p = op.host(2, what);
  if (p.dtype() != DType::I32 || p.shape() != Shape{2, 2})
    op.fail(what, " must be an int tensor of shape [2,2], is ", p.str());
  for (int k = 0; k < 4; ++k) {
    pads[k] = p.data<int32_t>()[k];
    if (pads[k] < 0) op.fail(what, " has negative entry ", pads[k]);
  }
  bh = block[0];
  bw = block[1];
}

void lower_space_to_batch(OpContext& op) {
  op.expect_inputs(3);
  auto p = std::make_shared<PendingAtrous>();
  int64_t pads[4];
  block_and_pads(op, p->block_h, p->block_w, pads, "paddings");
  const Shape x = op.shape(0);
  if (x.rank() != 4) op.fail("input must be 4-D (NHWC), has shape ", x.str());
  if ((x[1] + pads[0] + pads[1]) % p->block_h || (x[2] + pads[2] + pads[3]) % p->block_w)
    op.fail("padded input ", x[1] + pads[0] + pads[1], "x", x[2] + pads[2] + pads[3],
            " is not divisible by the block shape ", p->block_h, "x", p->block_w);
  p->space_to_batch = op.name();
  p->x = op.value(0);
  p->pad_top = pads[0];
  p->pad_bottom = pads[1];
  p->pad_left = pads[2];
  p->pad_right = pads[3];
  TfValue out;
  out.kind = TfValue::Kind::Pending;
  out.pending = p;
  op.set_output(out);
}

void lower_batch_to_space(OpContext& op) {
  op.expect_inputs(3);
  const TfValue& y = op.input(0);
  if (y.kind != TfValue::Kind::Pending || !y.pending->has_conv)
    op.fail(
        "BatchToSpaceND is only supported as the end of a dilated convolution "
        "(SpaceToBatchND -> Conv2D or DepthwiseConv2dNative -> BatchToSpaceND)");
  const PendingAtrous& p = *y.pending;
  int64_t bh = 0, bw = 0, crops[4];
  block_and_pads(op, bh, bw, crops, "crops");
  if (bh != p.block_h || bw != p.block_w)
    op.fail("block_shape ", bh, "x", bw, " differs from SpaceToBatchND '", p.space_to_batch, "' (",
            p.block_h, "x", p.block_w, ")");
  const int64_t top = p.pad_top + p.inner_pads.top * bh - crops[0];
  const int64_t bottom = p.pad_bottom + p.inner_pads.bottom * bh - crops[1];
  const int64_t left = p.pad_left + p.inner_pads.left * bw - crops[2];
  const int64_t right = p.pad_right + p.inner_pads.right * bw - crops[3];
  if (top < 0 || bottom < 0 || left < 0 || right < 0)
    op.fail("crops exceed the padding of SpaceToBatchND '", p.space_to_batch,
            "': this is not a dilated convolution the importer can express");
  Conv2dAttrs a;
  a.dilation(static_cast<int32_t>(bh), static_cast<int32_t>(bw))
      .explicit_padding(static_cast<int32_t>(top), static_cast<int32_t>(bottom),
                        static_cast<int32_t>(left), static_cast<int32_t>(right))
      .groups(p.groups);
  TfValue filter = TfValue::constant(p.filter, p.filter_origin);
  const Value w = op.state().materialise(filter);
  op.set_value(op.graph().conv2d(p.x, w, {}, a, op.name()));
}

}  // namespace

void add_conv_ops(OpTable& table) {
  table["Conv2D"] = {1, lower_conv2d};
  table["DepthwiseConv2dNative"] = {1, lower_depthwise};
  table["Conv2DBackpropInput"] = {1, lower_conv2d_backprop_input};
  table["SpaceToBatchND"] = {1, lower_space_to_batch};
  table["BatchToSpaceND"] = {1, lower_batch_to_space};
}

}  // namespace p3d::tfimport
