// The CUDA path of compute_head_geometry (head_geometry.h): the crop, depth map, hair/ear
// points and face projection go up in one copy each, kernels/cuda/head_geometry.h
// back-projects and samples the colours, and the three results come back. Stream and
// buffers are the device's context (kernels/cuda/device_context.h): the slots grow to the
// largest portrait seen, so the same portraits again allocate nothing.
#if defined(P3D_WITH_CUDA)

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>

#include "kernels/cuda/device_context.h"
#include "kernels/cuda/head_geometry.h"
#include "pipeline/head_geometry.h"

namespace p3d {

void head_geometry_cuda(const HeadGeometryInput& in, const HairBackprojectParams& p,
                        HeadGeometry& out, int device_index) {
  const std::shared_ptr<cuda::DeviceContext> context = cuda::acquire_device_context(device_index);
  cuda::DeviceContext& c = *context;
  c.make_current();
  const cudaStream_t stream = c.stream();
  const size_t crop_bytes = static_cast<size_t>(p.width) * p.height * 3;
  const size_t depth_bytes = static_cast<size_t>(p.width) * p.height * sizeof(float);
  const size_t point_bytes = static_cast<size_t>(in.point_count) * 2 * sizeof(int32_t);
  const size_t hair_bytes = static_cast<size_t>(in.point_count) * 3 * sizeof(float);
  const size_t proj_bytes = static_cast<size_t>(in.face_vertex_count) * 2 * sizeof(float);
  const size_t face_bytes = static_cast<size_t>(in.face_vertex_count) * 3 * sizeof(float);
  auto* crop = static_cast<uint8_t*>(c.buffer("geometry.crop", crop_bytes));
  auto* depth = static_cast<float*>(c.buffer("geometry.depth", depth_bytes));
  auto* points = static_cast<int32_t*>(c.buffer("geometry.points", point_bytes));
  auto* xyz = static_cast<float*>(c.buffer("geometry.hair_xyz", hair_bytes));
  auto* hair_bgr = static_cast<float*>(c.buffer("geometry.hair_bgr", hair_bytes));
  auto* proj = static_cast<float*>(c.buffer("geometry.face_projection", proj_bytes));
  auto* face_bgr = static_cast<float*>(c.buffer("geometry.face_bgr", face_bytes));
  c.upload(crop, in.crop_bgr, crop_bytes);
  c.upload(depth, in.depth, depth_bytes);
  c.upload(points, in.points, point_bytes);
  c.upload(proj, in.face_projection, proj_bytes);
  cuda::hair_vertices(p, points, depth, crop, xyz, hair_bgr, stream);
  cuda::face_vertex_colors_from_crop(in.face_vertex_count, proj, crop, p.width, p.height, face_bgr,
                                     stream);
  c.download(out.hair_xyz.data(), xyz, hair_bytes);
  c.download(out.hair_bgr.data(), hair_bgr, hair_bytes);
  c.download(out.face_bgr.data(), face_bgr, face_bytes);
  c.synchronize();
}

}  // namespace p3d

#endif  // P3D_WITH_CUDA
