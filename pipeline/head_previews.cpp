// The preview pictures of pipeline/head_previews.h. The overlay evaluates realign's nearest
// mapping per photo pixel (no 1536 x 1024 canvas, no resize of it); the turntable makes one
// batched rasterizer call for all views (each view its own rotated vertices and camera, one
// shared topology) asking for triangle ids and interpolated colours (on CUDA:
// head_previews_cuda.cpp, the device context's stream and buffers), then shades by the
// winning triangle's face normal on the host.
#include "pipeline/head_previews.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/backend.h"
#include "kernels/cpu/rasterizer.h"
#include "kernels/error.h"
#include "kernels/rasterizer.h"
#include "pipeline/atomic_file.h"
#include "pipeline/head_crop.h"
#include "pipeline/mesh_export.h"

namespace p3d {

#if defined(P3D_WITH_CUDA)
void rasterize_views_cuda(const RasterizeParams& p, const RasterizeInputs& host,
                          std::vector<int32_t>& triangle_id, std::vector<float>& colour,
                          int device_index);
#endif

namespace {

// realign's canvas: np.zeros([4 * 256, 6 * 256]).
constexpr int32_t kCanvasW = 6 * 256, kCanvasH = 4 * 256;

// The crop window placed on the canvas: canvas pixel (cx, cy) inside [x0, x1) x [y0, y1)
// holds crop pixel (cx - x0 + img_x, cy - y0 + img_y).
struct CanvasPlacement {
  int32_t x0, x1, y0, y1, img_x, img_y;
  int32_t w, h;           // the resized canvas
  double inv_fx, inv_fy;  // cv2 resizeNN's ifx = 1 / (w / 1536), ify likewise
};

CanvasPlacement place(const std::array<float, 5>& crop_param) {
  for (float v : crop_param)
    P3D_CHECK(std::isfinite(v), "restore overlay: crop_param holds a non-finite value (", v, ")");
  const float scale = crop_param[0];
  P3D_CHECK(scale > 0.f && scale < 64.f, "restore overlay: crop_param scale ", scale,
            " outside (0, 64)");
  P3D_CHECK(std::fabs(crop_param[1]) < 1e6f && std::fabs(crop_param[2]) < 1e6f,
            "restore overlay: crop_param left/up (", crop_param[1], ", ", crop_param[2],
            ") out of range");
  const int32_t left = static_cast<int32_t>(crop_param[1]);  // int(): truncation
  const int32_t up = static_cast<int32_t>(crop_param[2]);
  CanvasPlacement p;
  p.img_x = left > 0 ? 0 : -left;
  p.img_y = up > 0 ? 0 : -up;
  const int32_t canvas_x = left < 0 ? 0 : left;
  const int32_t canvas_y = up < 0 ? 0 : up;
  // canvas[sth : sth + 256 - img_sth, stw : stw + 256 - img_stw] = img[img_sth:, img_stw:],
  // clipped to the canvas (the original raises where the shapes then disagree).
  p.x0 = std::min(canvas_x, kCanvasW);
  p.x1 = std::clamp(canvas_x + kHeadCropSize - p.img_x, p.x0, kCanvasW);
  p.y0 = std::min(canvas_y, kCanvasH);
  p.y1 = std::clamp(canvas_y + kHeadCropSize - p.img_y, p.y0, kCanvasH);
  // np.round(canvas.shape[1] * scale): a float32 product, rounded half to even.
  p.w = static_cast<int32_t>(std::nearbyint(exact_mul(static_cast<float>(kCanvasW), scale)));
  p.h = static_cast<int32_t>(std::nearbyint(exact_mul(static_cast<float>(kCanvasH), scale)));
  P3D_CHECK(p.w > 0 && p.h > 0, "restore overlay: crop_param scale ", scale,
            " shrinks the canvas to nothing");
  p.inv_fx = 1.0 / (static_cast<double>(p.w) / kCanvasW);
  p.inv_fy = 1.0 / (static_cast<double>(p.h) / kCanvasH);
  return p;
}

void check_mask(const std::vector<float>& mask) {
  P3D_CHECK(mask.size() == static_cast<size_t>(kHeadCropSize) * kHeadCropSize,
            "restore overlay: the head mask holds ", mask.size(), " values, not 256 x 256");
  for (size_t i = 0; i < mask.size(); ++i)
    P3D_CHECK(mask[i] >= 0.f && mask[i] <= 1.f, "restore overlay: head mask value ", mask[i],
              " at (row ", i / kHeadCropSize, ", col ", i % kHeadCropSize, ") outside [0, 1]");
}

// Photo column x -> crop column, or -1 where the canvas there is empty or absent.
std::vector<int32_t> axis_map(int32_t photo_extent, int32_t resized, double inv_f, int32_t canvas,
                              int32_t lo, int32_t hi, int32_t img_offset) {
  std::vector<int32_t> map(static_cast<size_t>(photo_extent), -1);
  for (int32_t x = 0; x < std::min(photo_extent, resized); ++x) {
    const int32_t s = std::min(static_cast<int32_t>(std::floor(x * inv_f)), canvas - 1);
    if (s >= lo && s < hi) map[static_cast<size_t>(x)] = s - lo + img_offset;
  }
  return map;
}

void encode_and_write(const std::string& path, const ImageU8& image) {
  write_file_atomic(path, encode_png(image, path));
}

// ---- turntable helpers ---------------------------------------------------------------------

struct Views {
  int32_t count = 0;
  std::vector<float> vertices;  // [views, V, 3]
  std::vector<float> cameras;   // [views, 18]
};

void store_camera(const RasterCamera& cam, float* dst) {
  std::copy(cam.clip_from_world.m, cam.clip_from_world.m + 16, dst);
  dst[16] = cam.ndc_offset[0];
  dst[17] = cam.ndc_offset[1];
}

Views make_views(const HeadMesh& mesh, const TurntableOptions& o) {
  const size_t v = static_cast<size_t>(mesh.vertex_count());
  double lo[3], hi[3];
  for (int k = 0; k < 3; ++k) lo[k] = hi[k] = mesh.positions[k];
  for (size_t i = 0; i < v; ++i)
    for (int k = 0; k < 3; ++k) {
      lo[k] = std::min(lo[k], static_cast<double>(mesh.positions[3 * i + k]));
      hi[k] = std::max(hi[k], static_cast<double>(mesh.positions[3 * i + k]));
    }
  const double c[3] = {(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2};
  Views views;
  views.count = static_cast<int32_t>(o.yaw_degrees.size());
  views.vertices.resize(static_cast<size_t>(views.count) * v * 3);
  for (int32_t n = 0; n < views.count; ++n) {
    P3D_CHECK(std::isfinite(o.yaw_degrees[n]), "render_turntable: yaw ", o.yaw_degrees[n]);
    const double a = o.yaw_degrees[n] * (3.14159265358979323846 / 180.0);
    const double cs = std::cos(a), sn = std::sin(a);
    float* dst = &views.vertices[static_cast<size_t>(n) * v * 3];
    for (size_t i = 0; i < v; ++i) {
      const double x = mesh.positions[3 * i] - c[0], z = mesh.positions[3 * i + 2] - c[2];
      dst[3 * i] = static_cast<float>(c[0] + cs * x + sn * z);
      dst[3 * i + 1] = mesh.positions[3 * i + 1];
      dst[3 * i + 2] = static_cast<float>(c[2] - sn * x + cs * z);
    }
  }
  const int32_t size = o.view_size;
  RasterCamera cam;
  if (o.camera.focal > 0.f) {
    P3D_CHECK(
        std::isfinite(o.camera.focal) && std::isfinite(o.camera.cx) && std::isfinite(o.camera.cy),
        "render_turntable: camera focal ", o.camera.focal, " centre (", o.camera.cx, ", ",
        o.camera.cy, ")");
    cam = portrait_render_camera(o.camera, size, size);
  } else {
    // Automatic framing: eye on the centre's +z axis, at least 3 bounding radii away so no
    // rotated vertex comes near it; focal from the widest projected offset over all views.
    double radius = 0;
    for (size_t i = 0; i < v; ++i) {
      double d2 = 0;
      for (int k = 0; k < 3; ++k) d2 += std::pow(mesh.positions[3 * i + k] - c[k], 2);
      radius = std::max(radius, std::sqrt(d2));
    }
    const double distance = std::max(kRenderCameraZ - c[2], 3.0 * radius);
    const double eye_z = c[2] + distance;
    double extent = 0;
    for (size_t i = 0; i < views.vertices.size(); i += 3) {
      const double depth = eye_z - views.vertices[i + 2];
      extent = std::max(extent, std::max(std::fabs(views.vertices[i] - c[0]),
                                         std::fabs(views.vertices[i + 1] - c[1])) /
                                    depth);
    }
    PinholeCamera p;
    const float half = static_cast<float>(size / 2);
    p.focal = static_cast<float>(0.9 * half / std::max(extent, 1e-9));
    p.cx = p.cy = half;
    p.eye = {static_cast<float>(c[0]), static_cast<float>(c[1]), static_cast<float>(eye_z)};
    p.look_at = {static_cast<float>(c[0]), static_cast<float>(c[1]), static_cast<float>(c[2])};
    p.up = {0.f, 1.f, 0.f};
    p.near_clip = kRenderNearClip;
    p.far_clip = static_cast<float>(distance + 2.0 * radius + 1.0);
    cam = make_pinhole_camera(p, size, size);
  }
  views.cameras.resize(static_cast<size_t>(views.count) * kRasterCameraFloats);
  for (int32_t n = 0; n < views.count; ++n)
    store_camera(cam, &views.cameras[static_cast<size_t>(n) * kRasterCameraFloats]);
  return views;
}

struct Raster {
  std::vector<int32_t> triangle_id;  // [views, H, W]
  std::vector<float> colour;         // [views, H, W, 3]
};

void rasterize_cpu(const RasterizeParams& p, const RasterizeInputs& in, Raster& r) {
  std::vector<unsigned char> workspace(rasterize_workspace_bytes(p) + 8);
  void* aligned = workspace.data() + (8 - reinterpret_cast<uintptr_t>(workspace.data()) % 8) % 8;
  RasterizeOutputs out;
  out.triangle_id = r.triangle_id.data();
  out.attributes = r.colour.data();
  cpu::rasterize_triangles(cpu::ThreadPool::global(), p, in, out, aligned);
}

uint8_t to_level(double v) { return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 255.0))); }

}  // namespace

// ---- overlay -------------------------------------------------------------------------------

std::vector<uint8_t> restore_overlay_mask(int32_t photo_width, int32_t photo_height,
                                          const std::array<float, 5>& crop_param,
                                          const std::vector<float>& mask) {
  P3D_CHECK(photo_width > 0 && photo_height > 0, "restore overlay: empty photo (", photo_width, "x",
            photo_height, ")");
  check_mask(mask);
  const CanvasPlacement p = place(crop_param);
  const std::vector<int32_t> cols =
      axis_map(photo_width, p.w, p.inv_fx, kCanvasW, p.x0, p.x1, p.img_x);
  const std::vector<int32_t> rows =
      axis_map(photo_height, p.h, p.inv_fy, kCanvasH, p.y0, p.y1, p.img_y);
  std::vector<uint8_t> out(static_cast<size_t>(photo_width) * photo_height, 0);
  for (int32_t y = 0; y < photo_height; ++y) {
    const int32_t r = rows[static_cast<size_t>(y)];
    if (r < 0) continue;
    for (int32_t x = 0; x < photo_width; ++x) {
      const int32_t c = cols[static_cast<size_t>(x)];
      // canvas.astype(np.uint8): truncation, so only a mask value of exactly 1 marks.
      if (c >= 0 && static_cast<uint8_t>(mask[static_cast<size_t>(r) * kHeadCropSize + c]) != 0)
        out[static_cast<size_t>(y) * photo_width + x] = 1;
    }
  }
  return out;
}

ImageU8 restore_overlay(const ImageU8& photo, const std::array<float, 5>& crop_param,
                        const std::vector<float>& mask) {
  P3D_CHECK(photo.channels == 3 &&
                photo.pixels.size() == static_cast<size_t>(photo.width) * photo.height * 3,
            "restore overlay: the photo must be 3-channel BGR (", photo.width, "x", photo.height,
            "x", photo.channels, ", ", photo.pixels.size(), " bytes)");
  const std::vector<uint8_t> m = restore_overlay_mask(photo.width, photo.height, crop_param, mask);
  // The original's float32 arithmetic, each product rounded (no FMA), then astype(uint8).
  uint8_t table[3][256];
  for (int ch = 0; ch < 3; ++ch)
    for (int level = 0; level < 256; ++level) {
      const float raw = static_cast<float>(level), mf = 1.f;
      const float tint = ch == 2 ? 256.f : 0.f;  // color_mask[:, :, -1] = 256
      const float keep = exact_mul(raw, 1.f - mf);
      const float dim = exact_mul(exact_mul(raw, mf), 0.8f);
      const float red = exact_mul(exact_mul(tint, mf), 0.2f);
      table[ch][level] = static_cast<uint8_t>((keep + dim) + red);
    }
  ImageU8 out = photo;
  for (size_t i = 0; i < m.size(); ++i)
    if (m[i])
      for (int ch = 0; ch < 3; ++ch) out.pixels[3 * i + ch] = table[ch][out.pixels[3 * i + ch]];
  return out;  // where m = 0 the blend is photo·1 + 0 + 0: the photo's own bytes
}

void write_restore_overlay_png(const std::string& path, const ImageU8& photo,
                               const std::array<float, 5>& crop_param,
                               const std::vector<float>& mask) {
  encode_and_write(path, restore_overlay(photo, crop_param, mask));
}

// ---- turntable -----------------------------------------------------------------------------

ImageU8 render_turntable(const HeadMesh& mesh, const TurntableOptions& o) {
  P3D_CHECK(o.view_size >= 2 && o.view_size <= 4096, "render_turntable: view size ", o.view_size,
            " outside [2, 4096]");
  P3D_CHECK(!o.yaw_degrees.empty() && o.yaw_degrees.size() <= 16,
            "render_turntable: ", o.yaw_degrees.size(), " views (1 to 16)");
  const CleanTriangles clean = clean_mesh_triangles(mesh, "render_turntable");
  const Views views = make_views(mesh, o);
  const size_t v = static_cast<size_t>(mesh.vertex_count());
  const int32_t f = static_cast<int32_t>(clean.triangles.size() / 3);

  RasterizeParams p;
  p.batch = views.count;
  p.vertex_count = mesh.vertex_count();
  p.triangle_count = f;
  p.width = p.height = o.view_size;
  p.channels = 3;
  p.background = 0.f;
  check_rasterize_params(p);
  check_rasterize_triangles(p, clean.triangles.data());
  std::vector<float> attributes;  // the colours, repeated per view
  attributes.reserve(static_cast<size_t>(views.count) * v * 3);
  for (int32_t n = 0; n < views.count; ++n)
    attributes.insert(attributes.end(), mesh.colors.begin(), mesh.colors.end());
  RasterizeInputs in;
  in.vertices = views.vertices.data();
  in.cameras = views.cameras.data();
  in.triangles = clean.triangles.data();
  in.attributes = attributes.data();
  const size_t plane = static_cast<size_t>(o.view_size) * o.view_size;
  Raster r;
  r.triangle_id.assign(plane * views.count, -1);
  r.colour.assign(plane * views.count * 3, 0.f);
  if (o.device.kind == DeviceKind::CUDA) {
    std::string reason;
    if (!cuda_available(&reason)) P3D_THROW("render_turntable on CUDA: ", reason);
#if defined(P3D_WITH_CUDA)
    rasterize_views_cuda(p, in, r.triangle_id, r.colour, o.device.index);
#endif
  } else {
    rasterize_cpu(p, in, r);
  }

  // Lambert term per (view, triangle) from the rotated corners' face normal.
  const double light_len = std::sqrt(0.4 * 0.4 + 0.5 * 0.5 + 1.0);
  const double light[3] = {-0.4 / light_len, 0.5 / light_len, 1.0 / light_len};
  std::vector<float> shade(static_cast<size_t>(views.count) * f);
  for (int32_t n = 0; n < views.count; ++n) {
    const float* pos = &views.vertices[static_cast<size_t>(n) * v * 3];
    for (int32_t t = 0; t < f; ++t) {
      const float* a = pos + 3 * static_cast<size_t>(clean.triangles[3 * t]);
      const float* b = pos + 3 * static_cast<size_t>(clean.triangles[3 * t + 1]);
      const float* c = pos + 3 * static_cast<size_t>(clean.triangles[3 * t + 2]);
      const double e1[3] = {double{b[0]} - a[0], double{b[1]} - a[1], double{b[2]} - a[2]};
      const double e2[3] = {double{c[0]} - a[0], double{c[1]} - a[1], double{c[2]} - a[2]};
      const double nx = e1[1] * e2[2] - e1[2] * e2[1], ny = e1[2] * e2[0] - e1[0] * e2[2],
                   nz = e1[0] * e2[1] - e1[1] * e2[0];
      const double len = std::sqrt(nx * nx + ny * ny + nz * nz);
      const double cosine =
          len > 0 ? std::fabs(nx * light[0] + ny * light[1] + nz * light[2]) / len : 0.0;
      shade[static_cast<size_t>(n) * f + t] = static_cast<float>(0.35 + 0.65 * cosine);
    }
  }

  ImageU8 out;
  out.width = o.view_size * views.count;
  out.height = o.view_size;
  out.channels = 3;
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * 3);
  for (int32_t n = 0; n < views.count; ++n)
    for (int32_t y = 0; y < o.view_size; ++y)
      for (int32_t x = 0; x < o.view_size; ++x) {
        const size_t src =
            static_cast<size_t>(n) * plane + static_cast<size_t>(y) * o.view_size + x;
        uint8_t* dst = &out.pixels[3 * (static_cast<size_t>(y) * out.width +
                                        static_cast<size_t>(n) * o.view_size + x)];
        const int32_t tri = r.triangle_id[src];
        if (tri < 0) {
          std::memcpy(dst, o.background.data(), 3);
          continue;
        }
        const double s = shade[static_cast<size_t>(n) * f + tri];
        for (int ch = 0; ch < 3; ++ch)  // RGB attribute -> BGR pixel
          dst[2 - ch] = to_level(r.colour[3 * src + ch] * s);
      }
  return out;
}

void write_turntable_png(const std::string& path, const HeadMesh& mesh,
                         const TurntableOptions& options) {
  encode_and_write(path, render_turntable(mesh, options));
}

// ---- depth and mask ------------------------------------------------------------------------

namespace {
ImageU8 plane_of(const DepthAndMask& r, int32_t n, const char* what) {
  P3D_CHECK(n >= 0 && n < r.batch, what, ": portrait ", n, " of ", r.batch);
  const size_t plane = static_cast<size_t>(r.width) * r.height;
  P3D_CHECK(r.depth.size() == plane * r.batch && r.mask.size() == plane * r.batch, what,
            ": the render holds ", r.depth.size(), " depth and ", r.mask.size(),
            " mask values for ", r.batch, " x ", r.height, " x ", r.width);
  ImageU8 g;
  g.width = r.width;
  g.height = r.height;
  g.channels = 1;
  g.pixels.assign(plane, 0);
  return g;
}
}  // namespace

void write_depth_png(const std::string& path, const DepthAndMask& render, int32_t n) {
  ImageU8 g = plane_of(render, n, "write_depth_png");
  const size_t plane = g.pixels.size(), base = plane * static_cast<size_t>(n);
  float lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < plane; ++i)
    if (render.mask[base + i] > 0.5f && std::isfinite(render.depth[base + i])) {
      lo = std::min(lo, render.depth[base + i]);
      hi = std::max(hi, render.depth[base + i]);
    }
  for (size_t i = 0; i < plane; ++i) {
    const float d = render.depth[base + i];
    if (!(render.mask[base + i] > 0.5f) || !std::isfinite(d)) continue;
    // d = 10 - z grows away from the camera: the nearest pixel is the brightest.
    const double t = hi > lo ? (static_cast<double>(hi) - d) / (static_cast<double>(hi) - lo) : 1.0;
    g.pixels[i] = to_level(64.0 + 191.0 * t);
  }
  encode_and_write(path, g);
}

void write_mask_png(const std::string& path, const DepthAndMask& render, int32_t n) {
  ImageU8 g = plane_of(render, n, "write_mask_png");
  const size_t base = g.pixels.size() * static_cast<size_t>(n);
  for (size_t i = 0; i < g.pixels.size(); ++i) g.pixels[i] = render.mask[base + i] > 0.5f ? 255 : 0;
  encode_and_write(path, g);
}

}  // namespace p3d
