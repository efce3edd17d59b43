// See device_context.h.
#include "kernels/cuda/device_context.h"

#include <map>
#include <mutex>

#include "kernels/cuda/check.h"
#include "kernels/error.h"

namespace p3d::cuda {
namespace {

constexpr size_t kCublasWorkspace = size_t{32} << 20;  // NVIDIA's recommendation for Hopper

// Selects `device` before the members that allocate are built.
int activated(int device) {
  P3D_CUDA_CHECK(cudaSetDevice(device));
  return device;
}

}  // namespace

void* CudaAllocator::allocate(size_t bytes) {
  P3D_CUDA_CHECK(cudaSetDevice(device_));
  void* ptr = nullptr;
  const cudaError_t status = cudaMalloc(&ptr, bytes == 0 ? 1 : bytes);
  if (status == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // not sticky: clear it so later calls are unaffected
    size_t free_bytes = 0, total_bytes = 0;
    (void)cudaMemGetInfo(&free_bytes, &total_bytes);
    P3D_THROW("out of GPU memory on cuda:", device_, ": cudaMalloc of ", bytes, " bytes failed (",
              free_bytes, " of ", total_bytes, " bytes free)");
  }
  P3D_CUDA_CHECK(status);
  return ptr;
}

void CudaAllocator::release(void* ptr) noexcept {
  if (!ptr) return;
  P3D_CUDA_CHECK_NOTHROW(cudaSetDevice(device_));
  P3D_CUDA_CHECK_NOTHROW(cudaFree(ptr));
}

DeviceContext::DeviceContext(int device)
    : device_(activated(device)), allocator_(device), buffers_(allocator_) {}

DeviceContext::~DeviceContext() {
  P3D_CUDA_CHECK_NOTHROW(cudaSetDevice(device_));
  P3D_CUDA_CHECK_NOTHROW(cudaStreamSynchronize(stream_.get()));
  // Members go in reverse order: handles, workspace, buffers, then the stream.
}

void DeviceContext::make_current() const { P3D_CUDA_CHECK(cudaSetDevice(device_)); }

cublasHandle_t DeviceContext::cublas() {
  if (!cublas_) {
    make_current();
    if (!cublas_workspace_) cublas_workspace_.emplace(kCublasWorkspace);
    cublas_.emplace(stream_.get(), cublas_workspace_->get(), cublas_workspace_->bytes());
    ++handle_creations_;
  }
  return cublas_->get();
}

cudnnHandle_t DeviceContext::cudnn() {
  if (!cudnn_) {
    make_current();
    cudnn_.emplace(stream_.get());
    ++handle_creations_;
  }
  return cudnn_->get();
}

void DeviceContext::upload(void* device_dst, const void* host_src, size_t bytes) {
  if (bytes == 0) return;
  P3D_CUDA_CHECK(
      cudaMemcpyAsync(device_dst, host_src, bytes, cudaMemcpyHostToDevice, stream_.get()));
  bytes_uploaded_ += bytes;
}

void DeviceContext::download(void* host_dst, const void* device_src, size_t bytes) {
  if (bytes == 0) return;
  P3D_CUDA_CHECK(
      cudaMemcpyAsync(host_dst, device_src, bytes, cudaMemcpyDeviceToHost, stream_.get()));
  bytes_downloaded_ += bytes;
}

namespace {

// The contexts someone holds, by device (weak: the last holder's release destroys one).
struct HeldContexts {
  std::mutex mutex;
  std::map<int, std::weak_ptr<DeviceContext>> by_device;
};

HeldContexts& held_contexts() {
  static HeldContexts held;
  return held;
}

}  // namespace

std::shared_ptr<DeviceContext> acquire_device_context(int device) {
  HeldContexts& held = held_contexts();
  const std::lock_guard<std::mutex> lock(held.mutex);
  if (std::shared_ptr<DeviceContext> existing = held.by_device[device].lock()) return existing;
  auto context = std::make_shared<DeviceContext>(device);
  held.by_device[device] = context;
  return context;
}

std::shared_ptr<DeviceContext> held_device_context(int device) {
  HeldContexts& held = held_contexts();
  const std::lock_guard<std::mutex> lock(held.mutex);
  const auto it = held.by_device.find(device);
  return it == held.by_device.end() ? nullptr : it->second.lock();
}

}  // namespace p3d::cuda
