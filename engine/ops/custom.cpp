// Custom: a node carrying user-supplied kernels and an output-shape function (CustomAttrs,
// engine/op_attrs.h), the escape hatch for an op the engine does not have. Its shape rule
// calls the user's shape function; its backend call hands the kernels their pointers and
// shapes through Backend::custom, where the CPU backend runs the CPU kernel and the CUDA
// backend the CUDA one (or says the op has none).
#include <exception>
#include <string>
#include <vector>

#include "engine/op_registry.h"
#include "kernels/error.h"

namespace p3d {
namespace {

// What a plan keeps per custom node, so a run builds its CustomCall without allocating.
struct CustomLowering {
  CustomAttrs attrs;
  std::vector<Shape> input_shapes;
  std::vector<DType> input_dtypes;
  Shape output_shape;
};

template <typename... Parts>
[[noreturn]] void fail(const Node& n, const Parts&... parts) {
  P3D_THROW("node '", n.name, "' (Custom '", n.as<CustomAttrs>().op_name, "'): ", parts...);
}

void infer(const Graph& g, Node& n) {
  const CustomAttrs& a = n.as<CustomAttrs>();
  if (!a.output_shape) fail(n, "has no output-shape function (CustomAttrs::shape_fn)");
  if (!a.cpu) fail(n, "has no CPU kernel (CustomAttrs::on_cpu); every op needs one");
  std::vector<Shape> shapes;
  for (int in : n.inputs) shapes.push_back(g.node(in).shape);
  Shape out;
  try {
    out = a.output_shape(shapes);
  } catch (const std::exception& e) {
    fail(n, "its output-shape function failed: ", e.what());
  }
  for (int64_t d : out.dims())
    if (d < 0) fail(n, "its output-shape function returned ", out.str(), " (a negative dim)");
  n.shape = out;
  n.dtype = a.output_dtype;
}

std::string describe(const OpAttrs& attrs) {
  const CustomAttrs& a = std::get<CustomAttrs>(attrs);
  return "op=" + a.op_name + (a.cuda ? " cpu+cuda" : " cpu");
}

void lower(const Graph& g, const Node& n, LoweredNode& out) {
  CustomLowering l;
  l.attrs = n.as<CustomAttrs>();
  for (int in : n.inputs) {
    l.input_shapes.push_back(g.node(in).shape);
    l.input_dtypes.push_back(g.node(in).dtype);
  }
  l.output_shape = n.shape;
  out.params = std::move(l);
}

void run(Backend& b, const OpCall& c) {
  const CustomLowering& l = c.params<CustomLowering>();
  CustomCall call;
  call.input_count = c.inputs.size();
  call.inputs = c.inputs.data();
  call.input_shapes = l.input_shapes.data();
  call.input_dtypes = l.input_dtypes.data();
  call.output = c.output;
  call.output_shape = &l.output_shape;
  call.output_dtype = l.attrs.output_dtype;
  b.custom(l.attrs, call);
}

}  // namespace

extern const OpInfo kCustomOp{OpKind::Custom, "Custom", infer, describe, lower, run};

}  // namespace p3d
