// CUDA launchers of stage 3's per-vertex geometry: the twins of kernels/cpu/head_geometry.h
// (same arguments, device pointers, plus the stream), running kernels/head_geometry.h.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/head_geometry.h"

namespace p3d::cuda {

void hair_vertices(const HairBackprojectParams& p, const int32_t* points, const float* depth,
                   const uint8_t* crop, float* xyz, float* bgr, cudaStream_t stream);

void face_vertex_colors_from_crop(int32_t vertex_count, const float* projection,
                                  const uint8_t* crop, int32_t width, int32_t height, float* bgr,
                                  cudaStream_t stream);

}  // namespace p3d::cuda
