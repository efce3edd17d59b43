// Triangulation of a binary pixel mask built from the pixel grid: the hair/ear "stitch mask"
// triangulation of Deep3dPortrait step2_face_segmentation.py, which lists the mask pixels
// with np.where (row-major), runs scipy.spatial.Delaunay on their (row, col) positions and
// keeps the triangles whose edges are all <= sqrt(5) px (utils/construct_triangles.py
// filter_tri). Every per-pixel formula is a P3D_HD function here, shared by
// kernels/cpu/grid_triangulation.cpp and kernels/cuda/grid_triangulation.cu, which only loop.
//
// Why no Delaunay code: the points are lattice points, and a triangle with all edges
// <= sqrt(5) spans at most 3 rows and 5 columns. Anchored at its first vertex in row-major
// order, its other two vertices are among 10 offsets, which gives exactly 32 non-degenerate
// templates (grid_template). A triangle of mask pixels is Delaunay iff its open
// circumcircle holds no mask pixel; the circumradii of the templates are <= sqrt(10)/2 px,
// so that test looks at a few pixels (each template's disk bounding box is in the table),
// with an exact integer incircle predicate (grid_template_accepted). Since the test depends
// only on which offsets are mask pixels, the table also holds its outcome per offset, and a
// pixel's decision is one 42-bit gather of its 6x7 neighbourhood and two mask tests per
// template. One thread per pixel decides its 32 templates independently of every other
// pixel: a 32-bit mask of accepted templates.
//
// Cocircular sets (a full 2x2 cell; the four pixels around a one-pixel hole): when other
// mask pixels lie on a triangle's circumcircle, Delaunay may pick any triangulation of their
// polygon, and the sqrt(5) filter can then keep different pieces of it. We settle every such
// tie with the symbolic perturbation CGAL's Delaunay_triangulation_2 uses
// (Triangulation_2::side_of_oriented_circle with perturb = true): points later in
// lexicographic (row, col) order — row-major order — count as slightly further out, so the
// perturbed set is in general position and its Delaunay triangulation is unique. Each pixel
// decides alone and the triangles still tile without overlap, and our output equals CGAL's
// triangulation with the filter, triangle for triangle (the test checks it on the seed masks).
// The sqrt(5) filter is implicit: longer triangles are not templates.
//
// Output order (the same on both backends): masks in batch order; within a mask, pixels in
// row-major order; within a pixel, templates in table order. Vertex ids index that mask's
// row-major list of mask pixels (np.where order), 0-based. Triangles are wound
// counter-clockwise in (x = col, y = -row): as seen by a camera looking at the image, y up.
#pragma once

#include <cstdint>

#include "kernels/host_device.h"

namespace p3d {

// Largest mask side accepted (keeps every coordinate product far inside int32).
constexpr int32_t kGridMaxSide = 16384;
// Largest N·H·W: a planar triangulation has < 2 triangles per vertex, so every count and
// offset stays below 2^29 and fits int32 (the CUDA scan runs in int32).
constexpr int64_t kGridMaxPixels = int64_t{1} << 28;
// Templates per anchor pixel: one bit each in a uint32_t.
constexpr int kGridTemplateCount = 32;

struct GridTriangulationParams {
  int32_t batch = 0;   // N masks, each triangulated on its own
  int32_t height = 0;  // H rows per mask, 1..kGridMaxSide
  int32_t width = 0;   // W columns per mask, 1..kGridMaxSide
};

// One template: the anchor p at offset (0, 0), vertex a at (ar, ac), vertex b at (br, bc),
// rows down and columns right; (p, a, b) is counter-clockwise in (x = col, y = -row), i.e.
// ar·bc - ac·br > 0. [r0, r1] x [c0, c1] is the smallest offset box holding every lattice
// point inside or on its circumcircle (the incircle scan window). `forbidden` holds, as
// window bits (grid_window_bit), the offsets whose being a mask pixel rejects the template:
// strictly inside the circumcircle, or on it and inside after the perturbation. It is
// grid_template_accepted's scan evaluated once for every offset (the test rebuilds it from
// the predicates), so the per-pixel work is two mask tests per template.
struct GridTemplate {
  int8_t ar, ac, br, bc;
  int8_t r0, r1, c0, c1;
  uint64_t forbidden;
};

// Template t of the 32 (0 <= t < kGridTemplateCount). The first four are the plain 2x2-cell
// triangles (the four halves of a cell by either diagonal, each anchored at its first
// pixel); the rest bridge across gaps with edges of 2 or sqrt(5) px. A function rather than a
// namespace-scope array so the same table is usable in device code; with the template loop unrolled
// it folds away.
P3D_HD GridTemplate grid_template(int t) {
#if defined(__CUDA_ARCH__)
  // Unrolled callers index it with constants, so nvcc folds the table into immediates.
  constexpr GridTemplate kTable[kGridTemplateCount] = {
#else
  // Static on the host: a plain local array would be rebuilt on every call.
  static constexpr GridTemplate kTable[kGridTemplateCount] = {
#endif
    {1, 0, 0, 1, 0, 1, 0, 1, 0x00000000000ull},
    {1, 1, 0, 1, 0, 1, 0, 1, 0x00001000000ull},
    {1, -1, 1, 0, 0, 1, -1, 0, 0x00000000000ull},
    {1, 0, 1, 1, 0, 1, 0, 1, 0x00000040000ull},
    {1, -1, 0, 1, 0, 3, -1, 2, 0x00183000000ull},
    {1, 2, 0, 1, 0, 3, -1, 2, 0x00183800000ull},
    {2, 0, 0, 1, 0, 2, 0, 1, 0x00003000000ull},
    {2, 1, 0, 1, 0, 2, 0, 1, 0x00083000000ull},
    {1, 0, 0, 2, 0, 1, 0, 2, 0x00002040000ull},
    {1, 1, 0, 2, -1, 1, 0, 2, 0x00000040000ull},
    {1, 2, 0, 2, 0, 1, 0, 2, 0x00003040000ull},
    {2, 1, 0, 2, 0, 2, 0, 2, 0x00007040000ull},
    {1, -2, 1, -1, -2, 1, -3, 0, 0x00000018300ull},
    {1, -2, 1, 0, 0, 1, -2, 0, 0x00000810000ull},
    {1, -2, 2, -1, 0, 2, -2, 0, 0x00001810000ull},
    {1, -2, 2, 0, 0, 2, -2, 0, 0x00041810000ull},
    {1, -1, 1, 1, 0, 2, -1, 1, 0x00001000000ull},
    {1, -1, 2, -1, 0, 3, -1, 2, 0x00187040000ull},
    {1, -1, 2, 0, 0, 2, -1, 1, 0x00003000000ull},
    {1, -1, 2, 1, 0, 2, -1, 1, 0x00083000000ull},
    {1, 0, 1, 2, 0, 1, 0, 2, 0x000020c0000ull},
    {2, -1, 1, 0, -1, 2, -3, 0, 0x00020e1c300ull},
    {1, 0, 2, 1, -1, 2, 0, 3, 0x0000e1c1800ull},
    {1, 1, 1, 2, -2, 1, 0, 3, 0x000001c3c30ull},
    {2, -1, 1, 1, 0, 2, -1, 1, 0x00081800000ull},
    {2, 0, 1, 1, 0, 2, -1, 1, 0x00001800000ull},
    {2, 1, 1, 1, 0, 3, -2, 1, 0x000e1c10000ull},
    {2, 0, 1, 2, 0, 2, 0, 2, 0x00103040000ull},
    {2, 1, 1, 2, 0, 2, 0, 2, 0x00003040000ull},
    {2, -1, 2, 0, 0, 2, -1, 0, 0x00001800000ull},
    {2, -1, 2, 1, 0, 2, -1, 1, 0x00083800000ull},
    {2, 0, 2, 1, 0, 2, 0, 1, 0x00003040000ull},
  };
  return kTable[t];
}

// Templates 0..3 are plain 2x2-cell triangles (for the per-mask statistics).
constexpr int kGridPlainCellTemplates = 4;

// ---- exact integer predicates (offsets in pixels; |offset| <= 4, products tiny) -------

// Twice the signed area of (p, a, b) in (x = col, y = -row): > 0 counter-clockwise.
P3D_HD int32_t grid_orient(int32_t pr, int32_t pc, int32_t ar, int32_t ac, int32_t br, int32_t bc) {
  // x = c, y = -r: (ax - px)(by - py) - (ay - py)(bx - px) = -(ac-pc)(br-pr) + (ar-pr)(bc-pc)
  return (ar - pr) * (bc - pc) - (ac - pc) * (br - pr);
}

// > 0 when q is strictly inside the circle through the counter-clockwise (p, a, b), 0 on
// it, < 0 outside: the classic 3x3 incircle determinant, rows relative to q, in
// (x = col, y = -row). The sign of y does not change |.|², and flipping it is what makes
// the counter-clockwise order above the right one.
P3D_HD int32_t grid_incircle(int32_t pr, int32_t pc, int32_t ar, int32_t ac, int32_t br, int32_t bc,
                             int32_t qr, int32_t qc) {
  const int32_t px = pc - qc, py = qr - pr;
  const int32_t ax = ac - qc, ay = qr - ar;
  const int32_t bx = bc - qc, by = qr - br;
  const int32_t p2 = px * px + py * py, a2 = ax * ax + ay * ay, b2 = bx * bx + by * by;
  return px * (ay * b2 - a2 * by) - py * (ax * b2 - a2 * bx) + p2 * (ax * by - ay * bx);
}

// Is (r, c) a mask pixel? Outside the image is never one.
P3D_HD bool grid_pixel_set(const uint8_t* mask, int32_t height, int32_t width, int32_t r,
                           int32_t c) {
  return r >= 0 && r < height && c >= 0 && c < width &&
         mask[static_cast<int64_t>(r) * width + c] != 0;
}

// Is q, exactly on the circumcircle of the counter-clockwise (p, a, b), inside it once the
// points are perturbed? CGAL's rule: the lexicographically largest of the four decides. If it
// is q, q is outside; if it is b, the sign of orient(p, a, q); if it is a, of orient(p, q, b)
// (p, the anchor, precedes a and b). Four distinct cocircular points have no three collinear,
// so these orientations are never 0 and the rule never falls through to its later terms.
P3D_HD bool grid_perturbed_inside(int32_t pr, int32_t pc, int32_t ar, int32_t ac, int32_t br,
                                  int32_t bc, int32_t qr, int32_t qc) {
  auto later = [](int32_t r0, int32_t c0, int32_t r1, int32_t c1) {
    return r0 > r1 || (r0 == r1 && c0 > c1);
  };
  const bool b_after_a = later(br, bc, ar, ac);
  const int32_t lr = b_after_a ? br : ar, lc = b_after_a ? bc : ac;  // the later of a, b
  if (later(qr, qc, lr, lc)) return false;
  if (b_after_a) return grid_orient(pr, pc, ar, ac, qr, qc) > 0;
  return grid_orient(pr, pc, qr, qc, br, bc) > 0;
}

// Whether template t anchored at mask pixel (r, c) is a triangle of the output: a and b are
// mask pixels and no mask pixel lies strictly inside the circumcircle, or on it and inside
// after the perturbation. The caller has checked that (r, c) itself is a mask pixel.
P3D_HD bool grid_template_accepted(const uint8_t* mask, int32_t height, int32_t width, int32_t r,
                                   int32_t c, const GridTemplate& t) {
  const int32_t ar = r + t.ar, ac = c + t.ac, br = r + t.br, bc = c + t.bc;
  if (!grid_pixel_set(mask, height, width, ar, ac) || !grid_pixel_set(mask, height, width, br, bc))
    return false;
  const int32_t q_r0 = r + t.r0 > 0 ? r + t.r0 : 0;
  const int32_t q_r1 = r + t.r1 < height - 1 ? r + t.r1 : height - 1;
  const int32_t q_c0 = c + t.c0 > 0 ? c + t.c0 : 0;
  const int32_t q_c1 = c + t.c1 < width - 1 ? c + t.c1 : width - 1;
  for (int32_t qr = q_r0; qr <= q_r1; ++qr) {
    const uint8_t* row = mask + static_cast<int64_t>(qr) * width;
    for (int32_t qc = q_c0; qc <= q_c1; ++qc) {
      if (row[qc] == 0) continue;
      if ((qr == r && qc == c) || (qr == ar && qc == ac) || (qr == br && qc == bc)) continue;
      const int32_t s = grid_incircle(r, c, ar, ac, br, bc, qr, qc);
      if (s > 0) return false;  // not Delaunay
      if (s == 0 && grid_perturbed_inside(r, c, ar, ac, br, bc, qr, qc)) return false;
    }
  }
  return true;
}

// The window every template's disk box fits in: rows -2..3, columns -3..3 around the
// anchor, one bit per offset, row-major.
constexpr int kGridWindowRow0 = -2, kGridWindowRows = 6;
constexpr int kGridWindowCol0 = -3, kGridWindowCols = 7;

P3D_HD uint64_t grid_window_bit(int32_t dr, int32_t dc) {
  return uint64_t{1} << ((dr - kGridWindowRow0) * kGridWindowCols + (dc - kGridWindowCol0));
}

// The mask pixels of the window around (r, c) as bits (outside the image: 0).
P3D_HD uint64_t grid_window(const uint8_t* mask, int32_t height, int32_t width, int32_t r,
                            int32_t c) {
  uint64_t bits = 0;
  const bool interior = r + kGridWindowRow0 >= 0 &&
                        r + kGridWindowRow0 + kGridWindowRows <= height &&
                        c + kGridWindowCol0 >= 0 && c + kGridWindowCol0 + kGridWindowCols <= width;
  if (interior) {  // most pixels: no bounds tests
    int bit = 0;
    for (int32_t dr = kGridWindowRow0; dr < kGridWindowRow0 + kGridWindowRows; ++dr) {
      const uint8_t* row = mask + static_cast<int64_t>(r + dr) * width + (c + kGridWindowCol0);
      for (int32_t k = 0; k < kGridWindowCols; ++k, ++bit)
        bits |= static_cast<uint64_t>(row[k] != 0) << bit;
    }
    return bits;
  }
  for (int32_t dr = kGridWindowRow0; dr < kGridWindowRow0 + kGridWindowRows; ++dr)
    for (int32_t dc = kGridWindowCol0; dc < kGridWindowCol0 + kGridWindowCols; ++dc)
      if (grid_pixel_set(mask, height, width, r + dr, c + dc)) bits |= grid_window_bit(dr, dc);
  return bits;
}

// The accepted templates of pixel (r, c) of one mask [H, W] as bits (bit t = template t);
// 0 for a pixel outside the mask. Equal to grid_template_accepted over the 32 templates
// (the test checks it pixel by pixel), from one gather of the window.
P3D_HD uint32_t grid_pixel_templates(const uint8_t* mask, int32_t height, int32_t width, int32_t r,
                                     int32_t c) {
  if (mask[static_cast<int64_t>(r) * width + c] == 0) return 0u;
  const uint64_t window = grid_window(mask, height, width, r, c);
  uint32_t bits = 0u;
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int t = 0; t < kGridTemplateCount; ++t) {
    const GridTemplate g = grid_template(t);
    const uint64_t needed = grid_window_bit(g.ar, g.ac) | grid_window_bit(g.br, g.bc);
    if ((window & needed) == needed && (window & g.forbidden) == 0) bits |= 1u << t;
  }
  return bits;
}

P3D_HD int32_t grid_popcount(uint32_t bits) {
#if defined(__CUDA_ARCH__)
  return __popc(bits);
#else
  return __builtin_popcount(bits);
#endif
}

// ---- buffers -----------------------------------------------------------------------------

// Outputs of a batch, all in the backend's memory. Sizes: pixels = N·H·W; K and F are the
// batch totals (known after the count pass and the scans).
struct GridTriangulationOutputs {
  int32_t* pixel_vertex = nullptr;      // [N, H, W] vertex id within its mask, -1 off the mask
  int32_t* points = nullptr;            // [K, 2] (row, col), masks concatenated
  int32_t* triangles = nullptr;         // [F, 3] vertex ids within their mask, CCW
  int32_t* vertex_offsets = nullptr;    // [N + 1] first vertex of mask n; [N] = K
  int32_t* triangle_offsets = nullptr;  // [N + 1] first triangle of mask n; [N] = F
};

// Per pixel of the batch (index i = (n·H + r)·W + c), between the passes: the template bits
// of the count pass and the exclusive prefix sums of the vertex flags and triangle counts
// over the whole batch.
struct GridTriangulationScratch {
  uint32_t* bits = nullptr;          // [N·H·W]
  int32_t* vertex_scan = nullptr;    // [N·H·W] mask pixels before i in the batch
  int32_t* triangle_scan = nullptr;  // [N·H·W] triangles of pixels before i in the batch
};

// ---- the emit step of one pixel ----------------------------------------------------------

// Writes pixel i's vertex (its id in pixel_vertex, its (row, col) in points) and its
// triangles, with global slots from the scans and ids made local to mask n by subtracting
// the scan at the mask's first pixel. The ids of a and b are their own scan entries (a and
// b are mask pixels of the same mask: the template accepted them).
P3D_HD void grid_emit_pixel(const GridTriangulationParams& p, const uint8_t* masks,
                            const GridTriangulationScratch& s, const GridTriangulationOutputs& out,
                            int64_t i) {
  const int64_t image_pixels = static_cast<int64_t>(p.height) * p.width;
  const int64_t n = i / image_pixels;
  const int64_t in_image = i - n * image_pixels;
  const int32_t r = static_cast<int32_t>(in_image / p.width);
  const int32_t c = static_cast<int32_t>(in_image - static_cast<int64_t>(r) * p.width);
  const int64_t base = n * image_pixels;
  if (masks[i] == 0) {
    out.pixel_vertex[i] = -1;
    return;
  }
  const int32_t first = s.vertex_scan[base];
  const int32_t id = s.vertex_scan[i] - first;
  out.pixel_vertex[i] = id;
  out.points[2 * static_cast<int64_t>(s.vertex_scan[i])] = r;
  out.points[2 * static_cast<int64_t>(s.vertex_scan[i]) + 1] = c;
  uint32_t bits = s.bits[i];
  int64_t slot = s.triangle_scan[i];
  while (bits != 0u) {
#if defined(__CUDA_ARCH__)
    const int t = __ffs(bits) - 1;
#else
    const int t = __builtin_ctz(bits);
#endif
    bits &= bits - 1u;
    const GridTemplate g = grid_template(t);
    const int64_t a = base + static_cast<int64_t>(r + g.ar) * p.width + (c + g.ac);
    const int64_t b = base + static_cast<int64_t>(r + g.br) * p.width + (c + g.bc);
    int32_t* tri = out.triangles + 3 * slot;
    tri[0] = id;
    tri[1] = s.vertex_scan[a] - first;
    tri[2] = s.vertex_scan[b] - first;
    ++slot;
  }
}

// Host-boundary check of the sizes (kernels/cpu/grid_triangulation.cpp), throwing p3d::Error.
void check_grid_triangulation_params(const GridTriangulationParams& p);

}  // namespace p3d
