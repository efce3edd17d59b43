// CPU entry point of the triangle rasterizer (tf_mesh_renderer semantics; the math is in
// kernels/rasterizer.h). The twin of kernels/cuda/rasterizer.h: same passes, same keys, same
// tie-break, so the two agree bit for bit.
#pragma once

#include "kernels/cpu/thread_pool.h"
#include "kernels/rasterizer.h"

namespace p3d::cpu {

// Rasterizes p.triangle_count triangles of each of p.batch images into the requested
// outputs (kernels/rasterizer.h RasterizeOutputs; row 0 at the top). workspace holds
// rasterize_workspace_bytes(p) bytes, 8-byte aligned. Checks params and triangle ids first
// (p3d::Error). Work is split over vertices, then over (image, triangle) pairs that meet in
// the key buffer through an atomic minimum — order-independent, so deterministic — then over
// output rows.
void rasterize_triangles(ThreadPool& pool, const RasterizeParams& p, const RasterizeInputs& in,
                         const RasterizeOutputs& out, void* workspace);

}  // namespace p3d::cpu
