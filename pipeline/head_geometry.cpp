// compute_head_geometry (head_geometry.h): checks, then the CPU loops or the CUDA kernels with
// one upload and one download.
#include "pipeline/head_geometry.h"

#include <cmath>
#include <string>

#include "engine/backend.h"
#include "kernels/cpu/head_geometry.h"
#include "kernels/error.h"

#if defined(P3D_WITH_CUDA)
#include "engine/cuda/cuda_owners.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/head_geometry.h"
#endif

namespace p3d {
namespace {

constexpr int32_t kCropSize = 256;

#if defined(P3D_WITH_CUDA)
void run_on_cuda(const HeadGeometryInput& in, const HairBackprojectParams& p, HeadGeometry& out) {
  using cuda_backend::DeviceBuffer;
  const size_t crop_bytes = static_cast<size_t>(kCropSize) * kCropSize * 3;
  const size_t depth_bytes = static_cast<size_t>(kCropSize) * kCropSize * sizeof(float);
  const size_t point_bytes = static_cast<size_t>(in.point_count) * 2 * sizeof(int32_t);
  const size_t hair_bytes = static_cast<size_t>(in.point_count) * 3 * sizeof(float);
  const size_t proj_bytes = static_cast<size_t>(in.face_vertex_count) * 2 * sizeof(float);
  const size_t face_bytes = static_cast<size_t>(in.face_vertex_count) * 3 * sizeof(float);
  cuda_backend::Stream stream;
  DeviceBuffer crop(crop_bytes), depth(depth_bytes), points(point_bytes + 4), xyz(hair_bytes + 4),
      hair_bgr(hair_bytes + 4), proj(proj_bytes + 4), face_bgr(face_bytes + 4);
  const auto up = [&](const DeviceBuffer& dst, const void* src, size_t bytes) {
    if (bytes)
      P3D_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src, bytes, cudaMemcpyHostToDevice, stream.get()));
  };
  const auto down = [&](void* dst, const DeviceBuffer& src, size_t bytes) {
    if (bytes)
      P3D_CUDA_CHECK(cudaMemcpyAsync(dst, src.get(), bytes, cudaMemcpyDeviceToHost, stream.get()));
  };
  up(crop, in.crop_bgr, crop_bytes);
  up(depth, in.depth, depth_bytes);
  up(points, in.points, point_bytes);
  up(proj, in.face_projection, proj_bytes);
  cuda::hair_vertices(p, static_cast<const int32_t*>(points.get()),
                      static_cast<const float*>(depth.get()),
                      static_cast<const uint8_t*>(crop.get()), static_cast<float*>(xyz.get()),
                      static_cast<float*>(hair_bgr.get()), stream.get());
  cuda::face_vertex_colors_from_crop(in.face_vertex_count, static_cast<const float*>(proj.get()),
                                     static_cast<const uint8_t*>(crop.get()), kCropSize, kCropSize,
                                     static_cast<float*>(face_bgr.get()), stream.get());
  down(out.hair_xyz.data(), xyz, hair_bytes);
  down(out.hair_bgr.data(), hair_bgr, hair_bytes);
  down(out.face_bgr.data(), face_bgr, face_bytes);
  P3D_CUDA_CHECK(cudaStreamSynchronize(stream.get()));
}
#endif

}  // namespace

HeadGeometry compute_head_geometry(const HeadGeometryInput& in, DeviceKind device) {
  P3D_CHECK(in.crop_bgr && in.depth, "head geometry: the crop or the depth map is missing");
  P3D_CHECK(in.point_count >= 0 && (in.point_count == 0 || in.points),
            "head geometry: no hair/ear points");
  P3D_CHECK(in.face_vertex_count >= 0 && (in.face_vertex_count == 0 || in.face_projection),
            "head geometry: no face projection");
  P3D_CHECK(std::isfinite(in.camera.focal) && in.camera.focal > 0.f &&
                std::isfinite(in.camera.cx) && std::isfinite(in.camera.cy),
            "head geometry: the crop camera (focal ", in.camera.focal, ", centre ", in.camera.cx,
            ", ", in.camera.cy, ") is not usable");
  for (int32_t k = 0; k < in.point_count; ++k) {
    const int32_t r = in.points[2 * k], c = in.points[2 * k + 1];
    P3D_CHECK(r >= 0 && r < kCropSize && c >= 0 && c < kCropSize, "head geometry: point ", k,
              " (row ", r, ", col ", c, ") lies outside the 256x256 crop");
  }
  HairBackprojectParams p;
  p.width = p.height = kCropSize;
  p.point_count = in.point_count;
  p.camera = in.camera;
  HeadGeometry out;
  out.hair_xyz.resize(static_cast<size_t>(in.point_count) * 3);
  out.hair_bgr.resize(static_cast<size_t>(in.point_count) * 3);
  out.face_bgr.resize(static_cast<size_t>(in.face_vertex_count) * 3);
  if (device == DeviceKind::CUDA) {
    std::string reason;
    if (!cuda_available(&reason)) P3D_THROW("head geometry on CUDA: ", reason);
#if defined(P3D_WITH_CUDA)
    run_on_cuda(in, p, out);
#endif
    return out;
  }
  cpu::hair_vertices(p, in.points, in.depth, in.crop_bgr, out.hair_xyz.data(), out.hair_bgr.data());
  cpu::face_vertex_colors_from_crop(in.face_vertex_count, in.face_projection, in.crop_bgr,
                                    kCropSize, kCropSize, out.face_bgr.data());
  return out;
}

}  // namespace p3d
