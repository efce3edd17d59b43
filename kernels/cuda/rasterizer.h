// CUDA launcher of the triangle rasterizer: the twin of kernels/cpu/rasterizer.h (same
// params, inputs and outputs, device pointers, plus the stream), running the P3D_HD math of
// kernels/rasterizer.h. Read by g++ too: only CUDA runtime API types appear here.
#pragma once

#include <cuda_runtime_api.h>

#include "kernels/rasterizer.h"

namespace p3d::cuda {

// Queues the three passes on `stream`: project vertices, rasterize (one thread per (image,
// triangle), 64-bit atomicMin of (ordered NDC z, ~triangle id) per pixel), resolve (one
// thread per output pixel). workspace: rasterize_workspace_bytes(p) bytes of device memory,
// 256-byte aligned. Checks the params (p3d::Error) but cannot read the device triangles:
// the caller checks its host copy with check_rasterize_triangles before uploading. The
// kernels still skip a triangle whose ids are out of range.
void rasterize_triangles(const RasterizeParams& p, const RasterizeInputs& in,
                         const RasterizeOutputs& out, void* workspace, cudaStream_t stream);

}  // namespace p3d::cuda
