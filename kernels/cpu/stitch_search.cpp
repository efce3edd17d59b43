// p3d::cpu stitch searches: the ring lookup is a loop around ring_match; the 3D search
// is exact nearest over a uniform grid of the face vertices, built once per call.
// Why a grid and not a kd-tree: the face is a surface of ~36k nearly uniform vertices and
// the queries (1-2k hair boundary vertices) lie next to it, so a grid whose cells hold a few
// vertices answers in one or two shells of cells, with no tree balancing to get right. The
// walk stops only when the nearest unvisited cell is farther than the best distance by a
// margin far above the rounding of the cell assignment, so the result is the exact minimum
// of (d², index) — the same the GPU's brute force returns.
#include "kernels/cpu/stitch_search.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/error.h"

namespace p3d::cpu {
namespace {

constexpr int64_t kRingGrain = 1024;
constexpr int64_t kQueryGrain = 16;
constexpr int32_t kMaxGridSide = 1024;  // cells per axis
constexpr int64_t kCellsPerVertex = 2;  // target cell count 2V: a few vertices per surface cell

struct FaceGrid {
  double origin[3] = {0, 0, 0};
  double cell = 1.0;
  int32_t dims[3] = {1, 1, 1};
  double margin = 0.0;         // slack on the stopping bound, covers cell-assignment rounding
  std::vector<int32_t> start;  // [cells + 1] CSR offsets into ids
  std::vector<int32_t> ids;    // [V] vertex ids grouped by cell, ascending within a cell

  int32_t axis_cell(int a, double x) const {
    const double t = std::floor((x - origin[a]) / cell);
    if (!(t >= 0.0)) return 0;  // also NaN
    return t >= dims[a] - 1 ? dims[a] - 1 : static_cast<int32_t>(t);
  }
  int64_t cell_id(int32_t i, int32_t j, int32_t k) const {
    return (static_cast<int64_t>(k) * dims[1] + j) * dims[0] + i;
  }
};

FaceGrid build_grid(const float* face, int32_t count) {
  FaceGrid g;
  double lo[3], hi[3];
  for (int a = 0; a < 3; ++a) lo[a] = hi[a] = face[a];
  for (int32_t v = 1; v < count; ++v)
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], static_cast<double>(face[3 * v + a]));
      hi[a] = std::max(hi[a], static_cast<double>(face[3 * v + a]));
    }
  // Cell side from the axes that have extent: (their volume / target cells)^(1/axes).
  double volume = 1.0, largest = 0.0;
  int axes = 0;
  for (int a = 0; a < 3; ++a) {
    const double e = hi[a] - lo[a];
    largest = std::max(largest, e);
    if (e > 0.0) {
      volume *= e;
      ++axes;
    }
  }
  const double target = static_cast<double>(kCellsPerVertex) * count;
  g.cell = axes == 0 ? 1.0 : std::pow(volume / target, 1.0 / axes);
  g.cell = std::max(g.cell, largest / (kMaxGridSide - 1));
  if (!(g.cell > 0.0)) g.cell = 1.0;
  double scale = 0.0;
  for (int a = 0; a < 3; ++a) {
    g.origin[a] = lo[a];
    g.dims[a] = static_cast<int32_t>(
        std::min<double>(kMaxGridSide, std::floor((hi[a] - lo[a]) / g.cell) + 1.0));
    scale = std::max({scale, std::fabs(lo[a]), std::fabs(hi[a])});
  }
  g.margin = 1e-9 * (scale + g.cell);
  const int64_t cells = static_cast<int64_t>(g.dims[0]) * g.dims[1] * g.dims[2];
  std::vector<int64_t> cell_of(count);
  g.start.assign(cells + 1, 0);
  for (int32_t v = 0; v < count; ++v) {
    const float* x = face + 3 * static_cast<int64_t>(v);
    cell_of[v] = g.cell_id(g.axis_cell(0, x[0]), g.axis_cell(1, x[1]), g.axis_cell(2, x[2]));
    ++g.start[cell_of[v] + 1];
  }
  for (int64_t c = 0; c < cells; ++c) g.start[c + 1] += g.start[c];
  std::vector<int32_t> fill(g.start.begin(), g.start.end() - 1);
  g.ids.resize(count);
  for (int32_t v = 0; v < count; ++v) g.ids[fill[cell_of[v]]++] = v;
  return g;
}

struct Best {
  double d2 = 0.0;
  int32_t index = -1;
};

void visit_cell(const FaceGrid& g, const float* face, const float* q, int64_t cell, Best* best) {
  for (int32_t k = g.start[cell]; k < g.start[cell + 1]; ++k) {
    const int32_t v = g.ids[k];
    const double d2 = stitch_dist2(q, face + 3 * static_cast<int64_t>(v));
    if (stitch_closer(d2, v, best->d2, best->index)) {
      best->d2 = d2;
      best->index = v;
    }
  }
}

// Visits the cells at Chebyshev distance exactly r from cell c (clipped to the grid).
void visit_shell(const FaceGrid& g, const float* face, const float* q, const int32_t c[3],
                 int32_t r, Best* best) {
  const int32_t x0 = std::max(0, c[0] - r), x1 = std::min(g.dims[0] - 1, c[0] + r);
  const int32_t y0 = std::max(0, c[1] - r), y1 = std::min(g.dims[1] - 1, c[1] + r);
  const int32_t z0 = std::max(0, c[2] - r), z1 = std::min(g.dims[2] - 1, c[2] + r);
  for (int32_t y = y0; y <= y1; ++y)
    for (int32_t x = x0; x <= x1; ++x) {
      if (std::abs(x - c[0]) == r || std::abs(y - c[1]) == r) {
        for (int32_t z = z0; z <= z1; ++z) visit_cell(g, face, q, g.cell_id(x, y, z), best);
      } else {
        if (c[2] - r >= 0) visit_cell(g, face, q, g.cell_id(x, y, c[2] - r), best);
        if (c[2] + r < g.dims[2]) visit_cell(g, face, q, g.cell_id(x, y, c[2] + r), best);
      }
    }
}

int32_t nearest_in_grid(const FaceGrid& g, const float* face, const float* q) {
  const int32_t c[3] = {g.axis_cell(0, q[0]), g.axis_cell(1, q[1]), g.axis_cell(2, q[2])};
  Best best;
  for (int32_t r = 0;; ++r) {
    visit_shell(g, face, q, c, r, &best);
    // Distance from q to the nearest cell outside the visited cube [c - r, c + r].
    double bound = std::numeric_limits<double>::infinity();
    bool outside = false;
    for (int a = 0; a < 3; ++a) {
      if (c[a] - r > 0) {
        outside = true;
        bound = std::min(bound, q[a] - (g.origin[a] + (c[a] - r) * g.cell));
      }
      if (c[a] + r < g.dims[a] - 1) {
        outside = true;
        bound = std::min(bound, g.origin[a] + (c[a] + r + 1) * g.cell - q[a]);
      }
    }
    if (!outside) break;  // every cell visited
    if (best.index >= 0 && bound - g.margin > 0.0 && std::sqrt(best.d2) < bound - g.margin) break;
  }
  return best.index;
}

}  // namespace

void match_ring_to_hair(ThreadPool& pool, const RingMatchParams& p, const RingMatchInputs& in,
                        int32_t* matched) {
  P3D_CHECK(p.height >= 1 && p.width >= 1 && static_cast<int64_t>(p.height) * p.width < (1 << 30),
            "match_ring_to_hair: image size ", p.width, "x", p.height);
  P3D_CHECK(p.ring_count >= 0, "match_ring_to_hair: ring_count ", p.ring_count, " is negative");
  if (p.ring_count == 0) return;
  P3D_CHECK(in.ring_pixels && in.pixel_vertex && matched, "match_ring_to_hair: null pointer");
  pool.parallel_for(p.ring_count, kRingGrain, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) matched[i] = ring_match(p, in, static_cast<int32_t>(i));
  });
}

void nearest_face_vertices(ThreadPool& pool, const NearestFaceParams& p,
                           const NearestFaceInputs& in, int32_t* nearest) {
  P3D_CHECK(p.query_count >= 0, "nearest_face_vertices: query_count ", p.query_count,
            " is negative");
  if (p.query_count == 0) return;
  P3D_CHECK(p.face_count >= 1, "nearest_face_vertices: ", p.query_count,
            " queries but no face vertices");
  P3D_CHECK(in.queries && in.face && nearest, "nearest_face_vertices: null pointer");
  const FaceGrid grid = build_grid(in.face, p.face_count);
  pool.parallel_for(p.query_count, kQueryGrain, [&](int64_t begin, int64_t end, int) {
    for (int64_t q = begin; q < end; ++q)
      nearest[q] = nearest_in_grid(grid, in.face, in.queries + 3 * q);
  });
}

}  // namespace p3d::cpu
