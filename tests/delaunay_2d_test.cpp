// pipeline/delaunay_2d against CGAL (used here only, as the reference; the library does not
// link it) and against a validity check written in this test: every triangle strictly
// counter-clockwise, no point strictly inside any circumcircle (exact Int128 on the
// lattice), every directed edge used once, the triangles' area equal to the convex hull's
// (monotone chain here), every distinct point used. Point sets: random (general position:
// the same triangle set as CGAL), grids (massively cocircular: valid and CGAL's triangle
// count), clusters with duplicates, stitch-like sets of real size, and the degenerate
// cases (collinear, fewer than 3 distinct points, non-finite input).
// Inputs are dyadic and small enough that snapping to the lattice is exact (checked), so
// CGAL sees the very coordinates our predicates decide on.
#include "pipeline/delaunay_2d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "tests/support/lattice_geometry.h"

#if defined(P3D_HAVE_CGAL)
#include <CGAL/Delaunay_triangulation_2.h>
#include <CGAL/Exact_predicates_inexact_constructions_kernel.h>
#include <CGAL/Triangulation_vertex_base_with_info_2.h>
#endif

namespace p3d {
namespace {

using Tri = std::array<int32_t, 3>;
using test::Int128;
using test::orient;
using P = test::LatticePoint;

Tri canonical(const int32_t* t) {
  Tri c = {t[0], t[1], t[2]};
  std::sort(c.begin(), c.end());
  return c;
}

std::set<Tri> triangle_set(const std::vector<int32_t>& tris) {
  std::set<Tri> s;
  for (size_t t = 0; t < tris.size() / 3; ++t) s.insert(canonical(&tris[3 * t]));
  return s;
}

// ---- the test's own exact geometry on the lattice -------------------------------------
// Sign of the incircle determinant (tests/support/lattice_geometry.h).
int incircle_sign(P a, P b, P c, P d) {
  const Int128 det = test::incircle(a, b, c, d);
  return det > 0 ? 1 : (det < 0 ? -1 : 0);
}

// Twice the convex hull's area (Andrew's monotone chain).
Int128 twice_hull_area(std::vector<P> pts) {
  std::sort(pts.begin(), pts.end(), [](P a, P b) { return a.x != b.x ? a.x < b.x : a.y < b.y; });
  if (pts.size() < 3) return 0;
  std::vector<P> hull(2 * pts.size());
  size_t k = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    while (k >= 2 && orient(hull[k - 2], hull[k - 1], pts[i]) <= 0) --k;
    hull[k++] = pts[i];
  }
  for (size_t i = pts.size() - 1, lower = k + 1; i-- > 0;) {
    while (k >= lower && orient(hull[k - 2], hull[k - 1], pts[i]) <= 0) --k;
    hull[k++] = pts[i];
  }
  Int128 area = 0;
  for (size_t i = 0; i + 1 < k; ++i)
    area += static_cast<Int128>(hull[i].x) * hull[i + 1].y -
            static_cast<Int128>(hull[i + 1].x) * hull[i].y;
  return area;
}

std::vector<P> lattice_points(const DelaunayLattice& l) {
  std::vector<P> p(l.x.size());
  for (size_t i = 0; i < p.size(); ++i) p[i] = {l.x[i], l.y[i]};
  return p;
}

// The snapping is exact for the test inputs: lattice · 2^-k + origin gives them back.
void expect_exact_lattice(const std::vector<double>& xy, const DelaunayLattice& l) {
  for (size_t i = 0; i < l.x.size(); ++i) {
    ASSERT_EQ(std::ldexp(static_cast<double>(l.x[i]), -l.exponent) + l.origin[0], xy[2 * i]);
    ASSERT_EQ(std::ldexp(static_cast<double>(l.y[i]), -l.exponent) + l.origin[1], xy[2 * i + 1]);
    ASSERT_GE(l.x[i], 0);
    ASSERT_LE(l.x[i], kDelaunayLatticeMax);
    ASSERT_GE(l.y[i], 0);
    ASSERT_LE(l.y[i], kDelaunayLatticeMax);
  }
}

// Checks that d is a Delaunay triangulation of the distinct points (see the file comment).
void expect_valid_delaunay(const std::vector<double>& xy, const Delaunay2D& d) {
  const int32_t n = static_cast<int32_t>(xy.size() / 2);
  const DelaunayLattice l = delaunay_lattice(xy.data(), n);
  const std::vector<P> p = lattice_points(l);
  // Distinct points and duplicates, independently of the library.
  std::map<std::pair<int64_t, int64_t>, int32_t> first;
  for (int32_t i = 0; i < n; ++i) {
    auto [it, inserted] = first.emplace(std::make_pair(p[i].x, p[i].y), i);
    ASSERT_EQ(d.duplicate_of[i], inserted ? -1 : it->second) << "point " << i;
  }
  std::vector<P> distinct;
  for (const auto& kv : first) distinct.push_back({kv.first.first, kv.first.second});
  const Int128 hull = twice_hull_area(distinct);

  std::set<std::pair<int32_t, int32_t>> directed;
  std::vector<uint8_t> used(n, 0);
  Int128 area = 0;
  for (int32_t t = 0; t < d.triangle_count(); ++t) {
    const int32_t* v = &d.triangles[3 * t];
    for (int k = 0; k < 3; ++k) {
      ASSERT_TRUE(v[k] >= 0 && v[k] < n) << "triangle " << t;
      ASSERT_EQ(d.duplicate_of[v[k]], -1) << "triangle " << t << " uses a duplicate";
      used[v[k]] = 1;
      ASSERT_TRUE(directed.emplace(v[k], v[(k + 1) % 3]).second)
          << "directed edge " << v[k] << "->" << v[(k + 1) % 3] << " used twice (overlap)";
    }
    const Int128 o = orient(p[v[0]], p[v[1]], p[v[2]]);
    ASSERT_GT(o, 0) << "triangle " << t << " not strictly counter-clockwise";
    area += o;
    for (int32_t q = 0; q < n; ++q)
      ASSERT_LE(incircle_sign(p[v[0]], p[v[1]], p[v[2]], p[q]), 0)
          << "point " << q << " strictly inside the circumcircle of triangle " << t;
  }
  EXPECT_TRUE(area == hull) << "triangles do not cover the convex hull exactly";
  if (hull > 0) {
    for (int32_t i = 0; i < n; ++i) {
      if (d.duplicate_of[i] < 0) {
        EXPECT_TRUE(used[i]) << "point " << i << " in no triangle";
      }
    }
  }
}

#if defined(P3D_HAVE_CGAL)
using Kernel = CGAL::Exact_predicates_inexact_constructions_kernel;
using Vb = CGAL::Triangulation_vertex_base_with_info_2<int32_t, Kernel>;
using Tds = CGAL::Triangulation_data_structure_2<Vb>;
using CgalDelaunay = CGAL::Delaunay_triangulation_2<Kernel, Tds>;

// CGAL's triangles on the lattice coordinates; duplicates keep the first id.
std::set<Tri> cgal_triangles(const DelaunayLattice& l) {
  CgalDelaunay dt;
  for (size_t i = 0; i < l.x.size(); ++i) {
    const Kernel::Point_2 pt(static_cast<double>(l.x[i]), static_cast<double>(l.y[i]));
    const size_t before = dt.number_of_vertices();
    CgalDelaunay::Vertex_handle v = dt.insert(pt);
    if (dt.number_of_vertices() > before) v->info() = static_cast<int32_t>(i);
  }
  std::set<Tri> s;
  if (dt.dimension() < 2) return s;
  for (auto f = dt.finite_faces_begin(); f != dt.finite_faces_end(); ++f) {
    const int32_t t[3] = {f->vertex(0)->info(), f->vertex(1)->info(), f->vertex(2)->info()};
    s.insert(canonical(t));
  }
  return s;
}
#endif

void compare_with_cgal(const std::vector<double>& xy, const Delaunay2D& d, bool same_set) {
#if defined(P3D_HAVE_CGAL)
  const DelaunayLattice l = delaunay_lattice(xy.data(), static_cast<int32_t>(xy.size() / 2));
  const std::set<Tri> reference = cgal_triangles(l);
  const std::set<Tri> ours = triangle_set(d.triangles);
  EXPECT_EQ(ours.size(), static_cast<size_t>(d.triangle_count())) << "repeated triangles";
  EXPECT_EQ(ours.size(), reference.size()) << "triangle count differs from CGAL's";
  if (same_set) {
    EXPECT_TRUE(ours == reference) << "triangle set differs from CGAL's";
  }
#else
  (void)xy;
  (void)d;
  (void)same_set;
  GTEST_SKIP() << "CGAL not found at configure time: reference comparison skipped";
#endif
}

// Uniform dyadic points (multiples of 2^-20 in [0, 1)): general position almost surely.
std::vector<double> random_points(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> coord(0, (1 << 20) - 1);
  std::vector<double> xy(2 * n);
  for (double& c : xy) c = std::ldexp(coord(rng), -20);
  return xy;
}

TEST(Delaunay2D, RandomPointsMatchCgal) {
  for (int n : {3, 4, 10, 100, 3000}) {
    const std::vector<double> xy = random_points(n, 17u + n);
    const Delaunay2D d = delaunay_2d(xy.data(), n);
    expect_exact_lattice(xy, delaunay_lattice(xy.data(), n));
    expect_valid_delaunay(xy, d);
    compare_with_cgal(xy, d, /*same_set=*/true);
  }
}

TEST(Delaunay2D, GridPointsAreValidAndCountLikeCgal) {
  for (int side : {2, 3, 7, 40}) {
    std::vector<double> xy;
    for (int r = 0; r < side; ++r)
      for (int c = 0; c < side; ++c) {
        xy.push_back(c * 0.25);
        xy.push_back(r * 0.25);
      }
    const int n = side * side;
    const Delaunay2D d = delaunay_2d(xy.data(), n);
    EXPECT_EQ(d.triangle_count(), 2 * (side - 1) * (side - 1));
    expect_valid_delaunay(xy, d);
    compare_with_cgal(xy, d, /*same_set=*/false);
  }
  // A rotated and scaled integer grid plus points on circles: cocircular in many ways.
  std::vector<double> xy;
  for (int r = -12; r <= 12; ++r)
    for (int c = -12; c <= 12; ++c)
      if (r * r + c * c <= 144) {
        xy.push_back((3 * c - 4 * r) / 64.0);
        xy.push_back((4 * c + 3 * r) / 64.0);
      }
  const int pythagorean[][2] = {{5, 0},  {4, 3},   {3, 4},   {0, 5},  {-3, 4}, {-4, 3},
                                {-5, 0}, {-4, -3}, {-3, -4}, {0, -5}, {3, -4}, {4, -3}};
  for (const auto& q : pythagorean) {
    xy.push_back(q[0] * 5 / 64.0 + 1.0);
    xy.push_back(q[1] * 5 / 64.0);
  }
  const int n = static_cast<int>(xy.size() / 2);
  const Delaunay2D d = delaunay_2d(xy.data(), n);
  expect_valid_delaunay(xy, d);
  compare_with_cgal(xy, d, /*same_set=*/false);
}

TEST(Delaunay2D, ClusteredPointsWithDuplicates) {
  std::mt19937 rng(5);
  std::vector<double> xy;
  std::uniform_int_distribution<int32_t> centre(0, 1 << 10), offset(-8, 8);
  for (int cluster = 0; cluster < 12; ++cluster) {
    const int32_t cx = centre(rng) << 10, cy = centre(rng) << 10;
    for (int k = 0; k < 60; ++k) {
      xy.push_back(std::ldexp(cx + offset(rng), -20));  // tiny clusters in a wide box
      xy.push_back(std::ldexp(cy + offset(rng), -20));
    }
  }
  const int n = static_cast<int>(xy.size() / 2);
  const Delaunay2D d = delaunay_2d(xy.data(), n);
  int duplicates = 0;
  for (int32_t v : d.duplicate_of) duplicates += v >= 0;
  EXPECT_GT(duplicates, 0) << "the scene should hold duplicates";
  expect_valid_delaunay(xy, d);
  compare_with_cgal(xy, d, /*same_set=*/false);
}

// A stitch-sized set like the face/hair seam: a pixel-lattice strip (hair, cocircular) and a
// jittered lattice of face points along an ellipse (~2k points).
TEST(Delaunay2D, StitchSizedSets) {
  std::vector<double> xy;
  for (int k = 0; k < 700; ++k) {
    const double a = 2 * M_PI * k / 700;
    const int r = static_cast<int>(std::lround(128 - 70 * std::sin(a)));
    const int c = static_cast<int>(std::lround(128 + 58 * std::cos(a)));
    xy.push_back((c - 128) * 3 / 256.0);
    xy.push_back((128 - r) * 3 / 256.0);
  }
  for (int k = 0; k < 1300; ++k) {
    const double a = 2 * M_PI * k / 1300;
    xy.push_back(std::ldexp(std::lround(std::ldexp(0.66 * std::cos(a), 13)) + k % 7 - 3, -13));
    xy.push_back(std::ldexp(std::lround(std::ldexp(0.80 * std::sin(a), 13)) + k % 5 - 2, -13));
  }
  const int n = static_cast<int>(xy.size() / 2);
  const Delaunay2D d = delaunay_2d(xy.data(), n);
  expect_exact_lattice(xy, delaunay_lattice(xy.data(), n));
  expect_valid_delaunay(xy, d);
  compare_with_cgal(xy, d, /*same_set=*/false);
}

// Heavy degeneracy: random subsets of a small integer grid (duplicates, collinear hull
// edges, cocircular squares everywhere), a line of points plus one apex (a fan whose hull
// has collinear vertices), and points on two parallel lines.
TEST(Delaunay2D, DegenerateStress) {
  std::mt19937 rng(23);
  for (int round = 0; round < 40; ++round) {
    std::uniform_int_distribution<int> coord(0, 3 + round % 12);
    const int n = 3 + static_cast<int>(rng() % 120);
    std::vector<double> xy;
    for (int k = 0; k < 2 * n; ++k) xy.push_back(coord(rng) * 0.125);
    const Delaunay2D d = delaunay_2d(xy.data(), n);
    expect_valid_delaunay(xy, d);
    compare_with_cgal(xy, d, /*same_set=*/false);
    if (HasFailure()) return;
  }
  std::vector<double> fan;
  for (int k = 0; k < 30; ++k) fan.insert(fan.end(), {((k * 11) % 30) * 1.0, 0.0});
  fan.insert(fan.end(), {7.0, 3.0});
  const Delaunay2D f = delaunay_2d(fan.data(), 31);
  EXPECT_EQ(f.triangle_count(), 29);
  expect_valid_delaunay(fan, f);
  std::vector<double> lines;
  for (int k = 0; k < 25; ++k) lines.insert(lines.end(), {((k * 7) % 25) * 0.5, (k % 2) * 4.0});
  const Delaunay2D l = delaunay_2d(lines.data(), 25);
  EXPECT_EQ(l.triangle_count(), 23);
  expect_valid_delaunay(lines, l);
  compare_with_cgal(lines, l, /*same_set=*/false);
}

TEST(Delaunay2D, DegenerateInputs) {
  const std::vector<double> none;
  EXPECT_EQ(delaunay_2d(none.data(), 0).triangle_count(), 0);
  const std::vector<double> two = {0, 0, 1, 1};
  EXPECT_EQ(delaunay_2d(two.data(), 2).triangle_count(), 0);
  std::vector<double> line;
  for (int k = 0; k < 20; ++k) {
    line.push_back((k * 7 % 20) * 0.5);
    line.push_back((k * 7 % 20) * 0.25);
  }
  const Delaunay2D collinear = delaunay_2d(line.data(), 20);
  EXPECT_EQ(collinear.triangle_count(), 0);
  const std::vector<double> same = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
  const Delaunay2D dup = delaunay_2d(same.data(), 3);
  EXPECT_EQ(dup.triangle_count(), 0);
  EXPECT_EQ(dup.duplicate_of, (std::vector<int32_t>{-1, 0, 0}));
  // A triangle with a duplicated corner and a point on an edge: 2 triangles, the copy unused.
  const std::vector<double> tri = {0, 0, 1, 0, 0, 1, 1, 0, 0.5, 0};
  const Delaunay2D t = delaunay_2d(tri.data(), 5);
  EXPECT_EQ(t.triangle_count(), 2);
  EXPECT_EQ(t.duplicate_of[3], 1);
  expect_valid_delaunay(tri, t);
}

TEST(Delaunay2D, RejectsBadInput) {
  const std::vector<double> nan = {0, 0, 1, 0, 0, std::nan("")};
  EXPECT_THROW(delaunay_2d(nan.data(), 3), Error);
  const std::vector<double> inf = {0, 0, 1, 0, HUGE_VAL, 1};
  EXPECT_THROW(delaunay_2d(inf.data(), 3), Error);
  EXPECT_THROW(delaunay_2d(nullptr, 3), Error);
  EXPECT_THROW(delaunay_2d(nan.data(), -1), Error);
  try {
    delaunay_2d(nan.data(), 3);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace p3d
