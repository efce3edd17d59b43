// The CUDA path of align_images (alignment.h): the batch's photos are packed into one
// upload, one launch resamples every item (kernels/cuda/alignment.h, the same per-pixel
// functions as the CPU loop), and the [N, 224, 224, C] float input comes back to the host.
// Stream and buffers are the device's context (kernels/cuda/device_context.h): grown on the
// first batch, reused by the next.
#if defined(P3D_WITH_CUDA)

#include <cuda_runtime_api.h>

#include <memory>
#include <vector>

#include "kernels/cuda/alignment.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/device_context.h"
#include "kernels/error.h"
#include "pipeline/alignment.h"

namespace p3d {

std::vector<float> align_images_cuda(const std::vector<const ImageU8*>& photos,
                                     const std::vector<AlignItemParams>& items, int32_t channels,
                                     int device_index) {
  const std::shared_ptr<cuda::DeviceContext> context = cuda::acquire_device_context(device_index);
  context->make_current();
  const int32_t n = static_cast<int32_t>(items.size());
  size_t photo_bytes = 0;
  for (const ImageU8* photo : photos) photo_bytes += photo->bytes();
  const size_t plane = static_cast<size_t>(kAlignCropSize) * kAlignCropSize * channels;

  cuda::DeviceContext& c = *context;
  const cudaStream_t stream = c.stream();
  uint8_t* d_photos = c.buffer_as<uint8_t>("align.photos", photo_bytes);
  auto* d_items = c.buffer_as<AlignItemParams>("align.items", static_cast<size_t>(n));
  float* d_out = c.buffer_as<float>("align.out", plane * n);
  for (int32_t b = 0; b < n; ++b)
    c.upload(d_photos + items[b].src_offset, photos[b]->data(), photos[b]->bytes());
  c.upload(d_items, items.data(), sizeof(AlignItemParams) * n);
  cuda::align_faces(AlignBatchParams{n, kAlignCropSize, channels}, items.data(), d_items, d_photos,
                    d_out, stream);
  std::vector<float> out(plane * n);
  c.download(out.data(), d_out, sizeof(float) * out.size());
  P3D_CUDA_CHECK(cudaStreamSynchronize(stream));
  return out;
}

}  // namespace p3d

#endif  // P3D_WITH_CUDA
