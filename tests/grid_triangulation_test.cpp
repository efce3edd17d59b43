// The grid triangulation of binary masks (kernels/grid_triangulation.h, pipeline
// hair_triangulation.h) against expectations that do not come from it:
//   * the template table against an enumeration of every lattice triangle with edges
//     <= sqrt(5), anchored at its first vertex, and each disk's box computed here;
//   * analytic masks (a 2x2 block, an L, a one-pixel notch, a knight's move, a ring around a
//     hole, lines, isolated pixels, full images touching every border);
//   * properties on random masks, checked by naive loops written here: ids in range, no
//     degenerate or duplicate triangle, CCW in (col, -row), edges <= sqrt(5), no two
//     interiors overlapping (exact separating-axis test on every pair), every circumcircle
//     empty of mask pixels (brute force over the whole mask), CGAL's triangles exactly;
//   * the reference: CGAL's Delaunay_triangulation_2 on the same points with the original's
//     sqrt(5) filter (step2_face_segmentation.py with utils/construct_triangles.py
//     filter_tri, scipy's Delaunay there), on masks made from every seed photo's face-parsing
//     labels: the covered areas compared on a supersampled raster (8x8 samples per pixel),
//     and the triangle sets compared exactly (both settle cocircular cells by the same
//     symbolic perturbation);
//   * CUDA against the CPU, exactly (skipped without a GPU).
#include "kernels/grid_triangulation.h"

#include <CGAL/Delaunay_triangulation_2.h>
#include <CGAL/Exact_predicates_inexact_constructions_kernel.h>
#include <CGAL/Triangulation_vertex_base_with_info_2.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/backend.h"
#include "kernels/error.h"
#include "pipeline/hair_triangulation.h"
#include "pipeline/mat_file.h"
#include "tests/alignment_fixture.h"
#include "tests/support/require_cuda.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;

using Tri = std::array<int32_t, 3>;

// ---- helpers written for the test ---------------------------------------------------------

struct Mask {
  int32_t h = 0, w = 0;
  std::vector<uint8_t> px;
  uint8_t at(int32_t r, int32_t c) const {
    return r >= 0 && r < h && c >= 0 && c < w ? px[static_cast<size_t>(r) * w + c] : 0;
  }
};

Mask from_rows(const std::vector<std::string>& rows) {
  Mask m;
  m.h = static_cast<int32_t>(rows.size());
  m.w = static_cast<int32_t>(rows[0].size());
  for (const std::string& r : rows)
    for (char ch : r) m.px.push_back(ch == '#' ? 1 : 0);
  return m;
}

MaskTriangulation run(const Mask& m, DeviceKind device = DeviceKind::CPU) {
  return triangulate_masks(m.px.data(), 1, m.h, m.w, device).at(0);
}

// Twice the signed area in (x = col, y = -row) of three (row, col) points.
int64_t orient(const int32_t* a, const int32_t* b, const int32_t* c) {
  const int64_t ax = a[1], ay = -a[0], bx = b[1], by = -b[0], cx = c[1], cy = -c[0];
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

int64_t dist2(const int32_t* a, const int32_t* b) {
  const int64_t dr = a[0] - b[0], dc = a[1] - b[1];
  return dr * dr + dc * dc;
}

// Triangles as sets of (row, col) corners, so they compare independently of ids and winding.
using Corners = std::array<std::pair<int32_t, int32_t>, 3>;
std::set<Corners> corner_sets(const std::vector<int32_t>& points,
                              const std::vector<int32_t>& tris) {
  std::set<Corners> out;
  for (size_t f = 0; f < tris.size() / 3; ++f) {
    Corners c;
    for (int k = 0; k < 3; ++k)
      c[k] = {points[2 * tris[3 * f + k]], points[2 * tris[3 * f + k] + 1]};
    std::sort(c.begin(), c.end());
    out.insert(c);
  }
  return out;
}

Corners corners(std::pair<int32_t, int32_t> a, std::pair<int32_t, int32_t> b,
                std::pair<int32_t, int32_t> c) {
  Corners k = {a, b, c};
  std::sort(k.begin(), k.end());
  return k;
}

// The structural checks every triangulation must pass; returns twice its total area.
int64_t check_structure(const Mask& m, const MaskTriangulation& t) {
  // Points: the mask's pixels in row-major order, and the pixel -> id map.
  std::vector<int32_t> expect_points, expect_map(m.px.size(), -1);
  for (int32_t r = 0; r < m.h; ++r)
    for (int32_t c = 0; c < m.w; ++c)
      if (m.at(r, c)) {
        expect_map[static_cast<size_t>(r) * m.w + c] =
            static_cast<int32_t>(expect_points.size() / 2);
        expect_points.push_back(r);
        expect_points.push_back(c);
      }
  EXPECT_EQ(t.points, expect_points);
  EXPECT_EQ(t.pixel_vertex, expect_map);
  std::set<std::array<int32_t, 3>> seen;
  int64_t area2 = 0;
  const int32_t k = t.vertex_count();
  for (int32_t f = 0; f < t.triangle_count(); ++f) {
    const int32_t* v = &t.triangles[3 * f];
    for (int i = 0; i < 3; ++i) {
      EXPECT_GE(v[i], 0) << "triangle " << f;
      EXPECT_LT(v[i], k) << "triangle " << f;
      if (v[i] < 0 || v[i] >= k) return 0;
    }
    const int32_t *a = &t.points[2 * v[0]], *b = &t.points[2 * v[1]], *c = &t.points[2 * v[2]];
    const int64_t o = orient(a, b, c);
    EXPECT_GT(o, 0) << "triangle " << f << " is degenerate or clockwise";
    area2 += o;
    EXPECT_LE(std::max({dist2(a, b), dist2(b, c), dist2(c, a)}), 5) << "triangle " << f;
    std::array<int32_t, 3> key = {v[0], v[1], v[2]};
    std::sort(key.begin(), key.end());
    EXPECT_TRUE(seen.insert(key).second) << "duplicate triangle " << f;
  }
  return area2;
}

// Do the open interiors of two CCW triangles meet? Not iff some edge of either has the
// other triangle wholly on its closed outer side (separating axis, exact).
bool interiors_overlap(const int32_t* const a[3], const int32_t* const b[3]) {
  auto separated_by = [](const int32_t* const s[3], const int32_t* const o[3]) {
    for (int e = 0; e < 3; ++e) {
      bool all_out = true;
      for (int i = 0; i < 3; ++i)
        if (orient(s[e], s[(e + 1) % 3], o[i]) > 0) all_out = false;
      if (all_out) return true;
    }
    return false;
  };
  return !separated_by(a, b) && !separated_by(b, a);
}

// Brute force: is any mask pixel strictly inside the circumcircle of (a, b, c), CCW?
bool circle_has_pixel(const Mask& m, const int32_t* a, const int32_t* b, const int32_t* c) {
  for (int32_t r = 0; r < m.h; ++r)
    for (int32_t col = 0; col < m.w; ++col) {
      if (!m.at(r, col)) continue;
      const double dx[3] = {double(a[1] - col), double(b[1] - col), double(c[1] - col)};
      const double dy[3] = {double(r - a[0]), double(r - b[0]), double(r - c[0])};
      double d2[3];
      for (int i = 0; i < 3; ++i) d2[i] = dx[i] * dx[i] + dy[i] * dy[i];
      const double det = dx[0] * (dy[1] * d2[2] - d2[1] * dy[2]) -
                         dy[0] * (dx[1] * d2[2] - d2[1] * dx[2]) +
                         d2[0] * (dx[1] * dy[2] - dy[1] * dx[2]);  // small integers: exact
      if (det > 0) return true;
    }
  return false;
}

// ---- CGAL reference -----------------------------------------------------------------------

using Kernel = CGAL::Exact_predicates_inexact_constructions_kernel;
using VertexBase = CGAL::Triangulation_vertex_base_with_info_2<int32_t, Kernel>;
using Tds = CGAL::Triangulation_data_structure_2<VertexBase>;
using Delaunay = CGAL::Delaunay_triangulation_2<Kernel, Tds>;

// scipy.spatial.Delaunay(points).simplices then filter_tri(thres = sqrt(5)), with CGAL.
std::vector<int32_t> cgal_filtered(const std::vector<int32_t>& points) {
  std::vector<std::pair<Kernel::Point_2, int32_t>> input;
  for (size_t i = 0; i < points.size() / 2; ++i)
    input.push_back({Kernel::Point_2(points[2 * i], points[2 * i + 1]), static_cast<int32_t>(i)});
  Delaunay dt(input.begin(), input.end());
  std::vector<int32_t> tris;
  for (auto f = dt.finite_faces_begin(); f != dt.finite_faces_end(); ++f) {
    const int32_t v[3] = {f->vertex(0)->info(), f->vertex(1)->info(), f->vertex(2)->info()};
    const int32_t *a = &points[2 * v[0]], *b = &points[2 * v[1]], *c = &points[2 * v[2]];
    if (std::max({dist2(a, b), dist2(b, c), dist2(c, a)}) > 5) continue;  // sqrt(5) filter
    tris.insert(tris.end(), v, v + 3);
  }
  return tris;
}

// ---- covered area on a supersampled raster ------------------------------------------------

// kSub x kSub samples per unit cell at offsets (i + 0.37) / kSub, (j + 0.61) / kSub: no sample
// lies on a lattice line of slope 0, ∞, ±1, ±2 or ±1/2, so every sample is strictly inside
// at most one triangle of a triangulation and shared edges are never double counted.
constexpr int kSub = 8;
constexpr int64_t kScale = 100 * kSub;  // integer sample coordinates: 100 units per sub-cell

struct Raster {
  int32_t h = 0, w = 0;        // samples: (h - 1) * kSub rows, (w - 1) * kSub cols
  std::vector<uint8_t> count;  // triangles covering each sample
};

Raster rasterize(int32_t h, int32_t w, const std::vector<int32_t>& points,
                 const std::vector<int32_t>& tris) {
  Raster r;
  r.h = h;
  r.w = w;
  const int64_t rows = int64_t{std::max(h - 1, 0)} * kSub,
                cols = int64_t{std::max(w - 1, 0)} * kSub;
  r.count.assign(static_cast<size_t>(rows * cols), 0);
  for (size_t f = 0; f < tris.size() / 3; ++f) {
    int64_t vr[3], vc[3];
    for (int k = 0; k < 3; ++k) {
      vr[k] = points[2 * tris[3 * f + k]] * kScale;
      vc[k] = points[2 * tris[3 * f + k] + 1] * kScale;
    }
    const int64_t r0 = *std::min_element(vr, vr + 3) / 100,
                  r1 = *std::max_element(vr, vr + 3) / 100;
    const int64_t c0 = *std::min_element(vc, vc + 3) / 100,
                  c1 = *std::max_element(vc, vc + 3) / 100;
    for (int64_t i = r0; i < r1 && i < rows; ++i)
      for (int64_t j = c0; j < c1 && j < cols; ++j) {
        const int64_t sr = 100 * i + 37, sc = 100 * j + 61;
        int pos = 0, neg = 0;
        for (int k = 0; k < 3; ++k) {
          const int64_t ar = vr[k], ac = vc[k], br = vr[(k + 1) % 3], bc = vc[(k + 1) % 3];
          const int64_t o = (br - ar) * (sc - ac) - (bc - ac) * (sr - ar);
          pos += o > 0;
          neg += o < 0;
        }
        if (pos == 3 || neg == 3) ++r.count[static_cast<size_t>(i * cols + j)];
      }
  }
  return r;
}

struct AreaComparison {
  double ours = 0, theirs = 0, both = 0, ours_only = 0, theirs_only = 0;  // in pixels²
  int64_t overlapping_samples = 0;  // our samples covered twice or more
  double iou() const { return both / (ours + theirs - both); }
};

AreaComparison compare_areas(const Raster& ours, const Raster& theirs) {
  AreaComparison a;
  const double sample = 1.0 / (kSub * kSub);
  for (size_t i = 0; i < ours.count.size(); ++i) {
    const bool o = ours.count[i] > 0, t = theirs.count[i] > 0;
    a.overlapping_samples += ours.count[i] > 1;
    a.ours += o * sample;
    a.theirs += t * sample;
    a.both += (o && t) * sample;
    a.ours_only += (o && !t) * sample;
    a.theirs_only += (!o && t) * sample;
  }
  return a;
}

// ---- the template table -------------------------------------------------------------------

TEST(GridTemplates, AreEveryShortLatticeTriangleOnceWithTheirDiskBoxes) {
  // Every unordered triangle {(0,0), a, b} with a, b after (0,0) in row-major order, all
  // edges <= sqrt(5), non-degenerate.
  std::set<std::pair<std::pair<int, int>, std::pair<int, int>>> expected;
  for (int ar = -3; ar <= 3; ++ar)
    for (int ac = -3; ac <= 3; ++ac)
      for (int br = -3; br <= 3; ++br)
        for (int bc = -3; bc <= 3; ++bc) {
          auto after = [](int r, int c) { return r > 0 || (r == 0 && c > 0); };
          if (!after(ar, ac) || !after(br, bc)) continue;
          if (ar * ar + ac * ac > 5 || br * br + bc * bc > 5) continue;
          if ((ar - br) * (ar - br) + (ac - bc) * (ac - bc) > 5) continue;
          if (ar * bc - ac * br <= 0) continue;  // one winding of each: CCW in (col, -row)
          expected.insert({{ar, ac}, {br, bc}});
        }
  ASSERT_EQ(expected.size(), static_cast<size_t>(kGridTemplateCount));
  std::set<std::pair<std::pair<int, int>, std::pair<int, int>>> table;
  for (int t = 0; t < kGridTemplateCount; ++t) {
    const GridTemplate g = grid_template(t);
    EXPECT_TRUE(table.insert({{g.ar, g.ac}, {g.br, g.bc}}).second) << "template " << t;
    // Circumcentre (ur, uc) = (nr, nc) / d exactly; a lattice point q is in the closed disk
    // iff |d·q - n|² <= |n|². Its box must be exactly [r0, r1] x [c0, c1].
    const int64_t d = 2 * (g.ar * g.bc - g.ac * g.br);
    const int64_t a2 = g.ar * g.ar + g.ac * g.ac, b2 = g.br * g.br + g.bc * g.bc;
    const int64_t nr = g.bc * a2 - g.ac * b2, nc = g.ar * b2 - g.br * a2;
    int rmin = 99, rmax = -99, cmin = 99, cmax = -99;
    for (int qr = -8; qr <= 8; ++qr)
      for (int qc = -8; qc <= 8; ++qc) {
        const int64_t er = d * qr - nr, ec = d * qc - nc;
        if (er * er + ec * ec > nr * nr + nc * nc) continue;
        rmin = std::min(rmin, qr), rmax = std::max(rmax, qr);
        cmin = std::min(cmin, qc), cmax = std::max(cmax, qc);
      }
    EXPECT_EQ(g.r0, rmin) << "template " << t;
    EXPECT_EQ(g.r1, rmax) << "template " << t;
    EXPECT_EQ(g.c0, cmin) << "template " << t;
    EXPECT_EQ(g.c1, cmax) << "template " << t;
    // The first kGridPlainCellTemplates are exactly those inside one 2x2 cell.
    const int lo = std::min({0, int{g.ac}, int{g.bc}}), hi = std::max({0, int{g.ac}, int{g.bc}});
    const bool in_cell = std::max(g.ar, g.br) <= 1 && hi - lo <= 1;
    EXPECT_EQ(in_cell, t < kGridPlainCellTemplates) << "template " << t;
  }
  EXPECT_EQ(table, expected);
}

TEST(GridTemplates, ForbiddenBitsAreTheIncircleScanPerOffset) {
  for (int t = 0; t < kGridTemplateCount; ++t) {
    const GridTemplate g = grid_template(t);
    uint64_t forbidden = 0;
    for (int dr = -2; dr <= 3; ++dr)
      for (int dc = -3; dc <= 3; ++dc) {
        if ((dr == 0 && dc == 0) || (dr == g.ar && dc == g.ac) || (dr == g.br && dc == g.bc))
          continue;
        const int32_t s = grid_incircle(0, 0, g.ar, g.ac, g.br, g.bc, dr, dc);
        if (s > 0 || (s == 0 && grid_perturbed_inside(0, 0, g.ar, g.ac, g.br, g.bc, dr, dc)))
          forbidden |= uint64_t{1} << ((dr + 2) * 7 + (dc + 3));
      }
    EXPECT_EQ(g.forbidden, forbidden) << "template " << t;
  }
}

TEST(GridPredicates, WindowPathEqualsTheIncircleScanOnEveryPixel) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 40; ++trial) {
    const int32_t h = 2 + trial % 13, w = 2 + (trial * 5) % 17;
    std::bernoulli_distribution on(0.3 + 0.015 * trial);
    std::vector<uint8_t> m(static_cast<size_t>(h) * w);
    for (auto& v : m) v = on(rng) ? 1 : 0;
    for (int32_t r = 0; r < h; ++r)
      for (int32_t c = 0; c < w; ++c) {
        uint32_t scan = 0;
        if (m[static_cast<size_t>(r) * w + c])
          for (int t = 0; t < kGridTemplateCount; ++t)
            if (grid_template_accepted(m.data(), h, w, r, c, grid_template(t))) scan |= 1u << t;
        ASSERT_EQ(grid_pixel_templates(m.data(), h, w, r, c), scan)
            << "trial " << trial << " pixel " << r << ", " << c;
      }
  }
}

TEST(GridPredicates, IncircleAndOrientSigns) {
  // Unit square corners (0,0), (1,0), (0,1) in (row, col): CCW in (col, -row) is
  // (0,0) -> (1,0) -> (0,1)? x: 0,0,1; y: 0,-1,0: (0)(0) - (-1)(1) = 1 > 0: yes.
  EXPECT_GT(grid_orient(0, 0, 1, 0, 0, 1), 0);
  EXPECT_LT(grid_orient(0, 0, 0, 1, 1, 0), 0);
  EXPECT_EQ(grid_orient(0, 0, 1, 1, 2, 2), 0);
  EXPECT_EQ(grid_incircle(0, 0, 1, 0, 0, 1, 1, 1), 0);  // fourth corner: cocircular
  EXPECT_LT(grid_incircle(0, 0, 1, 0, 0, 1, 2, 2), 0);  // outside
  // (0,0), (0,2), (1,1)... CCW order (0,0), (1,1), (0,2); centre (0,1) radius 1.
  EXPECT_GT(grid_orient(0, 0, 1, 1, 0, 2), 0);
  EXPECT_GT(grid_incircle(0, 0, 1, 1, 0, 2, 0, 1), 0);   // the centre
  EXPECT_EQ(grid_incircle(0, 0, 1, 1, 0, 2, -1, 1), 0);  // the top of the circle
  EXPECT_LT(grid_incircle(0, 0, 1, 1, 0, 2, 1, 0), 0);
}

// ---- analytic cases -----------------------------------------------------------------------

TEST(GridTriangulation, FullBlockGivesTwoTrianglesSplitFromItsFirstPixel) {
  const Mask m = from_rows({"##", "##"});
  const MaskTriangulation t = run(m);
  EXPECT_EQ(check_structure(m, t), 2);  // area 1
  ASSERT_EQ(t.triangle_count(), 2);
  // The four corners are cocircular. CGAL's perturbation counts (1,1), the last, as outside
  // the circle of the other three, so the diagonal is (0,1)-(1,0).
  EXPECT_EQ(corner_sets(t.points, t.triangles),
            (std::set<Corners>{corners({0, 0}, {1, 0}, {0, 1}), corners({0, 1}, {1, 0}, {1, 1})}));
  // Ids 0 (0,0), 1 (0,1), 2 (1,0), 3 (1,1); each CCW in (col, -row), anchor first, pixels in
  // row-major order.
  EXPECT_EQ(t.triangles, (std::vector<int32_t>{0, 2, 1, 1, 2, 3}));
}

TEST(GridTriangulation, ThreePixelLGivesOneTriangle) {
  for (const auto& rows : std::vector<std::vector<std::string>>{
           {"##", "#."}, {"##", ".#"}, {"#.", "##"}, {".#", "##"}}) {
    const Mask m = from_rows(rows);
    const MaskTriangulation t = run(m);
    EXPECT_EQ(check_structure(m, t), 1);
    EXPECT_EQ(t.triangle_count(), 1);
  }
}

TEST(GridTriangulation, OnePixelNotchIsBridged) {
  // Delaunay of these five points: the two corner halves and (0,0), (1,1), (0,2) with its
  // edge of 2 across the notch (its circle, centre (0,1), holds no other point).
  const Mask m = from_rows({"#.#", "###"});
  const MaskTriangulation t = run(m);
  EXPECT_EQ(check_structure(m, t), 4);  // the whole 1x2 rectangle
  EXPECT_EQ(corner_sets(t.points, t.triangles),
            (std::set<Corners>{corners({0, 0}, {1, 0}, {1, 1}), corners({0, 2}, {1, 1}, {1, 2}),
                               corners({0, 0}, {1, 1}, {0, 2})}));
  // A knight's-move step: edges 1, sqrt(2), sqrt(5), kept by the filter.
  const Mask knight = from_rows({"##.", "..#"});
  const MaskTriangulation k = run(knight);
  EXPECT_EQ(check_structure(knight, k), 1);
  EXPECT_EQ(k.triangle_count(), 1);
  // Three pixels whose only triangle has an edge of sqrt(8): filtered away.
  const Mask wide = from_rows({"#.#", "...", "#.."});
  EXPECT_EQ(run(wide).triangle_count(), 0);
}

TEST(GridTriangulation, RingAroundHoleSplitsTheCocircularDiamondOnce) {
  // Eight pixels around a hole: four corner halves plus the diamond (0,1), (1,0), (1,2),
  // (2,1) on one circle with an empty inside. With the perturbation (2,1), the last, is
  // outside the circle of the other three: the diagonal is (1,0)-(1,2).
  const Mask m = from_rows({"###", "#.#", "###"});
  const MaskTriangulation t = run(m);
  EXPECT_EQ(check_structure(m, t), 8);  // the whole 2x2 square
  const std::set<Corners> got = corner_sets(t.points, t.triangles);
  EXPECT_EQ(got.size(), 6u);
  EXPECT_TRUE(got.count(corners({0, 1}, {1, 0}, {1, 2})));
  EXPECT_TRUE(got.count(corners({1, 0}, {2, 1}, {1, 2})));
}

TEST(GridTriangulation, LinesAndIsolatedPixelsGiveNoTriangles) {
  for (const auto& rows :
       std::vector<std::vector<std::string>>{{"#####"},
                                             {"#", "#", "#"},
                                             {"#...", ".#..", "..#.", "...#"},
                                             {"#.#.#"},
                                             {"#...#", ".....", "..#..", ".....", "#...#"},
                                             {"....", "....", "...."}}) {
    const Mask m = from_rows(rows);
    const MaskTriangulation t = run(m);
    check_structure(m, t);
    EXPECT_EQ(t.triangle_count(), 0) << rows[0];
  }
}

TEST(GridTriangulation, FullImagesTouchEveryBorder) {
  for (auto [h, w] : std::vector<std::pair<int, int>>{{1, 1}, {2, 2}, {2, 7}, {5, 3}, {9, 11}}) {
    Mask m;
    m.h = h;
    m.w = w;
    m.px.assign(static_cast<size_t>(h) * w, 1);
    const MaskTriangulation t = run(m);
    EXPECT_EQ(check_structure(m, t), 2 * int64_t{h - 1} * (w - 1)) << h << "x" << w;
    EXPECT_EQ(t.triangle_count(), 2 * (h - 1) * (w - 1)) << h << "x" << w;
  }
}

TEST(GridTriangulation, RefusesBadInput) {
  const std::vector<uint8_t> two = {0, 1, 2, 1};
  try {
    triangulate_masks(two.data(), 1, 2, 2);
    ADD_FAILURE() << "a mask value 2 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pixel (row 1, col 0) is 2"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(triangulate_masks(nullptr, 1, 2, 2), Error);
  EXPECT_THROW(triangulate_masks(two.data(), 1, 0, 2), Error);
  EXPECT_THROW(triangulate_masks(two.data(), -1, 2, 2), Error);
  EXPECT_THROW(triangulate_masks(two.data(), 1, kGridMaxSide + 1, 1), Error);
  EXPECT_TRUE(triangulate_masks(nullptr, 0, 4, 4).empty());
}

// ---- random masks -------------------------------------------------------------------------

Mask random_mask(std::mt19937& rng, int32_t h, int32_t w, double density) {
  Mask m;
  m.h = h;
  m.w = w;
  std::bernoulli_distribution on(density);
  for (int32_t i = 0; i < h * w; ++i) m.px.push_back(on(rng) ? 1 : 0);
  return m;
}

TEST(GridTriangulation, RandomMasksHoldEveryProperty) {
  std::mt19937 rng(20240611);
  int64_t total = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int32_t h = 3 + trial % 17, w = 4 + (trial * 7) % 19;
    const double density = 0.35 + 0.6 * (trial % 5) / 4.0;
    const Mask m = random_mask(rng, h, w, density);
    const MaskTriangulation t = run(m);
    const int64_t area2 = check_structure(m, t);
    total += t.triangle_count();
    for (int32_t f = 0; f < t.triangle_count(); ++f) {
      const int32_t* a[3];
      for (int k = 0; k < 3; ++k) a[k] = &t.points[2 * t.triangles[3 * f + k]];
      EXPECT_FALSE(circle_has_pixel(m, a[0], a[1], a[2])) << "trial " << trial << " tri " << f;
      for (int32_t g = f + 1; g < t.triangle_count(); ++g) {
        const int32_t* b[3];
        for (int k = 0; k < 3; ++k) b[k] = &t.points[2 * t.triangles[3 * g + k]];
        EXPECT_FALSE(interiors_overlap(a, b))
            << "trial " << trial << " triangles " << f << ", " << g;
      }
    }
    // Against CGAL: the same triangles (its perturbation settles the cocircular cells as
    // ours does), hence the same covered area.
    const std::vector<int32_t> ref = cgal_filtered(t.points);
    EXPECT_EQ(corner_sets(t.points, t.triangles), corner_sets(t.points, ref)) << "trial " << trial;
    const AreaComparison a =
        compare_areas(rasterize(h, w, t.points, t.triangles), rasterize(h, w, t.points, ref));
    EXPECT_EQ(a.ours_only, 0.0) << "trial " << trial;
    EXPECT_EQ(a.theirs_only, 0.0) << "trial " << trial;
    EXPECT_EQ(a.overlapping_samples, 0) << "trial " << trial;
    EXPECT_NEAR(a.ours, area2 / 2.0, 0.02 * t.triangle_count() + 1e-9) << "trial " << trial;
  }
  EXPECT_GT(total, 1000);
}

// ---- seed masks against CGAL --------------------------------------------------------------

// The label image resized by nearest neighbour so its longer side is 256 (the head crop's
// scale), then `keep` labels as 1, then 4-connected components under 20 pixels removed
// (utils/construct_triangles.py remove_small_area: skimage label / remove_small_objects with
// connectivity 1). Written here as the reference only.
Mask seed_mask(const MatArray& labels, const std::set<int>& keep) {
  const int32_t sh = static_cast<int32_t>(labels.rows), sw = static_cast<int32_t>(labels.cols);
  const int32_t longer = std::max(sh, sw);
  Mask m;
  m.h = sh >= sw ? 256 : static_cast<int32_t>((int64_t{sh} * 256 + longer / 2) / longer);
  m.w = sw >= sh ? 256 : static_cast<int32_t>((int64_t{sw} * 256 + longer / 2) / longer);
  m.px.resize(static_cast<size_t>(m.h) * m.w);
  for (int32_t r = 0; r < m.h; ++r)
    for (int32_t c = 0; c < m.w; ++c) {
      const int32_t y = static_cast<int32_t>(int64_t{r} * sh / m.h);
      const int32_t x = static_cast<int32_t>(int64_t{c} * sw / m.w);
      const int label = static_cast<int>(labels.values[static_cast<size_t>(y) * sw + x]);
      m.px[static_cast<size_t>(r) * m.w + c] = keep.count(label) ? 1 : 0;
    }
  std::vector<int32_t> component(m.px.size(), -1), stack;
  for (size_t seed = 0; seed < m.px.size(); ++seed) {
    if (!m.px[seed] || component[seed] >= 0) continue;
    std::vector<size_t> members;
    stack.assign(1, static_cast<int32_t>(seed));
    component[seed] = static_cast<int32_t>(seed);
    while (!stack.empty()) {
      const int32_t i = stack.back();
      stack.pop_back();
      members.push_back(i);
      const int32_t r = i / m.w, c = i % m.w;
      const int32_t nr[4] = {r - 1, r + 1, r, r}, nc[4] = {c, c, c - 1, c + 1};
      for (int k = 0; k < 4; ++k) {
        if (!m.at(nr[k], nc[k])) continue;
        const int32_t j = nr[k] * m.w + nc[k];
        if (component[j] >= 0) continue;
        component[j] = static_cast<int32_t>(seed);
        stack.push_back(j);
      }
    }
    if (members.size() < 20)
      for (size_t i : members) m.px[i] = 0;
  }
  return m;
}

struct SeedMask {
  std::string name;
  Mask mask;
};

std::vector<SeedMask> load_seed_masks(std::string* skip_reason) {
  const fs::path dir = test::shared_dir() / "seed-examples";
  std::vector<SeedMask> out;
  if (!fs::is_directory(dir)) {
    *skip_reason = "no seed examples at " + dir.string();
    return out;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".mat") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    MatReader reader(f.string());
    if (!reader.has("mask")) continue;
    const MatArray labels = reader.read("mask");
    out.push_back({f.stem().string() + " hair+ears", seed_mask(labels, {2, 3, 4})});
    out.push_back({f.stem().string() + " all labels", seed_mask(labels, {1, 2, 3, 4, 5})});
  }
  if (out.empty()) *skip_reason = "no .mat with a 'mask' variable in " + dir.string();
  return out;
}

TEST(GridTriangulationSeed, CoversWhatDelaunayWithTheFilterCovers) {
  std::string why;
  const std::vector<SeedMask> seeds = load_seed_masks(&why);
  if (seeds.empty()) GTEST_SKIP() << why;
  std::printf("%-22s %6s %7s %7s %6s %7s %9s %9s\n", "mask", "K", "ours", "plain", "bridge", "cgal",
              "IoU", "ours-only");
  for (const SeedMask& s : seeds) {
    const MaskTriangulation t = run(s.mask);
    check_structure(s.mask, t);
    int32_t plain = 0;
    for (int32_t f = 0; f < t.triangle_count(); ++f) {
      int32_t rmin = 1 << 30, rmax = -1, cmin = 1 << 30, cmax = -1;
      for (int k = 0; k < 3; ++k) {
        const int32_t* q = &t.points[2 * t.triangles[3 * f + k]];
        rmin = std::min(rmin, q[0]), rmax = std::max(rmax, q[0]);
        cmin = std::min(cmin, q[1]), cmax = std::max(cmax, q[1]);
      }
      plain += rmax - rmin == 1 && cmax - cmin == 1;
    }
    const std::vector<int32_t> ref = cgal_filtered(t.points);
    const AreaComparison a = compare_areas(rasterize(s.mask.h, s.mask.w, t.points, t.triangles),
                                           rasterize(s.mask.h, s.mask.w, t.points, ref));
    std::printf("%-22s %6d %7d %7d %6d %7zu %9.6f %9.4f\n", s.name.c_str(), t.vertex_count(),
                t.triangle_count(), plain, t.triangle_count() - plain, ref.size() / 3, a.iou(),
                a.ours_only);
    EXPECT_GE(a.iou(), 0.999) << s.name;
    EXPECT_EQ(corner_sets(t.points, t.triangles), corner_sets(t.points, ref)) << s.name;
    EXPECT_LE(a.ours_only, 1e-4 * a.ours) << s.name;
    EXPECT_EQ(a.overlapping_samples, 0) << s.name;
  }
}

// ---- CUDA against the CPU -----------------------------------------------------------------

TEST(GridTriangulationCuda, MatchesCpuExactly) {
  P3D_SKIP_WITHOUT_CUDA();
  // A batch of random masks of one size, then the seed masks one by one (their sizes vary).
  std::mt19937 rng(7);
  const int32_t n = 5, h = 37, w = 53;
  std::vector<uint8_t> batch;
  for (int i = 0; i < n; ++i) {
    const Mask m = random_mask(rng, h, w, 0.3 + 0.15 * i);
    batch.insert(batch.end(), m.px.begin(), m.px.end());
  }
  const auto cpu = triangulate_masks(batch.data(), n, h, w, DeviceKind::CPU);
  const auto gpu = triangulate_masks(batch.data(), n, h, w, DeviceKind::CUDA);
  ASSERT_EQ(cpu.size(), gpu.size());
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(cpu[i].points, gpu[i].points) << "mask " << i;
    EXPECT_EQ(cpu[i].triangles, gpu[i].triangles) << "mask " << i;
    EXPECT_EQ(cpu[i].pixel_vertex, gpu[i].pixel_vertex) << "mask " << i;
  }
  std::string skip;
  for (const SeedMask& s : load_seed_masks(&skip)) {
    const MaskTriangulation c = run(s.mask), g = run(s.mask, DeviceKind::CUDA);
    EXPECT_EQ(c.points, g.points) << s.name;
    EXPECT_EQ(c.triangles, g.triangles) << s.name;
    EXPECT_EQ(c.pixel_vertex, g.pixel_vertex) << s.name;
  }
}

}  // namespace
}  // namespace p3d
