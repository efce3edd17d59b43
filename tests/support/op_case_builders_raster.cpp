// Builder for the rasterizer's cases: one rasterize_triangles call per case, only the
// named output requested (the others stay null, as render_depth_and_mask leaves them).
#include "kernels/cpu/rasterizer.h"
#include "tests/support/kernel_launch.h"
#include "tests/support/op_case_builders.h"

#if defined(P3D_WITH_CUDA)
#include "kernels/cuda/rasterizer.h"
#endif

namespace p3d::test::cases {
namespace {

const char* raster_output_name(RasterOutput output) {
  switch (output) {
    case RasterOutput::TriangleId:
      return "triangle_id";
    case RasterOutput::Barycentric:
      return "barycentric";
    case RasterOutput::Attributes:
      return "attributes";
    case RasterOutput::Mask:
      return "mask";
    case RasterOutput::Depth:
      return "ndc_depth";
  }
  return "?";
}

}  // namespace

OpCase rasterize_case(const Scene& s, const std::string& scene_name, RasterOutput output) {
  const RasterizeParams p = s.p;
  P3D_CHECK(output != RasterOutput::Attributes || p.channels > 0,
            "rasterize case: attributes asked of a scene without channels");
  OpCase c;
  c.op = "rasterize_triangles";
  c.name = "rasterize " + scene_name + " n" + std::to_string(p.batch) + " " +
           hw(p.width, p.height) + " v" + std::to_string(p.vertex_count) + " f" +
           std::to_string(p.triangle_count) + " " + raster_output_name(output);
  c.inputs.push_back(input("vertices", Shape{p.batch, p.vertex_count, 3}, contents(s.vertices)));
  c.inputs.push_back(input("cameras", Shape{p.batch, kRasterCameraFloats}, contents(s.cameras)));
  c.inputs.push_back(
      input("triangles", Shape{p.triangle_count, 3}, contents(s.triangles), DType::I32));
  if (p.channels > 0)
    c.inputs.push_back(
        input("attributes", Shape{p.batch, p.vertex_count, p.channels}, contents(s.attributes)));
  const Shape pixels{p.batch, p.height, p.width};
  switch (output) {
    case RasterOutput::TriangleId:
      c.out_shape = pixels;
      c.out_dtype = DType::I32;
      break;
    case RasterOutput::Barycentric:
      c.out_shape = Shape{p.batch, p.height, p.width, 3};
      break;
    case RasterOutput::Attributes:
      c.out_shape = Shape{p.batch, p.height, p.width, p.channels};
      break;
    case RasterOutput::Mask:
    case RasterOutput::Depth:
      c.out_shape = pixels;
      break;
  }
  // Both twins pack the same depth keys and round every product (exact_float.h).
  c.vs_cpu = Tolerance::identical();
  c.bytes = byte_count(c);
  c.workspace = [p](Backend&) { return rasterize_workspace_bytes(p); };
  // The CUDA launcher cannot read device triangles: it is given the host copy to check.
  c.launch = [p, output, triangles = s.triangles](Backend& b, const LaunchArgs& a) {
    RasterizeInputs in;
    in.vertices = f32(a.inputs[0]);
    in.cameras = f32(a.inputs[1]);
    in.triangles = static_cast<const int32_t*>(a.inputs[2]);
    in.attributes = p.channels > 0 ? f32(a.inputs[3]) : nullptr;
    RasterizeOutputs out;
    switch (output) {
      case RasterOutput::TriangleId:
        out.triangle_id = static_cast<int32_t*>(a.output);
        break;
      case RasterOutput::Barycentric:
        out.barycentric = f32(a.output);
        break;
      case RasterOutput::Attributes:
        out.attributes = f32(a.output);
        break;
      case RasterOutput::Mask:
        out.mask = f32(a.output);
        break;
      case RasterOutput::Depth:
        out.ndc_depth = f32(a.output);
        break;
    }
    run_kernel(
        b, [&] { cpu::rasterize_triangles(cpu::ThreadPool::global(), p, in, out, a.workspace); },
        [&](DeviceStream stream) {
#if defined(P3D_WITH_CUDA)
          check_rasterize_triangles(p, triangles.data());
          cuda::rasterize_triangles(p, in, out, a.workspace, static_cast<cudaStream_t>(stream));
#endif
        });
  };
  return c;
}

}  // namespace p3d::test::cases
