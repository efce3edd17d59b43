// Stage 3's per-vertex geometry (step3_get_head_geometry.py's shape graph, utils/recon_depth.py),
// written once for the CPU loop (kernels/cpu/head_geometry.cpp) and the CUDA kernels
// (kernels/cuda/head_geometry.cu):
//   hair/ear vertex k at pixel (row v, col u) of the head crop:
//     d = depth[v, u]                           (get_pixel_value: floor, clip, gather)
//     u' = u + 0.5, v' = 256 - (v + 0.5)        (pixel centre, y up)
//     x = d·(u' - cx) / f, y = d·(v' - cy) / f, z = 10 - d      (uvd2xyz)
//     colour = crop[v, u] (BGR, as float)
//   face vertex colour: bilinear_sampler(crop, px - 0.5, 256 - 0.5 - py) at the vertex's
//     crop projection (px, py up), with TensorFlow's arithmetic: corners floor / floor + 1
//     clipped to the image, weights from the clipped corners (so they are not a partition of
//     unity outside the image, as in the original), sum in add_n order.
// Products are rounded before each addition (exact_mul, kernels/exact_float.h), so no FMA
// contraction makes the backends differ.
#pragma once

#include <cstdint>

#include "kernels/host_device.h"
#include "kernels/rasterizer.h"

namespace p3d {

// The crop camera of one portrait (the face3d record's focal and centre, y up).
struct HeadCamera {
  float focal = 0.f;
  float cx = 0.f, cy = 0.f;
};

struct HairBackprojectParams {
  int32_t width = 256;      // crop / depth map width
  int32_t height = 256;     // crop / depth map height (also the 256 of v' = 256 - (v + 0.5))
  int32_t point_count = 0;  // K hair/ear pixels of this portrait
  HeadCamera camera;
};

// Back-projects hair/ear pixel `k`: points[k] = (row, col); depth [H, W]; crop [H, W, 3] BGR.
// Writes xyz[3] and bgr[3] (float 0..255).
P3D_HD void hair_vertex(const HairBackprojectParams& p, const int32_t* points, const float* depth,
                        const uint8_t* crop, int32_t k, float* xyz, float* bgr) {
  int32_t v = points[2 * k], u = points[2 * k + 1];
  // get_pixel_value clips to the image; our points come from the mask, so this only guards.
  v = v < 0 ? 0 : (v >= p.height ? p.height - 1 : v);
  u = u < 0 ? 0 : (u >= p.width ? p.width - 1 : u);
  const float d = depth[v * p.width + u];
  const float uc = static_cast<float>(u) + 0.5f;
  const float vc = static_cast<float>(p.height) - (static_cast<float>(v) + 0.5f);
  xyz[0] = exact_mul(d, uc - p.camera.cx) / p.camera.focal;
  xyz[1] = exact_mul(d, vc - p.camera.cy) / p.camera.focal;
  xyz[2] = 10.f - d;
  const uint8_t* c = crop + 3 * (static_cast<int64_t>(v) * p.width + u);
  bgr[0] = c[0];
  bgr[1] = c[1];
  bgr[2] = c[2];
}

P3D_HD int32_t head_clip(int32_t i, int32_t hi) { return i < 0 ? 0 : (i > hi ? hi : i); }

// bilinear_sampler(img, x, y) for one point of a [H, W, 3] uint8 image: out[3].
P3D_HD void tf_bilinear_sample(const uint8_t* img, int32_t width, int32_t height, float x, float y,
                               float* out) {
  const int32_t fx = static_cast<int32_t>(floorf(x)), fy = static_cast<int32_t>(floorf(y));
  const int32_t x0 = head_clip(fx, width - 1), x1 = head_clip(fx + 1, width - 1);
  const int32_t y0 = head_clip(fy, height - 1), y1 = head_clip(fy + 1, height - 1);
  const float x0f = static_cast<float>(x0), x1f = static_cast<float>(x1);
  const float y0f = static_cast<float>(y0), y1f = static_cast<float>(y1);
  const float wa = exact_mul(x1f - x, y1f - y);
  const float wb = exact_mul(x1f - x, y - y0f);
  const float wc = exact_mul(x - x0f, y1f - y);
  const float wd = exact_mul(x - x0f, y - y0f);
  const uint8_t* ia = img + 3 * (static_cast<int64_t>(y0) * width + x0);
  const uint8_t* ib = img + 3 * (static_cast<int64_t>(y1) * width + x0);
  const uint8_t* ic = img + 3 * (static_cast<int64_t>(y0) * width + x1);
  const uint8_t* id = img + 3 * (static_cast<int64_t>(y1) * width + x1);
  for (int c = 0; c < 3; ++c) {
    const float a = exact_mul(wa, static_cast<float>(ia[c]));
    const float b = exact_mul(wb, static_cast<float>(ib[c]));
    const float cc = exact_mul(wc, static_cast<float>(ic[c]));
    const float dd = exact_mul(wd, static_cast<float>(id[c]));
    out[c] = ((a + b) + cc) + dd;
  }
}

// The colour of face vertex v from its crop projection [V, 2] (x, y up): out[3] BGR floats.
P3D_HD void face_vertex_color(const uint8_t* crop, int32_t width, int32_t height,
                              const float* projection, int32_t v, float* out) {
  const float px = projection[2 * v], py = projection[2 * v + 1];
  tf_bilinear_sample(crop, width, height, px - 0.5f, (static_cast<float>(height) - 0.5f) - py, out);
}

}  // namespace p3d
