// The synthetic demo portrait (synthetic_portrait.h): painter's order back to front —
// background, hair behind the head, ears, the rendered face, the fringe over the forehead.
#include "pipeline/synthetic_portrait.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "kernels/error.h"
#include "pipeline/atomic_file.h"
#include "pipeline/mat_file.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;

// The scene (decimetres, y up; the face's mean vertex at the origin).
constexpr double kFocalPerPixel = 1100.0 / 512;  // focal / photo size
constexpr double kViewCentreY = 0.3;             // world y at the photo's centre
constexpr double kHairCentre[2] = {0.0, 0.36}, kHairRadii[2] = {1.2, 1.34};
constexpr double kHairBottom = -0.5;  // short hair: none below the ears' lower ends
constexpr double kNeckHalfWidth = 0.52, kNeckTop = -0.55;
constexpr double kShoulderCentreY = -2.55, kShoulderRadii[2] = {2.1, 0.8};
constexpr double kEarCentre[2] = {0.93, 0.02}, kEarRadii[2] = {0.17, 0.32};
constexpr double kFringeY = 0.70;  // world y above which hair covers the forehead

constexpr uint8_t kBackground = 0, kFace = 1, kHair = 2, kLeftEar = 3, kRightEar = 4;

struct Rgb {
  double r, g, b;
};
constexpr Rgb kHairColour = {88, 58, 40};
constexpr Rgb kEarColour = {200, 146, 120};

void put(ImageU8& img, size_t pixel, Rgb c, double shade) {
  uint8_t* p = img.data() + 3 * pixel;
  auto level = [&](double v) {
    return static_cast<uint8_t>(std::clamp(std::lround(v * shade), 0L, 255L));
  };
  p[0] = level(c.b), p[1] = level(c.g), p[2] = level(c.r);
}

// Smooth value noise in [-1, 1] from a hash of integer lattice points (deterministic).
double lattice(int i, int j) {
  uint32_t h = static_cast<uint32_t>(i) * 73856093u ^ static_cast<uint32_t>(j) * 19349663u;
  h ^= h >> 13, h *= 0x5bd1e995u, h ^= h >> 15;
  return (h & 0xffff) / 32767.5 - 1.0;
}
double value_noise(double x, double y) {
  const int i = static_cast<int>(std::floor(x)), j = static_cast<int>(std::floor(y));
  const double fx = x - i, fy = y - j;
  const double sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
  const double a = lattice(i, j) + sx * (lattice(i + 1, j) - lattice(i, j));
  const double b = lattice(i, j + 1) + sx * (lattice(i + 1, j + 1) - lattice(i, j + 1));
  return a + sy * (b - a);
}

// Hair shading: strands radiating from the crown, darker towards the rim of the ellipse.
double hair_shade(double x, double y) {
  const double dx = x - kHairCentre[0], dy = y - (kHairCentre[1] + 0.45);
  const double angle = std::atan2(dy, dx);
  const double strands = 0.84 + 0.1 * std::sin(70 * angle + 4 * value_noise(6 * x, 6 * y)) +
                         0.08 * value_noise(30 * angle, 4 * std::hypot(dx, dy));
  const double ex = (x - kHairCentre[0]) / kHairRadii[0], ey = (y - kHairCentre[1]) / kHairRadii[1];
  const double rim = std::sqrt(std::max(0.0, 1 - ex * ex - ey * ey));
  return strands * (0.55 + 0.45 * rim);
}

}  // namespace

SyntheticPortrait make_synthetic_portrait(const FaceModel& model, int32_t size) {
  P3D_CHECK(size >= 128 && size <= 4096, "synthetic portrait: size ", size, " outside [128, 4096]");
  const int n = model.vertex_count;
  P3D_CHECK(
      n > 0 && model.mean_shape.size() == size_t(3) * n && model.mean_tex.size() == size_t(3) * n &&
          model.keypoints.size() == size_t(FaceModel::kKeypointCount) && !model.triangles.empty(),
      "synthetic portrait: the face model lacks its mean shape, texture, keypoints or "
      "triangles");
  SyntheticPortrait out;
  const double focal = kFocalPerPixel * size;
  out.camera.focal = static_cast<float>(focal);
  out.camera.cx = 0.5f * size;
  out.camera.cy = static_cast<float>(0.5 * size - focal * kViewCentreY / 10);

  // The mean face posed by zero coefficients: re-centred on its mean vertex.
  std::vector<float> vertices(model.mean_shape);
  double centre[3] = {0, 0, 0};
  for (int v = 0; v < n; ++v)
    for (int c = 0; c < 3; ++c) centre[c] += model.mean_shape[3 * v + c] / n;
  for (int v = 0; v < n; ++v)
    for (int c = 0; c < 3; ++c) vertices[3 * v + c] -= static_cast<float>(centre[c]);

  DepthRenderInput ri;
  ri.batch = 1;
  ri.vertex_count = n;
  ri.vertices = vertices.data();
  ri.triangle_count = model.triangle_count;
  ri.triangles = model.triangles.data();
  ri.cameras = &out.camera;
  ri.width = ri.height = size;
  const DepthAndMask render = render_depth_and_mask(ri);

  // Pixel centre (col + 1/2, row + 1/2) as y-up photo coordinates, then as world x, y on the
  // plane z = 0 (where the hair and ears are drawn).
  const double s = static_cast<double>(size);
  auto world = [&](int col, int row, double* x, double* y) {
    *x = (col + 0.5 - out.camera.cx) * 10 / focal;
    *y = (s - row - 0.5 - out.camera.cy) * 10 / focal;
  };
  const size_t pixels = size_t(size) * size;

  // The mean texture at each face pixel: vertices splatted front-most first, holes filled
  // from the nearest splats.
  std::vector<float> tex(3 * pixels, 0.f), tex_z(pixels, -1e9f);
  for (int v = 0; v < n; ++v) {
    const double x = vertices[3 * v], y = vertices[3 * v + 1], z = vertices[3 * v + 2];
    const double u = focal * x / (10 - z) + out.camera.cx;
    const double w = focal * y / (10 - z) + out.camera.cy;
    const long col = std::lround(std::floor(u)), row = std::lround(std::floor(s - w));
    if (col < 0 || row < 0 || col >= size || row >= size) continue;
    const size_t p = size_t(row) * size + col;
    if (z <= tex_z[p]) continue;
    tex_z[p] = static_cast<float>(z);
    for (int c = 0; c < 3; ++c) tex[3 * p + c] = model.mean_tex[3 * v + c];
  }

  out.photo = ImageU8{size, size, 3, std::vector<uint8_t>(3 * pixels)};
  out.labels = ImageU8{size, size, 1, std::vector<uint8_t>(pixels, kBackground)};
  const double light[3] = {-0.25 / 1.0611, 0.35 / 1.0611, 0.97 / 1.0611};  // unit, upper left
  for (int row = 0; row < size; ++row) {
    for (int col = 0; col < size; ++col) {
      const size_t p = size_t(row) * size + col;
      double x, y;
      world(col, row, &x, &y);
      // Background: a dark grey gradient (dark, so the face's border vertices that sample
      // it just past the silhouette do not glow in the previews).
      const double t = static_cast<double>(row) / size;
      put(out.photo, p, {92 - 30 * t, 96 - 30 * t, 104 - 28 * t}, 1.0);
      const double hx = (x - kHairCentre[0]) / kHairRadii[0],
                   hy = (y - kHairCentre[1]) / kHairRadii[1];
      // Hair ends in a curve below the ears, higher behind the jaw.
      const double bottom = kHairBottom + 0.25 * std::max(0.0, 1 - std::fabs(x) / 0.9);
      if (hx * hx + hy * hy < 1 && y > bottom) {
        put(out.photo, p, kHairColour, hair_shade(x, y));
        out.labels.pixels[p] = kHair;
      }
      // The neck (background in the labels, as the original's parsing has no neck class),
      // in the chin's shadow.
      if (std::fabs(x) < kNeckHalfWidth && y < kNeckTop) {
        const double edge = std::fabs(x) / kNeckHalfWidth;
        put(out.photo, p, {192, 142, 118}, 0.62 + 0.18 * std::sqrt(1 - edge * edge));
      }
      // Shoulders in a dark shirt (background in the labels too).
      const double sx = x / kShoulderRadii[0], sy = (y - kShoulderCentreY) / kShoulderRadii[1];
      if (sx * sx + sy * sy < 1) put(out.photo, p, {46, 58, 92}, 0.8 + 0.2 * (1 - sx * sx));
      for (int side = -1; side <= 1; side += 2) {
        const double ex = (x - side * kEarCentre[0]) / kEarRadii[0],
                     ey = (y - kEarCentre[1]) / kEarRadii[1];
        const double r2 = ex * ex + ey * ey;
        if (r2 >= 1) continue;
        const double inner = (ex * 1.6 + side * 0.3) * (ex * 1.6 + side * 0.3) + ey * ey * 1.8;
        put(out.photo, p, kEarColour, (0.7 + 0.3 * std::sqrt(1 - r2)) * (inner < 1 ? 0.85 : 1));
        out.labels.pixels[p] = side > 0 ? kLeftEar : kRightEar;
      }
      if (render.mask[p] <= 0.5f) continue;
      // The face: meantex (nearest splat) times Lambert shading from the depth's normals.
      Rgb colour = {192, 142, 118};
      for (int radius = 0; radius <= 3; ++radius) {
        double sum[3] = {0, 0, 0};
        int count = 0;
        for (int dr = -radius; dr <= radius; ++dr)
          for (int dc = -radius; dc <= radius; ++dc) {
            const int r2 = row + dr, c2 = col + dc;
            if (r2 < 0 || c2 < 0 || r2 >= size || c2 >= size) continue;
            const size_t q = size_t(r2) * size + c2;
            if (tex_z[q] < -1e8f) continue;
            for (int c = 0; c < 3; ++c) sum[c] += tex[3 * q + c];
            ++count;
          }
        if (count == 0) continue;
        colour = {sum[0] / count, sum[1] / count, sum[2] / count};
        break;
      }
      auto z_at = [&](int r2, int c2) {
        r2 = std::clamp(r2, 0, size - 1), c2 = std::clamp(c2, 0, size - 1);
        const size_t q = size_t(r2) * size + c2;
        return render.mask[q] > 0.5f ? 10.0 - render.depth[q] : 10.0 - render.depth[p];
      };
      const double z = 10.0 - render.depth[p];
      const double pixel_size = (10 - z) / focal;  // world units per pixel at this depth
      const double dzdx = (z_at(row, col + 1) - z_at(row, col - 1)) / (2 * pixel_size);
      const double dzdy = (z_at(row - 1, col) - z_at(row + 1, col)) / (2 * pixel_size);
      const double norm = std::sqrt(dzdx * dzdx + dzdy * dzdy + 1);
      const double lambert = std::max(0.0, (-dzdx * light[0] - dzdy * light[1] + light[2]) / norm);
      put(out.photo, p, colour, 0.55 + 0.5 * lambert);
      out.labels.pixels[p] = kFace;
      // The fringe: a wavy hairline over the top of the forehead.
      if (y > kFringeY + 0.06 * std::sin(9 * x) + 0.1 * x * x) {
        put(out.photo, p, kHairColour, hair_shade(x, y) * 1.05);
        out.labels.pixels[p] = kHair;
      }
    }
  }

  out.landmarks.resize(2 * FaceModel::kKeypointCount);
  for (int k = 0; k < FaceModel::kKeypointCount; ++k) {
    const float* v = &vertices[3 * model.keypoints[k]];
    out.landmarks[2 * k] = focal * v[0] / (10 - v[2]) + out.camera.cx;
    out.landmarks[2 * k + 1] = focal * v[1] / (10 - v[2]) + out.camera.cy;
  }
  return out;
}

std::vector<std::string> write_synthetic_portrait(const SyntheticPortrait& portrait,
                                                  const std::string& dir, const std::string& name) {
  const fs::path folder(dir);
  const std::string photo = (folder / (name + ".png")).string();
  const std::string landmarks = (folder / (name + "_landmark.txt")).string();
  const std::string mat = (folder / (name + ".mat")).string();
  write_file_atomic(photo, encode_png(portrait.photo, photo));

  std::string text;
  char line[64];
  for (size_t k = 0; k + 1 < portrait.landmarks.size(); k += 2) {
    std::snprintf(line, sizeof line, "%.4f %.4f\n", portrait.landmarks[k],
                  portrait.landmarks[k + 1]);
    text += line;
  }
  write_file_atomic(landmarks, text.data(), text.size());

  // MatWriter writes in place: write a temporary beside the target, then rename.
  const fs::path temporary = folder / ("." + name + ".mat.partial");
  {
    std::vector<int32_t> mask(portrait.labels.pixels.begin(), portrait.labels.pixels.end());
    MatWriter writer(temporary.string());
    writer.write("mask", portrait.labels.height, portrait.labels.width, mask.data(),
                 MatClass::kInt32);
    writer.close();
  }
  std::error_code ec;
  fs::rename(temporary, mat, ec);
  if (ec) {
    const std::string reason = ec.message();
    fs::remove(temporary, ec);
    P3D_THROW("writing ", mat, ": cannot rename its temporary: ", reason);
  }
  return {photo, landmarks, mat};
}

}  // namespace p3d
