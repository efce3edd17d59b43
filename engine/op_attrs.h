// The op kinds of the layer graph and their attributes: one small struct per op, with
// fluent setters so research code can write Conv2dAttrs{}.stride(2).padding(Padding::Same)
// in C++17 (no designated initialisers). Fields are public plain data: passes and the
// lowering read them directly. Padding resolution (TensorFlow's SAME rule) lives here too
// because shape inference, lowering and the passes must agree on it exactly.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "engine/dtype.h"
#include "engine/tensor.h"
#include "kernels/elementwise.h"
#include "kernels/layout.h"
#include "kernels/pool.h"
#include "kernels/reduce.h"

namespace p3d {

enum class OpKind : int32_t {
  Input,
  Constant,
  Conv2d,
  ConvTranspose2d,
  MatMul,
  Pool2d,
  Reduce,
  BatchNorm,
  Unary,
  Binary,
  Cast,
  Concat,
  Pad,
  Transpose,
  Slice,
  Resize,
  Reshape,
  Squeeze,
  ExpandDims,
  Custom,
};

// The op's name ("Conv2d"), from the op table (engine/op_registry.h).
const char* op_name(OpKind kind);
const char* unary_name(Unary op);
const char* binary_name(Binary op);
// Reshape, Squeeze and ExpandDims change only the shape: they are views of their input.
bool is_view_op(OpKind k);

// Spatial padding of convolutions and pools, as TensorFlow names it.
//   Same:     out = ceil(in / stride); total = max((out-1)*stride + (k-1)*dilation + 1 - in, 0),
//             before = total / 2, after = total - before (the extra row goes at the end).
//   Valid:    no padding; out = (in - ((k-1)*dilation + 1)) / stride + 1.
//   Explicit: the given top/bottom/left/right.
enum class Padding : int32_t { Same, Valid, Explicit };
const char* padding_name(Padding p);

// Resolved padding of one 2-D window op.
struct Pads2d {
  int32_t top = 0, bottom = 0, left = 0, right = 0;
};

// Resolves `mode` for a window of kernel (kh, kw), stride, dilation over an (in_h, in_w) input.
// `explicit_pads` is used only for Padding::Explicit.
Pads2d resolve_padding(Padding mode, const Pads2d& explicit_pads, int64_t in_h, int64_t in_w,
                       int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                       int32_t dilation_h, int32_t dilation_w);

// ---- per-op attributes ----------------------------------------------------------------

struct InputAttrs {
  Shape shape;  // the declared shape; Graph::set_input_shape replaces it
  DType dtype = DType::F32;
};

struct ConstantAttrs {
  Tensor value;  // a host tensor; never modified in place (graph copies share it)
};

// The setters that the attrs of strided window ops (conv, transposed conv, pooling) share,
// written once: each attrs struct derives from WindowSetters<itself> (CRTP), so the setters
// return it for chaining and set its own stride_h / stride_w / pad_mode / pads fields.
template <typename Attrs>
struct WindowSetters {
  Attrs& stride(int32_t s) { return stride(s, s); }
  Attrs& stride(int32_t sh, int32_t sw) {
    self().stride_h = sh;
    self().stride_w = sw;
    return self();
  }
  Attrs& padding(Padding p) {
    self().pad_mode = p;
    return self();
  }
  Attrs& explicit_padding(int32_t top, int32_t bottom, int32_t left, int32_t right) {
    self().pad_mode = Padding::Explicit;
    self().pads = Pads2d{top, bottom, left, right};
    return self();
  }

 private:
  Attrs& self() { return static_cast<Attrs&>(*this); }
};

// The fused epilogue activation of conv-like attrs (conv, transposed conv, matmul), likewise.
template <typename Attrs>
struct ActivationSetter {
  Attrs& fused_activation(Unary a, float alpha = 0.2f) {
    Attrs& self = static_cast<Attrs&>(*this);
    self.activation = a;
    self.activation_alpha = alpha;
    return self;
  }
};

// Conv2d: inputs x [N,H,W,C], filter HWIO [kh,kw,C/groups,O], then bias [O] if has_bias,
// then residual (the output's shape) if has_residual. The fused epilogue is
// y = activation(conv + bias + residual). has_bias / has_residual follow the inputs (the
// builder and the passes set them); the activation is usually fused in by a pass.
struct Conv2dAttrs : WindowSetters<Conv2dAttrs>, ActivationSetter<Conv2dAttrs> {
  int32_t stride_h = 1, stride_w = 1;
  int32_t dilation_h = 1, dilation_w = 1;
  Padding pad_mode = Padding::Valid;
  Pads2d pads;  // for Padding::Explicit
  int32_t group_count = 1;
  bool has_bias = false;
  bool has_residual = false;
  Unary activation = Unary::Identity;
  float activation_alpha = 0.2f;
  // What explicit padding holds: zeros, or the input mirrored (a MirrorPad folded in by
  // the pad_into_conv pass; Reflect / Symmetric need Padding::Explicit).
  PadMode padding_fill = PadMode::Constant;

  Conv2dAttrs& dilation(int32_t d) {
    dilation_h = dilation_w = d;
    return *this;
  }
  Conv2dAttrs& dilation(int32_t dh, int32_t dw) {
    dilation_h = dh;
    dilation_w = dw;
    return *this;
  }
  Conv2dAttrs& groups(int32_t g) {
    group_count = g;
    return *this;
  }
  Conv2dAttrs& mirrored_padding(PadMode fill) {
    padding_fill = fill;
    return *this;
  }
};

// ConvTranspose2d (tf.nn.conv2d_transpose): inputs x [N,h,w,C], filter HWOI [kh,kw,O,C],
// then bias [O] / residual as for Conv2d. The output spatial size is explicit (the batch
// follows x; O comes from the filter). Stride and padding are those of the forward conv
// that maps the output back to x, so SAME padding is resolved on the output size.
struct ConvTranspose2dAttrs : WindowSetters<ConvTranspose2dAttrs>,
                              ActivationSetter<ConvTranspose2dAttrs> {
  int32_t stride_h = 1, stride_w = 1;
  Padding pad_mode = Padding::Valid;
  Pads2d pads;
  int64_t out_h = 0, out_w = 0;
  bool has_bias = false;
  bool has_residual = false;
  Unary activation = Unary::Identity;
  float activation_alpha = 0.2f;

  ConvTranspose2dAttrs& output_size(int64_t h, int64_t w) {
    out_h = h;
    out_w = w;
    return *this;
  }
};

// MatMul: inputs a [..., m, k] (or [..., k, m] transposed), b [..., k, n] (or [..., n, k]),
// then bias [n] if has_bias. b may be 2-D while a has leading batch dims (a dense layer);
// otherwise both have the same batch dims.
struct MatMulAttrs : ActivationSetter<MatMulAttrs> {
  bool transpose_a = false;
  bool transpose_b = false;
  bool has_bias = false;
  Unary activation = Unary::Identity;
  float activation_alpha = 0.2f;

  MatMulAttrs& transposed_a(bool t = true) {
    transpose_a = t;
    return *this;
  }
  MatMulAttrs& transposed_b(bool t = true) {
    transpose_b = t;
    return *this;
  }
};

struct Pool2dAttrs : WindowSetters<Pool2dAttrs> {
  PoolKind pool = PoolKind::Max;
  int32_t kernel_h = 1, kernel_w = 1;
  int32_t stride_h = 1, stride_w = 1;
  Padding pad_mode = Padding::Valid;
  Pads2d pads;

  Pool2dAttrs& kind(PoolKind k) {
    pool = k;
    return *this;
  }
  Pool2dAttrs& kernel(int32_t k) {
    kernel_h = kernel_w = k;
    return *this;
  }
  Pool2dAttrs& kernel(int32_t kh, int32_t kw) {
    kernel_h = kh;
    kernel_w = kw;
    return *this;
  }
};

// Reduction over a set of axes (negative axes count from the end).
struct ReduceAttrs {
  ReduceKind reduce = ReduceKind::Mean;
  std::vector<int> axes;
  bool keep = false;

  ReduceAttrs& kind(ReduceKind k) {
    reduce = k;
    return *this;
  }
  ReduceAttrs& over(std::vector<int> a) {
    axes = std::move(a);
    return *this;
  }
  ReduceAttrs& keep_dims(bool k = true) {
    keep = k;
    return *this;
  }
};

// Inference batch norm over the last axis; inputs x, gamma, beta, mean, variance.
struct BatchNormAttrs {
  float epsilon = 1e-3f;  // TensorFlow's default
};

struct UnaryAttrs {
  Unary op = Unary::Identity;
  float alpha = 0.2f;  // LeakyRelu slope
};

struct BinaryAttrs {
  Binary op = Binary::Add;
};

struct CastAttrs {
  DType to = DType::F32;
};

struct ConcatAttrs {
  int axis = -1;
};

// Per-dim padding; before/after have the input's rank.
struct PadAttrs {
  std::vector<int64_t> before, after;
  PadMode mode = PadMode::Constant;
  float value = 0.f;

  PadAttrs& pads(std::vector<int64_t> b, std::vector<int64_t> a) {
    before = std::move(b);
    after = std::move(a);
    return *this;
  }
  // The common image case: pad H and W of an NHWC tensor.
  PadAttrs& spatial(int64_t top, int64_t bottom, int64_t left, int64_t right) {
    before = {0, top, left, 0};
    after = {0, bottom, right, 0};
    return *this;
  }
  PadAttrs& with_mode(PadMode m) {
    mode = m;
    return *this;
  }
  PadAttrs& constant_value(float v) {
    value = v;
    return *this;
  }
};

struct TransposeAttrs {
  std::vector<int> perm;
};

// Python-style strided slice per dim: begin/end may be negative (count from the end) and
// are clamped to the dim as Python does. kSliceStart as begin and kSliceEnd as end are
// Python's omitted bounds (TF's begin_mask / end_mask): "from the first element in the
// direction of step" and "through the last one", so dim(kSliceStart, kSliceEnd, -1) is [::-1].
struct SliceAttrs {
  static constexpr int64_t kSliceStart = INT64_MIN;
  static constexpr int64_t kSliceEnd = INT64_MAX;
  std::vector<int64_t> begin, end, step;

  // Adds one dim: x[b:e:s].
  SliceAttrs& dim(int64_t b, int64_t e, int64_t s = 1) {
    begin.push_back(b);
    end.push_back(e);
    step.push_back(s);
    return *this;
  }
  // Adds one dim taken whole.
  SliceAttrs& all() { return dim(kSliceStart, kSliceEnd, 1); }
};

// One dim of a slice after Python's clamping: out[i] = in[start + i * step], i < count.
struct SliceDim {
  int64_t start = 0, count = 0, step = 1;
};
// Resolves x[begin:end:step] along a dim of size `dim` (step != 0) as Python's slice.indices.
SliceDim resolve_slice_dim(int64_t dim, int64_t begin, int64_t end, int64_t step);

struct ResizeAttrs {
  ResizeMode mode = ResizeMode::Bilinear;
  int64_t out_h = 0, out_w = 0;
  bool align_corners = false;
  bool half_pixel_centers = false;

  ResizeAttrs& with_mode(ResizeMode m) {
    mode = m;
    return *this;
  }
  ResizeAttrs& size(int64_t h, int64_t w) {
    out_h = h;
    out_w = w;
    return *this;
  }
  ResizeAttrs& corners_aligned(bool a = true) {
    align_corners = a;
    return *this;
  }
  ResizeAttrs& half_pixel(bool h = true) {
    half_pixel_centers = h;
    return *this;
  }
};

// Target dims; at most one -1 (inferred from the element count).
struct ReshapeAttrs {
  std::vector<int64_t> dims;
};

// Axes to remove (each must have size 1); empty removes every size-1 axis (tf.squeeze).
struct SqueezeAttrs {
  std::vector<int> axes;
};

// Inserts a size-1 axis at `axis` in [-rank-1, rank] of the input.
struct ExpandDimsAttrs {
  int axis = 0;
};

// What a custom op's callback gets: its inputs and output, in the backend's memory (host
// memory on the CPU backend, device memory on CUDA), contiguous, with their shapes.
struct CustomCall {
  size_t input_count = 0;
  const void* const* inputs = nullptr;
  const Shape* input_shapes = nullptr;
  const DType* input_dtypes = nullptr;
  void* output = nullptr;
  const Shape* output_shape = nullptr;
  DType output_dtype = DType::F32;
  // The CUDA backend's stream (a cudaStream_t) for a CUDA callback to launch on; null on
  // the CPU backend. The callback must not synchronise the device or allocate per call.
  void* stream = nullptr;
};
using CustomKernel = std::function<void(const CustomCall&)>;
// The output shape from the input shapes; throws p3d::Error (or returns) as shape inference.
using CustomShapeFn = std::function<Shape(const std::vector<Shape>&)>;

// A user-supplied op, the escape hatch for research code (as ggml's map_custom): any number
// of inputs, one output whose shape `output_shape` computes, a CPU kernel (required) and
// optionally a CUDA one; without it the CUDA backend refuses the op by name. Passes leave
// custom nodes alone (constant folding runs the CPU kernel when every input is constant).
struct CustomAttrs {
  std::string op_name = "custom";  // shown in dumps and errors
  CustomShapeFn output_shape;
  DType output_dtype = DType::F32;
  CustomKernel cpu;
  CustomKernel cuda;

  CustomAttrs& named(std::string n) {
    op_name = std::move(n);
    return *this;
  }
  CustomAttrs& shape_fn(CustomShapeFn f) {
    output_shape = std::move(f);
    return *this;
  }
  CustomAttrs& output_type(DType t) {
    output_dtype = t;
    return *this;
  }
  CustomAttrs& on_cpu(CustomKernel k) {
    cpu = std::move(k);
    return *this;
  }
  CustomAttrs& on_cuda(CustomKernel k) {
    cuda = std::move(k);
    return *this;
  }
};

using OpAttrs =
    std::variant<InputAttrs, ConstantAttrs, Conv2dAttrs, ConvTranspose2dAttrs, MatMulAttrs,
                 Pool2dAttrs, ReduceAttrs, BatchNormAttrs, UnaryAttrs, BinaryAttrs, CastAttrs,
                 ConcatAttrs, PadAttrs, TransposeAttrs, SliceAttrs, ResizeAttrs, ReshapeAttrs,
                 SqueezeAttrs, ExpandDimsAttrs, CustomAttrs>;
static_assert(std::variant_size_v<OpAttrs> == static_cast<size_t>(OpKind::Custom) + 1,
              "OpAttrs alternatives must follow OpKind one to one");

// The op kind an attrs alternative belongs to (the variant index order matches OpKind).
inline OpKind op_kind_of(const OpAttrs& attrs) { return static_cast<OpKind>(attrs.index()); }

// Human-readable attrs for dumps and errors: "stride=2x2 pad=SAME act=Relu".
std::string attrs_str(const OpAttrs& attrs);

}  // namespace p3d
