// The CUDA path of align_images (alignment.h): the batch's photos are packed into one
// upload, one launch resamples every item (kernels/cuda/alignment.h, the same per-pixel
// functions as the CPU loop), and the [N, 224, 224, C] float input comes back to the host
// (align_images) or stays on the device for the R-Net (align_images_on_device).
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

namespace {

struct OnDevice {
  float* crops;     // the context's "align.out"
  uint8_t* photos;  // the context's "align.photos": photo b at items[b].src_offset
};

// Uploads the photos (photos[b] at items[b].src_offset; items past the photos repeat one)
// and resamples every item into the context's "align.out" buffer, on its stream.
OnDevice resample_on_device(cuda::DeviceContext& c, const std::vector<const ImageU8*>& photos,
                            const std::vector<AlignItemParams>& items, int32_t channels) {
  const int32_t n = static_cast<int32_t>(items.size());
  size_t photo_bytes = 0;
  for (const ImageU8* photo : photos) photo_bytes += photo->bytes();
  const size_t plane = static_cast<size_t>(kAlignCropSize) * kAlignCropSize * channels;
  uint8_t* d_photos = c.buffer_as<uint8_t>("align.photos", photo_bytes);
  auto* d_items = c.buffer_as<AlignItemParams>("align.items", static_cast<size_t>(n));
  float* d_out = c.buffer_as<float>("align.out", plane * n);
  for (size_t b = 0; b < photos.size(); ++b)
    c.upload(d_photos + items[b].src_offset, photos[b]->data(), photos[b]->bytes());
  c.upload(d_items, items.data(), sizeof(AlignItemParams) * n);
  cuda::align_faces(AlignBatchParams{n, kAlignCropSize, channels}, items.data(), d_items, d_photos,
                    d_out, c.stream());
  return {d_out, d_photos};
}

}  // namespace

std::vector<float> align_images_cuda(const std::vector<const ImageU8*>& photos,
                                     const std::vector<AlignItemParams>& items, int32_t channels,
                                     int device_index) {
  const std::shared_ptr<cuda::DeviceContext> context = cuda::acquire_device_context(device_index);
  context->make_current();
  const float* d_out = resample_on_device(*context, photos, items, channels).crops;
  std::vector<float> out(static_cast<size_t>(kAlignCropSize) * kAlignCropSize * channels *
                         items.size());
  context->download(out.data(), d_out, sizeof(float) * out.size());
  P3D_CUDA_CHECK(cudaStreamSynchronize(context->stream()));
  return out;
}

DeviceAlignment align_images_cuda_resident(const std::vector<const ImageU8*>& photos,
                                           const std::vector<AlignItemParams>& items,
                                           int32_t channels, int device_index) {
  // The context outlives this call: the Reconstructor (and the engine's backend) hold it.
  const std::shared_ptr<cuda::DeviceContext> context = cuda::acquire_device_context(device_index);
  context->make_current();
  const OnDevice on_device = resample_on_device(*context, photos, items, channels);
  DeviceAlignment out;
  out.crops = on_device.crops;
  for (size_t b = 0; b < photos.size(); ++b)
    out.photos.push_back(on_device.photos + items[b].src_offset);
  return out;
}

}  // namespace p3d

#endif  // P3D_WITH_CUDA
