// Rasterizer scenes; see raster_scenes.h.
#include "tests/support/raster_scenes.h"

#include <cmath>
#include <random>

#include "pipeline/render.h"

namespace p3d::test {
namespace {

// pipeline/render.h's portrait_render_camera, built from the same constants here so the
// test support library needs only the kernels.
RasterCamera portrait_camera(float focal, float cx, float cy, int32_t size) {
  PinholeCamera c;
  c.focal = focal;
  c.cx = cx;
  c.cy = cy;
  c.eye = {0.f, 0.f, kRenderCameraZ};
  c.look_at = {0.f, 0.f, 0.f};
  c.up = {0.f, 1.f, 0.f};
  c.near_clip = kRenderNearClip;
  c.far_clip = kRenderFarClip;
  return make_pinhole_camera(c, size, size);
}

}  // namespace

std::vector<float> identity_camera() {
  std::vector<float> c(kRasterCameraFloats, 0.f);
  c[0] = c[5] = c[10] = c[15] = 1.f;
  return c;
}

std::vector<float> flat_camera(const RasterCamera& cam) {
  std::vector<float> c(cam.clip_from_world.m, cam.clip_from_world.m + 16);
  c.push_back(cam.ndc_offset[0]);
  c.push_back(cam.ndc_offset[1]);
  return c;
}

Scene ndc_scene(int32_t size, int32_t channels) {
  Scene s;
  s.p.batch = 1;
  s.p.width = s.p.height = size;
  s.p.channels = channels;
  s.cameras = identity_camera();
  return s;
}

void add_triangle(Scene& s, int32_t a, int32_t b, int32_t c) {
  s.triangles.insert(s.triangles.end(), {a, b, c});
  ++s.p.triangle_count;
}

Scene bumpy_surface(int32_t size, int gx, int gy, uint32_t seed) {
  Scene s = ndc_scene(size, 1);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> jitter(-0.3f, 0.3f);
  for (int j = 0; j <= gy; ++j)
    for (int i = 0; i <= gx; ++i) {
      const float x = -0.95f + 1.9f * (i + (i % gx ? jitter(rng) : 0.f)) / gx;
      const float y = -0.95f + 1.9f * (j + (j % gy ? jitter(rng) : 0.f)) / gy;
      const float z = 0.4f * std::sin(5.f * x) * std::cos(4.f * y) + 0.1f * jitter(rng);
      s.vertices.insert(s.vertices.end(), {x, y, z});
      s.attributes.push_back(z * 3.f + 1.f);
      ++s.p.vertex_count;
    }
  for (int j = 0; j < gy; ++j)
    for (int i = 0; i < gx; ++i) {
      const int32_t v00 = j * (gx + 1) + i, v10 = v00 + 1, v01 = v00 + gx + 1, v11 = v01 + 1;
      add_triangle(s, v00, v10, v11);
      add_triangle(s, v00, v11, v01);
    }
  // A second, folded-over layer through the first, so the z-buffer has real work to do.
  const int32_t base = s.p.vertex_count;
  for (int k = 0; k < 3; ++k) {
    s.vertices.insert(s.vertices.end(), {-0.9f + 0.9f * k, 0.8f - 0.8f * (k % 2), 0.05f * k});
    s.attributes.push_back(7.f);
    ++s.p.vertex_count;
  }
  add_triangle(s, base, base + 1, base + 2);
  return s;
}

Scene sphere_cap_scene(int32_t batch, int rows, int cols, int32_t size) {
  Scene s;
  s.p.batch = batch;
  s.p.width = s.p.height = size;
  s.p.channels = 2;
  const float radius = 1.f;
  for (int32_t n = 0; n < batch; ++n) {
    const float yaw = 0.25f * (n - 1), shift = 0.1f * n;
    for (int j = 0; j <= rows; ++j)
      for (int i = 0; i <= cols; ++i) {
        const float th = (-0.55f + 1.1f * i / cols), ph = (-0.6f + 1.2f * j / rows);
        const float x0 = radius * std::sin(th) * std::cos(ph), y0 = radius * std::sin(ph);
        const float z0 = radius * std::cos(th) * std::cos(ph) - 0.5f;
        const float x = std::cos(yaw) * x0 + std::sin(yaw) * z0 + shift;
        const float z = -std::sin(yaw) * x0 + std::cos(yaw) * z0;
        s.vertices.insert(s.vertices.end(), {x, y0, z});
        s.attributes.insert(s.attributes.end(), {10.f - z, x});
      }
    const RasterCamera cam = portrait_camera(800.f + 40.f * n, 128.f + n, 126.f, size);
    const std::vector<float> flat = flat_camera(cam);
    s.cameras.insert(s.cameras.end(), flat.begin(), flat.end());
  }
  s.p.vertex_count = (rows + 1) * (cols + 1);
  for (int j = 0; j < rows; ++j)
    for (int i = 0; i < cols; ++i) {
      const int32_t v00 = j * (cols + 1) + i, v10 = v00 + 1, v01 = v00 + cols + 1, v11 = v01 + 1;
      add_triangle(s, v00, v10, v11);
      add_triangle(s, v00, v11, v01);
    }
  return s;
}

}  // namespace p3d::test
