// render_depth_and_mask: builds the per-portrait cameras and the 10 - z attribute on the
// host, runs the rasterizer (kernels/cpu/rasterizer.h or kernels/cuda/rasterizer.h) with
// background -1, then applies phong_shader's two rules: mask = attribute >= 0, depth =
// attribute where masked, else 0. The CUDA path owns its stream and buffers for the call
// (engine/cuda/cuda_owners.h); it is a convenience for the stage tests and the CLI, not the
// steady-state path, which will keep the buffers in the pipeline's arena.
#include "pipeline/render.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "engine/backend.h"
#include "kernels/cpu/rasterizer.h"
#include "kernels/error.h"

#if defined(P3D_WITH_CUDA)
#include "engine/cuda/cuda_owners.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/rasterizer.h"
#endif

namespace p3d {
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

#if defined(P3D_WITH_CUDA)
void upload(const cuda_backend::DeviceBuffer& dst, const void* src, size_t bytes,
            cudaStream_t stream) {
  if (bytes > 0)
    P3D_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src, bytes, cudaMemcpyHostToDevice, stream));
}

void render_on_cuda(const DepthRenderInput& input, HostBuffers& b) {
  const RasterizeParams& p = b.params;
  const size_t vertex_bytes = static_cast<size_t>(p.batch) * p.vertex_count * 3 * sizeof(float);
  const size_t triangle_bytes = static_cast<size_t>(p.triangle_count) * 3 * sizeof(int32_t);
  cuda_backend::Stream stream;
  cuda_backend::DeviceBuffer vertices(vertex_bytes), triangles(triangle_bytes),
      cameras(b.cameras.size() * sizeof(float)), attributes(b.attributes.size() * sizeof(float)),
      rendered(b.rendered.size() * sizeof(float)), workspace(rasterize_workspace_bytes(p));
  upload(vertices, input.vertices, vertex_bytes, stream.get());
  upload(triangles, input.triangles, triangle_bytes, stream.get());
  upload(cameras, b.cameras.data(), b.cameras.size() * sizeof(float), stream.get());
  upload(attributes, b.attributes.data(), b.attributes.size() * sizeof(float), stream.get());
  RasterizeInputs in;
  in.vertices = static_cast<const float*>(vertices.get());
  in.cameras = static_cast<const float*>(cameras.get());
  in.triangles = static_cast<const int32_t*>(triangles.get());
  in.attributes = static_cast<const float*>(attributes.get());
  RasterizeOutputs out;
  out.attributes = static_cast<float*>(rendered.get());
  cuda::rasterize_triangles(p, in, out, workspace.get(), stream.get());
  P3D_CUDA_CHECK(cudaMemcpyAsync(b.rendered.data(), rendered.get(),
                                 b.rendered.size() * sizeof(float), cudaMemcpyDeviceToHost,
                                 stream.get()));
  P3D_CUDA_CHECK(cudaStreamSynchronize(stream.get()));
}
#endif

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

DepthAndMask render_depth_and_mask(const DepthRenderInput& input, DeviceKind device) {
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

  if (device == DeviceKind::CUDA) {
    std::string reason;
    if (!cuda_available(&reason)) P3D_THROW("render_depth_and_mask on CUDA: ", reason);
#if defined(P3D_WITH_CUDA)
    render_on_cuda(input, b);
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
