// The CUDA path of cut_head_crops (head_crop.h): the batch's photos (unless the alignment
// left them on the device) and masks are packed into one upload each, every window is cut by one
// launch per image kind (kernels/cuda/crop_resample.h, the same per-pixel functions as the CPU
// loop), and the crops come back to the host. Stream and buffers are the device's context
// (kernels/cuda/device_context.h): grown on the first batch, reused by the next.
#if defined(P3D_WITH_CUDA)

#include <cuda_runtime_api.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/cuda/check.h"
#include "kernels/cuda/crop_resample.h"
#include "kernels/cuda/device_context.h"
#include "kernels/error.h"
#include "pipeline/head_crop.h"

namespace p3d {

HeadCropImages cut_head_crops_cuda(const std::vector<HeadCrop>& crops,
                                   const std::vector<const uint8_t*>& device_photos,
                                   const std::vector<ImageU8View>& photos,
                                   const std::vector<ImageU8View>& masks, int device_index) {
  const std::shared_ptr<cuda::DeviceContext> context = cuda::acquire_device_context(device_index);
  context->make_current();
  const int32_t n = static_cast<int32_t>(crops.size());
  HeadCropImages out;
  if (n == 0) return out;
  const int32_t channels = photos[0].channels;
  const size_t plane = static_cast<size_t>(kHeadCropSize) * kHeadCropSize;

  // Where each image goes in the packed buffers.
  std::vector<CropResampleParams> photo_items(n), mask_items(n);
  size_t photo_bytes = 0, mask_bytes = 0;
  for (int32_t b = 0; b < n; ++b) {
    // The kernels trust these (they live on the device): validate here.
    const CropResampleParams& w = crops[b].window;
    P3D_CHECK(w.src_w > 0 && w.src_h > 0 && w.scaled_w > 0 && w.scaled_h > 0, "head crop: item ", b,
              " resizes a ", w.src_w, "x", w.src_h, " photo to ", w.scaled_w, "x", w.scaled_h);
    photo_items[b] = crops[b].window;
    mask_items[b] = crops[b].window;
    photo_items[b].src_offset = static_cast<int64_t>(photo_bytes);
    mask_items[b].src_offset = static_cast<int64_t>(mask_bytes);
    photo_bytes += static_cast<size_t>(photos[b].width) * photos[b].height * channels;
    mask_bytes += static_cast<size_t>(masks[b].width) * masks[b].height;
  }

  // Photos the alignment already uploaded are read where they lie, from one base: offsets
  // are taken from the lowest address (they share one buffer).
  const bool photos_on_device = !device_photos.empty();
  const uint8_t* photo_base = nullptr;
  if (photos_on_device) {
    photo_base = *std::min_element(device_photos.begin(), device_photos.end());
    for (int32_t b = 0; b < n; ++b) photo_items[b].src_offset = device_photos[b] - photo_base;
  }

  cuda::DeviceContext& c = *context;
  const cudaStream_t stream = c.stream();
  uint8_t* d_photos = photos_on_device ? const_cast<uint8_t*>(photo_base)
                                       : c.buffer_as<uint8_t>("crop.photos", photo_bytes);
  uint8_t* d_masks = c.buffer_as<uint8_t>("crop.masks", mask_bytes);
  auto* items = c.buffer_as<CropResampleParams>("crop.items", 2 * static_cast<size_t>(n));
  uint8_t* d_out_photos = c.buffer_as<uint8_t>("crop.out_photos", n * plane * channels);
  uint8_t* d_out_masks = c.buffer_as<uint8_t>("crop.out_masks", n * plane);
  for (int32_t b = 0; b < n; ++b) {
    const size_t pb = static_cast<size_t>(photos[b].width) * photos[b].height * channels;
    const size_t mb = static_cast<size_t>(masks[b].width) * masks[b].height;
    if (!photos_on_device) c.upload(d_photos + photo_items[b].src_offset, photos[b].data, pb);
    c.upload(d_masks + mask_items[b].src_offset, masks[b].data, mb);
  }
  c.upload(items, photo_items.data(), sizeof(CropResampleParams) * n);
  c.upload(items + n, mask_items.data(), sizeof(CropResampleParams) * n);
  cuda::crop_resample_cubic(CropBatchParams{n, kHeadCropSize, kHeadCropSize, channels}, items,
                            d_photos, d_out_photos, stream);
  cuda::crop_resample_nearest(CropBatchParams{n, kHeadCropSize, kHeadCropSize, 1}, items + n,
                              d_masks, d_out_masks, stream);
  out.photos.resize(n * plane * channels);
  out.masks.resize(n * plane);
  c.download(out.photos.data(), d_out_photos, out.photos.size());
  c.download(out.masks.data(), d_out_masks, out.masks.size());
  P3D_CUDA_CHECK(cudaStreamSynchronize(stream));
  return out;
}

}  // namespace p3d

#endif  // P3D_WITH_CUDA
