// triangulate_masks: validates the host masks, runs the grid triangulation
// (kernels/cpu/grid_triangulation.h or, on a CUDA device, the count / read-back / emit
// launches of hair_triangulation_cuda.cpp on the device context of the given device, as
// render_depth_and_mask) and splits the batch's concatenated arrays into one
// MaskTriangulation per mask.
#include "pipeline/hair_triangulation.h"

#include <string>

#include "engine/backend.h"
#include "kernels/cpu/grid_triangulation.h"
#include "kernels/error.h"

namespace p3d {

#if defined(P3D_WITH_CUDA)
cpu::GridTriangulation triangulate_grid_cuda(const GridTriangulationParams& p, const uint8_t* masks,
                                             int device_index);
#endif

std::vector<MaskTriangulation> triangulate_masks(const uint8_t* masks, int32_t batch,
                                                 int32_t height, int32_t width, Device device) {
  GridTriangulationParams p;
  p.batch = batch;
  p.height = height;
  p.width = width;
  check_grid_triangulation_params(p);
  const int64_t image_pixels = static_cast<int64_t>(height) * width;
  P3D_CHECK(batch == 0 || masks != nullptr, "triangulate_masks: masks is null");
  for (int64_t i = 0; i < batch * image_pixels; ++i)
    if (masks[i] > 1)
      P3D_THROW("triangulate_masks: mask ", i / image_pixels, " pixel (row ",
                (i % image_pixels) / width, ", col ", i % width, ") is ", int{masks[i]},
                "; masks must hold 0 or 1");

  cpu::GridTriangulation all;
  if (device.kind == DeviceKind::CUDA) {
    std::string reason;
    if (!cuda_available(&reason)) P3D_THROW("triangulate_masks on CUDA: ", reason);
#if defined(P3D_WITH_CUDA)
    all = triangulate_grid_cuda(p, masks, device.index);
#endif
  } else {
    all = cpu::triangulate_grid(cpu::ThreadPool::global(), p, masks);
  }

  std::vector<MaskTriangulation> result(static_cast<size_t>(batch));
  for (int32_t n = 0; n < batch; ++n) {
    MaskTriangulation& m = result[n];
    m.height = height;
    m.width = width;
    m.points.assign(all.points.begin() + 2 * int64_t{all.vertex_offsets[n]},
                    all.points.begin() + 2 * int64_t{all.vertex_offsets[n + 1]});
    m.triangles.assign(all.triangles.begin() + 3 * int64_t{all.triangle_offsets[n]},
                       all.triangles.begin() + 3 * int64_t{all.triangle_offsets[n + 1]});
    m.pixel_vertex.assign(all.pixel_vertex.begin() + n * image_pixels,
                          all.pixel_vertex.begin() + (n + 1) * image_pixels);
  }
  return result;
}

}  // namespace p3d
