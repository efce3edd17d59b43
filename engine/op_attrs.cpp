// TensorFlow's padding rule, Python's slice rule, and the readable form of the built-in ops'
// attrs used by Graph::dump and error messages (op names live in the op table).
#include "engine/op_attrs.h"

#include <algorithm>
#include <sstream>
#include <type_traits>

#include "engine/op_registry.h"
#include "engine/op_rules.h"
#include "kernels/error.h"

namespace p3d {

const char* op_name(OpKind kind) { return op_info(kind).name; }

const char* unary_name(Unary op) {
  switch (op) {
    case Unary::Identity:
      return "Identity";
    case Unary::Relu:
      return "Relu";
    case Unary::Relu6:
      return "Relu6";
    case Unary::LeakyRelu:
      return "LeakyRelu";
    case Unary::Elu:
      return "Elu";
    case Unary::Sigmoid:
      return "Sigmoid";
    case Unary::Tanh:
      return "Tanh";
    case Unary::Square:
      return "Square";
    case Unary::Sqrt:
      return "Sqrt";
    case Unary::Rsqrt:
      return "Rsqrt";
    case Unary::Exp:
      return "Exp";
    case Unary::Neg:
      return "Neg";
    case Unary::Abs:
      return "Abs";
  }
  return "?";
}

const char* binary_name(Binary op) {
  switch (op) {
    case Binary::Add:
      return "Add";
    case Binary::Sub:
      return "Sub";
    case Binary::Mul:
      return "Mul";
    case Binary::Div:
      return "Div";
    case Binary::Min:
      return "Min";
    case Binary::Max:
      return "Max";
  }
  return "?";
}

const char* padding_name(Padding p) {
  switch (p) {
    case Padding::Same:
      return "SAME";
    case Padding::Valid:
      return "VALID";
    case Padding::Explicit:
      return "EXPLICIT";
  }
  return "?";
}

namespace {

// TensorFlow's SAME split along one axis: the odd extra row goes after.
void same_pads(int64_t in, int32_t kernel, int32_t stride, int32_t dilation, int32_t& before,
               int32_t& after) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t effective = static_cast<int64_t>(kernel - 1) * dilation + 1;
  const int64_t total = std::max<int64_t>((out - 1) * stride + effective - in, 0);
  before = static_cast<int32_t>(total / 2);
  after = static_cast<int32_t>(total - total / 2);
}

const char* reduce_name(ReduceKind k) {
  switch (k) {
    case ReduceKind::Sum:
      return "sum";
    case ReduceKind::Mean:
      return "mean";
    case ReduceKind::Max:
      return "max";
  }
  return "?";
}

const char* pad_mode_name(PadMode m) {
  switch (m) {
    case PadMode::Constant:
      return "constant";
    case PadMode::Reflect:
      return "reflect";
    case PadMode::Symmetric:
      return "symmetric";
  }
  return "?";
}

template <typename T>
std::string list_str(const std::vector<T>& v) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out << ",";
    if constexpr (std::is_same_v<T, int64_t>) {
      if (v[i] == SliceAttrs::kSliceStart) {
        out << "start";
        continue;
      }
      if (v[i] == SliceAttrs::kSliceEnd) {
        out << "end";
        continue;
      }
    }
    out << v[i];
  }
  out << "]";
  return out.str();
}

std::string window_str(int32_t kh, int32_t kw, int32_t sh, int32_t sw, Padding mode,
                       const Pads2d& pads) {
  std::ostringstream out;
  if (kh > 0) out << "kernel=" << kh << "x" << kw << " ";
  out << "stride=" << sh << "x" << sw << " pad=" << padding_name(mode);
  if (mode == Padding::Explicit)
    out << "(" << pads.top << "," << pads.bottom << "," << pads.left << "," << pads.right << ")";
  return out.str();
}

std::string epilogue_str(bool has_bias, bool has_residual, Unary act, float alpha) {
  std::string s;
  if (has_bias) s += " +bias";
  if (has_residual) s += " +residual";
  if (act != Unary::Identity) {
    s += std::string(" act=") + unary_name(act);
    if (act == Unary::LeakyRelu) s += "(" + std::to_string(alpha) + ")";
  }
  return s;
}

struct AttrsPrinter {
  std::string operator()(const InputAttrs& a) const { return dtype_name(a.dtype) + a.shape.str(); }
  std::string operator()(const ConstantAttrs& a) const { return a.value.str(); }
  std::string operator()(const Conv2dAttrs& a) const {
    std::string s = window_str(0, 0, a.stride_h, a.stride_w, a.pad_mode, a.pads);
    if (a.dilation_h != 1 || a.dilation_w != 1)
      s += " dilation=" + std::to_string(a.dilation_h) + "x" + std::to_string(a.dilation_w);
    if (a.group_count != 1) s += " groups=" + std::to_string(a.group_count);
    if (a.padding_fill == PadMode::Reflect) s += " fill=reflect";
    if (a.padding_fill == PadMode::Symmetric) s += " fill=symmetric";
    return s + epilogue_str(a.has_bias, a.has_residual, a.activation, a.activation_alpha);
  }
  std::string operator()(const ConvTranspose2dAttrs& a) const {
    return window_str(0, 0, a.stride_h, a.stride_w, a.pad_mode, a.pads) +
           " out=" + std::to_string(a.out_h) + "x" + std::to_string(a.out_w) +
           epilogue_str(a.has_bias, a.has_residual, a.activation, a.activation_alpha);
  }
  std::string operator()(const MatMulAttrs& a) const {
    std::string s;
    if (a.transpose_a) s += "transpose_a ";
    if (a.transpose_b) s += "transpose_b ";
    s += epilogue_str(a.has_bias, false, a.activation, a.activation_alpha);
    return s;
  }
  std::string operator()(const Pool2dAttrs& a) const {
    return std::string(a.pool == PoolKind::Max ? "max " : "avg ") +
           window_str(a.kernel_h, a.kernel_w, a.stride_h, a.stride_w, a.pad_mode, a.pads);
  }
  std::string operator()(const ReduceAttrs& a) const {
    return std::string(reduce_name(a.reduce)) + " axes=" + list_str(a.axes) +
           (a.keep ? " keep_dims" : "");
  }
  std::string operator()(const BatchNormAttrs& a) const {
    std::ostringstream out;
    out << "epsilon=" << a.epsilon;
    return out.str();
  }
  std::string operator()(const UnaryAttrs& a) const {
    std::string s = unary_name(a.op);
    if (a.op == Unary::LeakyRelu) s += " alpha=" + std::to_string(a.alpha);
    return s;
  }
  std::string operator()(const BinaryAttrs& a) const { return binary_name(a.op); }
  std::string operator()(const CastAttrs& a) const { return std::string("to=") + dtype_name(a.to); }
  std::string operator()(const ConcatAttrs& a) const { return "axis=" + std::to_string(a.axis); }
  std::string operator()(const PadAttrs& a) const {
    std::ostringstream out;
    out << pad_mode_name(a.mode) << " before=" << list_str(a.before)
        << " after=" << list_str(a.after);
    if (a.mode == PadMode::Constant && a.value != 0.f) out << " value=" << a.value;
    return out.str();
  }
  std::string operator()(const TransposeAttrs& a) const { return "perm=" + list_str(a.perm); }
  std::string operator()(const SliceAttrs& a) const {
    return "begin=" + list_str(a.begin) + " end=" + list_str(a.end) + " step=" + list_str(a.step);
  }
  std::string operator()(const ReshapeAttrs& a) const { return "dims=" + list_str(a.dims); }
  std::string operator()(const SqueezeAttrs& a) const { return "axes=" + list_str(a.axes); }
  std::string operator()(const ExpandDimsAttrs& a) const {
    return "axis=" + std::to_string(a.axis);
  }
};

}  // namespace

Pads2d resolve_padding(Padding mode, const Pads2d& explicit_pads, int64_t in_h, int64_t in_w,
                       int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                       int32_t dilation_h, int32_t dilation_w) {
  switch (mode) {
    case Padding::Valid:
      return Pads2d{};
    case Padding::Explicit:
      return explicit_pads;
    case Padding::Same: {
      Pads2d p;
      same_pads(in_h, kernel_h, stride_h, dilation_h, p.top, p.bottom);
      same_pads(in_w, kernel_w, stride_w, dilation_w, p.left, p.right);
      return p;
    }
  }
  P3D_THROW("unknown padding mode ", static_cast<int>(mode));
}

SliceDim resolve_slice_dim(int64_t dim, int64_t begin, int64_t end, int64_t step) {
  P3D_CHECK(step != 0, "slice step must not be 0");
  // Python's clamping: negative indices count from the end, then clamp into the range the
  // direction of travel allows (-1 .. dim-1 going backwards, 0 .. dim going forwards).
  auto clamp = [&](int64_t v) {
    if (v < 0) {
      v = (v < -dim) ? -1 - dim : v;  // avoid overflow for the kSliceStart sentinel
      v += dim;
      if (v < 0) v = step < 0 ? -1 : 0;
    } else if (v >= dim) {
      v = step < 0 ? dim - 1 : dim;
    }
    return v;
  };
  SliceDim s;
  s.step = step;
  // The sentinels are Python's omitted bounds (TensorFlow's begin_mask / end_mask): from
  // the first element in the direction of travel, through the last one.
  s.start = begin == SliceAttrs::kSliceStart ? (step > 0 ? 0 : dim - 1) : clamp(begin);
  const int64_t stop = end == SliceAttrs::kSliceEnd ? (step > 0 ? dim : -1) : clamp(end);
  if (step > 0)
    s.count = s.start < stop ? (stop - s.start - 1) / step + 1 : 0;
  else
    s.count = stop < s.start ? (s.start - stop - 1) / (-step) + 1 : 0;
  return s;
}

std::string attrs_str(const OpAttrs& attrs) { return op_info(op_kind_of(attrs)).describe(attrs); }

// ---- the per-op describe functions the op table names (engine/op_rules.h) -----------------

#define P3D_DESCRIBE(op, Attrs) \
  std::string describe_##op(const OpAttrs& a) { return AttrsPrinter{}(std::get<Attrs>(a)); }
P3D_DESCRIBE(input, InputAttrs)
P3D_DESCRIBE(constant, ConstantAttrs)
P3D_DESCRIBE(conv2d, Conv2dAttrs)
P3D_DESCRIBE(conv_transpose2d, ConvTranspose2dAttrs)
P3D_DESCRIBE(matmul, MatMulAttrs)
P3D_DESCRIBE(pool2d, Pool2dAttrs)
P3D_DESCRIBE(reduce, ReduceAttrs)
P3D_DESCRIBE(batch_norm, BatchNormAttrs)
P3D_DESCRIBE(unary, UnaryAttrs)
P3D_DESCRIBE(binary, BinaryAttrs)
P3D_DESCRIBE(cast, CastAttrs)
P3D_DESCRIBE(concat, ConcatAttrs)
P3D_DESCRIBE(pad, PadAttrs)
P3D_DESCRIBE(transpose, TransposeAttrs)
P3D_DESCRIBE(slice, SliceAttrs)
P3D_DESCRIBE(reshape, ReshapeAttrs)
P3D_DESCRIBE(squeeze, SqueezeAttrs)
P3D_DESCRIBE(expand_dims, ExpandDimsAttrs)
#undef P3D_DESCRIBE

}  // namespace p3d
