// Backend::record on CUDA: the launches a function makes on a stream, captured into a CUDA
// graph and instantiated, so the executor's steady state is one cudaGraphLaunch instead of
// one launch (and one host round of cuDNN / cuBLAS bookkeeping) per layer.
#pragma once

#include <cuda_runtime_api.h>

#include <functional>
#include <memory>

#include "engine/backend.h"

namespace p3d::cuda {

// Captures what `launches` queues on `stream` (thread-local capture mode: a call that would
// break the capture, such as a cudaMalloc or a synchronisation, fails instead of running).
// Returns null, with nothing of `launches` having run and the stream usable as before,
// when the capture or the instantiation fails, when `launches` throws, or when the
// environment sets P3D_CUDA_GRAPHS=0; the caller then runs the launches itself.
std::unique_ptr<LaunchRecording> record_cuda_graph(cudaStream_t stream,
                                                   const std::function<void()>& launches);

}  // namespace p3d::cuda
