// The CUDA path of cut_head_crops (head_crop.h): the batch's photos and masks are packed
// into one upload each, every window is cut by one launch per image kind
// (kernels/cuda/crop_resample.h, the same per-pixel functions as the CPU loop), and the
// crops come back to the host.
#if defined(P3D_WITH_CUDA)

#include <cuda_runtime_api.h>

#include <vector>

#include "engine/cuda/cuda_owners.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/crop_resample.h"
#include "kernels/error.h"
#include "pipeline/head_crop.h"

namespace p3d {

HeadCropImages cut_head_crops_cuda(const std::vector<HeadCrop>& crops,
                                   const std::vector<ImageU8View>& photos,
                                   const std::vector<ImageU8View>& masks, int device_index) {
  using cuda_backend::DeviceBuffer;
  using cuda_backend::Stream;
  P3D_CUDA_CHECK(cudaSetDevice(device_index));
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

  Stream stream;
  DeviceBuffer d_photos(photo_bytes), d_masks(mask_bytes);
  DeviceBuffer d_items(sizeof(CropResampleParams) * 2 * n);
  DeviceBuffer d_out_photos(n * plane * channels), d_out_masks(n * plane);
  auto* items = static_cast<CropResampleParams*>(d_items.get());
  for (int32_t b = 0; b < n; ++b) {
    const size_t pb = static_cast<size_t>(photos[b].width) * photos[b].height * channels;
    const size_t mb = static_cast<size_t>(masks[b].width) * masks[b].height;
    P3D_CUDA_CHECK(
        cudaMemcpyAsync(static_cast<uint8_t*>(d_photos.get()) + photo_items[b].src_offset,
                        photos[b].data, pb, cudaMemcpyHostToDevice, stream.get()));
    P3D_CUDA_CHECK(cudaMemcpyAsync(static_cast<uint8_t*>(d_masks.get()) + mask_items[b].src_offset,
                                   masks[b].data, mb, cudaMemcpyHostToDevice, stream.get()));
  }
  P3D_CUDA_CHECK(cudaMemcpyAsync(items, photo_items.data(), sizeof(CropResampleParams) * n,
                                 cudaMemcpyHostToDevice, stream.get()));
  P3D_CUDA_CHECK(cudaMemcpyAsync(items + n, mask_items.data(), sizeof(CropResampleParams) * n,
                                 cudaMemcpyHostToDevice, stream.get()));
  cuda::crop_resample_cubic(CropBatchParams{n, kHeadCropSize, kHeadCropSize, channels}, items,
                            static_cast<const uint8_t*>(d_photos.get()),
                            static_cast<uint8_t*>(d_out_photos.get()), stream.get());
  cuda::crop_resample_nearest(CropBatchParams{n, kHeadCropSize, kHeadCropSize, 1}, items + n,
                              static_cast<const uint8_t*>(d_masks.get()),
                              static_cast<uint8_t*>(d_out_masks.get()), stream.get());
  out.photos.resize(n * plane * channels);
  out.masks.resize(n * plane);
  P3D_CUDA_CHECK(cudaMemcpyAsync(out.photos.data(), d_out_photos.get(), out.photos.size(),
                                 cudaMemcpyDeviceToHost, stream.get()));
  P3D_CUDA_CHECK(cudaMemcpyAsync(out.masks.data(), d_out_masks.get(), out.masks.size(),
                                 cudaMemcpyDeviceToHost, stream.get()));
  P3D_CUDA_CHECK(cudaStreamSynchronize(stream.get()));
  return out;
}

}  // namespace p3d

#endif  // P3D_WITH_CUDA
