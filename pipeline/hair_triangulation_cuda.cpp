// The CUDA path of triangulate_masks (hair_triangulation.h): the masks go up in one copy,
// kernels/cuda/grid_triangulation.h counts the vertices and triangles, the offsets come back
// so the host learns the totals, then the emit launch fills the outputs sized from them and
// everything comes back. Stream and buffers are the device's context
// (kernels/cuda/device_context.h); the point and triangle slots grow to the largest batch
// seen, so the same batch again allocates nothing.
#if defined(P3D_WITH_CUDA)

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/cpu/grid_triangulation.h"
#include "kernels/cuda/device_context.h"
#include "kernels/cuda/grid_triangulation.h"
#include "kernels/grid_triangulation.h"

namespace p3d {

cpu::GridTriangulation triangulate_grid_cuda(const GridTriangulationParams& p, const uint8_t* masks,
                                             int device_index) {
  const std::shared_ptr<cuda::DeviceContext> context = cuda::acquire_device_context(device_index);
  cuda::DeviceContext& c = *context;
  c.make_current();
  const cudaStream_t stream = c.stream();
  const size_t pixels = static_cast<size_t>(p.batch) * p.height * p.width;
  const size_t offset_count = static_cast<size_t>(p.batch) + 1;
  uint8_t* d_masks = c.buffer_as<uint8_t>("triangulation.masks", pixels);
  void* workspace =
      c.buffer("triangulation.workspace", cuda::grid_triangulation_workspace_bytes(p));
  int32_t* vertex_offsets = c.buffer_as<int32_t>("triangulation.offsets", 2 * offset_count);
  int32_t* triangle_offsets = vertex_offsets + offset_count;
  int32_t* d_pixel_vertex = c.buffer_as<int32_t>("triangulation.pixel_vertex", pixels);
  c.upload(d_masks, masks, pixels);
  cuda::grid_triangulation_count(p, d_masks, workspace, vertex_offsets, triangle_offsets, stream);
  cpu::GridTriangulation r;
  r.vertex_offsets.resize(offset_count);
  r.triangle_offsets.resize(offset_count);
  c.download(r.vertex_offsets.data(), vertex_offsets, offset_count * sizeof(int32_t));
  c.download(r.triangle_offsets.data(), triangle_offsets, offset_count * sizeof(int32_t));
  c.synchronize();  // the totals size the outputs
  const size_t k = static_cast<size_t>(r.vertex_offsets[p.batch]);
  const size_t f = static_cast<size_t>(r.triangle_offsets[p.batch]);
  GridTriangulationOutputs out;
  out.pixel_vertex = d_pixel_vertex;
  out.points = c.buffer_as<int32_t>("triangulation.points", 2 * k);
  out.triangles = c.buffer_as<int32_t>("triangulation.triangles", 3 * f);
  cuda::grid_triangulation_emit(p, d_masks, workspace, out, stream);
  r.pixel_vertex.resize(pixels);
  r.points.resize(2 * k);
  r.triangles.resize(3 * f);
  c.download(r.pixel_vertex.data(), out.pixel_vertex, r.pixel_vertex.size() * sizeof(int32_t));
  c.download(r.points.data(), out.points, r.points.size() * sizeof(int32_t));
  c.download(r.triangles.data(), out.triangles, r.triangles.size() * sizeof(int32_t));
  c.synchronize();
  return r;
}

}  // namespace p3d

#endif  // P3D_WITH_CUDA
