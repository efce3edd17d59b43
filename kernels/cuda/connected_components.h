// CUDA launcher of "remove 4-connected components smaller than T" on [N, H, W] masks: the
// twin of kernels/cpu/connected_components.h (same params and buffers, device pointers, plus
// the stream), with the union-find pieces of kernels/connected_components.h. Read by g++
// too: only CUDA runtime API types appear here.
#pragma once

#include <cuda_runtime_api.h>

#include "kernels/connected_components.h"

namespace p3d::cuda {

// Queues four passes on `stream`, one thread per pixel of the batch each: init parents;
// union every set pixel with its set left and upper neighbours (atomicMin on roots);
// flatten to roots and count each root's pixels (atomicAdd); keep / label. The roots are each
// component's first raster pixel whatever the race order, so labels and result equal the
// CPU's. workspace: small_component_workspace_bytes(p) bytes of device memory, 4-byte
// aligned. Checks params and pointers (p3d::Error).
void remove_small_components(const SmallComponentParams& p, const SmallComponentBuffers& b,
                             void* workspace, cudaStream_t stream);

}  // namespace p3d::cuda
