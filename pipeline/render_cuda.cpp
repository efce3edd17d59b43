// The CUDA path of render_depth_and_mask (render.h): the batch's vertices, triangles,
// cameras and attributes go up in one copy each, kernels/cuda/rasterizer.h renders every
// portrait in one launch sequence, and the interpolated attribute comes back to the host.
// Stream and buffers are the device's context (kernels/cuda/device_context.h): grown on the
// first batch, reused by the next, so a steady-state render allocates nothing.
#if defined(P3D_WITH_CUDA)

#include <cuda_runtime_api.h>

#include <memory>
#include <vector>

#include "kernels/cuda/check.h"
#include "kernels/cuda/device_context.h"
#include "kernels/cuda/rasterizer.h"
#include "kernels/rasterizer.h"

namespace p3d {

void rasterize_attribute_cuda(const RasterizeParams& p, const float* vertices,
                              const int32_t* triangles, const std::vector<float>& cameras,
                              const std::vector<float>& attributes, std::vector<float>& rendered,
                              int device_index) {
  const std::shared_ptr<cuda::DeviceContext> context = cuda::acquire_device_context(device_index);
  cuda::DeviceContext& c = *context;
  c.make_current();
  const cudaStream_t stream = c.stream();
  const size_t vertex_bytes = static_cast<size_t>(p.batch) * p.vertex_count * 3 * sizeof(float);
  const size_t triangle_bytes = static_cast<size_t>(p.triangle_count) * 3 * sizeof(int32_t);
  const size_t camera_bytes = cameras.size() * sizeof(float);
  const size_t attribute_bytes = attributes.size() * sizeof(float);
  const size_t rendered_bytes = rendered.size() * sizeof(float);
  void* d_vertices = c.buffer("render.vertices", vertex_bytes);
  void* d_triangles = c.buffer("render.triangles", triangle_bytes);
  void* d_cameras = c.buffer("render.cameras", camera_bytes);
  void* d_attributes = c.buffer("render.attributes", attribute_bytes);
  void* d_rendered = c.buffer("render.rendered", rendered_bytes);
  void* d_workspace = c.buffer("render.workspace", rasterize_workspace_bytes(p));
  c.upload(d_vertices, vertices, vertex_bytes);
  c.upload(d_triangles, triangles, triangle_bytes);
  c.upload(d_cameras, cameras.data(), camera_bytes);
  c.upload(d_attributes, attributes.data(), attribute_bytes);
  RasterizeInputs in;
  in.vertices = static_cast<const float*>(d_vertices);
  in.cameras = static_cast<const float*>(d_cameras);
  in.triangles = static_cast<const int32_t*>(d_triangles);
  in.attributes = static_cast<const float*>(d_attributes);
  RasterizeOutputs out;
  out.attributes = static_cast<float*>(d_rendered);
  cuda::rasterize_triangles(p, in, out, d_workspace, stream);
  c.download(rendered.data(), d_rendered, rendered_bytes);
  P3D_CUDA_CHECK(cudaStreamSynchronize(stream));
}

}  // namespace p3d

#endif  // P3D_WITH_CUDA
