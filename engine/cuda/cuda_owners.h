// The CUDA owners under their former names: they moved to kernels/cuda/owners.h so the
// pipeline, the benchmarks and the tests need not include engine internals. This header
// keeps files that still say cuda_backend::Stream compiling while they move over.
#pragma once

#include "kernels/cuda/owners.h"

namespace p3d::cuda_backend {

using cuda::CublasHandle;
using cuda::CudnnHandle;
using cuda::DeviceBuffer;
using cuda::Event;
using cuda::Stream;

}  // namespace p3d::cuda_backend
