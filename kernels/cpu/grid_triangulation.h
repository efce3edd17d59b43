// CPU entry point of the grid triangulation of binary masks (the math is in
// kernels/grid_triangulation.h). The twin of kernels/cuda/grid_triangulation.h: the same
// three steps (count, exclusive scan, emit) and so the same output order, element for element.
#pragma once

#include <vector>

#include "kernels/cpu/thread_pool.h"
#include "kernels/grid_triangulation.h"

namespace p3d::cpu {

// The batch's triangulation, host arrays, laid out as GridTriangulationOutputs describes.
struct GridTriangulation {
  std::vector<int32_t> pixel_vertex;      // [N, H, W], -1 off the mask
  std::vector<int32_t> points;            // [K, 2] (row, col)
  std::vector<int32_t> triangles;         // [F, 3] ids within the mask, CCW in (col, -row)
  std::vector<int32_t> vertex_offsets;    // [N + 1]
  std::vector<int32_t> triangle_offsets;  // [N + 1]
};

// Triangulates masks [N, H, W] (0 = off, anything else = on). Checks params (p3d::Error).
// Rows of the batch are split over the pool for the count and emit passes; the scan between
// them is one sequential pass (a few hundred thousand additions per batch of 8).
GridTriangulation triangulate_grid(ThreadPool& pool, const GridTriangulationParams& p,
                                   const uint8_t* masks);

}  // namespace p3d::cpu
