// The turntable's rasterization on CUDA (head_previews.h): every view's vertices, the shared
// triangles, the cameras and the colours go up in one copy each, kernels/cuda/rasterizer.h
// renders all views in one launch sequence, and the triangle ids and interpolated colours
// come back for the host's shading. Stream and buffers are the device's context
// (kernels/cuda/device_context.h): the same preview again allocates nothing.
#if defined(P3D_WITH_CUDA)

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/cuda/device_context.h"
#include "kernels/cuda/rasterizer.h"
#include "kernels/rasterizer.h"

namespace p3d {

void rasterize_views_cuda(const RasterizeParams& p, const RasterizeInputs& host,
                          std::vector<int32_t>& triangle_id, std::vector<float>& colour,
                          int device_index) {
  const std::shared_ptr<cuda::DeviceContext> context = cuda::acquire_device_context(device_index);
  cuda::DeviceContext& c = *context;
  c.make_current();
  const size_t nv = static_cast<size_t>(p.batch) * p.vertex_count;
  const size_t vertex_bytes = nv * 3 * sizeof(float);
  const size_t triangle_bytes = static_cast<size_t>(p.triangle_count) * 3 * sizeof(int32_t);
  const size_t camera_bytes = static_cast<size_t>(p.batch) * kRasterCameraFloats * sizeof(float);
  const size_t id_bytes = triangle_id.size() * sizeof(int32_t);
  const size_t colour_bytes = colour.size() * sizeof(float);
  auto* vertices = static_cast<float*>(c.buffer("previews.vertices", vertex_bytes));
  auto* triangles = static_cast<int32_t*>(c.buffer("previews.triangles", triangle_bytes));
  auto* cameras = static_cast<float*>(c.buffer("previews.cameras", camera_bytes));
  auto* attributes = static_cast<float*>(c.buffer("previews.attributes", vertex_bytes));
  RasterizeOutputs out;
  out.triangle_id = static_cast<int32_t*>(c.buffer("previews.triangle_id", id_bytes));
  out.attributes = static_cast<float*>(c.buffer("previews.colour", colour_bytes));
  void* workspace = c.buffer("previews.workspace", rasterize_workspace_bytes(p));
  c.upload(vertices, host.vertices, vertex_bytes);
  c.upload(triangles, host.triangles, triangle_bytes);
  c.upload(cameras, host.cameras, camera_bytes);
  c.upload(attributes, host.attributes, vertex_bytes);
  RasterizeInputs in;
  in.vertices = vertices;
  in.cameras = cameras;
  in.triangles = triangles;
  in.attributes = attributes;
  cuda::rasterize_triangles(p, in, out, workspace, c.stream());
  c.download(triangle_id.data(), out.triangle_id, id_bytes);
  c.download(colour.data(), out.attributes, colour_bytes);
  c.synchronize();
}

}  // namespace p3d

#endif  // P3D_WITH_CUDA
