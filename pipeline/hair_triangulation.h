// The hair/ear triangulation of step 2 (Deep3dPortrait step2_face_segmentation.py): the
// stitch mask's pixels become vertices in np.where (row-major) order, as (row, col), and
// the triangles are Delaunay's with every edge <= sqrt(5) px (construct_triangles.py
// filter_tri), built from the pixel grid (kernels/grid_triangulation.h) on the CPU or the
// GPU. Unlike the original we do not pad to fixed sizes, and triangles are 0-based and wound
// counter-clockwise in (x = col, y = -row).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/tensor.h"

namespace p3d {

struct MaskTriangulation {
  int32_t height = 0, width = 0;
  std::vector<int32_t> points;        // [K, 2] (row, col) of the mask pixels, row-major order
  std::vector<int32_t> triangles;     // [F, 3] 0-based ids into points, CCW in (col, -row)
  std::vector<int32_t> pixel_vertex;  // [H, W] id of the pixel's vertex, -1 off the mask

  int32_t vertex_count() const { return static_cast<int32_t>(points.size() / 2); }
  int32_t triangle_count() const { return static_cast<int32_t>(triangles.size() / 3); }
};

// Triangulates each of `batch` masks [N, H, W] (uint8, host memory; 1 = on, 0 = off; any
// other value is refused, as is a size outside 1..16384 or a null pointer) on `device`
// (DeviceKind::CUDA throws p3d::Error with the reason when no GPU answers). Both devices
// give identical results.
std::vector<MaskTriangulation> triangulate_masks(const uint8_t* masks, int32_t batch,
                                                 int32_t height, int32_t width,
                                                 Device device = DeviceKind::CPU);

}  // namespace p3d
