// Message formatting behind the check macros of kernels/cuda/check.h. Kept out of line so
// every call site costs one compare and one call, and the three libraries word their
// failures the same way.
#include "kernels/cuda/check.h"

#include <cstdio>
#include <cstring>
#include <string>

#include "kernels/error.h"

namespace p3d::detail {
namespace {

std::string cuda_message(cudaError_t status, const char* statement) {
  return concat("CUDA error ", cudaGetErrorName(status), " (", cudaGetErrorString(status),
                ") from `", statement, "`");
}

std::string cublas_message(cublasStatus_t status, const char* statement) {
  return concat("cuBLAS error ", cublasGetStatusName(status), " (", cublasGetStatusString(status),
                ") from `", statement, "`");
}

std::string cudnn_message(cudnnStatus_t status, const char* statement) {
  std::string message =
      concat("cuDNN error ", cudnnGetErrorString(status), " from `", statement, "`");
  // cuDNN 9 keeps a per-thread description of the last failure that says which parameter
  // it rejected; it is often the only useful part.
  char detail[512] = {};
  cudnnGetLastErrorString(detail, sizeof(detail));
  if (detail[0] != '\0') message += concat(": ", detail);
  return message;
}

std::string launch_message(cudaError_t status, const char* function) {
  return concat("CUDA error ", cudaGetErrorName(status), " (", cudaGetErrorString(status),
                ") launching the kernel of ", function, "()");
}

void print(const std::string& message, const char* file, int line) noexcept {
  // Show the path below the source root, as p3d::Error messages do.
  const char* shown = file;
  for (const char* root : {"/kernels/", "/engine/"}) {
    if (const char* at = std::strstr(file, root)) {
      shown = at + 1;
      break;
    }
  }
  std::fprintf(stderr, "portrait3d: %s [%s:%d] (ignored during cleanup)\n", message.c_str(), shown,
               line);
}

}  // namespace

void throw_cuda_error(cudaError_t status, const char* statement, const char* file, int line) {
  throw_error(file, line, cuda_message(status, statement));
}
void throw_cublas_error(cublasStatus_t status, const char* statement, const char* file, int line) {
  throw_error(file, line, cublas_message(status, statement));
}
void throw_cudnn_error(cudnnStatus_t status, const char* statement, const char* file, int line) {
  throw_error(file, line, cudnn_message(status, statement));
}
void throw_launch_error(cudaError_t status, const char* function, const char* file, int line) {
  throw_error(file, line, launch_message(status, function));
}

// The printing variants swallow even a failure to format (bad_alloc): they run in
// destructors, where an escaping exception would terminate the program.
void print_cuda_error(cudaError_t status, const char* statement, const char* file,
                      int line) noexcept {
  try {
    print(cuda_message(status, statement), file, line);
  } catch (...) {
  }
}
void print_cublas_error(cublasStatus_t status, const char* statement, const char* file,
                        int line) noexcept {
  try {
    print(cublas_message(status, statement), file, line);
  } catch (...) {
  }
}
void print_cudnn_error(cudnnStatus_t status, const char* statement, const char* file,
                       int line) noexcept {
  try {
    print(cudnn_message(status, statement), file, line);
  } catch (...) {
  }
}

}  // namespace p3d::detail
