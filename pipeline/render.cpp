// render_depth_and_mask: builds the per-portrait cameras and the 10 - z attribute on the
// host, runs the rasterizer (kernels/cpu/rasterizer.h or kernels/cuda/rasterizer.h) with
// background -1, then applies phong_shader's two rules: mask = attribute >= 0, depth =
// attribute where masked, else 0. The CUDA path is in render_cuda.cpp (the device
// context's stream and reusable buffers).
#include "pipeline/render.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "engine/backend.h"
#include "kernels/cpu/rasterizer.h"
#include "kernels/error.h"

namespace p3d {

#if defined(P3D_WITH_CUDA)
void rasterize_attribute_cuda(const RasterizeParams& p, const float* vertices,
                              const int32_t* triangles, const std::vector<float>& cameras,
                              const std::vector<float>& attributes, std::vector<float>& rendered,
                              int device_index);
#endif

namespace {

// Background of the attribute: rasterize_triangles is called with [-1] * channels, so an
// uncovered pixel fails the mask's `>= 0`.
constexpr float kDepthBackground = -1.f;

struct HostBuffers {
  RasterizeParams params;
  std::vector<float> cameras;     // [N, 18]
  std::vector<float> attributes;  // [N, V, 1]: 10 - z
  std::vector<float> rendered;    // [N, H, W]: interpolated attribute
};

void render_on_cpu(const DepthRenderInput& input, HostBuffers& b) {
  std::vector<unsigned char> workspace(rasterize_workspace_bytes(b.params) + 8);
  void* aligned = workspace.data() + (8 - reinterpret_cast<uintptr_t>(workspace.data()) % 8) % 8;
  RasterizeInputs in;
  in.vertices = input.vertices;
  in.cameras = b.cameras.data();
  in.triangles = input.triangles;
  in.attributes = b.attributes.data();
  RasterizeOutputs out;
  out.attributes = b.rendered.data();
  cpu::rasterize_triangles(cpu::ThreadPool::global(), b.params, in, out, aligned);
}

}  // namespace

RasterCamera portrait_render_camera(const RenderCamera& camera, int32_t width, int32_t height) {
  PinholeCamera c;
  c.focal = camera.focal;
  c.cx = camera.cx;
  c.cy = camera.cy;
  c.eye = {0.f, 0.f, kRenderCameraZ};
  c.look_at = {0.f, 0.f, 0.f};
  c.up = {0.f, 1.f, 0.f};
  c.near_clip = kRenderNearClip;
  c.far_clip = kRenderFarClip;
  return make_pinhole_camera(c, width, height);
}

DepthAndMask render_depth_and_mask(const DepthRenderInput& input, Device device) {
  HostBuffers b;
  RasterizeParams& p = b.params;
  p.batch = input.batch;
  p.vertex_count = input.vertex_count;
  p.triangle_count = input.triangle_count;
  p.width = input.width;
  p.height = input.height;
  p.channels = 1;
  p.background = kDepthBackground;
  check_rasterize_params(p);
  P3D_CHECK(p.batch == 0 || input.cameras != nullptr, "render_depth_and_mask: no cameras");
  P3D_CHECK(p.batch == 0 || p.vertex_count == 0 || input.vertices != nullptr,
            "render_depth_and_mask: no vertices");
  check_rasterize_triangles(p, input.triangles);

  b.cameras.resize(static_cast<size_t>(p.batch) * kRasterCameraFloats);
  for (int32_t n = 0; n < p.batch; ++n) {
    const RenderCamera& c = input.cameras[n];
    P3D_CHECK(std::isfinite(c.focal) && c.focal > 0.f && std::isfinite(c.cx) && std::isfinite(c.cy),
              "render_depth_and_mask: portrait ", n, " has camera focal ", c.focal, " centre (",
              c.cx, ", ", c.cy, ")");
    const RasterCamera cam = portrait_render_camera(c, p.width, p.height);
    std::copy(cam.clip_from_world.m, cam.clip_from_world.m + 16,
              &b.cameras[n * kRasterCameraFloats]);
    b.cameras[n * kRasterCameraFloats + 16] = cam.ndc_offset[0];
    b.cameras[n * kRasterCameraFloats + 17] = cam.ndc_offset[1];
  }
  const size_t vertex_total = static_cast<size_t>(p.batch) * p.vertex_count;
  b.attributes.resize(vertex_total);
  for (size_t v = 0; v < vertex_total; ++v)
    b.attributes[v] = kRenderCameraZ - input.vertices[3 * v + 2];
  const size_t pixels = static_cast<size_t>(p.batch) * p.height * p.width;
  b.rendered.assign(pixels, kDepthBackground);

  if (device.kind == DeviceKind::CUDA) {
    std::string reason;
    if (!cuda_available(&reason)) P3D_THROW("render_depth_and_mask on CUDA: ", reason);
#if defined(P3D_WITH_CUDA)
    rasterize_attribute_cuda(p, input.vertices, input.triangles, b.cameras, b.attributes,
                             b.rendered, device.index);
#endif
  } else {
    render_on_cpu(input, b);
  }

  DepthAndMask result;
  result.batch = p.batch;
  result.height = p.height;
  result.width = p.width;
  result.depth.resize(pixels);
  result.mask.resize(pixels);
  for (size_t i = 0; i < pixels; ++i) {
    const bool covered = b.rendered[i] >= 0.f;  // any(diffuse_colors >= 0)
    result.mask[i] = covered ? 1.f : 0.f;
    result.depth[i] = covered ? b.rendered[i] : 0.f;  // tf.where(alpha > 0.5, rgb, 0)
  }
  return result;
}

}  // namespace p3d
