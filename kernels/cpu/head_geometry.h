// CPU loops of stage 3's per-vertex geometry (math in kernels/head_geometry.h); the CUDA twins
// are kernels/cuda/head_geometry.h. One portrait per call; arrays row-major on the host.
#pragma once

#include <cstdint>

#include "kernels/head_geometry.h"

namespace p3d::cpu {

// points [K, 2] (row, col), depth [H, W], crop [H, W, 3] -> xyz [K, 3], bgr [K, 3].
void hair_vertices(const HairBackprojectParams& p, const int32_t* points, const float* depth,
                   const uint8_t* crop, float* xyz, float* bgr);

// projection [V, 2] (crop pixels, y up), crop [H, W, 3] -> bgr [V, 3].
void face_vertex_colors_from_crop(int32_t vertex_count, const float* projection,
                                  const uint8_t* crop, int32_t width, int32_t height, float* bgr);

}  // namespace p3d::cpu
