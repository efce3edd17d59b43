// The CUDA path of align_images (alignment.h): the batch's photos are packed into one
// upload, one launch resamples every item (kernels/cuda/alignment.h, the same per-pixel
// functions as the CPU loop), and the [N, 224, 224, C] float input comes back to the host.
#if defined(P3D_WITH_CUDA)

#include <cuda_runtime_api.h>

#include <vector>

#include "engine/cuda/cuda_owners.h"
#include "kernels/cuda/alignment.h"
#include "kernels/cuda/check.h"
#include "kernels/error.h"
#include "pipeline/alignment.h"

namespace p3d {

std::vector<float> align_images_cuda(const std::vector<const ImageU8*>& photos,
                                     const std::vector<AlignItemParams>& items, int32_t channels,
                                     int device_index) {
  using cuda_backend::DeviceBuffer;
  using cuda_backend::Stream;
  P3D_CUDA_CHECK(cudaSetDevice(device_index));
  const int32_t n = static_cast<int32_t>(items.size());
  size_t photo_bytes = 0;
  for (const ImageU8* photo : photos) photo_bytes += photo->bytes();
  const size_t plane = static_cast<size_t>(kAlignCropSize) * kAlignCropSize * channels;

  Stream stream;
  DeviceBuffer d_photos(photo_bytes), d_items(sizeof(AlignItemParams) * n),
      d_out(sizeof(float) * plane * n);
  for (int32_t b = 0; b < n; ++b)
    P3D_CUDA_CHECK(cudaMemcpyAsync(static_cast<uint8_t*>(d_photos.get()) + items[b].src_offset,
                                   photos[b]->data(), photos[b]->bytes(), cudaMemcpyHostToDevice,
                                   stream.get()));
  P3D_CUDA_CHECK(cudaMemcpyAsync(d_items.get(), items.data(), sizeof(AlignItemParams) * n,
                                 cudaMemcpyHostToDevice, stream.get()));
  cuda::align_faces(AlignBatchParams{n, kAlignCropSize, channels}, items.data(),
                    static_cast<const AlignItemParams*>(d_items.get()),
                    static_cast<const uint8_t*>(d_photos.get()), static_cast<float*>(d_out.get()),
                    stream.get());
  std::vector<float> out(plane * n);
  P3D_CUDA_CHECK(cudaMemcpyAsync(out.data(), d_out.get(), sizeof(float) * out.size(),
                                 cudaMemcpyDeviceToHost, stream.get()));
  P3D_CUDA_CHECK(cudaStreamSynchronize(stream.get()));
  return out;
}

}  // namespace p3d

#endif  // P3D_WITH_CUDA
