// Exact 2-D predicates on integer lattice points, the references the triangulation tests
// check Delaunay output with (tests/delaunay_2d_test.cpp, tests/stitching_test.cpp): the
// products are 128-bit, so coordinates up to 2^31 in magnitude give exact answers.
#pragma once

#include <cstdint>

namespace p3d::test {

__extension__ typedef __int128 Int128;

struct LatticePoint {
  int64_t x, y;
};

// Twice the signed area of triangle abc: > 0 counter-clockwise, 0 collinear.
inline Int128 orient(LatticePoint a, LatticePoint b, LatticePoint c) {
  return static_cast<Int128>(b.x - a.x) * (c.y - a.y) -
         static_cast<Int128>(b.y - a.y) * (c.x - a.x);
}

// The incircle determinant (the 4x4 lifted form expanded about d): for abc counter-clockwise,
// > 0 when d lies strictly inside their circumcircle, 0 on it, < 0 outside.
inline Int128 incircle(LatticePoint a, LatticePoint b, LatticePoint c, LatticePoint d) {
  const Int128 ax = a.x - d.x, ay = a.y - d.y, bx = b.x - d.x, by = b.y - d.y;
  const Int128 cx = c.x - d.x, cy = c.y - d.y;
  return (ax * ax + ay * ay) * (bx * cy - cx * by) - (bx * bx + by * by) * (ax * cy - cx * ay) +
         (cx * cx + cy * cy) * (ax * by - bx * ay);
}

}  // namespace p3d::test
