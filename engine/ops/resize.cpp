// Resize (tf.image.resize: bilinear or nearest, NHWC f32), written the way every op can be:
// its shape rule, lowering, backend call and readable attrs in one file, exported as the
// one OpInfo the op table (engine/op_table.cpp) lists. docs/adding-an-op.md walks through it.
#include <string>

#include "engine/op_registry.h"
#include "kernels/error.h"

namespace p3d {
namespace {

template <typename... Parts>
[[noreturn]] void fail(const Node& n, const Parts&... parts) {
  P3D_THROW("node '", n.name, "' (", op_name(n.kind()), "): ", parts...);
}

// x [N,H,W,C] f32 -> [N, out_h, out_w, C].
void infer(const Graph& g, Node& n) {
  const ResizeAttrs& a = n.as<ResizeAttrs>();
  if (n.inputs.size() != 1) fail(n, "expects 1 inputs, has ", n.inputs.size());
  const Node& in = g.node(n.inputs[0]);
  if (in.dtype != DType::F32)
    fail(n, "input '", in.name, "' must be f32, is ", dtype_name(in.dtype), in.shape.str());
  if (in.shape.rank() != 4)
    fail(n, "input (NHWC) '", in.name, "' must have rank 4, has shape ", in.shape.str());
  if (a.out_h < 1 || a.out_w < 1)
    fail(n, "output size ", a.out_h, "x", a.out_w, " must be positive");
  if (a.align_corners && a.half_pixel_centers)
    fail(n, "align_corners and half_pixel_centers cannot both be set (as in TensorFlow)");
  const Shape& x = in.shape;
  n.shape = Shape{x[0], a.out_h, a.out_w, x[3]};
  n.dtype = DType::F32;
}

std::string describe(const OpAttrs& attrs) {
  const ResizeAttrs& a = std::get<ResizeAttrs>(attrs);
  std::string s = std::string(a.mode == ResizeMode::Bilinear ? "bilinear" : "nearest") + " " +
                  std::to_string(a.out_h) + "x" + std::to_string(a.out_w);
  if (a.align_corners) s += " align_corners";
  if (a.half_pixel_centers) s += " half_pixel_centers";
  return s;
}

void lower(const Graph& g, const Node& n, LoweredNode& out) {
  const ResizeAttrs& a = n.as<ResizeAttrs>();
  const Shape& x = g.node(n.inputs[0]).shape;
  ResizeParams p{};
  p.batch = lowered_i32(n, x[0], "batch");
  p.in_h = lowered_i32(n, x[1], "in_h");
  p.in_w = lowered_i32(n, x[2], "in_w");
  p.channels = lowered_i32(n, x[3], "channels");
  p.out_h = lowered_i32(n, a.out_h, "out_h");
  p.out_w = lowered_i32(n, a.out_w, "out_w");
  p.mode = a.mode;
  p.align_corners = a.align_corners;
  p.half_pixel_centers = a.half_pixel_centers;
  out.params = p;
}

void run(Backend& b, const OpCall& c) {
  b.resize(c.params<ResizeParams>(), c.f32_input(0), c.f32_output());
}

}  // namespace

extern const OpInfo kResizeOp{OpKind::Resize, "Resize", infer, describe, lower, run};

}  // namespace p3d
