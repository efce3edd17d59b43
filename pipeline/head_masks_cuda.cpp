// The CUDA paths of compute_head_masks and stitch_ring_from_facemask (head_masks.h): one
// upload per input plane for the whole batch, the split, the two small-component removals
// and the dilation ring on the device (kernels/cuda/head_masks.h,
// kernels/cuda/connected_components.h), one download per output plane. Stream and buffers
// are the device's context (kernels/cuda/device_context.h): grown on the first batch,
// reused by the next, so a steady-state call allocates nothing.
#if defined(P3D_WITH_CUDA)

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/connected_components.h"
#include "kernels/cuda/connected_components.h"
#include "kernels/cuda/device_context.h"
#include "kernels/cuda/head_masks.h"
#include "kernels/head_masks.h"
#include "pipeline/head_masks.h"

namespace p3d {
namespace {

constexpr size_t kPlane = static_cast<size_t>(kHeadMaskSize) * kHeadMaskSize;

HeadMaskParams mask_params(int32_t batch) { return {batch, kHeadMaskSize, kHeadMaskSize}; }

SmallComponentParams component_params(int32_t batch, int32_t min_size) {
  return {batch, kHeadMaskSize, kHeadMaskSize, min_size};
}

void* workspace_of(cuda::DeviceContext& c, int32_t batch) {
  return c.buffer("masks.workspace", small_component_workspace_bytes(component_params(batch, 0)));
}

// Removes the components of `mask` (device, in place: the kernel reads before it writes)
// smaller than `min_size`.
void remove_small(int32_t batch, int32_t min_size, uint8_t* mask, void* workspace,
                  cudaStream_t stream) {
  SmallComponentBuffers b;
  b.mask = mask;
  b.kept = mask;
  cuda::remove_small_components(component_params(batch, min_size), b, workspace, stream);
}

// The ring passes on device: face_without_hair -> ring, T = 200.
void ring_on_device(int32_t batch, const uint8_t* face_without_hair, uint8_t* ring, void* workspace,
                    cudaStream_t stream) {
  cuda::dilation_ring(mask_params(batch), face_without_hair, ring, stream);
  remove_small(batch, kStitchRingMinPixels, ring, workspace, stream);
}

void download_plane(cuda::DeviceContext& c, std::vector<uint8_t>& dst, const uint8_t* src,
                    size_t bytes) {
  dst.resize(bytes);
  c.download(dst.data(), src, bytes);
}

}  // namespace

void head_masks_cuda(const uint8_t* labels, const uint8_t* coverage, int32_t batch,
                     std::vector<uint8_t>& hair_ear, std::vector<uint8_t>& stitch,
                     std::vector<uint8_t>& face_without_hair, std::vector<uint8_t>& ring,
                     int device_index) {
  const std::shared_ptr<cuda::DeviceContext> context = cuda::acquire_device_context(device_index);
  cuda::DeviceContext& c = *context;
  c.make_current();
  const cudaStream_t stream = c.stream();
  const size_t pixels = static_cast<size_t>(batch) * kPlane;
  uint8_t* d_labels = c.buffer_as<uint8_t>("masks.labels", pixels);
  uint8_t* d_coverage = c.buffer_as<uint8_t>("masks.coverage", pixels);
  uint8_t* d_hair_ear = c.buffer_as<uint8_t>("masks.hair_ear", pixels);
  uint8_t* d_stitch = c.buffer_as<uint8_t>("masks.stitch", pixels);
  uint8_t* d_face = c.buffer_as<uint8_t>("masks.face_without_hair", pixels);
  uint8_t* d_ring = c.buffer_as<uint8_t>("masks.ring", pixels);
  void* workspace = workspace_of(c, batch);
  c.upload(d_labels, labels, pixels);
  c.upload(d_coverage, coverage, pixels);
  HeadMaskOutputs out;
  out.hair_ear = d_hair_ear;
  out.stitch = d_stitch;
  out.face_without_hair = d_face;
  cuda::head_mask_split(mask_params(batch), {d_labels, d_coverage}, out, stream);
  remove_small(batch, kStitchMinPixels, d_stitch, workspace, stream);
  ring_on_device(batch, d_face, d_ring, workspace, stream);
  download_plane(c, hair_ear, d_hair_ear, pixels);
  download_plane(c, stitch, d_stitch, pixels);
  download_plane(c, face_without_hair, d_face, pixels);
  download_plane(c, ring, d_ring, pixels);
  c.synchronize();
}

void stitch_ring_cuda(const std::vector<uint8_t>& face_without_hair, int32_t batch,
                      std::vector<uint8_t>& ring, int device_index) {
  const std::shared_ptr<cuda::DeviceContext> context = cuda::acquire_device_context(device_index);
  cuda::DeviceContext& c = *context;
  c.make_current();
  const size_t pixels = static_cast<size_t>(batch) * kPlane;
  uint8_t* d_face = c.buffer_as<uint8_t>("masks.face_without_hair", pixels);
  uint8_t* d_ring = c.buffer_as<uint8_t>("masks.ring", pixels);
  void* workspace = workspace_of(c, batch);
  c.upload(d_face, face_without_hair.data(), pixels);
  ring_on_device(batch, d_face, d_ring, workspace, c.stream());
  download_plane(c, ring, d_ring, pixels);
  c.synchronize();
}

}  // namespace p3d

#endif  // P3D_WITH_CUDA
