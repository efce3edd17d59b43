// One device context per GPU, shared by the engine's CUDA backend and the pipeline's CUDA
// units (alignment, 3DMM, head crop, rendering, masks, triangulation, back-projection,
// stitching, previews): one non-blocking stream, one cuBLAS and one cuDNN handle (created on
// first use, then kept), and one set of reusable scratch buffers (kernels/reusable_buffers.h)
// that grow on first use and are reused after. So engine and pipeline follow the same rule:
// after the first call at the largest size, no call creates a stream or handle and none
// allocates; allocations() lets tests check that.
//
// The pipeline units issue their host<->device copies through upload() / download(), which
// count the bytes; the stages read the totals around each step to report what it moves over
// the bus (pipeline/host_transfers.h). Not counted: the engine's own copies (network inputs
// and outputs, which the stages add themselves).
//
// acquire_device_context(i) returns the context of device i that someone in the process
// already holds, or a new one: the Reconstructor holds it for its lifetime, so its backend
// and every pipeline unit it calls share it; a unit called on its own (a test, a tool) gets
// a fresh one for the call. Not thread-safe: one host thread drives a context at a time
// (acquire_device_context itself may be called from any thread).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "kernels/cuda/owners.h"
#include "kernels/reusable_buffers.h"

namespace p3d::cuda {

// cudaMalloc / cudaFree as a RawAllocator (device memory, 256-byte aligned).
class CudaAllocator final : public RawAllocator {
 public:
  explicit CudaAllocator(int device) : device_(device) {}
  void* allocate(size_t bytes) override;
  void release(void* ptr) noexcept override;

 private:
  int device_;
};

class DeviceContext {
 public:
  // Makes `device` current and creates the stream.
  explicit DeviceContext(int device);
  // Waits for queued work before the buffers, handles and stream go.
  ~DeviceContext();
  DeviceContext(const DeviceContext&) = delete;
  DeviceContext& operator=(const DeviceContext&) = delete;

  int device() const { return device_; }
  // Makes this context's device current (every entry that allocates or launches calls it).
  void make_current() const;
  cudaStream_t stream() const { return stream_.get(); }
  void synchronize() const { stream_.synchronize(); }

  // Bound to stream(); created on first use. cuBLAS gets a workspace we own (no allocation
  // inside a captured graph) and CUBLAS_DEFAULT_MATH: reduced precision is asked per call
  // (cublasGemmEx compute types), never set on the shared handle.
  cublasHandle_t cublas();
  cudnnHandle_t cudnn();

  // Scratch memory under `slot` (ReusableBuffers::get): units name their slots
  // ("render.vertices", "crop.photos", ...) so their buffers never overlap.
  void* buffer(std::string_view slot, size_t bytes) { return buffers_.get(slot, bytes); }
  template <typename T>
  T* buffer_as(std::string_view slot, size_t count) {
    return buffers_.get_as<T>(slot, count);
  }
  // Scratch allocations so far, plus 1 per handle created: unchanged across a steady-state
  // call. stream_and_handle_creations() counts the stream and handles alone.
  size_t allocations() const { return buffers_.allocations() + handle_creations_; }
  size_t stream_and_handle_creations() const { return 1 + handle_creations_; }
  size_t scratch_bytes() const { return buffers_.bytes_held(); }

  // Queues a host-to-device / device-to-host copy of `bytes` on stream() (nothing for 0
  // bytes) and counts it. `host` must stay valid (and, for download, unread) until the
  // stream is synchronised.
  void upload(void* device_dst, const void* host_src, size_t bytes);
  void download(void* host_dst, const void* device_src, size_t bytes);
  // Bytes queued through upload() / download() since the context was made.
  uint64_t bytes_uploaded() const { return bytes_uploaded_; }
  uint64_t bytes_downloaded() const { return bytes_downloaded_; }

 private:
  int device_;
  Stream stream_;
  CudaAllocator allocator_;
  ReusableBuffers buffers_;
  std::optional<DeviceBuffer> cublas_workspace_;
  std::optional<CublasHandle> cublas_;
  std::optional<CudnnHandle> cudnn_;
  size_t handle_creations_ = 0;
  uint64_t bytes_uploaded_ = 0;
  uint64_t bytes_downloaded_ = 0;
};

// The context of `device` someone holds, else a new one (see the top of this file).
std::shared_ptr<DeviceContext> acquire_device_context(int device);
// The context of `device` someone holds, or null: never makes one (for readers such as the
// transfer report, which must not create a stream just to look).
std::shared_ptr<DeviceContext> held_device_context(int device);

}  // namespace p3d::cuda
