// Builds the synthetic face mesh (see synthetic_face_mesh.h for why an octagon).
#include "pipeline/synthetic_face_mesh.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "kernels/error.h"
#include "pipeline/face_model.h"

namespace p3d {
namespace synthetic {
namespace {

constexpr int kW = FaceMesh::kWidth;
constexpr int kH = FaceMesh::kHeight;
// Corner cuts: lattice points with i + j < cut (measured from each corner) are removed.
constexpr int kCutBottomLeft = 46, kCutBottomRight = 46, kCutTopLeft = 36, kCutTopRight = 37;

bool in_octagon(int i, int j) {
  return i >= 0 && i <= kW && j >= 0 && j <= kH && i + j >= kCutBottomLeft &&
         (kW - i) + j >= kCutBottomRight && i + (kH - j) >= kCutTopLeft &&
         (kW - i) + (kH - j) >= kCutTopRight;
}

// The octagon as half-planes n . p <= h in centred face units (before the warp).
struct HalfPlane {
  double nx, ny, h;
};

std::vector<HalfPlane> octagon_planes(double sx, double sy) {
  // Each lattice constraint alpha*i + beta*j <= gamma, with i = X/sx + W/2, j = Y/sy + H/2.
  struct Lattice {
    double alpha, beta, gamma;
  };
  const Lattice constraints[] = {
      {-1, 0, 0},
      {1, 0, kW},
      {0, -1, 0},
      {0, 1, kH},
      {-1, -1, -kCutBottomLeft},
      {1, -1, kW - kCutBottomRight},
      {-1, 1, kH - kCutTopLeft},
      {1, 1, kW + kH - kCutTopRight},
  };
  std::vector<HalfPlane> planes;
  for (const Lattice& c : constraints) {
    planes.push_back({c.alpha / sx, c.beta / sy, c.gamma - c.alpha * kW / 2.0 - c.beta * kH / 2.0});
  }
  return planes;
}

double octagon_radius(const std::vector<HalfPlane>& planes, double theta) {
  const double dx = std::cos(theta), dy = std::sin(theta);
  double r = 1e30;
  for (const HalfPlane& p : planes) {
    const double along = p.nx * dx + p.ny * dy;
    if (along > 0) r = std::min(r, p.h / along);
  }
  return r;
}

}  // namespace

double FaceOutline::radius(double theta) const {
  const double c = std::fabs(std::cos(theta)), s = std::sin(theta);
  const bool upper = s >= 0;
  const double b = upper ? b_top : b_bottom, p = upper ? 2.0 : p_bottom;
  // f(r) = (r c / a)^2 + (r |s| / b)^p - 1 rises monotonically in r: bisect.
  double lo = 0, hi = 2 * std::max({a, b_top, b_bottom});
  for (int it = 0; it < 60; ++it) {
    const double r = 0.5 * (lo + hi);
    const double f = std::pow(r * c / a, 2.0) + std::pow(r * std::fabs(s) / b, p) - 1;
    (f < 0 ? lo : hi) = r;
  }
  return 0.5 * (lo + hi);
}

double FaceOutline::half_width(double y) const {
  const double t = y >= 0 ? std::pow(y / b_top, 2.0) : std::pow(-y / b_bottom, p_bottom);
  return t >= 1 ? 0.0 : a * std::sqrt(1 - t);
}

double FaceOutline::level(double x, double y) const {
  const double r = std::hypot(x, y);
  return r == 0 ? 0.0 : r / radius(std::atan2(y, x));
}

FaceMesh build_face_mesh(const FaceOutline& outline) {
  FaceMesh mesh;
  // Lattice spacing that already makes the octagon about as wide and tall as the outline,
  // so the radial warp below only rounds the corners.
  const double sx = 2 * outline.a / kW, sy = (outline.b_top + outline.b_bottom) / kH;
  const std::vector<HalfPlane> planes = octagon_planes(sx, sy);

  std::vector<int32_t> id((kW + 1) * (kH + 1), -1);
  for (int j = 0; j <= kH; ++j) {
    for (int i = 0; i <= kW; ++i) {
      if (!in_octagon(i, j)) continue;
      id[j * (kW + 1) + i] = static_cast<int32_t>(mesh.lattice_i.size());
      mesh.lattice_i.push_back(i);
      mesh.lattice_j.push_back(j);
      // Radial warp: scale each ray from the centre so the octagon boundary lands on the
      // outline. A positive per-angle scale keeps every triangle's orientation.
      const double px = (i - kW / 2.0) * sx, py = (j - kH / 2.0) * sy;
      const double theta = std::atan2(py, px);
      const double scale =
          (px == 0 && py == 0) ? 1.0 : outline.radius(theta) / octagon_radius(planes, theta);
      mesh.x.push_back(px * scale);
      mesh.y.push_back(py * scale);
    }
  }
  mesh.vertex_count = static_cast<int>(mesh.lattice_i.size());

  auto vertex = [&](int i, int j) { return id[j * (kW + 1) + i]; };
  for (int j = 0; j < kH; ++j) {
    for (int i = 0; i < kW; ++i) {
      const int32_t a = vertex(i, j), b = vertex(i + 1, j), c = vertex(i + 1, j + 1),
                    d = vertex(i, j + 1);
      // Diagonal parallel to the corner cut of the cell's quadrant: anti-diagonal (b-d)
      // in the bottom-left and top-right quadrants, main diagonal (a-c) elsewhere.
      const bool left = 2 * i + 1 < kW, bottom = 2 * j + 1 < kH;
      int32_t tris[2][3];
      if (left == bottom) {
        const int32_t t0[3] = {a, b, d}, t1[3] = {b, c, d};
        std::copy(t0, t0 + 3, tris[0]);
        std::copy(t1, t1 + 3, tris[1]);
      } else {
        const int32_t t0[3] = {a, b, c}, t1[3] = {a, c, d};
        std::copy(t0, t0 + 3, tris[0]);
        std::copy(t1, t1 + 3, tris[1]);
      }
      for (const auto& t : tris) {
        if (t[0] < 0 || t[1] < 0 || t[2] < 0) continue;  // the half-cell outside a cut
        mesh.triangles.insert(mesh.triangles.end(), t, t + 3);
      }
    }
  }
  mesh.triangle_count = static_cast<int>(mesh.triangles.size() / 3);
  P3D_CHECK(mesh.vertex_count == FaceModel::kVertexCount &&
                mesh.triangle_count == FaceModel::kTriangleCount,
            "synthetic mesh has ", mesh.vertex_count, " vertices and ", mesh.triangle_count,
            " triangles");

  // point_buf: adjacent triangles in ascending order, padded with F (the original's
  // 1-based F+1, its appended zero normal).
  const int width = FaceModel::kPointBufWidth;
  mesh.point_buf.assign(static_cast<size_t>(mesh.vertex_count) * width, mesh.triangle_count);
  std::vector<int> used(mesh.vertex_count, 0);
  for (int f = 0; f < mesh.triangle_count; ++f) {
    for (int k = 0; k < 3; ++k) {
      const int32_t v = mesh.triangles[3 * f + k];
      P3D_CHECK(used[v] < width, "vertex ", v, " has more than ", width, " triangles");
      mesh.point_buf[static_cast<size_t>(v) * width + used[v]++] = f;
    }
  }

  // Rings: the outer ring lies on edges used by one triangle; the second ring are their
  // neighbours not on it.
  std::map<std::pair<int32_t, int32_t>, int> edge_use;
  for (int f = 0; f < mesh.triangle_count; ++f) {
    for (int k = 0; k < 3; ++k) {
      const int32_t u = mesh.triangles[3 * f + k], v = mesh.triangles[3 * f + (k + 1) % 3];
      ++edge_use[{std::min(u, v), std::max(u, v)}];
    }
  }
  std::vector<char> outer(mesh.vertex_count, 0), second(mesh.vertex_count, 0);
  for (const auto& [edge, count] : edge_use) {
    if (count == 1) outer[edge.first] = outer[edge.second] = 1;
  }
  for (const auto& [edge, count] : edge_use) {
    (void)count;
    if (outer[edge.first] && !outer[edge.second]) second[edge.second] = 1;
    if (outer[edge.second] && !outer[edge.first]) second[edge.first] = 1;
  }
  for (int32_t v = 0; v < mesh.vertex_count; ++v) {
    if (outer[v]) mesh.outer_ring.push_back(v);
    if (second[v]) mesh.second_ring.push_back(v);
  }
  return mesh;
}

}  // namespace synthetic
}  // namespace p3d
