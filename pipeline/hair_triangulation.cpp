// triangulate_masks: validates the host masks, runs the grid triangulation
// (kernels/cpu/grid_triangulation.h or, for DeviceKind::CUDA, the count / read-back / emit
// launches of kernels/cuda/grid_triangulation.h with buffers owned for the call) and splits
// the batch's concatenated arrays into one MaskTriangulation per mask.
#include "pipeline/hair_triangulation.h"

#include <string>

#include "engine/backend.h"
#include "kernels/cpu/grid_triangulation.h"
#include "kernels/error.h"

#if defined(P3D_WITH_CUDA)
#include "engine/cuda/cuda_owners.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/grid_triangulation.h"
#endif

namespace p3d {
namespace {

#if defined(P3D_WITH_CUDA)
cpu::GridTriangulation triangulate_on_cuda(const GridTriangulationParams& p, const uint8_t* masks) {
  using cuda_backend::DeviceBuffer;
  const size_t pixels = static_cast<size_t>(p.batch) * p.height * p.width;
  cuda_backend::Stream stream;
  DeviceBuffer d_masks(pixels), workspace(cuda::grid_triangulation_workspace_bytes(p)),
      d_offsets(2 * (static_cast<size_t>(p.batch) + 1) * sizeof(int32_t)),
      d_pixel_vertex(pixels * sizeof(int32_t));
  int32_t* vertex_offsets = static_cast<int32_t*>(d_offsets.get());
  int32_t* triangle_offsets = vertex_offsets + p.batch + 1;
  P3D_CUDA_CHECK(
      cudaMemcpyAsync(d_masks.get(), masks, pixels, cudaMemcpyHostToDevice, stream.get()));
  const auto* dm = static_cast<const uint8_t*>(d_masks.get());
  cuda::grid_triangulation_count(p, dm, workspace.get(), vertex_offsets, triangle_offsets,
                                 stream.get());
  cpu::GridTriangulation r;
  r.vertex_offsets.resize(p.batch + 1);
  r.triangle_offsets.resize(p.batch + 1);
  P3D_CUDA_CHECK(cudaMemcpyAsync(r.vertex_offsets.data(), vertex_offsets,
                                 (p.batch + 1) * sizeof(int32_t), cudaMemcpyDeviceToHost,
                                 stream.get()));
  P3D_CUDA_CHECK(cudaMemcpyAsync(r.triangle_offsets.data(), triangle_offsets,
                                 (p.batch + 1) * sizeof(int32_t), cudaMemcpyDeviceToHost,
                                 stream.get()));
  P3D_CUDA_CHECK(cudaStreamSynchronize(stream.get()));
  const size_t k = static_cast<size_t>(r.vertex_offsets[p.batch]);
  const size_t f = static_cast<size_t>(r.triangle_offsets[p.batch]);
  DeviceBuffer d_points(2 * k * sizeof(int32_t)), d_triangles(3 * f * sizeof(int32_t));
  GridTriangulationOutputs out;
  out.pixel_vertex = static_cast<int32_t*>(d_pixel_vertex.get());
  out.points = static_cast<int32_t*>(d_points.get());
  out.triangles = static_cast<int32_t*>(d_triangles.get());
  cuda::grid_triangulation_emit(p, dm, workspace.get(), out, stream.get());
  r.pixel_vertex.resize(pixels);
  r.points.resize(2 * k);
  r.triangles.resize(3 * f);
  auto download = [&](std::vector<int32_t>& dst, const void* src) {
    if (!dst.empty())
      P3D_CUDA_CHECK(cudaMemcpyAsync(dst.data(), src, dst.size() * sizeof(int32_t),
                                     cudaMemcpyDeviceToHost, stream.get()));
  };
  download(r.pixel_vertex, d_pixel_vertex.get());
  download(r.points, d_points.get());
  download(r.triangles, d_triangles.get());
  P3D_CUDA_CHECK(cudaStreamSynchronize(stream.get()));
  return r;
}
#endif

}  // namespace

std::vector<MaskTriangulation> triangulate_masks(const uint8_t* masks, int32_t batch,
                                                 int32_t height, int32_t width, DeviceKind device) {
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
  if (device == DeviceKind::CUDA) {
    std::string reason;
    if (!cuda_available(&reason)) P3D_THROW("triangulate_masks on CUDA: ", reason);
#if defined(P3D_WITH_CUDA)
    all = triangulate_on_cuda(p, masks);
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
