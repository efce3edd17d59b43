// compute_head_geometry (head_geometry.h): checks, then the CPU loops or the CUDA kernels
// (head_geometry_cuda.cpp: one upload per input, one download per result, on the device
// context of the given device, as render_depth_and_mask).
#include "pipeline/head_geometry.h"

#include <cmath>
#include <string>

#include "engine/backend.h"
#include "kernels/cpu/head_geometry.h"
#include "kernels/error.h"

namespace p3d {

#if defined(P3D_WITH_CUDA)
void head_geometry_cuda(const HeadGeometryInput& in, const HairBackprojectParams& p,
                        HeadGeometry& out, int device_index);
#endif

namespace {

constexpr int32_t kCropSize = 256;

}  // namespace

HeadGeometry compute_head_geometry(const HeadGeometryInput& in, Device device) {
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
  if (device.kind == DeviceKind::CUDA) {
    std::string reason;
    if (!cuda_available(&reason)) P3D_THROW("head geometry on CUDA: ", reason);
#if defined(P3D_WITH_CUDA)
    head_geometry_cuda(in, p, out, device.index);
#endif
    return out;
  }
  cpu::hair_vertices(p, in.points, in.depth, in.crop_bgr, out.hair_xyz.data(), out.hair_bgr.data());
  cpu::face_vertex_colors_from_crop(in.face_vertex_count, in.face_projection, in.crop_bgr,
                                    kCropSize, kCropSize, out.face_bgr.data());
  return out;
}

}  // namespace p3d
