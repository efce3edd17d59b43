// The synthetic face model (see synthetic_face_model.h): height field, colours, keypoints,
// bases and the auxiliaries over the octagon mesh of synthetic_face_mesh.h.
#include "pipeline/synthetic_face_model.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "kernels/error.h"
#include "pipeline/synthetic_face_mesh.h"

namespace p3d {
namespace {

using synthetic::FaceMesh;
using synthetic::FaceOutline;

constexpr double kPi = 3.14159265358979323846;

// Uniform and normal draws computed from mt19937's standardised output, because
// std::uniform_real_distribution and std::normal_distribution differ between libraries.
class Random {
 public:
  explicit Random(uint32_t seed) : gen_(seed) {}
  double uniform() { return (static_cast<double>(gen_()) + 0.5) / 4294967296.0; }  // (0, 1)
  double normal() {
    const double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * kPi * u2);
  }
  int integer(int max_inclusive) {
    return std::min(max_inclusive, static_cast<int>(uniform() * (max_inclusive + 1)));
  }

 private:
  std::mt19937 gen_;
};

double bump(double dx, double dy, double sx, double sy) {
  return std::exp(-0.5 * ((dx / sx) * (dx / sx) + (dy / sy) * (dy / sy)));
}

// Depth of the mean face at (x, y), in model units (decimetres), towards the camera.
double face_depth(const FaceOutline& outline, double x, double y) {
  // Cross-section: flat at the midline, curving back towards the sides; flatter and then
  // sharper (higher power, deeper) across the brows and forehead than across the jaw.
  // Dividing by a smooth max of the outline half-width and 0.45 keeps the curve finite
  // where the outline narrows at the forehead top and under the chin.
  const double hw = outline.half_width(y);
  const double width = std::pow(std::pow(hw, 4) + std::pow(0.45, 4), 0.25);
  const double u = std::min(std::fabs(x) / width, 1.0);
  const double t = std::clamp((y + 0.2) / 0.7, 0.0, 1.0), upper = t * t * (3 - 2 * t);
  const double power = 2 + 2 * upper, depth = 2 + upper;
  const double side = -depth * (1 - std::sqrt(1 - 0.94 * std::pow(u, power)));
  // Vertical profile: the forehead leans back above the brows, the chin curls under.
  const double above = std::max(0.0, y - 0.4), below = std::max(0.0, -0.65 - y);
  const double profile = 0.33 - 0.9 * above * above - 6.0 * below * below;
  // Nose: a ridge from between the eyes down to the tip at y = -0.04, widening at the base.
  double ridge;
  if (y > 0.35) {
    ridge = 0.03 * std::exp(-std::pow((y - 0.35) / 0.08, 2));
  } else if (y >= -0.04) {
    ridge = 0.03 + 0.19 * std::pow((0.35 - y) / 0.39, 1.5);
  } else {
    ridge = 0.22 * std::exp(-std::pow((y + 0.04) / 0.07, 2));
  }
  const double ridge_width = 0.045 + 0.05 * std::clamp((0.35 - y) / 0.45, 0.0, 1.0);
  const double nose = ridge * std::exp(-0.5 * x * x / (ridge_width * ridge_width)) +
                      0.04 * bump(std::fabs(x) - 0.10, y + 0.12, 0.04, 0.04);
  const double ax = std::fabs(x);
  const double features = -0.12 * bump(ax - 0.27, y - 0.29, 0.10, 0.06)   // eye sockets
                          + 0.03 * bump(ax - 0.36, y - 0.47, 0.16, 0.05)  // brow ridges
                          + 0.04 * bump(ax - 0.42, y - 0.05, 0.15, 0.15)  // cheekbones
                          + 0.05 * bump(x, y + 0.37, 0.20, 0.08);         // lips
  return side + profile + nose + features;
}

// A smooth random field over the mesh: a few separable cosines in lattice coordinates
// with integer frequencies up to `max_freq` (higher bases get finer detail).
std::vector<double> smooth_field(Random& rng, const FaceMesh& mesh, int max_freq) {
  constexpr int kTerms = 4;
  std::vector<double> field(mesh.vertex_count, 0.0);
  std::vector<double> cx(FaceMesh::kWidth + 1), cy(FaceMesh::kHeight + 1);
  for (int t = 0; t < kTerms; ++t) {
    const double amplitude = rng.normal();
    const int fx = rng.integer(max_freq), fy = rng.integer(max_freq);
    const double px = 2 * kPi * rng.uniform(), py = 2 * kPi * rng.uniform();
    for (int i = 0; i <= FaceMesh::kWidth; ++i)
      cx[i] = std::cos(kPi * fx * i / FaceMesh::kWidth + px);
    for (int j = 0; j <= FaceMesh::kHeight; ++j)
      cy[j] = std::cos(kPi * fy * j / FaceMesh::kHeight + py);
    for (int v = 0; v < mesh.vertex_count; ++v)
      field[v] += amplitude * cx[mesh.lattice_i[v]] * cy[mesh.lattice_j[v]];
  }
  return field;
}

// Fills a [3N x dims] basis: column k is an xyz (or RGB) smooth field times `weight`,
// scaled so its RMS entry is magnitude(k).
template <typename Magnitude>
std::vector<float> smooth_basis(Random& rng, const FaceMesh& mesh, int dims,
                                const std::vector<double>& weight, Magnitude magnitude) {
  const size_t n = static_cast<size_t>(mesh.vertex_count);
  std::vector<float> basis(3 * n * dims);
  for (int k = 0; k < dims; ++k) {
    std::vector<double> fields[3];
    double sum_sq = 0;
    for (int c = 0; c < 3; ++c) {
      fields[c] = smooth_field(rng, mesh, 1 + k / 10);
      for (size_t v = 0; v < n; ++v) {
        fields[c][v] *= weight[v];
        sum_sq += fields[c][v] * fields[c][v];
      }
    }
    const double scale = magnitude(k) / std::sqrt(std::max(sum_sq / (3.0 * n), 1e-30));
    for (size_t v = 0; v < n; ++v) {
      for (int c = 0; c < 3; ++c)
        basis[(3 * v + c) * dims + k] = static_cast<float>(fields[c][v] * scale);
    }
  }
  return basis;
}

struct Point {
  double x, y;
};

// The 68 standard landmark positions (iBUG order) in the face plane.
std::vector<Point> landmark_targets() {
  std::vector<Point> out;
  // 1-17 jaw: a U from beside the right eye (image left, widest there) down to the chin
  // and up to beside the left eye, inside the outline.
  for (int k = 0; k < 17; ++k) {
    const double phi = kPi * k / 16.0;
    const double c = std::cos(phi);
    const double x = -0.73 * std::copysign(std::pow(std::fabs(c), 0.8), c);
    out.push_back({x, 0.22 - 1.045 * std::sin(phi)});
  }
  // 18-22 and 23-27 brows: arches from outer to inner, mirrored.
  for (int side = -1; side <= 1; side += 2) {
    for (int k = 0; k < 5; ++k) {
      const double t = side < 0 ? k / 4.0 : 1 - k / 4.0;  // 0 at the outer end
      out.push_back({side * (0.57 - 0.38 * t), 0.44 + 0.075 * std::sin(kPi * t)});
    }
  }
  // 28-31 nose ridge, 32-36 nostrils.
  for (double y : {0.30, 0.18, 0.06, -0.045}) out.push_back({0.0, y});
  for (int k = -2; k <= 2; ++k) out.push_back({0.06 * k, -0.16 + 0.01 * std::abs(k)});
  // 37-42 and 43-48 eyes: left corner, two upper, right corner, two lower (clockwise in
  // the image).
  for (int side = -1; side <= 1; side += 2) {
    for (double deg : {180.0, 120.0, 60.0, 0.0, -60.0, -120.0}) {
      const double phi = deg * kPi / 180;
      const double hh = std::sin(phi) >= 0 ? 0.035 : 0.03;
      out.push_back({side * 0.31 + 0.12 * std::cos(phi), 0.30 + hh * std::sin(phi)});
    }
  }
  // 49-60 outer lips from the left corner over the top; 61-68 inner lips likewise. The
  // powers flatten the ellipses towards the corners, as lips are.
  for (int k = 0; k < 12; ++k) {
    const double phi = kPi - k * kPi / 6;
    const double c = std::cos(phi), hh = std::sin(phi) >= 0 ? 0.085 : 0.08;
    out.push_back({0.25 * std::copysign(c * c, c), -0.37 + hh * std::sin(phi)});
  }
  for (int k = 0; k < 8; ++k) {
    const double phi = kPi - k * kPi / 4;
    out.push_back({0.23 * std::pow(std::cos(phi), 3), -0.36 + 0.015 * std::sin(phi)});
  }
  return out;
}

// Nearest vertex in the face plane to each target, never the same vertex twice.
std::vector<int32_t> nearest_vertices(const FaceMesh& mesh, const std::vector<Point>& targets) {
  std::vector<int32_t> out;
  std::vector<char> taken(mesh.vertex_count, 0);
  for (const Point& p : targets) {
    int32_t best = -1;
    double best_d = 1e30;
    for (int32_t v = 0; v < mesh.vertex_count; ++v) {
      const double d = std::hypot(mesh.x[v] - p.x, mesh.y[v] - p.y);
      if (!taken[v] && d < best_d) best_d = d, best = v;
    }
    taken[best] = 1;
    out.push_back(best);
  }
  return out;
}

// 932 border vertices: the whole outer ring plus the second-ring vertices nearest (in
// angle) to the top of the head, where the original's border meets the hair.
std::vector<int32_t> border_vertices(const FaceMesh& mesh) {
  const size_t want = FaceModel::kBorderCount;
  P3D_CHECK(
      mesh.outer_ring.size() <= want && mesh.outer_ring.size() + mesh.second_ring.size() >= want,
      "synthetic border rings have ", mesh.outer_ring.size(), " + ", mesh.second_ring.size(),
      " vertices");
  std::vector<std::pair<double, int32_t>> inner;
  for (int32_t v : mesh.second_ring) {
    const double from_top =
        std::fabs(std::remainder(std::atan2(mesh.y[v], mesh.x[v]) - kPi / 2, 2 * kPi));
    inner.push_back({from_top, v});
  }
  std::sort(inner.begin(), inner.end());
  std::vector<int32_t> out = mesh.outer_ring;
  for (size_t k = 0; out.size() < want; ++k) out.push_back(inner[k].second);
  std::sort(out.begin(), out.end());
  return out;
}

// Colour of the mean face (RGB, 0..255): skin, darker brows, eyes and lips.
void mean_colour(double x, double y, float rgb[3]) {
  const double ax = std::fabs(x);
  struct Region {
    double weight, r, g, b;
  };
  const Region regions[] = {
      {bump(x, y + 0.37, 0.16, 0.06), 165, 85, 85},          // lips
      {bump(ax - 0.36, y - 0.47, 0.12, 0.03), 85, 65, 55},   // brows
      {bump(ax - 0.31, y - 0.30, 0.09, 0.03), 110, 90, 80},  // eyes
  };
  double c[3] = {192, 142, 118};
  for (const Region& reg : regions) {
    const double w = std::min(1.0, reg.weight);
    c[0] += w * (reg.r - c[0]), c[1] += w * (reg.g - c[1]), c[2] += w * (reg.b - c[2]);
  }
  for (int k = 0; k < 3; ++k) rgb[k] = static_cast<float>(c[k]);
}

bool in_ellipse(double dx, double dy, double rx, double ry) {
  return (dx / rx) * (dx / rx) + (dy / ry) * (dy / ry) < 1;
}

}  // namespace

FaceModel generate_synthetic_face_model(uint32_t seed) {
  const FaceOutline outline;
  const FaceMesh mesh = synthetic::build_face_mesh(outline);
  const size_t n = static_cast<size_t>(mesh.vertex_count);
  Random rng(seed);

  FaceModel m;
  m.vertex_count = mesh.vertex_count;
  m.triangle_count = mesh.triangle_count;
  m.triangles = mesh.triangles;
  m.point_buf = mesh.point_buf;

  // Mean shape and colour, with a small seeded smooth perturbation so seeds differ.
  const std::vector<double> shape_noise = smooth_field(rng, mesh, 2);
  std::vector<double> colour_noise[3];
  for (auto& field : colour_noise) field = smooth_field(rng, mesh, 3);
  m.mean_shape.resize(3 * n);
  m.mean_tex.resize(3 * n);
  for (size_t v = 0; v < n; ++v) {
    const double x = mesh.x[v], y = mesh.y[v];
    m.mean_shape[3 * v + 0] = static_cast<float>(x);
    m.mean_shape[3 * v + 1] = static_cast<float>(y);
    m.mean_shape[3 * v + 2] =
        static_cast<float>(face_depth(outline, x, y) + 0.005 * shape_noise[v]);
    mean_colour(x, y, &m.mean_tex[3 * v]);
    for (int c = 0; c < 3; ++c) {
      const double value = m.mean_tex[3 * v + c] + 4.0 * colour_noise[c][v];
      m.mean_tex[3 * v + c] = static_cast<float>(std::clamp(value, 0.0, 255.0));
    }
  }

  // Bases: magnitudes per unit coefficient decay with the index, roughly like BFM's
  // (identity ~ millimetres, expression concentrated on the lower face, texture ~ tens of
  // colour levels).
  const std::vector<double> uniform_weight(n, 1.0);
  std::vector<double> lower_face(n);
  for (size_t v = 0; v < n; ++v)
    lower_face[v] = 0.25 + 0.75 * bump(mesh.x[v], mesh.y[v] + 0.4, 0.45, 0.3);
  m.id_base = smooth_basis(rng, mesh, FaceModel::kIdDims, uniform_weight,
                           [](int k) { return 0.025 * std::pow(k + 1.0, -0.75); });
  m.exp_base = smooth_basis(rng, mesh, FaceModel::kExpDims, lower_face,
                            [](int k) { return 0.02 * std::pow(k + 1.0, -0.9); });
  m.tex_base = smooth_basis(rng, mesh, FaceModel::kTexDims, uniform_weight,
                            [](int k) { return 25.0 * std::pow(k + 1.0, -0.6); });

  // Keypoints and the standard landmarks taken from the mean shape at them.
  m.keypoints = nearest_vertices(mesh, landmark_targets());
  m.similarity_lm3d.resize(3 * FaceModel::kKeypointCount);
  for (int k = 0; k < FaceModel::kKeypointCount; ++k) {
    for (int c = 0; c < 3; ++c) m.similarity_lm3d[3 * k + c] = m.mean_shape[3 * m.keypoints[k] + c];
  }
  // Head centre: where the real one sits relative to the real landmarks: their mean x
  // and z, and 0.07 below the eyes' mean height.
  double mean[3] = {0, 0, 0}, eye_y = 0;
  for (int k = 0; k < FaceModel::kKeypointCount; ++k) {
    for (int c = 0; c < 3; ++c) mean[c] += m.similarity_lm3d[3 * k + c] / FaceModel::kKeypointCount;
    if (k >= 36 && k < 48) eye_y += m.similarity_lm3d[3 * k + 1] / 12.0;
  }
  m.head_center[0] = static_cast<float>(mean[0]);
  m.head_center[1] = static_cast<float>(eye_y - 0.07);
  m.head_center[2] = static_cast<float>(mean[2]);
  m.border_index = border_vertices(mesh);

  // Training extras, so the file has every variable the original's has: the front region
  // (inside 85% of the outline) and its sub-mesh, and a skin mask without eyes, brows and
  // mouth.
  std::vector<int32_t> position(n, -1);
  for (size_t v = 0; v < n; ++v) {
    const double x = mesh.x[v], y = mesh.y[v], ax = std::fabs(x);
    const double level = outline.level(x, y);
    if (level < 0.85) {
      position[v] = static_cast<int32_t>(m.frontmask2_idx.size());
      m.frontmask2_idx.push_back(static_cast<int32_t>(v));
    }
    const bool feature = in_ellipse(ax - 0.31, y - 0.30, 0.17, 0.09) ||
                         in_ellipse(ax - 0.37, y - 0.48, 0.2, 0.07) ||
                         in_ellipse(x, y + 0.37, 0.3, 0.14);
    m.skinmask.push_back(level < 0.8 && !feature ? 1 : 0);
  }
  for (int f = 0; f < m.triangle_count; ++f) {
    const int32_t* t = &m.triangles[3 * f];
    if (position[t[0]] < 0 || position[t[1]] < 0 || position[t[2]] < 0) continue;
    for (int k = 0; k < 3; ++k) m.tri_mask2.push_back(position[t[k]]);
  }

  validate_face_model(m, "synthetic face model");
  return m;
}

}  // namespace p3d
