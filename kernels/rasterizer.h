// Triangle rasterization with the semantics of google/tf_mesh_renderer at commit ba27ea1798,
// the renderer Deep3dPortrait uses for its face and head depth maps (docs/pipeline.md: steps 5
// and 10). Every per-vertex, per-triangle and per-pixel formula is written once here as a
// P3D_HD function; kernels/cpu/rasterizer.cpp and kernels/cuda/rasterizer.cu only loop.
//
// What the original does, and where (tf_mesh_renderer paths under mesh_renderer/):
//   camera_utils.py  look_at (gluLookAt) and perspective (gluPerspective, fov_y in degrees);
//                    clip = perspective · look_at · (x, y, z, 1), column vectors.
//   rasterize_triangles.py  w' = max(|w|, 1e-6)·sign(w); NDC = clip.xyz / w';
//                    Deep3dPortrait's copy (utils/render/rasterize_triangles.py) then adds
//                    delta_center = ((cx, cy) - size/2) / (size/2) to NDC x, y.
//   kernels/rasterize_triangles_impl.cc  viewport = (NDC + 1) · size/2 (in double, y up:
//                    viewport row 0 is the image bottom); pixel centres at +0.5; bounding box
//                    floor(min)..ceil(max) clamped to the image; inside test on 16.16 fixed
//                    point, both windings accepted, edges inclusive (det >= 0); screen-space
//                    barycentrics b0, b1 from edge functions, b2 = 1 - b0 - b1; NDC z
//                    interpolated with them; a pixel is written when -1 <= z <= 1 and
//                    z <= zbuffer (initialised to 1), triangles in id order, so on equal z
//                    the later (higher-id) triangle wins.
//   rasterize_triangles.py  perspective correction: c_i = b_i/w'_i / max(Σ b_j/w'_j, 1e-6);
//                    attribute = Σ c_i·a_i; alpha = clip(Σ 2·c_i, 0, 1);
//                    out = alpha·attribute + (1 - alpha)·background.
//   mesh_renderer.py (phong_shader)  the image is flipped vertically: row 0 is the top.
//
// How we run it: one pass projects the vertices (ScreenVertex), one pass rasterizes every
// triangle into a 64-bit key per pixel by atomic minimum — the order-preserving bits of the
// float NDC z high, ~triangle_id low — and one pass resolves each pixel's winner into the
// outputs. The minimum of the keys is exactly the original's sequential z-buffer result
// (smallest z; on equal z the highest id), independent of the order triangles are
// processed in, so the parallel CPU loop and the CUDA kernels are deterministic and agree.
// The pixel loop visits only the pixels whose centre lies in the box of the fixed-point
// corners (a subset of the original's floor/ceil box holding every pixel it can accept).
// Unlike the TensorFlow op, uncovered pixels get triangle id -1 (not 0), and the
// barycentrics returned are the perspective-corrected ones the attributes use.
//
// Where we deliberately differ (the original is undefined or writes garbage there):
//   * a triangle is skipped when a vertex has w <= 0 (at or behind the eye: the original
//     does no clipping and draws such triangles wrongly), a non-finite coordinate, or a
//     viewport coordinate outside (-16384, 16384) (the original's 16.16 fixed point and its
//     int32 edge differences overflow there: undefined behaviour);
//   * a triangle whose float twice-area is 0 is skipped (the original divides by it and
//     writes NaN barycentrics and a NaN z);
//   * a pixel whose barycentrics or z are not finite is not written.
// All float products that feed an addition are rounded first (no FMA contraction) on both
// backends, as the original's g++ build computes them, so CPU and CUDA results are equal
// bit for bit.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/exact_float.h"
#include "kernels/host_device.h"

namespace p3d {

// ---- constants of the original ------------------------------------------------------------

// rasterize_triangles.py _MINIMUM_PERSPECTIVE_DIVIDE_THRESHOLD: smallest |w| divided by.
constexpr float kRasterMinPerspectiveW = 1e-6f;
// rasterize_triangles.py _MINIMUM_REWEIGHTING_THRESHOLD: floor of Σ b_i / w_i.
constexpr float kRasterMinReweighting = 1e-6f;
// Viewport coordinates must lie strictly inside ±this (pixels): 16.16 fixed point then fits
// in 30 bits and the int32 edge differences of rasterize_triangles_impl.cc cannot overflow.
constexpr float kRasterMaxViewportCoord = 16384.f;
// Largest image side: pixel centres must be representable in the same fixed point.
constexpr int32_t kRasterMaxImageSide = 16384;
// The key of a pixel no triangle covered (greater than every real key).
constexpr uint64_t kRasterEmptyKey = ~uint64_t{0};

// ---- exact float helpers -----------------------------------------------------------------

P3D_HD uint32_t raster_float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
#endif
}

// True for every float except ±inf and NaN (a bit test: immune to fast-math flags).
P3D_HD bool raster_finite(float f) { return (raster_float_bits(f) & 0x7f800000u) != 0x7f800000u; }

// ---- camera matrices (camera_utils.py) -----------------------------------------------------

// A 4x4 matrix, row-major (m[4 * row + col]), acting on column vectors: clip = M · (x,y,z,1).
// This is camera_utils.py's convention; rasterize_triangles.py applies it to row vectors as
// v · M^T, the same numbers.
struct Mat4 {
  float m[16];
};

struct Vec3f {
  float x, y, z;
};

P3D_HD Vec3f raster_cross(Vec3f a, Vec3f b) {
  return {exact_mul(a.y, b.z) - exact_mul(a.z, b.y), exact_mul(a.z, b.x) - exact_mul(a.x, b.z),
          exact_mul(a.x, b.y) - exact_mul(a.y, b.x)};
}

P3D_HD Vec3f raster_normalized(Vec3f v) {
  const float norm = sqrtf(exact_mul(v.x, v.x) + exact_mul(v.y, v.y) + exact_mul(v.z, v.z));
  return {v.x / norm, v.y / norm, v.z / norm};
}

// a · b, each entry summed left to right over k.
P3D_HD Mat4 mat4_mul(const Mat4& a, const Mat4& b) {
  Mat4 c;
  for (int r = 0; r < 4; ++r)
    for (int col = 0; col < 4; ++col) {
      float s = exact_mul(a.m[4 * r], b.m[col]);
      for (int k = 1; k < 4; ++k) s = s + exact_mul(a.m[4 * r + k], b.m[4 * k + col]);
      c.m[4 * r + col] = s;
    }
  return c;
}

// camera_utils.look_at (gluLookAt): world -> eye space, right-handed, the eye looking down
// its -z. Rows: side, up, -forward, then the translation by -eye. The caller ensures eye !=
// center and up not parallel to the gaze (the original asserts the same).
P3D_HD Mat4 look_at(Vec3f eye, Vec3f center, Vec3f world_up) {
  const Vec3f forward = raster_normalized({center.x - eye.x, center.y - eye.y, center.z - eye.z});
  const Vec3f side = raster_normalized(raster_cross(forward, world_up));
  const Vec3f up = raster_cross(side, forward);
  const Mat4 rotation = {{side.x, side.y, side.z, 0.f,              //
                          up.x, up.y, up.z, 0.f,                    //
                          -forward.x, -forward.y, -forward.z, 0.f,  //
                          0.f, 0.f, 0.f, 1.f}};
  const Mat4 translation = {{1.f, 0.f, 0.f, -eye.x,  //
                             0.f, 1.f, 0.f, -eye.y,  //
                             0.f, 0.f, 1.f, -eye.z,  //
                             0.f, 0.f, 0.f, 1.f}};
  return mat4_mul(rotation, translation);
}

// camera_utils.perspective (gluPerspective): eye space -> clip space. fov_y in degrees,
// aspect = width / height. Float steps as the original: 1 / tan(fov_y · (pi / 360)).
P3D_HD Mat4 perspective(float aspect, float fov_y_degrees, float near_clip, float far_clip) {
  const float pi_over_360 = static_cast<float>(3.14159265358979323846 / 360.0);
  const float focal_y = 1.0f / tanf(exact_mul(fov_y_degrees, pi_over_360));
  const float depth_range = far_clip - near_clip;
  const float p22 = -(far_clip + near_clip) / depth_range;
  const float p23 = exact_mul(-2.0f, exact_mul(far_clip, near_clip) / depth_range);
  return {{focal_y / aspect, 0.f, 0.f, 0.f,  //
           0.f, focal_y, 0.f, 0.f,           //
           0.f, 0.f, p22, p23,               //
           0.f, 0.f, -1.f, 0.f}};
}

// Deep3dPortrait utils/create_renderer.py: fov_y = 2·atan2(size//2, focal) / pi · 180 (float,
// in that order), so that the perspective's focal_y equals focal / (size//2).
inline float fov_y_from_focal(float focal, int32_t image_height) {
  const float half = static_cast<float>(image_height / 2);
  const float pi = static_cast<float>(3.14159265358979323846);
  return exact_mul(2.0f * atan2f(half, focal) / pi, 180.0f);
}

// A rasterizer camera: the clip-from-world matrix and the NDC shift of the principal point.
struct RasterCamera {
  Mat4 clip_from_world;
  float ndc_offset[2];  // added to NDC x, y after the perspective divide (delta_center)
};

// Settings of a pinhole camera in tf_mesh_renderer terms.
struct PinholeCamera {
  float focal;      // pixels (same for x and y)
  float cx, cy;     // principal point, pixels, y up (the original's image convention)
  Vec3f eye;        // camera position
  Vec3f look_at;    // a point along the gaze
  Vec3f up;         // world up
  float near_clip;  // mesh_renderer.py default 0.01
  float far_clip;   // Deep3dPortrait passes 30
};

// The camera Deep3dPortrait builds in utils/create_renderer.py for an image of
// width x height: look_at(eye, look_at, up), perspective(width / height, fov_y from the
// focal and height // 2, near, far), delta_center = ((cx, cy) - (w//2, h//2)) / (w//2, h//2).
// With the eye on +z looking at the origin, a world point lands at viewport
// (focal·x / (eye_z - z) + cx, focal·y / (eye_z - z) + cy): the original's projection_layer.
inline RasterCamera make_pinhole_camera(const PinholeCamera& c, int32_t width, int32_t height) {
  const float aspect = static_cast<float>(static_cast<double>(width) / height);
  const Mat4 view = look_at(c.eye, c.look_at, c.up);
  const Mat4 proj = perspective(aspect, fov_y_from_focal(c.focal, height), c.near_clip, c.far_clip);
  RasterCamera cam;
  cam.clip_from_world = mat4_mul(proj, view);
  const float half_w = static_cast<float>(width / 2), half_h = static_cast<float>(height / 2);
  cam.ndc_offset[0] = (c.cx - half_w) / half_w;
  cam.ndc_offset[1] = (c.cy - half_h) / half_h;
  return cam;
}

// ---- params and buffers ------------------------------------------------------------------

struct RasterizeParams {
  int32_t batch = 0;           // N images, each with its own vertices, camera and attributes
  int32_t vertex_count = 0;    // V vertices per image
  int32_t triangle_count = 0;  // F triangles: one topology shared by every image
  int32_t width = 0;           // output width in pixels, 1..kRasterMaxImageSide
  int32_t height = 0;          // output height in pixels, 1..kRasterMaxImageSide
  int32_t channels = 0;        // C attributes per vertex interpolated into outputs.attributes
  float background = 0.f;      // attribute value of uncovered pixels (background_value)
};

// Inputs, all in the backend's memory (host for the CPU, device for CUDA), row-major.
struct RasterizeInputs {
  const float* vertices = nullptr;     // [N, V, 3] world-space positions
  const float* cameras = nullptr;      // [N, 18]: clip_from_world (16, row-major), ndc_offset (2)
  const int32_t* triangles = nullptr;  // [F, 3] vertex ids in [0, V); either winding
  const float* attributes = nullptr;   // [N, V, C]; may be null when C == 0
};

// Floats per image in RasterizeInputs::cameras: a RasterCamera laid out flat.
constexpr int kRasterCameraFloats = 18;
static_assert(sizeof(RasterCamera) == kRasterCameraFloats * sizeof(float),
              "RasterCamera must be 18 packed floats");

// Outputs, every one optional (null: not written). Images are [N, H, W] with row 0 at the
// top (the original's final flip).
struct RasterizeOutputs {
  int32_t* triangle_id = nullptr;  // [N, H, W] winning triangle, -1 where uncovered
  float* barycentric = nullptr;    // [N, H, W, 3] perspective-corrected, 0 where uncovered
  float* attributes = nullptr;     // [N, H, W, C] interpolated, background where uncovered
  float* mask = nullptr;           // [N, H, W] 1 covered, 0 not
  float* ndc_depth = nullptr;      // [N, H, W] NDC z of the winner, 1 where uncovered
};

// One projected vertex.
struct ScreenVertex {
  float x, y;   // viewport position in pixels, y up (viewport row 0 = image bottom)
  float z;      // NDC z: -1 at the near plane, 1 at the far plane
  float inv_w;  // 1 / w' (perspective correction); 0 marks a vertex no triangle may use
};

inline size_t raster_align(size_t bytes) { return (bytes + 255) / 256 * 256; }

// Scratch the backends need: the projected vertices [N, V] and the pixel keys [N, H, W]
// (viewport order, bottom row first).
inline size_t rasterize_workspace_bytes(const RasterizeParams& p) {
  return raster_align(static_cast<size_t>(p.batch) * p.vertex_count * sizeof(ScreenVertex)) +
         static_cast<size_t>(p.batch) * p.height * p.width * sizeof(uint64_t);
}

struct RasterizeScratch {
  ScreenVertex* screen;
  uint64_t* keys;
};

inline RasterizeScratch rasterize_scratch(const RasterizeParams& p, void* workspace) {
  char* base = static_cast<char*>(workspace);
  RasterizeScratch s;
  s.screen = reinterpret_cast<ScreenVertex*>(base);
  s.keys = reinterpret_cast<uint64_t*>(
      base + raster_align(static_cast<size_t>(p.batch) * p.vertex_count * sizeof(ScreenVertex)));
  return s;
}

// Host-boundary checks, throwing p3d::Error with a clear message (kernels/cpu/rasterizer.cpp):
// sizes in range and the workspace's index arithmetic safe; every triangle's vertex ids in
// [0, V) (host_triangles must be host memory: the CUDA caller checks its copy before upload).
void check_rasterize_params(const RasterizeParams& p);
void check_rasterize_triangles(const RasterizeParams& p, const int32_t* host_triangles);

// ---- per vertex ----------------------------------------------------------------------------

// rasterize_triangles.py then rasterize_triangles_impl.cc up to the viewport: clip = M · v
// (summed left to right), w' = max(w, 1e-6), NDC = clip.xyz / w' + (offset, 0), viewport =
// (NDC + 1) · size/2 computed in double as the original's `+ 1.0` promotes it.
P3D_HD ScreenVertex project_vertex(const float* camera, const float* v, int32_t width,
                                   int32_t height) {
  float clip[4];
  for (int r = 0; r < 4; ++r) {
    const float* row = camera + 4 * r;
    clip[r] =
        ((exact_mul(v[0], row[0]) + exact_mul(v[1], row[1])) + exact_mul(v[2], row[2])) + row[3];
  }
  ScreenVertex s{0.f, 0.f, 0.f, 0.f};
  const float w = clip[3];
  if (!(w > 0.f) || !raster_finite(w)) return s;  // at or behind the eye: unusable
  const float w_clamped = w < kRasterMinPerspectiveW ? kRasterMinPerspectiveW : w;
  const float ndc_x = clip[0] / w_clamped + camera[16];
  const float ndc_y = clip[1] / w_clamped + camera[17];
  const float ndc_z = clip[2] / w_clamped;
  const double vx = (static_cast<double>(ndc_x) + 1.0) * (0.5 * width);
  const double vy = (static_cast<double>(ndc_y) + 1.0) * (0.5 * height);
  // Range-check in double first (NaN fails too): converting an out-of-range double to
  // float is undefined; then again after rounding, which may reach the bound.
  if (!(fabs(vx) < kRasterMaxViewportCoord && fabs(vy) < kRasterMaxViewportCoord)) return s;
  s.x = static_cast<float>(vx);
  s.y = static_cast<float>(vy);
  s.z = ndc_z;
  const bool usable = raster_finite(ndc_z) && fabsf(s.x) < kRasterMaxViewportCoord &&
                      fabsf(s.y) < kRasterMaxViewportCoord;
  s.inv_w = usable ? 1.0f / w_clamped : 0.f;
  return s;
}

// ---- per triangle --------------------------------------------------------------------------

struct TriangleSetup {
  float x[3], y[3], z[3];  // viewport position and NDC z of the three corners
  float inv_w[3];          // 1 / w' of the corners
  int32_t fx[3], fy[3];    // the viewport position in 16.16 fixed point
  float twice_area;        // (v2 - v0) x (v1 - v0), the barycentrics' denominator
  int32_t left, right;     // pixel columns [left, right)
  int32_t bottom, top;     // viewport rows [bottom, top), bottom row first
};

// rasterize_triangles_impl.cc FixedPoint: 16 fractional bits, truncated toward zero.
P3D_HD int32_t raster_fixed(float f) { return static_cast<int32_t>(f * 65536.0f); }

// min / max of three (plain compares: the values are finite where used, and g++ would
// call libm for fminf).
template <typename T>
P3D_HD T raster_min3(T a, T b, T c) {
  const T m = a < b ? a : b;
  return m < c ? m : c;
}
template <typename T>
P3D_HD T raster_max3(T a, T b, T c) {
  const T m = a > b ? a : b;
  return m > c ? m : c;
}

P3D_HD int32_t raster_clamp(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

// floor(a / b) and ceil(a / b) for b > 0, in integers.
P3D_HD int64_t raster_floor_div(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}
P3D_HD int64_t raster_ceil_div(int64_t a, int64_t b) { return -raster_floor_div(-a, b); }

// Sets up triangle (a, b, c) for an image of width x height. False when it can draw nothing
// or must not be drawn (see the header: unusable corner, zero float area, no pixel centre in
// its box).
P3D_HD bool setup_triangle(const ScreenVertex& a, const ScreenVertex& b, const ScreenVertex& c,
                           int32_t width, int32_t height, TriangleSetup* t) {
  if (!(a.inv_w > 0.f) || !(b.inv_w > 0.f) || !(c.inv_w > 0.f)) return false;
  const ScreenVertex* v[3] = {&a, &b, &c};
  for (int i = 0; i < 3; ++i) {
    t->x[i] = v[i]->x;
    t->y[i] = v[i]->y;
    t->z[i] = v[i]->z;
    t->inv_w[i] = v[i]->inv_w;
    t->fx[i] = raster_fixed(v[i]->x);
    t->fy[i] = raster_fixed(v[i]->y);
  }
  // ClampedIntegerMin / ClampedIntegerMax: floor(min) and ceil(max), clamped to the image.
  t->left =
      raster_clamp(static_cast<int32_t>(floorf(raster_min3(t->x[0], t->x[1], t->x[2]))), 0, width);
  t->right =
      raster_clamp(static_cast<int32_t>(ceilf(raster_max3(t->x[0], t->x[1], t->x[2]))), 0, width);
  t->bottom =
      raster_clamp(static_cast<int32_t>(floorf(raster_min3(t->y[0], t->y[1], t->y[2]))), 0, height);
  t->top =
      raster_clamp(static_cast<int32_t>(ceilf(raster_max3(t->y[0], t->y[1], t->y[2]))), 0, height);
  // Narrow that box to the pixels whose centre (i + 0.5, fixed point i·65536 + 32768) lies
  // inside the box of the fixed-point corners: only those can pass the inside test, so
  // this drops no pixel the original draws. Most face triangles are under a pixel and have
  // no centre at all: they stop here.
  const int32_t min_fx = raster_min3(t->fx[0], t->fx[1], t->fx[2]);
  const int32_t max_fx = raster_max3(t->fx[0], t->fx[1], t->fx[2]);
  const int32_t min_fy = raster_min3(t->fy[0], t->fy[1], t->fy[2]);
  const int32_t max_fy = raster_max3(t->fy[0], t->fy[1], t->fy[2]);
  const int64_t first_x = raster_ceil_div(int64_t{min_fx} - 32768, 65536);
  const int64_t end_x = raster_floor_div(int64_t{max_fx} - 32768, 65536) + 1;
  const int64_t first_y = raster_ceil_div(int64_t{min_fy} - 32768, 65536);
  const int64_t end_y = raster_floor_div(int64_t{max_fy} - 32768, 65536) + 1;
  if (first_x > t->left) t->left = static_cast<int32_t>(first_x);
  if (end_x < t->right) t->right = static_cast<int32_t>(end_x);
  if (first_y > t->bottom) t->bottom = static_cast<int32_t>(first_y);
  if (end_y < t->top) t->top = static_cast<int32_t>(end_y);
  if (t->left >= t->right || t->bottom >= t->top) return false;
  t->twice_area = exact_mul(t->x[2] - t->x[0], t->y[1] - t->y[0]) -
                  exact_mul(t->y[2] - t->y[0], t->x[1] - t->x[0]);
  return t->twice_area != 0.f && raster_finite(t->twice_area);
}

// IsCCW: p lies counter-clockwise of (or on) the directed edge v0 -> v1. Exact integers.
P3D_HD bool raster_ccw(int32_t v0x, int32_t v0y, int32_t v1x, int32_t v1y, int32_t px, int32_t py) {
  const int32_t ex = v1x - v0x, ey = v1y - v0y;
  const int32_t x = px - v0x, y = py - v0y;
  return static_cast<int64_t>(ex) * y >= static_cast<int64_t>(ey) * x;
}

// PixelIsInsideTriangle for the centre of pixel (ix, iy) (viewport row iy): inside when it is
// CCW of all three edges of the triangle or of its reverse, so either winding draws, and a
// centre exactly on an edge counts as inside (both triangles sharing that edge pass).
P3D_HD bool pixel_inside(const TriangleSetup& t, int32_t ix, int32_t iy) {
  const int32_t px = raster_fixed(static_cast<float>(ix) + 0.5f);
  const int32_t py = raster_fixed(static_cast<float>(iy) + 0.5f);
  const int32_t* X = t.fx;
  const int32_t* Y = t.fy;
  return (raster_ccw(X[0], Y[0], X[1], Y[1], px, py) &&
          raster_ccw(X[1], Y[1], X[2], Y[2], px, py) &&
          raster_ccw(X[2], Y[2], X[0], Y[0], px, py)) ||
         (raster_ccw(X[1], Y[1], X[0], Y[0], px, py) &&
          raster_ccw(X[2], Y[2], X[1], Y[1], px, py) && raster_ccw(X[0], Y[0], X[2], Y[2], px, py));
}

// Screen-space barycentrics and NDC z at the centre of pixel (ix, iy), in the original's
// float steps. b[i] weighs corner i; b[2] = 1 - b[0] - b[1].
struct PixelSample {
  float b[3];
  float z;
};

P3D_HD PixelSample sample_triangle(const TriangleSetup& t, int32_t ix, int32_t iy) {
  const float px = static_cast<float>(ix) + 0.5f;
  const float py = static_cast<float>(iy) + 0.5f;
  PixelSample s;
  s.b[0] = (exact_mul(px - t.x[1], t.y[2] - t.y[1]) - exact_mul(py - t.y[1], t.x[2] - t.x[1])) /
           t.twice_area;
  s.b[1] = (exact_mul(px - t.x[2], t.y[0] - t.y[2]) - exact_mul(py - t.y[2], t.x[0] - t.x[2])) /
           t.twice_area;
  s.b[2] = 1.0f - s.b[0] - s.b[1];
  s.z = (exact_mul(s.b[0], t.z[0]) + exact_mul(s.b[1], t.z[1])) + exact_mul(s.b[2], t.z[2]);
  return s;
}

// The whole per-pixel test of the rasterization pass: inside, finite, and within the depth
// range [-1, 1] (the original's near/far clip on the interpolated NDC z).
P3D_HD bool sample_pixel(const TriangleSetup& t, int32_t ix, int32_t iy, PixelSample* s) {
  if (!pixel_inside(t, ix, iy)) return false;
  *s = sample_triangle(t, ix, iy);
  if (!raster_finite(s->b[0]) || !raster_finite(s->b[1]) || !raster_finite(s->b[2]) ||
      !raster_finite(s->z))
    return false;
  return s->z >= -1.0f && s->z <= 1.0f;
}

// ---- the depth key -----------------------------------------------------------------------

// Unsigned bits that order like the floats: negative floats reversed below the positives.
// -0 is folded onto +0 first, since the original's float compare treats them as equal.
P3D_HD uint32_t raster_ordered_depth(float z) {
  const uint32_t u = raster_float_bits(z == 0.f ? 0.f : z);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// Smaller key wins: nearer z first, then (on equal z) the higher triangle id, which is the
// original's "z <= zbuffer overwrites" in triangle order.
P3D_HD uint64_t raster_pack_key(float z, int32_t triangle) {
  return (static_cast<uint64_t>(raster_ordered_depth(z)) << 32) |
         static_cast<uint64_t>(~static_cast<uint32_t>(triangle));
}

// The triangle of a key (-1 for the empty key).
P3D_HD int32_t raster_key_triangle(uint64_t key) {
  if (key == kRasterEmptyKey) return -1;
  return static_cast<int32_t>(~static_cast<uint32_t>(key & 0xffffffffu));
}

// ---- per pixel: resolve ------------------------------------------------------------------

// Sets up triangle `tri` of image n from the projected vertices, guarding corrupt ids.
P3D_HD bool setup_indexed_triangle(const RasterizeParams& p, const int32_t* triangles,
                                   const ScreenVertex* screen_image, int32_t tri, TriangleSetup* t,
                                   int32_t vertex_ids[3]) {
  if (tri < 0 || tri >= p.triangle_count) return false;
  for (int i = 0; i < 3; ++i) {
    vertex_ids[i] = triangles[3 * static_cast<int64_t>(tri) + i];
    if (vertex_ids[i] < 0 || vertex_ids[i] >= p.vertex_count) return false;
  }
  return setup_triangle(screen_image[vertex_ids[0]], screen_image[vertex_ids[1]],
                        screen_image[vertex_ids[2]], p.width, p.height, t);
}

// Writes every requested output of pixel (ix, viewport row iy) of image n from its key:
// the winner's barycentrics are recomputed with the same function the rasterization pass
// used, then perspective-corrected and used to interpolate the attributes.
P3D_HD void resolve_pixel(const RasterizeParams& p, const RasterizeInputs& in,
                          const ScreenVertex* screen_image, const RasterizeOutputs& out, int32_t n,
                          int32_t ix, int32_t iy, uint64_t key) {
  const int64_t pixel =
      (static_cast<int64_t>(n) * p.height + (p.height - 1 - iy)) * p.width + ix;  // flipped
  int32_t tri = raster_key_triangle(key);
  TriangleSetup t{};
  int32_t vid[3] = {0, 0, 0};
  if (tri >= 0 && !setup_indexed_triangle(p, in.triangles, screen_image, tri, &t, vid)) tri = -1;
  float c[3] = {0.f, 0.f, 0.f};
  float z = 1.0f;
  if (tri >= 0) {
    const PixelSample s = sample_triangle(t, ix, iy);
    z = s.z;
    float w[3];
    for (int i = 0; i < 3; ++i) w[i] = exact_mul(s.b[i], t.inv_w[i]);
    const float sum = (w[0] + w[1]) + w[2];
    const float denom = sum > kRasterMinReweighting ? sum : kRasterMinReweighting;
    for (int i = 0; i < 3; ++i) c[i] = w[i] / denom;
  }
  if (out.triangle_id) out.triangle_id[pixel] = tri;
  if (out.mask) out.mask[pixel] = tri >= 0 ? 1.f : 0.f;
  if (out.ndc_depth) out.ndc_depth[pixel] = z;
  if (out.barycentric)
    for (int i = 0; i < 3; ++i) out.barycentric[3 * pixel + i] = c[i];
  if (out.attributes && p.channels > 0) {
    float* dst = out.attributes + pixel * p.channels;
    if (tri < 0 || in.attributes == nullptr) {
      for (int32_t k = 0; k < p.channels; ++k) dst[k] = p.background;
      return;
    }
    float alpha = (exact_mul(2.0f, c[0]) + exact_mul(2.0f, c[1])) + exact_mul(2.0f, c[2]);
    alpha = alpha < 0.f ? 0.f : (alpha > 1.f ? 1.f : alpha);
    const float keep_background = exact_mul(1.0f - alpha, p.background);
    const int64_t image_base = static_cast<int64_t>(n) * p.vertex_count;
    const float* a0 = in.attributes + (image_base + vid[0]) * p.channels;
    const float* a1 = in.attributes + (image_base + vid[1]) * p.channels;
    const float* a2 = in.attributes + (image_base + vid[2]) * p.channels;
    for (int32_t k = 0; k < p.channels; ++k) {
      const float value =
          (exact_mul(c[0], a0[k]) + exact_mul(c[1], a1[k])) + exact_mul(c[2], a2[k]);
      dst[k] = exact_mul(alpha, value) + keep_background;
    }
  }
}

}  // namespace p3d
