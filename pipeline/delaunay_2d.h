// A 2D Delaunay triangulation of our own for the face/hair stitch (the original calls
// scipy.spatial.Delaunay, i.e. Qhull, in utils/construct_triangles.py construct_triangle).
// Ours so the library depends on no GPL code (CGAL's triangulation is GPL; the tests use it
// only as a reference). Sized for a few thousand points.
//
// Robustness by exact arithmetic on a lattice. The points are snapped to integers: x' =
// round((x - xmin) · 2^k), y' likewise, with the power of two 2^k chosen from the bounding
// box so that the larger extent spans 2^23..2^24 steps (float32 stitch coordinates keep
// essentially all their bits). Coordinates then lie in [0, 2^24]; differences fit 25 bits,
// the orientation determinant 51 bits (int64) and the incircle determinant < 2^100 bits
// (__int128). Every decision is taken by these exact predicates, so there is no epsilon and
// no failure mode on degenerate input.
//
// Algorithm: Bowyer-Watson incremental insertion with a symbolic vertex at infinity (each
// convex-hull edge carries a "ghost" triangle whose circumdisk is the open outer half-plane
// plus the open edge), points inserted in Hilbert-curve order and located by a visibility
// walk from the last new triangle. The result is a Delaunay triangulation of the snapped
// points covering exactly their convex hull:
//   * duplicates (equal after snapping): the first in input order is used, every later one
//     gets no triangle (duplicate_of names the point it fell onto);
//   * all points collinear (or fewer than 3 distinct): no triangles;
//   * cocircular points (grids): one of the valid Delaunay choices, decided by insertion
//     order (a point on a circumcircle does not break the triangle: conflicts are strict).
// Triangles are counter-clockwise in (x, y) with x right and y up, and never degenerate (the
// exact orientation of every output triangle is > 0).
#pragma once

#include <cstdint>
#include <vector>

namespace p3d {

// The lattice the triangulation decides on: lattice = round((p - origin) · 2^exponent).
struct DelaunayLattice {
  double origin[2] = {0.0, 0.0};  // (xmin, ymin) of the input
  int32_t exponent = 0;           // k: the scale is 2^k
  std::vector<int64_t> x, y;      // [N] snapped coordinates, each in [0, 2^24]
};

// Largest snapped coordinate: 2^24 keeps the incircle determinant under 2^100.
constexpr int64_t kDelaunayLatticeMax = int64_t{1} << 24;

struct Delaunay2D {
  std::vector<int32_t> triangles;     // [T, 3] point ids, counter-clockwise
  std::vector<int32_t> duplicate_of;  // [N] -1, or the earlier point this one snapped onto
  int32_t triangle_count() const { return static_cast<int32_t>(triangles.size() / 3); }
};

// The snapping step alone (what delaunay_2d decides on), for tests and callers that want to
// check a triangulation exactly. xy: [N, 2] interleaved (x, y), all finite (p3d::Error
// otherwise).
DelaunayLattice delaunay_lattice(const double* xy, int32_t count);

// Triangulates N points xy [N, 2] (interleaved x, y; finite, else p3d::Error).
Delaunay2D delaunay_2d(const double* xy, int32_t count);

}  // namespace p3d
