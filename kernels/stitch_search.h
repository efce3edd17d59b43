// The two nearest-neighbour searches of the face/hair stitch (step 4 of the original,
// utils/construct_triangles.py find_boundary_ind), written once as P3D_HD math shared by the
// CPU twin (kernels/cpu/stitch_search.cpp) and the CUDA twin (kernels/cuda/stitch_search.cu):
//
//   (a) ring pixel -> nearest hair/ear pixel, kept when the distance is < 2 pixels. The
//       original asks a kd-tree (sklearn NearestNeighbors) over the hair pixels' integer
//       (row, col). Integer offsets with dr² + dc² < 4 are only those with |dr|, |dc| <= 1
//       (d² in {0, 1, 2}; (±2, 0) already gives 4), so a lookup of the 3x3 window in the
//       pixel -> vertex map of the image answers it exactly in constant time.
//   (b) hair boundary vertex -> nearest face vertex in 3D (the original's second kd-tree).
//
// Ties. With integer pixel coordinates (a) ties constantly (a ring pixel next to two hair
// pixels at distance 1), and the kd-tree's pick depends on its build. We define the winner
// as the smallest squared distance, then the smallest vertex index; the oracle
// (tools/oracle/stitch.py) uses the same rule, so do both backends. (b) uses the same rule.
//
// Exactness. Squared 3D distances are computed in double from the float32 coordinates as
// ((dx·dx + dy·dy) + dz·dz), every product rounded before the addition (no FMA
// contraction), which is what numpy computes in float64. The minimum of the total order
// (d², index) is unique, so any search order — a kd-tree search on the CPU, a block reduction
// on the GPU — returns the same index.
#pragma once

#include <cstdint>

#include "kernels/exact_float.h"
#include "kernels/host_device.h"

namespace p3d {

// A ring pixel whose nearest hair pixel is this far or farther is dropped (find_boundary_ind
// keeps dist < 2). Only offsets in the 3x3 window can be closer.
constexpr int32_t kStitchRingRadius = 1;
// Marks "no hair pixel within reach" in ring matches and "no hair pixel" in the pixel map.
constexpr int32_t kStitchNone = -1;

// ---- (a) ring pixel -> hair vertex ------------------------------------------------------

struct RingMatchParams {
  int32_t height = 0;      // H rows of the image (the original: 256)
  int32_t width = 0;       // W columns
  int32_t ring_count = 0;  // R ring pixels to match
};

// Inputs in the backend's memory.
struct RingMatchInputs {
  const int32_t* ring_pixels = nullptr;   // [R] linear pixel ids row·W + col, row-major order
  const int32_t* pixel_vertex = nullptr;  // [H·W] hair/ear vertex id of each pixel, or -1
};

// The hair vertex nearest to ring pixel (row, col) with distance < 2, smallest index among
// equidistant ones; kStitchNone when there is none.
P3D_HD int32_t ring_nearest_hair(const int32_t* pixel_vertex, int32_t height, int32_t width,
                                 int32_t row, int32_t col) {
  int32_t best = kStitchNone;
  int32_t best_d2 = 0;
  for (int32_t dr = -kStitchRingRadius; dr <= kStitchRingRadius; ++dr) {
    const int32_t r = row + dr;
    if (r < 0 || r >= height) continue;
    for (int32_t dc = -kStitchRingRadius; dc <= kStitchRingRadius; ++dc) {
      const int32_t c = col + dc;
      if (c < 0 || c >= width) continue;
      const int32_t v = pixel_vertex[static_cast<int64_t>(r) * width + c];
      if (v < 0) continue;
      const int32_t d2 = dr * dr + dc * dc;
      if (best < 0 || d2 < best_d2 || (d2 == best_d2 && v < best)) {
        best = v;
        best_d2 = d2;
      }
    }
  }
  return best;
}

// Match of ring pixel i (a corrupt pixel id gives kStitchNone rather than a stray read).
P3D_HD int32_t ring_match(const RingMatchParams& p, const RingMatchInputs& in, int32_t i) {
  const int32_t pixel = in.ring_pixels[i];
  if (pixel < 0 || pixel >= p.height * p.width) return kStitchNone;
  return ring_nearest_hair(in.pixel_vertex, p.height, p.width, pixel / p.width, pixel % p.width);
}

// ---- (b) hair vertex -> nearest face vertex in 3D ---------------------------------------

struct NearestFaceParams {
  int32_t query_count = 0;  // Q hair boundary vertices
  int32_t face_count = 0;   // V face vertices (35709 for the real model); >= 1 when Q > 0
};

// Inputs in the backend's memory.
struct NearestFaceInputs {
  const float* queries = nullptr;  // [Q, 3] positions
  const float* face = nullptr;     // [V, 3] positions
};

// Squared distance of two float32 points, numpy's float64 order: (dx² + dy²) + dz², each
// product rounded before the additions (exact_mul: no FMA on either backend).
P3D_HD double stitch_dist2(const float* a, const float* b) {
  const double dx = static_cast<double>(a[0]) - static_cast<double>(b[0]);
  const double dy = static_cast<double>(a[1]) - static_cast<double>(b[1]);
  const double dz = static_cast<double>(a[2]) - static_cast<double>(b[2]);
  return (exact_mul(dx, dx) + exact_mul(dy, dy)) + exact_mul(dz, dz);
}

// The tie rule as a total order: nearer first, then the smaller index.
P3D_HD bool stitch_closer(double d2, int32_t index, double best_d2, int32_t best_index) {
  return best_index < 0 || d2 < best_d2 || (d2 == best_d2 && index < best_index);
}

}  // namespace p3d
