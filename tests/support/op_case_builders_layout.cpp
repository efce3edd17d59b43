// Builders for the layout ops: concat, pad, transpose, slice, resize.
#include <sstream>
#include <utility>

#include "kernels/error.h"
#include "tests/support/naive_reference.h"
#include "tests/support/op_case_builders.h"

namespace p3d::test::cases {

// ---- concat ----------------------------------------------------------------------------
// One case is the whole concat: one concat_copy per input into the same output.
OpCase concat_case(const std::vector<Shape>& parts, int axis, DType dtype) {
  Shape out = parts[0];
  out[axis] = 0;
  for (const Shape& s : parts) out[axis] += s[axis];
  std::vector<ConcatCopyParams> copies;
  int64_t column = 0;
  const int64_t outer = out.product(0, axis);
  for (const Shape& s : parts) {
    const int64_t inner = s.product(axis, s.rank());
    copies.push_back({outer, inner, out.product(axis, out.rank()), column,
                      static_cast<int32_t>(dtype_size(dtype))});
    column += inner;
  }
  OpCase c;
  c.op = "concat_copy";
  c.name = std::string("concat ") + dtype_name(dtype) + " axis" + std::to_string(axis);
  for (const Shape& s : parts) c.name += " " + dims(s);
  c.out_shape = out;
  c.out_dtype = dtype;
  for (size_t i = 0; i < parts.size(); ++i)
    c.inputs.push_back(input("x" + std::to_string(i), parts[i], uniform(-100, 100), dtype));
  c.vs_reference = c.vs_cpu = kExact;
  c.bytes = byte_count(c);
  c.launch = [copies](Backend& b, const LaunchArgs& a) {
    for (size_t i = 0; i < copies.size(); ++i) b.concat_copy(copies[i], a.inputs[i], a.output);
  };
  c.reference = [parts, axis, dtype](const std::vector<Tensor>& in, Tensor& y) {
    std::vector<std::vector<int64_t>> shapes;
    std::vector<const void*> ptrs;
    for (size_t i = 0; i < parts.size(); ++i) {
      shapes.push_back(parts[i].dims());
      ptrs.push_back(in[i].raw());
    }
    naive::concat(shapes, ptrs, axis, static_cast<int>(dtype_size(dtype)), y.raw());
  };
  return c;
}

// ---- pad -------------------------------------------------------------------------------
OpCase pad_case(const Shape& in, const std::vector<int64_t>& before,
                const std::vector<int64_t>& after, PadMode mode, float value) {
  PadParams p{};
  p.rank = in.rank();
  p.mode = mode;
  p.value = value;
  std::vector<int64_t> out(static_cast<size_t>(in.rank()));
  for (int d = 0; d < in.rank(); ++d) {
    p.in_dims[d] = in[d];
    p.before[d] = before[static_cast<size_t>(d)];
    p.after[d] = after[static_cast<size_t>(d)];
    out[static_cast<size_t>(d)] = in[d] + p.before[d] + p.after[d];
  }
  OpCase c;
  c.op = "pad";
  const char* mode_name = mode == PadMode::Constant  ? "constant"
                          : mode == PadMode::Reflect ? "reflect"
                                                     : "symmetric";
  std::ostringstream name;
  name << "pad " << mode_name << " " << dims(in) << " before " << dims(before) << " after "
       << dims(after);
  if (mode == PadMode::Constant) name << " value" << value;
  c.name = name.str();
  c.out_shape = Shape(out);
  c.inputs.push_back(input("x", in, uniform(-10, 10)));
  c.vs_reference = c.vs_cpu = kExact;
  c.bytes = byte_count(c);
  c.launch = [p](Backend& b, const LaunchArgs& a) { b.pad(p, f32(a.inputs[0]), f32(a.output)); };
  c.reference = [p](const std::vector<Tensor>& x, Tensor& y) {
    naive::pad(p, x[0].data<float>(), y.data<float>());
  };
  return c;
}

namespace {

// The part transpose and slice cases share: they move one input x of shape `in` (values
// that every dtype holds exactly) into an output of `out`, which must match bit for bit.
OpCase moved_copy_case(const char* op, std::string name, const Shape& in, Shape out, DType dtype) {
  OpCase c;
  c.op = op;
  c.name = std::move(name);
  c.out_shape = std::move(out);
  c.out_dtype = dtype;
  c.inputs.push_back(input("x", in, uniform(-1000, 1000), dtype));
  c.vs_reference = c.vs_cpu = kExact;
  c.bytes = byte_count(c);
  return c;
}

}  // namespace

// ---- transpose -------------------------------------------------------------------------
OpCase transpose_case(const Shape& in, const std::vector<int>& perm, DType dtype) {
  TransposeParams p{};
  p.rank = in.rank();
  p.element_size = static_cast<int32_t>(dtype_size(dtype));
  std::vector<int64_t> out(static_cast<size_t>(in.rank()));
  std::string perm_name;
  for (int d = 0; d < in.rank(); ++d) {
    p.in_dims[d] = in[d];
    p.perm[d] = perm[static_cast<size_t>(d)];
    out[static_cast<size_t>(d)] = in[perm[static_cast<size_t>(d)]];
    perm_name += std::to_string(perm[static_cast<size_t>(d)]);
  }
  OpCase c = moved_copy_case(
      "transpose",
      std::string("transpose ") + dtype_name(dtype) + " " + dims(in) + " perm" + perm_name, in,
      Shape(out), dtype);
  c.launch = [p](Backend& b, const LaunchArgs& a) { b.transpose(p, a.inputs[0], a.output); };
  c.reference = [p](const std::vector<Tensor>& x, Tensor& y) {
    naive::transpose(p, x[0].raw(), y.raw());
  };
  return c;
}

// ---- slice -----------------------------------------------------------------------------
// out[d] elements from begin[d] with step[d]; the builder checks every index is in range.
OpCase slice_case(const Shape& in, const std::vector<int64_t>& begin,
                  const std::vector<int64_t>& step, const std::vector<int64_t>& out, DType dtype) {
  SliceParams p{};
  p.rank = in.rank();
  p.element_size = static_cast<int32_t>(dtype_size(dtype));
  for (int d = 0; d < in.rank(); ++d) {
    const size_t i = static_cast<size_t>(d);
    p.in_dims[d] = in[d];
    p.begin[d] = begin[i];
    p.step[d] = step[i];
    p.out_dims[d] = out[i];
    const int64_t last = begin[i] + (out[i] - 1) * step[i];
    P3D_CHECK(step[i] != 0 && begin[i] >= 0 && begin[i] < in[d] && last >= 0 && last < in[d],
              "slice case out of range on dim ", d);
  }
  OpCase c =
      moved_copy_case("slice",
                      std::string("slice ") + dtype_name(dtype) + " " + dims(in) + " begin " +
                          dims(begin) + " step " + dims(step) + " out " + dims(out),
                      in, Shape(out), dtype);
  c.launch = [p](Backend& b, const LaunchArgs& a) { b.slice(p, a.inputs[0], a.output); };
  c.reference = [p](const std::vector<Tensor>& x, Tensor& y) {
    naive::slice(p, x[0].raw(), y.raw());
  };
  return c;
}

// ---- resize ----------------------------------------------------------------------------
OpCase resize_case(ResizeMode mode, int n, int h, int w, int ch, int oh, int ow, bool align_corners,
                   bool half_pixel) {
  P3D_CHECK(!(align_corners && half_pixel),
            "TensorFlow forbids align_corners with half_pixel_centers");
  ResizeParams p{};
  p.batch = n;
  p.in_h = h;
  p.in_w = w;
  p.channels = ch;
  p.out_h = oh;
  p.out_w = ow;
  p.mode = mode;
  p.align_corners = align_corners;
  p.half_pixel_centers = half_pixel;
  OpCase c;
  c.op = "resize";
  std::ostringstream name;
  name << "resize " << (mode == ResizeMode::Bilinear ? "bilinear" : "nearest") << " n" << n << " "
       << h << "x" << w << "x" << ch << " to " << oh << "x" << ow
       << (align_corners ? " align_corners" : "") << (half_pixel ? " half_pixel" : "")
       << (!align_corners && !half_pixel ? " legacy" : "");
  c.name = name.str();
  c.out_shape = Shape{n, oh, ow, ch};
  c.inputs.push_back(input("x", Shape{n, h, w, ch}, uniform(-1, 1)));
  c.vs_reference = c.vs_cpu = mode == ResizeMode::Nearest ? kExact : kShortSum;
  c.bytes = byte_count(c);
  c.launch = [p](Backend& b, const LaunchArgs& a) { b.resize(p, f32(a.inputs[0]), f32(a.output)); };
  c.reference = [p](const std::vector<Tensor>& x, Tensor& y) {
    naive::resize(p, x[0].data<float>(), y.data<float>());
  };
  return c;
}

}  // namespace p3d::test::cases
