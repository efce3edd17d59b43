// CPU entry point of "remove 4-connected components smaller than T" on [N, H, W] masks
// (Deep3dPortrait's remove_small_area; the shared union-find pieces are in
// kernels/connected_components.h). The twin of kernels/cuda/connected_components.h: the
// same labels (each component's first raster pixel) and the same result.
#pragma once

#include "kernels/connected_components.h"
#include "kernels/cpu/thread_pool.h"

namespace p3d::cpu {

// Clears the components of fewer than p.min_size pixels of each mask of the batch into
// b.kept (and writes b.labels when given). workspace: small_component_workspace_bytes(p)
// bytes, 4-byte aligned. Checks params and pointers (p3d::Error). One image per task, the
// images spread over the pool's threads; each image's union-find is sequential.
void remove_small_components(ThreadPool& pool, const SmallComponentParams& p,
                             const SmallComponentBuffers& b, void* workspace);

}  // namespace p3d::cpu
