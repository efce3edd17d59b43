// The face/hair stitch of step 4 (step4_save_obj.py with utils/construct_triangles.py
// find_boundary_ind and construct_triangle): a strip of triangles that closes the gap
// between the face model's mesh and the hair/ear mesh grown from the image.
//
// What it computes, in the original's order:
//   1. ring pixels (the 1-pixel ring around facemask_withouthair, small components removed;
//      given here as a mask) in row-major order; for each, the nearest hair/ear pixel in
//      (row, col), kept when the distance is < 2; unique in first-occurrence order ->
//      hair_boundary_ind;
//   2. for each of those hair vertices the nearest face vertex in 3D; then
//      face_boundary_ind = unique(concat(those, border_index)), first-occurrence order;
//   3. stitch vertices = face_xyz[face_boundary_ind] then hair_xyz[hair_boundary_ind] (with
//      their colours); a Delaunay triangulation of their (x, y); triangles with a 3D edge
//      longer than 0.05 dropped (filter_tri: kept when the longest edge is <= 0.05).
// Where we pin down what the original leaves to its libraries:
//   * nearest-neighbour ties (constant with integer pixel coordinates) go to the smallest
//     squared distance, then the smallest vertex index (kernels/stitch_search.h);
//   * distances are float64 from the float32 coordinates, numpy's order;
//   * the triangulation is ours (pipeline/delaunay_2d.h, exact on a 2^24 lattice) instead of
//     Qhull's: the same triangles where the Delaunay triangulation is unique, one valid
//     choice among cocircular points; duplicate (x, y) positions: the first one is used;
//   * triangles are counter-clockwise seen from the camera at +z looking down -z (Qhull's
//     come in either winding), never degenerate nor repeated, 0-based into the stitch
//     vertices (the original adds 1 for its OBJ writer).
// The two searches run on the CPU (kernels/cpu/stitch_search.h) or the GPU
// (kernels/cuda/stitch_search.h) with identical results; the small index lists come back
// to the host, which does the rest.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/tensor.h"

namespace p3d {

// Largest 3D edge of a kept stitch triangle (construct_triangle's filter_tri thres=0.05).
constexpr double kStitchMaxEdge = 0.05;

struct StitchInput {
  int32_t height = 256;                   // H of the masks (the original: 256 x 256 crops)
  int32_t width = 256;                    // W
  const uint8_t* ring = nullptr;          // [H, W] 1 on the ring pixels, 0 elsewhere
  int32_t hair_count = 0;                 // K hair/ear vertices, one per hair/ear pixel
  const int32_t* points_index = nullptr;  // [K, 2] (row, col), row-major order, unique
  const float* hair_xyz = nullptr;        // [K, 3] positions (hairear_shape)
  const float* hair_colors = nullptr;     // [K, 3] colours (hairear_texture)
  int32_t face_count = 0;                 // V face vertices (35709 with the real model)
  const float* face_xyz = nullptr;        // [V, 3] positions (face_shape)
  const float* face_colors = nullptr;     // [V, 3] colours (face_texture)
  int32_t border_count = 0;               // B (932 with the real model)
  const int32_t* border_index = nullptr;  // [B] 0-based face vertex ids (FaceModel::border_index)
};

struct StitchResult {
  std::vector<float> xyz;     // [S, 3] face_xyz[face_boundary_ind], hair_xyz[hair_boundary_ind]
  std::vector<float> colors;  // [S, 3] the same rows of the colours
  std::vector<int32_t> triangles;          // [T, 3] 0-based into the S stitch vertices, CCW from +z
  std::vector<int32_t> hair_boundary_ind;  // hair vertex ids, first-occurrence order
  std::vector<int32_t> face_boundary_ind;  // face vertex ids, first-occurrence order
  int32_t vertex_count() const { return static_cast<int32_t>(xyz.size() / 3); }
  int32_t triangle_count() const { return static_cast<int32_t>(triangles.size() / 3); }
};

// Validates the input (sizes, pointers, ring values 0/1, points_index inside the image and
// strictly increasing in row-major order, finite coordinates and colours, border ids in
// [0, V)) and throws p3d::Error naming the problem; then stitches. DeviceKind::CUDA runs the
// two searches on the GPU (p3d::Error with the reason when CUDA is unavailable).
StitchResult stitch(const StitchInput& input, Device device = DeviceKind::CPU);

}  // namespace p3d
