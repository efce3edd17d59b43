// p3d::cpu stitch searches: the ring lookup is a loop around ring_match; the 3D search is
// exact nearest over a kd-tree of the face vertices of our own, built once per call.
// Why a kd-tree: a uniform grid answers queries next to the face surface in a shell or
// two, but hair vertices can sit well off the face (hairline, ears), where a grid walks
// many empty shells (measured ~50 us a query); the tree's cost barely depends on the
// distance. Exactness: a subtree is skipped only when its splitting plane is farther than
// the best distance by a relative margin far above the rounding of the double distances,
// so every vertex that could tie or win is compared, and the result is the exact minimum
// of (d², index), the same the GPU's brute force returns.
#include "kernels/cpu/stitch_search.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/error.h"

namespace p3d::cpu {
namespace {

constexpr int64_t kRingGrain = 1024;
constexpr int64_t kQueryGrain = 16;
constexpr int32_t kLeafSize = 8;
// A far subtree is skipped when plane_distance² · (1 - this) > best d²: its points' double
// distances (three rounded squares and two rounded sums, relative error < 2^-50) cannot
// reach best d² then, so no tie is missed.
constexpr double kPruneSlack = 1e-12;

struct KdNode {
  int32_t begin, end;   // range of ids_ under the node
  int32_t left, right;  // children (-1: leaf)
  int32_t dim;          // split axis
  double split;         // coordinate of the split: left <= split <= right
};

// The vertices are copied into tree order (position and id side by side) so that the
// build's partitions and the leaves' scans run over contiguous memory.
class FaceKdTree {
 public:
  FaceKdTree(const float* face, int32_t count) : points_(count) {
    for (int32_t v = 0; v < count; ++v) {
      for (int a = 0; a < 3; ++a) points_[v].x[a] = face[3 * static_cast<int64_t>(v) + a];
      points_[v].id = v;
    }
    nodes_.reserve(2 * (count / kLeafSize + 1));
    build(0, count);
  }

  int32_t nearest(const float* q) const {
    double best_d2 = 0.0;
    int32_t best = -1;
    search(0, q, &best_d2, &best);
    return best;
  }

 private:
  struct Point {
    float x[3];
    int32_t id;
  };

  int32_t build(int32_t begin, int32_t end) {
    const int32_t id = static_cast<int32_t>(nodes_.size());
    nodes_.push_back({begin, end, -1, -1, 0, 0.0});
    if (end - begin <= kLeafSize) return id;
    float lo[3], hi[3];
    for (int a = 0; a < 3; ++a) lo[a] = hi[a] = points_[begin].x[a];
    for (int32_t k = begin + 1; k < end; ++k)
      for (int a = 0; a < 3; ++a) {
        lo[a] = std::min(lo[a], points_[k].x[a]);
        hi[a] = std::max(hi[a], points_[k].x[a]);
      }
    int dim = 0;
    for (int a = 1; a < 3; ++a)
      if (double{hi[a]} - lo[a] > double{hi[dim]} - lo[dim]) dim = a;
    if (hi[dim] == lo[dim]) return id;  // all equal: a leaf, however large
    // Split at the middle of the box (one partition pass, cheaper than a median); when
    // rounding leaves a side empty, at the median instead.
    double split = 0.5 * (double{lo[dim]} + hi[dim]);
    auto first = points_.begin() + begin, last = points_.begin() + end;
    int32_t mid = static_cast<int32_t>(
        std::partition(first, last, [&](const Point& a) { return a.x[dim] < split; }) -
        points_.begin());
    if (mid == begin || mid == end) {
      mid = begin + (end - begin) / 2;
      std::nth_element(first, points_.begin() + mid, last,
                       [dim](const Point& a, const Point& b) { return a.x[dim] < b.x[dim]; });
      split = points_[mid].x[dim];
    }
    const int32_t left = build(begin, mid);
    const int32_t right = build(mid, end);
    nodes_[id].left = left;
    nodes_[id].right = right;
    nodes_[id].dim = dim;
    nodes_[id].split = split;
    return id;
  }

  void search(int32_t node, const float* q, double* best_d2, int32_t* best) const {
    const KdNode& n = nodes_[node];
    if (n.left < 0) {
      for (int32_t k = n.begin; k < n.end; ++k) {
        const double d2 = stitch_dist2(q, points_[k].x);
        if (stitch_closer(d2, points_[k].id, *best_d2, *best)) {
          *best_d2 = d2;
          *best = points_[k].id;
        }
      }
      return;
    }
    const double diff = static_cast<double>(q[n.dim]) - n.split;
    const int32_t near = diff < 0 ? n.left : n.right, far = diff < 0 ? n.right : n.left;
    search(near, q, best_d2, best);
    if (*best < 0 || diff * diff * (1.0 - kPruneSlack) <= *best_d2) search(far, q, best_d2, best);
  }

  std::vector<Point> points_;
  std::vector<KdNode> nodes_;
};

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
  const FaceKdTree tree(in.face, p.face_count);
  pool.parallel_for(p.query_count, kQueryGrain, [&](int64_t begin, int64_t end, int) {
    for (int64_t q = begin; q < end; ++q) nearest[q] = tree.nearest(in.queries + 3 * q);
  });
}

}  // namespace p3d::cpu
