// See device_probe.h. Asking the runtime for the attributes of an empty kernel loads this
// build's module for the device, which fails exactly when no SASS or PTX here fits it.
#include <cuda_runtime_api.h>

#include "engine/cuda/device_probe.h"

namespace p3d::cuda_backend {
namespace {

__global__ void probe_kernel() {}

}  // namespace

bool device_code_runnable(int device, std::string* reason) {
  cudaError_t status = cudaSetDevice(device);
  if (status == cudaSuccess) {
    cudaFuncAttributes attributes{};
    status = cudaFuncGetAttributes(&attributes, probe_kernel);
  }
  if (status == cudaSuccess) return true;
  (void)cudaGetLastError();  // clear the (non-sticky) error so later calls start clean
  if (reason) {
    cudaDeviceProp prop{};
    const bool named = cudaGetDeviceProperties(&prop, device) == cudaSuccess;
    (void)cudaGetLastError();
    *reason = std::string("CUDA device ") + std::to_string(device) +
              (named ? std::string(" (") + prop.name + ", sm_" + std::to_string(prop.major) +
                           std::to_string(prop.minor) + ")"
                     : std::string()) +
              " cannot run this build's kernels: " + cudaGetErrorName(status) + " (" +
              cudaGetErrorString(status) +
              "); rebuild with CMAKE_CUDA_ARCHITECTURES including this GPU's architecture";
  }
  return false;
}

}  // namespace p3d::cuda_backend
