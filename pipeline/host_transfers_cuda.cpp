// counted_host_transfers (host_transfers.h) in CUDA builds: the totals of the device context
// someone holds, read without making one.
#if defined(P3D_WITH_CUDA)

#include <memory>

#include "kernels/cuda/device_context.h"
#include "pipeline/host_transfers.h"

namespace p3d {

HostTransferBytes counted_host_transfers(const Device& device) {
  if (device.kind != DeviceKind::CUDA) return {};
  const std::shared_ptr<cuda::DeviceContext> context = cuda::held_device_context(device.index);
  if (!context) return {};
  return {context->bytes_uploaded(), context->bytes_downloaded()};
}

}  // namespace p3d

#endif  // P3D_WITH_CUDA
