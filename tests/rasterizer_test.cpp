// Tests of the triangle rasterizer (kernels/rasterizer.h, kernels/cpu/rasterizer.cpp,
// kernels/cuda/rasterizer.cu) and the depth-map wrapper (pipeline/render.h). The expected
// values are computed here independently: coverage from the edge equations at pixel
// centres in double, depth from ray-plane intersection, a naive sequential z-buffer in
// double, and the original's projection formula (focal·x / (10 - z) + centre). Scenes are
// given mostly in NDC through an identity camera (w = 1), with viewport coordinates chosen
// as exact binary fractions so that the original's 16.16 fixed point and double agree.
#include "kernels/cpu/rasterizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/backend.h"
#include "kernels/error.h"
#include "kernels/rasterizer.h"
#include "pipeline/render.h"
#include "tests/support/raster_scenes.h"
#include "tests/support/require_cuda.h"

namespace p3d {
namespace {

using test::add_triangle;
using test::bumpy_surface;
using test::flat_camera;
using test::identity_camera;
using test::ndc_scene;
using test::Scene;
using test::sphere_cap_scene;

// ---- scene and rendering helpers ----------------------------------------------------------

struct Rendered {
  std::vector<int32_t> ids;
  std::vector<float> bary, attributes, mask, depth;
};

// The NDC coordinate whose viewport coordinate is `pixels` (exact for binary fractions
// when size is a power of two).
float ndc(float pixels, int32_t size) { return pixels / (0.5f * size) - 1.f; }

// Adds a vertex given in viewport pixels (y up) and NDC z; returns its id.
int32_t add_vertex(Scene& s, double vx, double vy, float z, std::vector<float> attr = {}) {
  s.vertices.push_back(ndc(static_cast<float>(vx), s.p.width));
  s.vertices.push_back(ndc(static_cast<float>(vy), s.p.height));
  s.vertices.push_back(z);
  for (float a : attr) s.attributes.push_back(a);
  return s.p.vertex_count++;
}

Rendered render(const Scene& s, cpu::ThreadPool& pool = cpu::ThreadPool::global()) {
  const size_t pixels = static_cast<size_t>(s.p.batch) * s.p.height * s.p.width;
  Rendered r;
  r.ids.assign(pixels, 12345);
  r.bary.assign(pixels * 3, 777.f);
  r.attributes.assign(pixels * std::max(s.p.channels, 1), 777.f);
  r.mask.assign(pixels, 777.f);
  r.depth.assign(pixels, 777.f);
  std::vector<uint64_t> workspace(rasterize_workspace_bytes(s.p) / 8 + 1);
  RasterizeInputs in;
  in.vertices = s.vertices.data();
  in.cameras = s.cameras.data();
  in.triangles = s.triangles.data();
  in.attributes = s.attributes.empty() ? nullptr : s.attributes.data();
  RasterizeOutputs out;
  out.triangle_id = r.ids.data();
  out.barycentric = r.bary.data();
  out.attributes = s.p.channels > 0 ? r.attributes.data() : nullptr;
  out.mask = r.mask.data();
  out.ndc_depth = r.depth.data();
  cpu::rasterize_triangles(pool, s.p, in, out, workspace.data());
  return r;
}

// Output index of viewport pixel (ix, iy) of image n: rows are flipped.
size_t out_index(const RasterizeParams& p, int n, int ix, int iy) {
  return (static_cast<size_t>(n) * p.height + (p.height - 1 - iy)) * p.width + ix;
}

struct Pt {
  double x, y;
};

// Twice the signed area of (a, b, p): the original's edge function, in double.
double edge(Pt a, Pt b, Pt p) { return (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x); }

// Inclusive inside test of either winding, in double (rasterize_triangles_impl.cc's rule).
bool inside_double(Pt a, Pt b, Pt c, Pt p) {
  const double e0 = edge(a, b, p), e1 = edge(b, c, p), e2 = edge(c, a, p);
  return (e0 >= 0 && e1 >= 0 && e2 >= 0) || (e0 <= 0 && e1 <= 0 && e2 <= 0);
}

Pt centre(int ix, int iy) { return {ix + 0.5, iy + 0.5}; }

// Covered viewport pixels of image 0 as (ix, iy).
std::set<std::pair<int, int>> covered(const Scene& s, const Rendered& r) {
  std::set<std::pair<int, int>> set;
  for (int iy = 0; iy < s.p.height; ++iy)
    for (int ix = 0; ix < s.p.width; ++ix)
      if (r.ids[out_index(s.p, 0, ix, iy)] >= 0) set.insert({ix, iy});
  return set;
}

void expect_all_finite(const Rendered& r) {
  for (float v : r.bary) ASSERT_TRUE(std::isfinite(v));
  for (float v : r.attributes) ASSERT_TRUE(std::isfinite(v));
  for (float v : r.mask) ASSERT_TRUE(std::isfinite(v));
  for (float v : r.depth) ASSERT_TRUE(std::isfinite(v));
}

void expect_empty(const Scene& s, const Rendered& r) {
  for (size_t i = 0; i < r.ids.size(); ++i) {
    ASSERT_EQ(r.ids[i], -1) << "pixel " << i;
    ASSERT_EQ(r.mask[i], 0.f);
    ASSERT_EQ(r.depth[i], 1.f);
    for (int k = 0; k < 3; ++k) ASSERT_EQ(r.bary[3 * i + k], 0.f);
    for (int k = 0; k < s.p.channels; ++k)
      ASSERT_EQ(r.attributes[i * s.p.channels + k], s.p.background);
  }
}

// ---- coverage ----------------------------------------------------------------------------

TEST(Rasterizer, OneTriangleCoversExactlyTheEdgeEquationPixels) {
  Scene s = ndc_scene(32, 1);
  // Binary-fraction corners; the first edge (slope 1/2 through (3.5, 2.5)) passes exactly
  // through pixel centres (5.5, 3.5), (7.5, 4.5), ...: the inclusive rule must take them.
  const Pt a{3.5, 2.5}, b{27.5, 14.5}, c{11.25, 29.875};
  add_vertex(s, a.x, a.y, 0.25f, {1.f});
  add_vertex(s, b.x, b.y, 0.25f, {2.f});
  add_vertex(s, c.x, c.y, 0.25f, {3.f});
  add_triangle(s, 0, 1, 2);
  const Rendered r = render(s);
  expect_all_finite(r);
  int on_edge = 0, count = 0;
  for (int iy = 0; iy < 32; ++iy) {
    for (int ix = 0; ix < 32; ++ix) {
      const bool expected = inside_double(a, b, c, centre(ix, iy));
      const size_t o = out_index(s.p, 0, ix, iy);
      ASSERT_EQ(r.ids[o], expected ? 0 : -1) << "pixel (" << ix << ", " << iy << ")";
      ASSERT_EQ(r.mask[o], expected ? 1.f : 0.f);
      if (!expected) continue;
      ++count;
      if (edge(a, b, centre(ix, iy)) == 0) ++on_edge;
      // w = 1 everywhere: corrected = screen barycentrics, which reproduce the centre.
      const float* bc = &r.bary[3 * o];
      EXPECT_NEAR(bc[0] + bc[1] + bc[2], 1.f, 1e-6f);
      EXPECT_NEAR(bc[0] * a.x + bc[1] * b.x + bc[2] * c.x, ix + 0.5, 1e-4);
      EXPECT_NEAR(bc[0] * a.y + bc[1] * b.y + bc[2] * c.y, iy + 0.5, 1e-4);
      EXPECT_NEAR(r.attributes[o], bc[0] * 1.f + bc[1] * 2.f + bc[2] * 3.f, 1e-5f);
      EXPECT_FLOAT_EQ(r.depth[o], 0.25f);
    }
  }
  EXPECT_GT(count, 150);
  EXPECT_GE(on_edge, 5);  // the scene does exercise centres exactly on an edge
}

TEST(Rasterizer, RandomTrianglesMatchDoubleEdgeEquationsAwayFromEdges) {
  // Arbitrary float corners: fixed point and double may disagree only for centres within
  // quantisation distance of an edge (1e-3 px is far beyond 2^-16).
  std::mt19937 rng(20240611u);
  std::uniform_real_distribution<float> coord(-6.f, 70.f);
  int compared = 0;
  for (int trial = 0; trial < 60; ++trial) {
    Scene s = ndc_scene(64);
    Pt v[3];
    for (Pt& q : v) {
      q = {coord(rng), coord(rng)};
      add_vertex(s, q.x, q.y, 0.f);
    }
    // Use the corners as the renderer sees them (after the NDC round trip).
    for (int i = 0; i < 3; ++i) {
      v[i].x = static_cast<float>((static_cast<double>(s.vertices[3 * i]) + 1.0) * 32.0);
      v[i].y = static_cast<float>((static_cast<double>(s.vertices[3 * i + 1]) + 1.0) * 32.0);
    }
    add_triangle(s, 0, 1, 2);
    const Rendered r = render(s);
    for (int iy = 0; iy < 64; ++iy) {
      for (int ix = 0; ix < 64; ++ix) {
        const Pt p = centre(ix, iy);
        double margin = std::numeric_limits<double>::infinity();
        for (int e = 0; e < 3; ++e) {
          const Pt a = v[e], b = v[(e + 1) % 3];
          const double len = std::hypot(b.x - a.x, b.y - a.y);
          if (len > 0) margin = std::min(margin, std::fabs(edge(a, b, p)) / len);
        }
        if (margin < 1e-3) continue;
        ++compared;
        ASSERT_EQ(r.ids[out_index(s.p, 0, ix, iy)] == 0, inside_double(v[0], v[1], v[2], p))
            << "trial " << trial << " pixel (" << ix << ", " << iy << ")";
      }
    }
  }
  EXPECT_GT(compared, 60 * 3500);
}

TEST(Rasterizer, BothWindingsCoverTheSamePixels) {
  Scene cw = ndc_scene(32, 1), ccw = ndc_scene(32, 1);
  const Pt a{2.25, 3.5}, b{29.5, 8.75}, c{9.125, 27.5};
  for (Scene* s : {&cw, &ccw}) {
    add_vertex(*s, a.x, a.y, 0.1f, {5.f});
    add_vertex(*s, b.x, b.y, 0.2f, {7.f});
    add_vertex(*s, c.x, c.y, 0.3f, {11.f});
  }
  add_triangle(cw, 0, 1, 2);
  add_triangle(ccw, 0, 2, 1);
  const Rendered r1 = render(cw), r2 = render(ccw);
  EXPECT_EQ(r1.ids, r2.ids);
  EXPECT_EQ(covered(cw, r1).size(), covered(ccw, r2).size());
  EXPECT_GT(covered(cw, r1).size(), 100u);
  for (size_t i = 0; i < r1.ids.size(); ++i) {
    // The corner order swaps b and c: so do the barycentrics.
    EXPECT_NEAR(r1.bary[3 * i + 0], r2.bary[3 * i + 0], 1e-6f);
    EXPECT_NEAR(r1.bary[3 * i + 1], r2.bary[3 * i + 2], 1e-6f);
    EXPECT_NEAR(r1.bary[3 * i + 2], r2.bary[3 * i + 1], 1e-6f);
    EXPECT_NEAR(r1.attributes[i], r2.attributes[i], 1e-5f);
    EXPECT_NEAR(r1.depth[i], r2.depth[i], 1e-6f);
  }
}

TEST(Rasterizer, RowZeroIsTheTop) {
  Scene s = ndc_scene(32);
  // A triangle in the upper half of NDC (viewport y > 16) only.
  add_vertex(s, 4.5, 20.5, 0.f);
  add_vertex(s, 28.5, 20.5, 0.f);
  add_vertex(s, 16.5, 30.5, 0.f);
  add_triangle(s, 0, 1, 2);
  const Rendered r = render(s);
  int top_half = 0;
  for (int row = 0; row < 32; ++row)
    for (int col = 0; col < 32; ++col)
      if (r.ids[row * 32 + col] >= 0) {
        EXPECT_LT(row, 16) << "covered output row " << row;
        ++top_half;
      }
  EXPECT_GT(top_half, 50);
  // The apex (viewport row 30) is near output row 1; the base (viewport row 20 -> output 11).
  EXPECT_EQ(r.ids[1 * 32 + 16], 0);
  EXPECT_EQ(r.ids[11 * 32 + 16], 0);
  EXPECT_EQ(r.ids[12 * 32 + 16], -1);
}

// ---- depth order -------------------------------------------------------------------------

// Two triangles overlapping in the middle; `near_first` submits the nearer one first.
Scene overlapping_pair(bool near_first) {
  Scene s = ndc_scene(32, 1);
  auto far_tri = [&] {
    const int32_t a = add_vertex(s, 2.5, 2.5, 0.5f, {1.f});
    const int32_t b = add_vertex(s, 24.5, 4.5, 0.5f, {1.f});
    const int32_t c = add_vertex(s, 6.5, 26.5, 0.5f, {1.f});
    add_triangle(s, a, b, c);
  };
  auto near_tri = [&] {
    const int32_t a = add_vertex(s, 30.5, 30.5, -0.25f, {2.f});
    const int32_t b = add_vertex(s, 2.5, 20.5, -0.25f, {2.f});
    const int32_t c = add_vertex(s, 20.5, 2.5, -0.25f, {2.f});
    add_triangle(s, a, b, c);
  };
  if (near_first) {
    near_tri();
    far_tri();
  } else {
    far_tri();
    near_tri();
  }
  return s;
}

TEST(Rasterizer, NearerTriangleWinsWhateverTheSubmissionOrder) {
  const Scene s1 = overlapping_pair(false), s2 = overlapping_pair(true);
  const Rendered r1 = render(s1), r2 = render(s2);
  int overlap = 0;
  for (size_t i = 0; i < r1.ids.size(); ++i) {
    // Same geometry wins: attribute 2 = the near triangle, 1 = the far one.
    ASSERT_EQ(r1.attributes[i], r2.attributes[i]) << "pixel " << i;
    ASSERT_EQ(r1.depth[i], r2.depth[i]);
    ASSERT_EQ(r1.mask[i], r2.mask[i]);
    if (r1.ids[i] >= 0) {
      ASSERT_EQ(r1.ids[i], 1 - r2.ids[i]);  // ids swap with the order
    }
  }
  // In the overlap, the near triangle (z = -0.25) is the one shown.
  for (int iy = 0; iy < 32; ++iy)
    for (int ix = 0; ix < 32; ++ix) {
      const Pt p = centre(ix, iy);
      const bool in_far = inside_double({2.5, 2.5}, {24.5, 4.5}, {6.5, 26.5}, p);
      const bool in_near = inside_double({30.5, 30.5}, {2.5, 20.5}, {20.5, 2.5}, p);
      const size_t o = out_index(s1.p, 0, ix, iy);
      if (in_near) {
        EXPECT_FLOAT_EQ(r1.attributes[o], 2.f);
        EXPECT_FLOAT_EQ(r1.depth[o], -0.25f);
        if (in_far) ++overlap;
      } else if (in_far) {
        EXPECT_FLOAT_EQ(r1.attributes[o], 1.f);
      } else {
        EXPECT_EQ(r1.ids[o], -1);
      }
    }
  EXPECT_GT(overlap, 20);
}

TEST(Rasterizer, EqualDepthGoesToTheLaterTriangleAsTheOriginal) {
  // rasterize_triangles_impl.cc overwrites when z <= zbuffer, in triangle order.
  Scene s = ndc_scene(32);
  for (int copy = 0; copy < 3; ++copy) {
    const int32_t a = add_vertex(s, 3.5, 3.5, 0.125f);
    const int32_t b = add_vertex(s, 28.5, 5.5, 0.125f);
    const int32_t c = add_vertex(s, 12.5, 27.5, 0.125f);
    add_triangle(s, a, b, c);
  }
  const Rendered r = render(s);
  int count = 0;
  for (int32_t id : r.ids) {
    if (id < 0) continue;
    EXPECT_EQ(id, 2);
    ++count;
  }
  EXPECT_GT(count, 100);
}

TEST(Rasterizer, NearAndFarPlanesClipPerPixel) {
  // z interpolated across [-1.5, 0.5]: pixels with z < -1 are not drawn (the original's
  // `z < -1 || z > 1` test), the rest are.
  Scene s = ndc_scene(32);
  add_vertex(s, 0.5, 16.0, -1.5f);
  add_vertex(s, 31.5, 0.25, 0.5f);
  add_vertex(s, 31.5, 31.75, 0.5f);
  add_triangle(s, 0, 1, 2);
  const Rendered r = render(s);
  int drawn = 0, clipped = 0;
  for (int iy = 0; iy < 32; ++iy)
    for (int ix = 0; ix < 32; ++ix) {
      if (!inside_double({0.5, 16.0}, {31.5, 0.25}, {31.5, 31.75}, centre(ix, iy))) continue;
      // z is linear in x here: -1.5 at x = 0.5, 0.5 at x = 31.5.
      const double z = -1.5 + 2.0 * (ix + 0.5 - 0.5) / 31.0;
      const int32_t id = r.ids[out_index(s.p, 0, ix, iy)];
      if (z < -1.0 - 1e-5) {
        EXPECT_EQ(id, -1) << ix;
        ++clipped;
      } else if (z > -1.0 + 1e-5) {
        EXPECT_EQ(id, 0) << ix;
        ++drawn;
      }
    }
  EXPECT_GT(drawn, 100);
  EXPECT_GT(clipped, 10);
}

// ---- shared edges ------------------------------------------------------------------------

// Coverage of a quad split along its diagonal: each half alone, and both together.
struct QuadCoverage {
  std::set<std::pair<int, int>> first, second, both_rendered, reference, on_diagonal;
  Rendered together;
  Scene scene;
};

QuadCoverage render_quad(Pt p0, Pt p1, Pt p2, Pt p3) {
  // Triangles (p0, p1, p2) and (p0, p2, p3); the shared edge is p0 -> p2. Plane z = 0, so
  // both halves compute exactly z = 0 there.
  auto make = [&](bool first, bool second) {
    Scene s = ndc_scene(32);
    const Pt q[4] = {p0, p1, p2, p3};
    for (const Pt& v : q) add_vertex(s, v.x, v.y, 0.f);
    if (first) add_triangle(s, 0, 1, 2);
    if (second) add_triangle(s, 0, 2, 3);
    return s;
  };
  QuadCoverage q;
  const Scene a = make(true, false), b = make(false, true);
  q.scene = make(true, true);
  q.first = covered(a, render(a));
  q.second = covered(b, render(b));
  q.together = render(q.scene);
  q.both_rendered = covered(q.scene, q.together);
  for (int iy = 0; iy < 32; ++iy)
    for (int ix = 0; ix < 32; ++ix) {
      const Pt c = centre(ix, iy);
      if (inside_double(p0, p1, p2, c) || inside_double(p0, p2, p3, c))
        q.reference.insert({ix, iy});
      if (edge(p0, p2, c) == 0 && (inside_double(p0, p1, p2, c) || inside_double(p0, p2, p3, c)))
        q.on_diagonal.insert({ix, iy});
    }
  return q;
}

TEST(Rasterizer, QuadHalvesCoverEveryPixelOnceWhenNoCentreIsOnTheDiagonal) {
  // Diagonal (4, 4) -> (28, 20): 3y - 2x = 3.5 has no integer solution, so no centre is on it.
  const QuadCoverage q = render_quad({4, 4}, {28, 4}, {28, 20}, {4, 20});
  ASSERT_TRUE(q.on_diagonal.empty());
  std::vector<std::pair<int, int>> twice;
  std::set_intersection(q.first.begin(), q.first.end(), q.second.begin(), q.second.end(),
                        std::back_inserter(twice));
  EXPECT_TRUE(twice.empty()) << twice.size() << " pixels written by both halves";
  EXPECT_EQ(q.first.size() + q.second.size(), q.reference.size());  // writes = pixels
  EXPECT_EQ(q.both_rendered, q.reference);                          // no gaps
  EXPECT_EQ(q.reference.size(), 24u * 16u);
}

TEST(Rasterizer, QuadCentresOnTheSharedEdgePassBothHalvesAndResolveToTheLaterOne) {
  // Diagonal (4, 4) -> (28, 28) runs through the centres (k + 0.5, k + 0.5). The original's
  // inside test is inclusive (IsCCW uses >=), so both halves accept those centres; the
  // z-buffer then keeps exactly one writer per pixel: equal z -> the later triangle (id 1).
  const QuadCoverage q = render_quad({4, 4}, {28, 4}, {28, 28}, {4, 28});
  ASSERT_EQ(q.on_diagonal.size(), 24u);
  std::set<std::pair<int, int>> twice;
  std::set_intersection(q.first.begin(), q.first.end(), q.second.begin(), q.second.end(),
                        std::inserter(twice, twice.end()));
  EXPECT_EQ(twice, q.on_diagonal);  // double coverage only exactly on the shared edge
  EXPECT_EQ(q.both_rendered, q.reference);
  EXPECT_EQ(q.reference.size(), 24u * 24u);
  for (const auto& px : q.reference) {
    const int32_t id = q.together.ids[out_index(q.scene.p, 0, px.first, px.second)];
    const bool in_first = q.first.count(px) > 0, in_second = q.second.count(px) > 0;
    EXPECT_EQ(id, in_second ? 1 : 0) << px.first << "," << px.second;
    EXPECT_TRUE(in_first || in_second);
  }
}

// ---- degenerate input --------------------------------------------------------------------

TEST(Rasterizer, DegenerateTrianglesWriteNothingAndNoNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  Scene s = ndc_scene(32, 2);
  s.p.background = -1.f;
  auto tri = [&](Pt a, Pt b, Pt c, float za = 0.f, float zb = 0.f, float zc = 0.f) {
    const int32_t i = add_vertex(s, a.x, a.y, za, {1.f, 2.f});
    add_vertex(s, b.x, b.y, zb, {1.f, 2.f});
    add_vertex(s, c.x, c.y, zc, {1.f, 2.f});
    add_triangle(s, i, i + 1, i + 2);
  };
  tri({5.5, 5.5}, {5.5, 5.5}, {20.5, 9.5});                  // two equal corners: zero area
  tri({7.5, 7.5}, {7.5, 7.5}, {7.5, 7.5});                   // a point on a pixel centre
  tri({2.5, 2.5}, {10.5, 10.5}, {20.5, 20.5});               // collinear through pixel centres
  tri({2.5, 20.5}, {10.5, 20.5}, {30.5, 20.5});              // horizontal line of centres
  tri({3.0, 3.0}, {25.0, 6.0}, {9.0, 28.0}, nan, 0.f, 0.f);  // NaN depth
  tri({3.0, 3.0}, {25.0, 6.0}, {9.0, 28.0}, 0.f, inf, 0.f);  // infinite depth
  const int32_t first_nan = s.p.vertex_count;
  tri({3.0, 3.0}, {25.0, 6.0}, {9.0, 28.0});
  s.vertices[3 * first_nan] = nan;  // NaN x
  const int32_t first_inf = s.p.vertex_count;
  tri({3.0, 3.0}, {25.0, 6.0}, {9.0, 28.0});
  s.vertices[3 * first_inf + 1] = -inf;  // infinite y
  const int32_t first_huge = s.p.vertex_count;
  tri({3.0, 3.0}, {25.0, 6.0}, {9.0, 28.0});
  s.vertices[3 * first_huge] = 1e6f;                               // beyond the fixed-point range
  tri({3.0, 3.0}, {25.0, 6.0}, {9.0, 28.0}, 1.5f, 1.5f, 1.5f);     // beyond the far plane
  tri({3.0, 3.0}, {25.0, 6.0}, {9.0, 28.0}, -1.5f, -2.f, -1.25f);  // before the near plane
  const Rendered r = render(s);
  expect_all_finite(r);
  expect_empty(s, r);
}

// One triangle per z triple, seen by the create_renderer camera (eye at z = 10 looking
// down -z) in a 32 x 32 image; attribute 10 - z.
Scene eye_scene(const std::vector<std::array<float, 3>>& depths) {
  PinholeCamera pc{300.f, 16.f, 16.f, {0, 0, 10}, {0, 0, 0}, {0, 1, 0}, 0.01f, 30.f};
  Scene s = ndc_scene(32, 1);
  s.cameras = flat_camera(make_pinhole_camera(pc, 32, 32));
  const float xy[3][2] = {{-0.5f, -0.5f}, {0.5f, -0.4f}, {0.f, 0.6f}};
  for (const auto& z : depths) {
    const int32_t first = s.p.vertex_count;
    for (int i = 0; i < 3; ++i) {
      s.vertices.insert(s.vertices.end(), {xy[i][0], xy[i][1], z[i]});
      s.attributes.push_back(10.f - z[i]);
      ++s.p.vertex_count;
    }
    add_triangle(s, first, first + 1, first + 2);
  }
  return s;
}

TEST(Rasterizer, TrianglesAtOrBehindTheEyeWriteNothing) {
  const Scene s = eye_scene({{12.f, 11.f, 15.f},  // all behind the eye
                             {10.f, 10.f, 10.f},  // in the eye's plane (w = 0)
                             {12.f, 5.f, 5.f}});  // straddling it: skipped (the original
                                                  // does no clipping and draws garbage)
  const Rendered r = render(s);
  expect_all_finite(r);
  expect_empty(s, r);
  // The same triangle in front of the eye is drawn: the camera itself works.
  const Scene front = eye_scene({{1.f, 1.f, 1.f}});
  EXPECT_GT(covered(front, render(front)).size(), 20u);
}

TEST(Rasterizer, BadInputIsRejectedAtTheBoundary) {
  Scene s = ndc_scene(16);
  add_vertex(s, 1, 1, 0);
  add_vertex(s, 9, 2, 0);
  add_vertex(s, 3, 9, 0);
  add_triangle(s, 0, 1, 3);  // vertex 3 does not exist
  EXPECT_THROW(render(s), Error);
  s.triangles.back() = -1;
  EXPECT_THROW(render(s), Error);
  s.triangles.back() = 2;
  EXPECT_NO_THROW(render(s));
  Scene wide = s;
  wide.p.width = 0;
  EXPECT_THROW(render(wide), Error);
  wide.p.width = kRasterMaxImageSide + 1;
  EXPECT_THROW(render(wide), Error);
  try {
    s.triangles[1] = 99;
    render(s);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("triangle 0 corner 1 is vertex 99"), std::string::npos)
        << e.what();
  }
}

// ---- perspective ---------------------------------------------------------------------------

TEST(Rasterizer, PerspectiveCorrectDepthOnATiltedPlane) {
  // A quad on the plane z = 0.6·x + 0.3·y - 1 seen by the create_renderer camera (eye z =
  // 10, focal 300, centre (30, 34) in a 64 x 64 image). Along the ray through a pixel
  // centre (u, v): x = (u - cx)·t / f, y = (v - cy)·t / f, z = 10 - t, so the depth
  // attribute t = 10 - z has the closed form below. Screen-linear interpolation misses it.
  const double f = 300, cx = 30, cy = 34, a = 0.6, b = 0.3, c = -1;
  PinholeCamera pc{static_cast<float>(f),
                   static_cast<float>(cx),
                   static_cast<float>(cy),
                   {0, 0, 10},
                   {0, 0, 0},
                   {0, 1, 0},
                   0.01f,
                   30.f};
  Scene s = ndc_scene(64, 1);
  s.cameras = flat_camera(make_pinhole_camera(pc, 64, 64));
  const double corners[4][2] = {{-0.9, -0.8}, {0.85, -0.9}, {0.9, 0.95}, {-0.8, 0.9}};
  Pt projected[4];
  double depth_attr[4];
  for (int i = 0; i < 4; ++i) {
    const double x = corners[i][0], y = corners[i][1], z = a * x + b * y + c;
    s.vertices.insert(s.vertices.end(), {float(x), float(y), float(z)});
    s.attributes.push_back(static_cast<float>(10 - z));
    depth_attr[i] = 10 - z;
    projected[i] = {f * x / (10 - z) + cx, f * y / (10 - z) + cy};
    ++s.p.vertex_count;
  }
  add_triangle(s, 0, 1, 2);
  add_triangle(s, 0, 2, 3);
  const Rendered r = render(s);
  double worst = 0, worst_linear = 0;
  int count = 0;
  for (int iy = 0; iy < 64; ++iy)
    for (int ix = 0; ix < 64; ++ix) {
      const size_t o = out_index(s.p, 0, ix, iy);
      if (r.ids[o] < 0) continue;
      ++count;
      const double u = ix + 0.5, v = iy + 0.5;
      const double t = (10 - c) / (1 + a * (u - cx) / f + b * (v - cy) / f);
      worst = std::max(worst, std::fabs(r.attributes[o] - t));
      // Screen-space (uncorrected) interpolation inside the winning triangle, in double.
      const int k = r.ids[o] == 0 ? 1 : 3;
      const Pt A = projected[0], B = projected[k == 1 ? 1 : 2], C = projected[k == 1 ? 2 : 3];
      const double area = edge(A, B, C);
      const double wa = edge(B, C, {u, v}) / area, wb = edge(C, A, {u, v}) / area;
      const double linear = wa * depth_attr[0] + wb * depth_attr[k == 1 ? 1 : 2] +
                            (1 - wa - wb) * depth_attr[k == 1 ? 2 : 3];
      worst_linear = std::max(worst_linear, std::fabs(linear - t));
    }
  EXPECT_GT(count, 1500);
  EXPECT_LT(worst, 2e-5);
  EXPECT_GT(worst_linear, 100 * 2e-5);  // the scene does need the correction
}

// ---- against a naive z-buffer and across thread counts -----------------------------------

// The original's algorithm written plainly in double: sequential triangles, inclusive
// double inside test, z <= zbuffer overwrites.
std::vector<int32_t> naive_ids(const Scene& s) {
  const int W = s.p.width, H = s.p.height;
  std::vector<double> zbuf(static_cast<size_t>(W) * H, 1.0);
  std::vector<int32_t> ids(zbuf.size(), -1);
  for (int32_t t = 0; t < s.p.triangle_count; ++t) {
    Pt v[3];
    double z[3];
    for (int i = 0; i < 3; ++i) {
      const float* p = &s.vertices[3 * s.triangles[3 * t + i]];
      v[i] = {(p[0] + 1.0) * W / 2, (p[1] + 1.0) * H / 2};
      z[i] = p[2];
    }
    const double area = edge(v[0], v[1], v[2]);
    if (area == 0) continue;
    for (int iy = 0; iy < H; ++iy)
      for (int ix = 0; ix < W; ++ix) {
        const Pt p = centre(ix, iy);
        if (!inside_double(v[0], v[1], v[2], p)) continue;
        const double b0 = edge(v[1], v[2], p) / area, b1 = edge(v[2], v[0], p) / area;
        const double zz = b0 * z[0] + b1 * z[1] + (1 - b0 - b1) * z[2];
        const size_t o = out_index(s.p, 0, ix, iy);
        if (zz < -1 || zz > 1 || zz > zbuf[o]) continue;
        zbuf[o] = zz;
        ids[o] = t;
      }
  }
  return ids;
}

TEST(Rasterizer, AgreesWithANaiveDoubleZBuffer) {
  const Scene s = bumpy_surface(128, 24, 20, 7u);
  const Rendered r = render(s);
  const std::vector<int32_t> expected = naive_ids(s);
  size_t same = 0, covered_pixels = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    same += r.ids[i] == expected[i];
    covered_pixels += expected[i] >= 0;
  }
  EXPECT_GT(covered_pixels, 10000u);
  // Only centres within float/fixed-point rounding of an edge or of a depth tie may differ.
  EXPECT_GE(static_cast<double>(same) / expected.size(), 0.999)
      << expected.size() - same << " of " << expected.size() << " pixels differ";
}

TEST(Rasterizer, ResultDoesNotDependOnTheThreadCount) {
  const Scene s = bumpy_surface(96, 30, 30, 11u);
  cpu::ThreadPool one(1), four(4);
  const Rendered a = render(s, one), b = render(s, four);
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_EQ(a.bary, b.bary);
  EXPECT_EQ(a.attributes, b.attributes);
  EXPECT_EQ(a.depth, b.depth);
}

TEST(Rasterizer, BatchImagesAreIndependent) {
  // Two images of different scenes in one call equal each rendered alone.
  const Scene s0 = bumpy_surface(64, 10, 10, 1u), s1 = bumpy_surface(64, 10, 10, 2u);
  Scene both = s0;
  both.p.batch = 2;
  both.vertices.insert(both.vertices.end(), s1.vertices.begin(), s1.vertices.end());
  both.attributes.insert(both.attributes.end(), s1.attributes.begin(), s1.attributes.end());
  both.cameras.insert(both.cameras.end(), s1.cameras.begin(), s1.cameras.end());
  const Rendered r = render(both), r0 = render(s0), r1 = render(s1);
  const size_t n = r0.ids.size();
  EXPECT_EQ(std::vector<int32_t>(r.ids.begin(), r.ids.begin() + n), r0.ids);
  EXPECT_EQ(std::vector<int32_t>(r.ids.begin() + n, r.ids.end()), r1.ids);
  EXPECT_EQ(std::vector<float>(r.attributes.begin() + n, r.attributes.end()), r1.attributes);
}

// ---- the camera and the depth-map wrapper ----------------------------------------------------

TEST(Rasterizer, CameraMatchesTheOriginalsMatrices) {
  // create_renderer.py for a 256 crop: look_at((0,0,10), 0, (0,1,0)) is a translation by
  // -10 in z; perspective focal_y = 1 / tan(atan2(128, f)) = f / 128.
  const float focal = 1015.f * 256.f / 224.f;
  const RasterCamera cam = portrait_render_camera({focal, 131.f, 120.f}, 256, 256);
  const float* m = cam.clip_from_world.m;
  const double fy = focal / 128.0;
  EXPECT_NEAR(m[0], fy, 1e-5 * fy);
  EXPECT_NEAR(m[5], fy, 1e-5 * fy);
  const double near = 0.01, far = 30;
  EXPECT_NEAR(m[10], -(far + near) / (far - near), 1e-6);
  EXPECT_NEAR(m[11], -10 * (-(far + near) / (far - near)) - 2 * far * near / (far - near), 1e-5);
  EXPECT_FLOAT_EQ(m[14], -1.f);
  EXPECT_FLOAT_EQ(m[15], 10.f);
  for (int i : {1, 2, 3, 4, 6, 7, 8, 9, 12, 13}) EXPECT_EQ(m[i], 0.f) << i;
  EXPECT_FLOAT_EQ(cam.ndc_offset[0], 3.f / 128.f);
  EXPECT_FLOAT_EQ(cam.ndc_offset[1], -8.f / 128.f);
}

// The render of `batch` portraits of vertex_count vertices each (in turn in `vertices`),
// sharing `triangles`, seen by cameras[n], at the default 256 x 256.
DepthRenderInput depth_input(int32_t batch, const std::vector<float>& vertices,
                             const std::vector<int32_t>& triangles, const RenderCamera* cameras) {
  DepthRenderInput in;
  in.batch = batch;
  in.vertex_count = static_cast<int32_t>(vertices.size() / 3 / static_cast<size_t>(batch));
  in.vertices = vertices.data();
  in.triangle_count = static_cast<int32_t>(triangles.size() / 3);
  in.triangles = triangles.data();
  in.cameras = cameras;
  return in;
}

TEST(RenderDepthAndMask, SquareLandsWhereTheOriginalsProjectionPutsIt) {
  // A square at z = 1 spanning x, y in [-0.3, 0.3]: depth 10 - z = 9; with focal 500 and
  // centre (140, 120) it covers u = 500·x / 9 + 140 in [123.3, 156.7], v in [103.3, 136.7]
  // (y up): columns 123..156, viewport rows 103..136 = output rows 255 - 136 .. 255 - 103.
  const std::vector<float> vertices = {-0.3f, -0.3f, 1.f, 0.3f,  -0.3f, 1.f,
                                       0.3f,  0.3f,  1.f, -0.3f, 0.3f,  1.f};
  const std::vector<int32_t> triangles = {0, 1, 2, 0, 2, 3};
  const RenderCamera camera{500.f, 140.f, 120.f};
  const DepthAndMask out = render_depth_and_mask(depth_input(1, vertices, triangles, &camera));
  ASSERT_EQ(out.depth.size(), 256u * 256u);
  for (int row = 0; row < 256; ++row)
    for (int col = 0; col < 256; ++col) {
      const bool inside = col >= 123 && col <= 156 && row >= 255 - 136 && row <= 255 - 103;
      const size_t i = static_cast<size_t>(row) * 256 + col;
      ASSERT_EQ(out.mask[i], inside ? 1.f : 0.f) << row << "," << col;
      if (inside)
        ASSERT_NEAR(out.depth[i], 9.f, 1e-5f);
      else
        ASSERT_EQ(out.depth[i], 0.f);
    }
}

TEST(RenderDepthAndMask, BatchUsesEachPortraitsCameraAndChecksInput) {
  const std::vector<float> vertices = {-0.2f, -0.2f, 0.5f, 0.2f, -0.2f, 0.5f, 0.f, 0.3f, 0.5f,
                                       -0.2f, -0.2f, 2.f,  0.2f, -0.2f, 2.f,  0.f, 0.3f, 2.f};
  const std::vector<int32_t> triangles = {0, 1, 2};
  const RenderCamera cameras[2] = {{400.f, 60.f, 64.f}, {300.f, 70.f, 50.f}};
  DepthRenderInput in = depth_input(2, vertices, triangles, cameras);
  in.width = in.height = 128;
  const DepthAndMask out = render_depth_and_mask(in);
  for (int n = 0; n < 2; ++n) {
    // The centroid (0, -1/30, z) projects to (cx, cy - f/(30·(10 - z))) with y up.
    const float z = n == 0 ? 0.5f : 2.f;
    const double u = cameras[n].cx, v = cameras[n].cy - cameras[n].focal / 30.0 / (10 - z);
    const size_t i =
        (static_cast<size_t>(n) * 128 + (127 - static_cast<int>(v))) * 128 + static_cast<int>(u);
    EXPECT_EQ(out.mask[i], 1.f) << n;
    EXPECT_NEAR(out.depth[i], 10.f - z, 1e-5f) << n;
  }
  const std::vector<int32_t> bad = {0, 1, 3};
  in.triangles = bad.data();
  EXPECT_THROW(render_depth_and_mask(in), Error);
  in.triangles = triangles.data();
  const RenderCamera broken[2] = {{0.f, 60.f, 64.f}, {300.f, 70.f, 50.f}};
  in.cameras = broken;
  EXPECT_THROW(render_depth_and_mask(in), Error);
  in.cameras = cameras;
  std::string reason;
  if (!cuda_available(&reason)) {
    EXPECT_THROW(render_depth_and_mask(in, DeviceKind::CUDA), Error);
  }
}

// ---- a face-like mesh (tests/support/raster_scenes.h) ------------------------------------

TEST(Rasterizer, FaceLikeMeshDepthFollowsTheSphereItApproximates) {
  // Every covered pixel's 10 - z equals the ray's hit on the unit sphere the cap was cut
  // from (posed by yaw and shift); the facets deviate from it by ~1e-5 at this density.
  const Scene s = sphere_cap_scene(3, 120, 130, 256);
  const Rendered r = render(s);
  for (int n = 0; n < 3; ++n) {
    const double yaw = 0.25 * (n - 1), shift = 0.1 * n;
    const double c[3] = {std::sin(yaw) * -0.5 + shift, 0, std::cos(yaw) * -0.5};
    const double f = 800 + 40 * n, cx = 128 + n, cy = 126;
    double worst = 0;
    int count = 0;
    for (int iy = 0; iy < 256; ++iy)
      for (int ix = 0; ix < 256; ++ix) {
        const size_t o = out_index(s.p, n, ix, iy);
        if (r.ids[o] < 0) continue;
        ++count;
        // Point (dx·t, dy·t, 10 - t); |p - c|^2 = 1 -> a·t^2 + b·t + k = 0, nearest root.
        const double dx = (ix + 0.5 - cx) / f, dy = (iy + 0.5 - cy) / f;
        const double ez = 10 - c[2];
        const double a = dx * dx + dy * dy + 1;
        const double b = -2 * (dx * c[0] + dy * c[1] + ez);
        const double k = c[0] * c[0] + c[1] * c[1] + ez * ez - 1;
        const double t = (-b - std::sqrt(b * b - 4 * a * k)) / (2 * a);
        worst = std::max(worst, std::fabs(r.attributes[o * 2] - t));
      }
    EXPECT_GT(count, 5000) << n;
    EXPECT_LT(worst, 2e-4) << n;
  }
}

// ---- CUDA against CPU ----------------------------------------------------------------------
// The kernel itself is compared in the agreement table (tests/kernel_agreement_test.cpp:
// identical ids, barycentrics, depth, mask and attributes); here the wrapper on both devices.
TEST(RenderDepthAndMaskCuda, AgreesWithTheCpuBitForBit) {
  P3D_SKIP_WITHOUT_CUDA();
  const Scene s = sphere_cap_scene(2, 100, 100, 256);
  std::vector<RenderCamera> cams = {{800.f, 128.f, 126.f}, {840.f, 129.f, 126.f}};
  const DepthRenderInput in = depth_input(2, s.vertices, s.triangles, cams.data());
  const DepthAndMask c = render_depth_and_mask(in, DeviceKind::CPU);
  const DepthAndMask g = render_depth_and_mask(in, DeviceKind::CUDA);
  EXPECT_EQ(c.mask, g.mask);
  ASSERT_EQ(c.depth.size(), g.depth.size());
  EXPECT_EQ(std::memcmp(c.depth.data(), g.depth.data(), c.depth.size() * sizeof(float)), 0);
}

}  // namespace
}  // namespace p3d
