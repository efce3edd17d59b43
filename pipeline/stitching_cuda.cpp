// The two CUDA searches of stitch() (stitching.h, kernels/cuda/stitch_search.h): the ring
// pixels and the pixel -> hair vertex map go up and the ring matches [R] come back; the
// queries and face vertices go up and the nearest face ids [Q] come back. Stream and buffers
// are the device's context (kernels/cuda/device_context.h): the slots grow to the largest
// portrait seen, so the same portraits again allocate nothing.
#if defined(P3D_WITH_CUDA)

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>

#include "kernels/cuda/device_context.h"
#include "kernels/cuda/stitch_search.h"
#include "kernels/stitch_search.h"

namespace p3d {

void match_ring_cuda(const RingMatchParams& p, const int32_t* ring_pixels,
                     const int32_t* pixel_vertex, int32_t* matched, int device_index) {
  const std::shared_ptr<cuda::DeviceContext> context = cuda::acquire_device_context(device_index);
  cuda::DeviceContext& c = *context;
  c.make_current();
  const size_t ring_bytes = static_cast<size_t>(p.ring_count) * sizeof(int32_t);
  const size_t map_bytes = static_cast<size_t>(p.height) * p.width * sizeof(int32_t);
  auto* d_ring = static_cast<int32_t*>(c.buffer("stitch.ring_pixels", ring_bytes));
  auto* d_map = static_cast<int32_t*>(c.buffer("stitch.pixel_vertex", map_bytes));
  auto* d_matched = static_cast<int32_t*>(c.buffer("stitch.matched", ring_bytes));
  c.upload(d_ring, ring_pixels, ring_bytes);
  c.upload(d_map, pixel_vertex, map_bytes);
  cuda::match_ring_to_hair(p, RingMatchInputs{d_ring, d_map}, d_matched, c.stream());
  c.download(matched, d_matched, ring_bytes);
  c.synchronize();
}

void nearest_face_cuda(const NearestFaceParams& p, const float* queries, const float* face_xyz,
                       int32_t* nearest, int device_index) {
  const std::shared_ptr<cuda::DeviceContext> context = cuda::acquire_device_context(device_index);
  cuda::DeviceContext& c = *context;
  c.make_current();
  const size_t query_bytes = static_cast<size_t>(p.query_count) * 3 * sizeof(float);
  const size_t face_bytes = static_cast<size_t>(p.face_count) * 3 * sizeof(float);
  const size_t nearest_bytes = static_cast<size_t>(p.query_count) * sizeof(int32_t);
  auto* d_queries = static_cast<float*>(c.buffer("stitch.queries", query_bytes));
  auto* d_face = static_cast<float*>(c.buffer("stitch.face_xyz", face_bytes));
  auto* d_nearest = static_cast<int32_t*>(c.buffer("stitch.nearest", nearest_bytes));
  c.upload(d_queries, queries, query_bytes);
  c.upload(d_face, face_xyz, face_bytes);
  cuda::nearest_face_vertices(p, NearestFaceInputs{d_queries, d_face}, d_nearest, c.stream());
  c.download(nearest, d_nearest, nearest_bytes);
  c.synchronize();
}

}  // namespace p3d

#endif  // P3D_WITH_CUDA
