// Runs a pipeline kernel (one that is no Backend method: the rasterizer, the 3DMM passes,
// the crops, the alignment) on whichever backend a case instance was placed in, so such
// kernels go through the same guarded runner (op_cases.h) as the engine's ops.
#pragma once

#include <functional>

#include "engine/backend.h"

namespace p3d::test {

// The CUDA stream a kernel is queued on, as void* so this header needs no CUDA headers
// (cast it to cudaStream_t).
using DeviceStream = void*;

// On a CPU backend calls on_cpu(); on a CUDA backend waits for the backend's queued work
// (the uploads), calls on_cuda(stream) and waits for that stream, so the backend's own
// download that follows sees the result. Throws p3d::Error in a build without CUDA.
void run_kernel(Backend& backend, const std::function<void()>& on_cpu,
                const std::function<void(DeviceStream)>& on_cuda);

}  // namespace p3d::test
