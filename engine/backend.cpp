#include "engine/backend.h"

namespace p3d {

Tensor Backend::empty(const Shape& shape, DType dtype) {
  const size_t bytes = static_cast<size_t>(shape.numel()) * dtype_size(dtype);
  void* ptr = allocate(bytes == 0 ? 1 : bytes);
  std::shared_ptr<void> storage(ptr, [this](void* q) { deallocate(q); });
  return Tensor::adopt(std::move(storage), shape, dtype, device());
}

Tensor Backend::to_device(const Tensor& host) {
  P3D_CHECK(host.device().kind == DeviceKind::CPU, "to_device() expects a host tensor, got ",
            host.str());
  Tensor t = empty(host.shape(), host.dtype());
  if (host.bytes()) upload(t.raw(), host.raw(), host.bytes());
  return t;
}

Tensor Backend::to_host(const Tensor& device_tensor) {
  P3D_CHECK(device_tensor.device() == device(), "to_host(): tensor ", device_tensor.str(),
            " is not on ", device().str());
  Tensor t = Tensor::empty(device_tensor.shape(), device_tensor.dtype());
  if (t.bytes()) download(t.raw(), device_tensor.raw(), t.bytes());
  return t;
}

#if !defined(P3D_WITH_CUDA)
bool cuda_available(std::string* reason) {
  if (reason)
    *reason =
        "this build of portrait3d has no CUDA backend (configured with P3D_CUDA=OFF or without "
        "nvcc)";
  return false;
}
std::unique_ptr<Backend> make_cuda_backend(int, Precision) {
  P3D_THROW("CUDA backend requested, but this build of portrait3d has no CUDA backend");
}
#endif

}  // namespace p3d
