// RAII owners of the CUDA backend's long-lived resources: its stream, its cuDNN and cuBLAS
// handles and plain device buffers. Copies are deleted (each owns exactly one resource);
// destructors report failures on stderr and never throw.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <cstddef>

#include "kernels/cuda/check.h"

namespace p3d::cuda_backend {

// A stream that does not synchronise with the legacy default stream, so work other
// libraries queue there cannot serialise ours (and it can be captured into a CUDA graph).
class Stream {
 public:
  Stream() { P3D_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~Stream() { P3D_CUDA_CHECK_NOTHROW(cudaStreamDestroy(stream_)); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

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
  ~CudnnHandle() { P3D_CUDNN_CHECK_NOTHROW(cudnnDestroy(handle_)); }
  CudnnHandle(const CudnnHandle&) = delete;
  CudnnHandle& operator=(const CudnnHandle&) = delete;
  cudnnHandle_t get() const { return handle_; }

 private:
  cudnnHandle_t handle_ = nullptr;
};

// Device memory from cudaMalloc (256-byte aligned), freed on destruction.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t bytes) : bytes_(bytes) {
    if (bytes_ > 0) P3D_CUDA_CHECK(cudaMalloc(&ptr_, bytes_));
  }
  ~DeviceBuffer() {
    if (ptr_) P3D_CUDA_CHECK_NOTHROW(cudaFree(ptr_));
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* get() const { return ptr_; }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// A cuBLAS handle bound to `stream` with its own workspace. Giving cuBLAS a workspace we
// own keeps it from allocating inside a captured CUDA graph; the workspace must be set
// after the stream, since cublasSetStream resets it to the library's default pool.
class CublasHandle {
 public:
  CublasHandle(cudaStream_t stream, void* workspace, size_t workspace_bytes) {
    P3D_CUBLAS_CHECK(cublasCreate(&handle_));
    try {
      P3D_CUBLAS_CHECK(cublasSetStream(handle_, stream));
      P3D_CUBLAS_CHECK(cublasSetWorkspace(handle_, workspace, workspace_bytes));
      // Prescribed precision: no TF32 tensor cores and no emulation for float GEMMs.
      P3D_CUBLAS_CHECK(cublasSetMathMode(handle_, CUBLAS_DEFAULT_MATH));
      P3D_CUBLAS_CHECK(cublasSetPointerMode(handle_, CUBLAS_POINTER_MODE_HOST));
    } catch (...) {
      cublasDestroy(handle_);
      throw;
    }
  }
  ~CublasHandle() { P3D_CUBLAS_CHECK_NOTHROW(cublasDestroy(handle_)); }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
};

}  // namespace p3d::cuda_backend
