// RAII owners of CUDA resources: streams, events, device buffers and the cuBLAS / cuDNN
// handles. They live beside the kernels rather than inside the engine so the pipeline, the
// benchmarks and the tests hold GPU resources the same way the CUDA backend does, without
// including engine internals.
//
// Each owns exactly one resource: copies are deleted, moves transfer ownership and leave the
// source empty (a moved-from owner's destructor does nothing), so owners can sit in
// std::vector or be returned from factories. Destructors report failures on stderr and
// never throw. Read by g++ too: only CUDA runtime / cuBLAS / cuDNN API types appear here.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <cstddef>
#include <utility>

#include "kernels/cuda/check.h"

namespace p3d::cuda {

// A stream that does not synchronise with the legacy default stream, so work other
// libraries queue there cannot serialise ours (and it can be captured into a CUDA graph).
// For the same reason, work on it never waits for a plain cudaMemcpy: copy with
// cudaMemcpyAsync on this stream (or upload() below).
class Stream {
 public:
  Stream() { P3D_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~Stream() { reset(); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream(Stream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}
  Stream& operator=(Stream&& other) noexcept {
    if (this != &other) {
      reset();
      stream_ = std::exchange(other.stream_, nullptr);
    }
    return *this;
  }
  cudaStream_t get() const { return stream_; }
  void synchronize() const { P3D_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

 private:
  void reset() noexcept {
    if (stream_) P3D_CUDA_CHECK_NOTHROW(cudaStreamDestroy(stream_));
    stream_ = nullptr;
  }
  cudaStream_t stream_ = nullptr;
};

// A timing event (cudaEventDefault). elapsed_ms(begin, end) waits for `end`.
class Event {
 public:
  Event() { P3D_CUDA_CHECK(cudaEventCreate(&event_)); }
  ~Event() { reset(); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}
  Event& operator=(Event&& other) noexcept {
    if (this != &other) {
      reset();
      event_ = std::exchange(other.event_, nullptr);
    }
    return *this;
  }
  cudaEvent_t get() const { return event_; }
  void record(cudaStream_t stream) const { P3D_CUDA_CHECK(cudaEventRecord(event_, stream)); }
  // Milliseconds from `begin` to `end`, both recorded; blocks until `end` has happened.
  static float elapsed_ms(const Event& begin, const Event& end) {
    P3D_CUDA_CHECK(cudaEventSynchronize(end.event_));
    float ms = 0.f;
    P3D_CUDA_CHECK(cudaEventElapsedTime(&ms, begin.event_, end.event_));
    return ms;
  }

 private:
  void reset() noexcept {
    if (event_) P3D_CUDA_CHECK_NOTHROW(cudaEventDestroy(event_));
    event_ = nullptr;
  }
  cudaEvent_t event_ = nullptr;
};

// Device memory from cudaMalloc (256-byte aligned), freed on destruction.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes) : bytes_(bytes) {
    if (bytes_ > 0) P3D_CUDA_CHECK(cudaMalloc(&ptr_, bytes_));
  }
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      reset();
      ptr_ = std::exchange(other.ptr_, nullptr);
      bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
  }
  void* get() const { return ptr_; }
  size_t bytes() const { return bytes_; }

 private:
  void reset() noexcept {
    if (ptr_) P3D_CUDA_CHECK_NOTHROW(cudaFree(ptr_));
    ptr_ = nullptr;
    bytes_ = 0;
  }
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// Copies `bytes` of host memory to the device on `stream` and waits for it, so the host
// memory may go and work queued on `stream` afterwards sees the data. The ordering a plain
// cudaMemcpy does not give a non-blocking stream.
inline void upload(void* device_dst, const void* host_src, size_t bytes, cudaStream_t stream) {
  if (bytes == 0) return;
  P3D_CUDA_CHECK(cudaMemcpyAsync(device_dst, host_src, bytes, cudaMemcpyHostToDevice, stream));
  P3D_CUDA_CHECK(cudaStreamSynchronize(stream));
}

// Copies `bytes` of device memory to the host once the work queued on `stream` is done.
inline void download(void* host_dst, const void* device_src, size_t bytes, cudaStream_t stream) {
  if (bytes == 0) return;
  P3D_CUDA_CHECK(cudaMemcpyAsync(host_dst, device_src, bytes, cudaMemcpyDeviceToHost, stream));
  P3D_CUDA_CHECK(cudaStreamSynchronize(stream));
}

class CudnnHandle {
 public:
  explicit CudnnHandle(cudaStream_t stream) {
    P3D_CUDNN_CHECK(cudnnCreate(&handle_));
    try {
      P3D_CUDNN_CHECK(cudnnSetStream(handle_, stream));
    } catch (...) {
      cudnnDestroy(handle_);
      throw;
    }
  }
  ~CudnnHandle() { reset(); }
  CudnnHandle(const CudnnHandle&) = delete;
  CudnnHandle& operator=(const CudnnHandle&) = delete;
  CudnnHandle(CudnnHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  CudnnHandle& operator=(CudnnHandle&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  cudnnHandle_t get() const { return handle_; }

 private:
  void reset() noexcept {
    if (handle_) P3D_CUDNN_CHECK_NOTHROW(cudnnDestroy(handle_));
    handle_ = nullptr;
  }
  cudnnHandle_t handle_ = nullptr;
};

// A cuBLAS handle bound to `stream` with a workspace the caller owns. Giving cuBLAS a
// workspace we own keeps it from allocating inside a captured CUDA graph; the workspace must
// be set after the stream, since cublasSetStream resets it to the library's default pool.
class CublasHandle {
 public:
  CublasHandle(cudaStream_t stream, void* workspace, size_t workspace_bytes) {
    P3D_CUBLAS_CHECK(cublasCreate(&handle_));
    try {
      P3D_CUBLAS_CHECK(cublasSetStream(handle_, stream));
      P3D_CUBLAS_CHECK(cublasSetWorkspace(handle_, workspace, workspace_bytes));
      // Prescribed precision: no TF32 tensor cores and no emulation for float GEMMs. The
      // handle is shared (kernels/cuda/device_context.h), so reduced precision is asked per
      // call through cublasGemmEx's compute type, never set here.
      P3D_CUBLAS_CHECK(cublasSetMathMode(handle_, CUBLAS_DEFAULT_MATH));
      P3D_CUBLAS_CHECK(cublasSetPointerMode(handle_, CUBLAS_POINTER_MODE_HOST));
    } catch (...) {
      cublasDestroy(handle_);
      throw;
    }
  }
  ~CublasHandle() { reset(); }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  CublasHandle(CublasHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  CublasHandle& operator=(CublasHandle&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  cublasHandle_t get() const { return handle_; }

 private:
  void reset() noexcept {
    if (handle_) P3D_CUBLAS_CHECK_NOTHROW(cublasDestroy(handle_));
    handle_ = nullptr;
  }
  cublasHandle_t handle_ = nullptr;
};

}  // namespace p3d::cuda
