// One family of check macros for the CUDA runtime, cuBLAS and cuDNN calls.
// A failed call throws p3d::Error naming the statement as written, the library's error name
// and description, and the source location, so a failure deep in a backend reads like
// "cuDNN error CUDNN_STATUS_BAD_PARAM (...) from `cudnnConvolutionForward(...)`
// [engine/cuda/cuda_backend.cpp:210]". The *_NOTHROW variants print the same text to stderr
// instead; they are for destructors and cleanup paths, which must not throw.
// Kernel launchers call P3D_CUDA_CHECK_LAUNCH() right after every <<<...>>> launch.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn_graph.h>

namespace p3d::detail {

// Format the message and throw p3d::Error (defined in kernels/cuda/check.cpp).
[[noreturn]] void throw_cuda_error(cudaError_t status, const char* statement, const char* file,
                                   int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* statement, const char* file,
                                     int line);
[[noreturn]] void throw_cudnn_error(cudnnStatus_t status, const char* statement, const char* file,
                                    int line);
[[noreturn]] void throw_launch_error(cudaError_t status, const char* function, const char* file,
                                     int line);

// The same messages, printed to stderr; never throw.
void print_cuda_error(cudaError_t status, const char* statement, const char* file,
                      int line) noexcept;
void print_cublas_error(cublasStatus_t status, const char* statement, const char* file,
                        int line) noexcept;
void print_cudnn_error(cudnnStatus_t status, const char* statement, const char* file,
                       int line) noexcept;

}  // namespace p3d::detail

#define P3D_CUDA_CHECK(call)                                                        \
  do {                                                                              \
    const cudaError_t p3d_cuda_status_ = (call);                                    \
    if (p3d_cuda_status_ != cudaSuccess)                                            \
      ::p3d::detail::throw_cuda_error(p3d_cuda_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define P3D_CUBLAS_CHECK(call)                                                          \
  do {                                                                                  \
    const cublasStatus_t p3d_cublas_status_ = (call);                                   \
    if (p3d_cublas_status_ != CUBLAS_STATUS_SUCCESS)                                    \
      ::p3d::detail::throw_cublas_error(p3d_cublas_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define P3D_CUDNN_CHECK(call)                                                         \
  do {                                                                                \
    const cudnnStatus_t p3d_cudnn_status_ = (call);                                   \
    if (p3d_cudnn_status_ != CUDNN_STATUS_SUCCESS)                                    \
      ::p3d::detail::throw_cudnn_error(p3d_cudnn_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define P3D_CUDA_CHECK_NOTHROW(call)                                                \
  do {                                                                              \
    const cudaError_t p3d_cuda_status_ = (call);                                    \
    if (p3d_cuda_status_ != cudaSuccess)                                            \
      ::p3d::detail::print_cuda_error(p3d_cuda_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define P3D_CUBLAS_CHECK_NOTHROW(call)                                                  \
  do {                                                                                  \
    const cublasStatus_t p3d_cublas_status_ = (call);                                   \
    if (p3d_cublas_status_ != CUBLAS_STATUS_SUCCESS)                                    \
      ::p3d::detail::print_cublas_error(p3d_cublas_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define P3D_CUDNN_CHECK_NOTHROW(call)                                                 \
  do {                                                                                \
    const cudnnStatus_t p3d_cudnn_status_ = (call);                                   \
    if (p3d_cudnn_status_ != CUDNN_STATUS_SUCCESS)                                    \
      ::p3d::detail::print_cudnn_error(p3d_cudnn_status_, #call, __FILE__, __LINE__); \
  } while (0)

// After a kernel launch: a bad launch configuration (or an earlier asynchronous fault)
// surfaces here, named after the launcher function that issued it.
#define P3D_CUDA_CHECK_LAUNCH()                                                          \
  do {                                                                                   \
    const cudaError_t p3d_cuda_status_ = cudaGetLastError();                             \
    if (p3d_cuda_status_ != cudaSuccess)                                                 \
      ::p3d::detail::throw_launch_error(p3d_cuda_status_, __func__, __FILE__, __LINE__); \
  } while (0)
