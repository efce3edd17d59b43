// Bowyer-Watson with ghost triangles on an integer lattice (see pipeline/delaunay_2d.h).
//
// Storage: triangles as three vertex ids (kInfinite for the vertex at infinity) in
// counter-clockwise order and three neighbour ids, neighbour i across the edge opposite
// vertex i. A ghost triangle (a, b, ∞) lies on the left of a -> b, outside the hull; its
// real neighbour is (b, a, c). Dead triangles are recycled through a free list.
//
// One insertion: (1) walk to a triangle in conflict with p (one containing p, or the ghost
// of a hull edge p sees); (2) grow the conflict region — triangles whose open circumdisk
// holds p — by a depth-first search over neighbours; (3) replace it by the fan of p to the
// region's boundary. With exact predicates the region is connected and p sees every
// boundary edge strictly from inside, so the fan has no degenerate triangle.
#include "pipeline/delaunay_2d.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

#include "kernels/error.h"

namespace p3d {
namespace {

constexpr int32_t kInfinite = -1;

// GCC/Clang 128-bit integers (__extension__: no -Wpedantic noise).
__extension__ typedef __int128 Int128;

// Bit budget: |coordinate differences| <= 2^24, so orientation terms <= 2^48 and their
// difference <= 2^49 (int64); lifts and 2x2 minors <= 2^49, products <= 2^98, the sum of
// three < 2^100 (__int128, 127 bits).
static_assert(kDelaunayLatticeMax <= (int64_t{1} << 24), "incircle bit budget");

int64_t orient(const DelaunayLattice& l, int32_t a, int32_t b, int32_t c) {
  return (l.x[b] - l.x[a]) * (l.y[c] - l.y[a]) - (l.y[b] - l.y[a]) * (l.x[c] - l.x[a]);
}

// > 0 when d lies strictly inside the circle through the counter-clockwise a, b, c.
bool in_circle(const DelaunayLattice& l, int32_t a, int32_t b, int32_t c, int32_t d) {
  const int64_t adx = l.x[a] - l.x[d], ady = l.y[a] - l.y[d];
  const int64_t bdx = l.x[b] - l.x[d], bdy = l.y[b] - l.y[d];
  const int64_t cdx = l.x[c] - l.x[d], cdy = l.y[c] - l.y[d];
  const int64_t alift = adx * adx + ady * ady;
  const int64_t blift = bdx * bdx + bdy * bdy;
  const int64_t clift = cdx * cdx + cdy * cdy;
  const Int128 det = static_cast<Int128>(alift) * (bdx * cdy - cdx * bdy) +
                     static_cast<Int128>(blift) * (cdx * ady - adx * cdy) +
                     static_cast<Int128>(clift) * (adx * bdy - bdx * ady);
  return det > 0;
}

// Hilbert-curve index of (x, y) on a 2^25 grid (the lattice is [0, 2^24]).
uint64_t hilbert_index(uint64_t x, uint64_t y) {
  constexpr uint64_t n = uint64_t{1} << 25;
  uint64_t d = 0;
  for (uint64_t s = n / 2; s > 0; s /= 2) {
    const uint64_t rx = (x & s) ? 1 : 0, ry = (y & s) ? 1 : 0;
    d += s * s * ((3 * rx) ^ ry);
    if (ry == 0) {  // rotate the quadrant so the curve stays connected
      if (rx == 1) {
        x = n - 1 - x;
        y = n - 1 - y;
      }
      std::swap(x, y);
    }
  }
  return d;
}

class Triangulation {
 public:
  explicit Triangulation(const DelaunayLattice& lattice) : l_(lattice) {
    slot_.assign(l_.x.size() + 1, -1);
  }

  // Starts with the counter-clockwise (a, b, c) and its three ghosts.
  void start(int32_t a, int32_t b, int32_t c) {
    const int32_t t = make(a, b, c);
    const int32_t g0 = make(c, b, kInfinite), g1 = make(a, c, kInfinite),
                  g2 = make(b, a, kInfinite);
    set_neighbours(t, g0, g1, g2);
    set_neighbours(g0, g2, g1, t);  // (c, b, ∞): across (b, ∞) is g2, across (∞, c) is g1
    set_neighbours(g1, g0, g2, t);  // (a, c, ∞): across (c, ∞) is g0, across (∞, a) is g2
    set_neighbours(g2, g1, g0, t);  // (b, a, ∞): across (a, ∞) is g1, across (∞, b) is g0
    last_ = t;
  }

  void insert(int32_t p) {
    const int32_t seed = locate(p);
    carve(seed, p);
  }

  // Real triangles, counter-clockwise, in storage order.
  std::vector<int32_t> real_triangles() const {
    std::vector<int32_t> out;
    for (size_t t = 0; t < alive_.size(); ++t) {
      if (!alive_[t] || is_ghost(static_cast<int32_t>(t))) continue;
      out.insert(out.end(), v_.begin() + 3 * t, v_.begin() + 3 * t + 3);
    }
    return out;
  }

 private:
  int32_t make(int32_t a, int32_t b, int32_t c) {
    int32_t t;
    if (!free_.empty()) {
      t = free_.back();
      free_.pop_back();
    } else {
      t = static_cast<int32_t>(alive_.size());
      alive_.push_back(0);
      stamp_.push_back(0);
      v_.resize(v_.size() + 3);
      n_.resize(n_.size() + 3, -1);
    }
    alive_[t] = 1;
    v_[3 * t] = a;
    v_[3 * t + 1] = b;
    v_[3 * t + 2] = c;
    return t;
  }
  void set_neighbours(int32_t t, int32_t n0, int32_t n1, int32_t n2) {
    n_[3 * t] = n0;
    n_[3 * t + 1] = n1;
    n_[3 * t + 2] = n2;
  }
  bool is_ghost(int32_t t) const {
    return v_[3 * t] == kInfinite || v_[3 * t + 1] == kInfinite || v_[3 * t + 2] == kInfinite;
  }

  // Whether p lies in the open circumdisk of t; for a ghost (a, b, ∞): strictly left of
  // a -> b, or on the open segment ab.
  bool conflicts(int32_t t, int32_t p) const {
    const int32_t* v = &v_[3 * t];
    for (int k = 0; k < 3; ++k) {
      if (v[k] != kInfinite) continue;
      const int32_t a = v[(k + 1) % 3], b = v[(k + 2) % 3];
      const int64_t o = orient(l_, a, b, p);
      if (o != 0) return o > 0;
      const int64_t dot_a =
          (l_.x[p] - l_.x[a]) * (l_.x[b] - l_.x[a]) + (l_.y[p] - l_.y[a]) * (l_.y[b] - l_.y[a]);
      const int64_t dot_b =
          (l_.x[p] - l_.x[b]) * (l_.x[a] - l_.x[b]) + (l_.y[p] - l_.y[b]) * (l_.y[a] - l_.y[b]);
      return dot_a > 0 && dot_b > 0;
    }
    return in_circle(l_, v[0], v[1], v[2], p);
  }

  // A triangle in conflict with p: visibility walk from the last new triangle (terminates
  // in a Delaunay triangulation); a scan of all triangles is the never-expected fallback.
  int32_t locate(int32_t p) {
    int32_t t = last_;
    const int64_t step_limit = 4 * static_cast<int64_t>(alive_.size()) + 64;
    for (int64_t step = 0; step < step_limit; ++step) {
      if (is_ghost(t)) return t;  // reached across a hull edge p sees strictly: a conflict
      const int32_t* v = &v_[3 * t];
      int32_t next = -1;
      for (int e = 0; e < 3 && next < 0; ++e) {
        const int i = (e + rotate_) % 3;
        if (orient(l_, v[(i + 1) % 3], v[(i + 2) % 3], p) < 0) next = n_[3 * t + i];
      }
      rotate_ = (rotate_ + 1) % 3;
      if (next < 0) return t;  // p inside or on t: in its open circumdisk (p is no vertex)
      t = next;
    }
    for (size_t s = 0; s < alive_.size(); ++s)
      if (alive_[s] && conflicts(static_cast<int32_t>(s), p)) return static_cast<int32_t>(s);
    P3D_THROW("delaunay_2d: no triangle in conflict with point ", p, " (internal error)");
  }

  struct BoundaryEdge {
    int32_t u, w;     // the edge, oriented as in its cavity triangle
    int32_t outside;  // the triangle beyond it (kept)
  };

  void carve(int32_t seed, int32_t p) {
    ++epoch_;
    cavity_.clear();
    boundary_.clear();
    stack_.assign(1, seed);
    stamp_[seed] = epoch_;
    while (!stack_.empty()) {
      const int32_t t = stack_.back();
      stack_.pop_back();
      cavity_.push_back(t);
      for (int i = 0; i < 3; ++i) {
        const int32_t nb = n_[3 * t + i];
        if (stamp_[nb] == epoch_) continue;
        if (conflicts(nb, p)) {
          stamp_[nb] = epoch_;
          stack_.push_back(nb);
        } else {
          boundary_.push_back({v_[3 * t + (i + 1) % 3], v_[3 * t + (i + 2) % 3], nb});
        }
      }
    }
    for (int32_t t : cavity_) {
      alive_[t] = 0;
      free_.push_back(t);
    }
    // The fan: (u, w, p) per boundary edge, p strictly left of u -> w.
    fan_.clear();
    for (const BoundaryEdge& e : boundary_) {
      const int32_t t = make(e.u, e.w, p);
      n_[3 * t + 2] = e.outside;
      // The outside triangle's slot for this edge: opposite its vertex not on the edge
      // (matching by triangle id could hit a recycled id already written this round).
      for (int j = 0; j < 3; ++j) {
        const int32_t x = v_[3 * e.outside + j];
        if (x != e.u && x != e.w) n_[3 * e.outside + j] = t;
      }
      slot_[e.u + 1] = t;  // +1: the vertex at infinity is -1
      fan_.push_back(t);
    }
    // Around p the boundary is one cycle: (u, w, p) meets (w, x, p) across (w, p).
    for (int32_t t : fan_) {
      const int32_t w = v_[3 * t + 1];
      const int32_t after = slot_[w + 1];
      P3D_CHECK(after >= 0, "delaunay_2d: open cavity boundary at vertex ", w, " (internal error)");
      n_[3 * t] = after;      // across (w, p), opposite u
      n_[3 * after + 1] = t;  // across (p, w) for the next one, opposite its own w
    }
    for (int32_t t : fan_) slot_[v_[3 * t] + 1] = -1;
    last_ = fan_.front();
    for (int32_t t : fan_)
      if (!is_ghost(t)) {
        last_ = t;
        break;
      }
  }

  const DelaunayLattice& l_;
  std::vector<int32_t> v_, n_;
  std::vector<uint8_t> alive_;
  std::vector<uint32_t> stamp_;
  std::vector<int32_t> free_, slot_, cavity_, stack_, fan_;
  std::vector<BoundaryEdge> boundary_;
  uint32_t epoch_ = 0;
  int32_t last_ = 0;
  int rotate_ = 0;
};

}  // namespace

DelaunayLattice delaunay_lattice(const double* xy, int32_t count) {
  P3D_CHECK(count >= 0, "delaunay_2d: point count ", count, " is negative");
  P3D_CHECK(count == 0 || xy != nullptr, "delaunay_2d: no points given for ", count);
  DelaunayLattice l;
  l.x.resize(count);
  l.y.resize(count);
  if (count == 0) return l;
  double lo[2] = {xy[0], xy[1]}, hi[2] = {xy[0], xy[1]};
  for (int32_t i = 0; i < count; ++i)
    for (int a = 0; a < 2; ++a) {
      const double c = xy[2 * static_cast<int64_t>(i) + a];
      if (!std::isfinite(c))
        P3D_THROW("delaunay_2d: point ", i, " has a non-finite coordinate ", c);
      lo[a] = std::min(lo[a], c);
      hi[a] = std::max(hi[a], c);
    }
  const double extent = std::max(hi[0] - lo[0], hi[1] - lo[1]);
  P3D_CHECK(std::isfinite(extent), "delaunay_2d: bounding box too large (", extent, ")");
  l.origin[0] = lo[0];
  l.origin[1] = lo[1];
  // extent = m · 2^e with m in [0.5, 1): extent · 2^(24 - e) < 2^24 and >= 2^23.
  int e = 0;
  if (extent > 0.0) std::frexp(extent, &e);
  l.exponent = extent > 0.0 ? 24 - e : 0;
  for (int32_t i = 0; i < count; ++i) {
    l.x[i] = std::llround(std::ldexp(xy[2 * static_cast<int64_t>(i)] - lo[0], l.exponent));
    l.y[i] = std::llround(std::ldexp(xy[2 * static_cast<int64_t>(i) + 1] - lo[1], l.exponent));
  }
  return l;
}

Delaunay2D delaunay_2d(const double* xy, int32_t count) {
  const DelaunayLattice l = delaunay_lattice(xy, count);
  Delaunay2D out;
  out.duplicate_of.assign(count, -1);
  if (count < 3) {
    if (count == 2 && l.x[0] == l.x[1] && l.y[0] == l.y[1]) out.duplicate_of[1] = 0;
    return out;
  }
  // Duplicates: sort by lattice position, then input order; later equal ones are dropped.
  std::vector<int32_t> ids(count);
  std::iota(ids.begin(), ids.end(), 0);
  std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) {
    if (l.x[a] != l.x[b]) return l.x[a] < l.x[b];
    if (l.y[a] != l.y[b]) return l.y[a] < l.y[b];
    return a < b;
  });
  std::vector<int32_t> order;
  order.reserve(count);
  for (int32_t k = 0; k < count; ++k) {
    const int32_t i = ids[k];
    if (k > 0 && l.x[i] == l.x[ids[k - 1]] && l.y[i] == l.y[ids[k - 1]]) {
      out.duplicate_of[i] =
          out.duplicate_of[ids[k - 1]] >= 0 ? out.duplicate_of[ids[k - 1]] : ids[k - 1];
      continue;
    }
    order.push_back(i);
  }
  // Insertion order: along a Hilbert curve (walks stay short), ties by id.
  std::vector<uint64_t> key(count);
  for (int32_t i : order) key[i] = hilbert_index(l.x[i], l.y[i]);
  std::sort(order.begin(), order.end(),
            [&](int32_t a, int32_t b) { return key[a] != key[b] ? key[a] < key[b] : a < b; });
  if (order.size() < 3) return out;
  // The first triangle: the first two points and the first point off their line.
  size_t third = 2;
  while (third < order.size() && orient(l, order[0], order[1], order[third]) == 0) ++third;
  if (third == order.size()) return out;  // all collinear
  const int32_t c = order[third];
  order.erase(order.begin() + third);
  Triangulation tri(l);
  if (orient(l, order[0], order[1], c) > 0)
    tri.start(order[0], order[1], c);
  else
    tri.start(order[1], order[0], c);
  for (size_t k = 2; k < order.size(); ++k) tri.insert(order[k]);
  out.triangles = tri.real_triangles();
  return out;
}

}  // namespace p3d
