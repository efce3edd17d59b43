// The topology and face-plane layout of the synthetic face model (synthetic_face_model.h):
// a triangulated convex lattice octagon with exactly the real model's 35709 vertices and
// 70789 triangles, warped onto a face-like outline.
//
// Why an octagon: every lattice polygon triangulated into unit (area 1/2) triangles obeys
// Pick's theorem, F = 2V - B - 2 (B = boundary vertices = boundary edges), whatever the
// diagonal choices. The real model has V = 35709, F = 70789, so B must be 627. A
// rectangle of 35709 points has a longer boundary (about 752), a rounder polygon a
// shorter one; an octagon of width 179, height 217 and corner cuts 46, 46 (chin), 36, 37
// (forehead; one cut is a step longer because B must be odd) hits both counts exactly.
// Each cell's diagonal is parallel to the cut of its quadrant, so the cut edges are
// triangle edges and every vertex has at most 6 triangles (point_buf holds 8).
#pragma once

#include <cstdint>
#include <vector>

namespace p3d {
namespace synthetic {

struct FaceOutline {
  // The outline the octagon is warped onto: (|x|/a)^2 + (y/b_top)^2 = 1 above y = 0,
  // (|x|/a)^2 + (|y|/b_bottom)^p = 1 below (p < 2 narrows the jaw towards the chin).
  double a = 0.87, b_top = 0.98, b_bottom = 1.02, p_bottom = 1.7;

  // Distance from the origin to the outline along direction angle `theta`.
  double radius(double theta) const;
  // Half-width of the outline at height y (0 outside its y range).
  double half_width(double y) const;
  // Outline level of (x, y): 0 at the origin, 1 on the outline.
  double level(double x, double y) const;
};

struct FaceMesh {
  static constexpr int kWidth = 179;   // lattice columns - 1
  static constexpr int kHeight = 217;  // lattice rows - 1

  int vertex_count = 0;
  int triangle_count = 0;
  std::vector<int32_t> lattice_i, lattice_j;  // [N] lattice coordinates
  std::vector<double> x, y;                   // [N] face-plane position, model units
  std::vector<int32_t> triangles;             // [F x 3], counter-clockwise seen from +z
  std::vector<int32_t> point_buf;             // [N x 8], ascending, padded with F
  std::vector<int32_t> outer_ring;            // boundary vertices, ascending
  std::vector<int32_t> second_ring;           // their inner neighbours, ascending
};

// Builds the mesh (independent of any seed).
FaceMesh build_face_mesh(const FaceOutline& outline);

}  // namespace synthetic
}  // namespace p3d
