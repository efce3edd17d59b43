// CUDA launchers of the grid triangulation of binary masks: the twin of
// kernels/cpu/grid_triangulation.h, running the P3D_HD math of kernels/grid_triangulation.h
// on device pointers. Split in two because the host must learn the totals (K vertices, F
// triangles) to size the outputs: grid_triangulation_count, copy the offsets back, allocate,
// grid_triangulation_emit. Read by g++ too: only CUDA runtime API types appear here.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "kernels/grid_triangulation.h"

namespace p3d::cuda {

// Device scratch both launches share: the per-pixel template bits, the two scans and CUB's
// temporary storage. 256-byte aligned (cudaMalloc memory is).
size_t grid_triangulation_workspace_bytes(const GridTriangulationParams& p);

// Queues the count kernel (one thread per pixel of the batch), the two exclusive scans
// (CUB) and a small kernel writing vertex_offsets and triangle_offsets [N + 1] (device).
// masks: device [N, H, W]. Checks the params (p3d::Error).
void grid_triangulation_count(const GridTriangulationParams& p, const uint8_t* masks,
                              void* workspace, int32_t* vertex_offsets, int32_t* triangle_offsets,
                              cudaStream_t stream);

// Queues the emit kernel (one thread per pixel): out.pixel_vertex [N, H, W], out.points
// [K, 2], out.triangles [F, 3], sized from the offsets the count step wrote. The workspace
// must still hold that step's results (same stream, nothing in between).
void grid_triangulation_emit(const GridTriangulationParams& p, const uint8_t* masks,
                             void* workspace, const GridTriangulationOutputs& out,
                             cudaStream_t stream);

}  // namespace p3d::cuda
