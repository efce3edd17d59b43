// stitch(): input checks, the two searches on the chosen backend, then on the host the
// first-occurrence de-duplication, the stitch vertex gather, our Delaunay triangulation and
// the 3D edge filter (see pipeline/stitching.h for what each step reproduces). The CUDA
// searches are in stitching_cuda.cpp (the device context of the given device, as
// render_depth_and_mask); only the ring matches [R] and the nearest face ids [Q] come back
// from the device.
#include "pipeline/stitching.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "kernels/cpu/stitch_search.h"
#include "kernels/error.h"
#include "kernels/stitch_search.h"
#include "pipeline/delaunay_2d.h"

namespace p3d {

#if defined(P3D_WITH_CUDA)
void match_ring_cuda(const RingMatchParams& p, const int32_t* ring_pixels,
                     const int32_t* pixel_vertex, int32_t* matched, int device_index);
void nearest_face_cuda(const NearestFaceParams& p, const float* queries, const float* face_xyz,
                       int32_t* nearest, int device_index);
#endif

namespace {

#if defined(P3D_WITH_CUDA)
#endif

void check_finite(const float* values, int64_t count, const char* what) {
  for (int64_t i = 0; i < count; ++i)
    if (!std::isfinite(values[i]))
      P3D_THROW("stitch: ", what, " row ", i / 3, " has a non-finite value ", values[i]);
}

void check_input(const StitchInput& in) {
  P3D_CHECK(
      in.height >= 1 && in.width >= 1 && static_cast<int64_t>(in.height) * in.width < (1 << 30),
      "stitch: mask size ", in.width, "x", in.height);
  P3D_CHECK(in.ring != nullptr, "stitch: no ring mask");
  const int64_t pixels = static_cast<int64_t>(in.height) * in.width;
  for (int64_t i = 0; i < pixels; ++i)
    if (in.ring[i] > 1)
      P3D_THROW("stitch: ring mask pixel (", i / in.width, ", ", i % in.width, ") is ",
                int{in.ring[i]}, ", expected 0 or 1");
  P3D_CHECK(in.hair_count >= 0 && in.hair_count <= pixels, "stitch: hair_count ", in.hair_count,
            " outside [0, ", pixels, "] (one vertex per pixel)");
  if (in.hair_count > 0)
    P3D_CHECK(in.points_index && in.hair_xyz && in.hair_colors,
              "stitch: hair points_index, xyz or colours missing for ", in.hair_count, " vertices");
  int64_t previous = -1;
  for (int32_t k = 0; k < in.hair_count; ++k) {
    const int32_t r = in.points_index[2 * k], c = in.points_index[2 * k + 1];
    if (r < 0 || r >= in.height || c < 0 || c >= in.width)
      P3D_THROW("stitch: points_index row ", k, " = (", r, ", ", c, ") outside the ", in.height,
                "x", in.width, " mask");
    const int64_t linear = static_cast<int64_t>(r) * in.width + c;
    if (linear <= previous)
      P3D_THROW("stitch: points_index row ", k, " = (", r, ", ", c,
                ") is not after the previous one in row-major order (must be unique, sorted)");
    previous = linear;
  }
  check_finite(in.hair_xyz, 3 * static_cast<int64_t>(in.hair_count), "hair_xyz");
  check_finite(in.hair_colors, 3 * static_cast<int64_t>(in.hair_count), "hair_colors");
  P3D_CHECK(in.face_count >= 1, "stitch: face_count ", in.face_count, " (need face vertices)");
  P3D_CHECK(in.face_xyz && in.face_colors, "stitch: face xyz or colours missing");
  check_finite(in.face_xyz, 3 * static_cast<int64_t>(in.face_count), "face_xyz");
  check_finite(in.face_colors, 3 * static_cast<int64_t>(in.face_count), "face_colors");
  P3D_CHECK(in.border_count >= 0, "stitch: border_count ", in.border_count, " is negative");
  P3D_CHECK(in.border_count == 0 || in.border_index, "stitch: border_index missing for ",
            in.border_count, " ids");
  for (int32_t b = 0; b < in.border_count; ++b)
    if (in.border_index[b] < 0 || in.border_index[b] >= in.face_count)
      P3D_THROW("stitch: border_index[", b, "] = ", in.border_index[b], " outside [0, ",
                in.face_count, ")");
}

// Unique values >= 0 in first-occurrence order (np.unique(..., return_index) then sort).
std::vector<int32_t> unique_in_order(const std::vector<int32_t>& values, int32_t bound) {
  std::vector<uint8_t> seen(bound, 0);
  std::vector<int32_t> out;
  for (int32_t v : values) {
    if (v < 0 || seen[v]) continue;
    seen[v] = 1;
    out.push_back(v);
  }
  return out;
}

// The searches' host-side arrays, shared by both backends.
struct SearchData {
  RingMatchParams ring_params;
  std::vector<int32_t> ring_pixels;   // [R]
  std::vector<int32_t> pixel_vertex;  // [H·W]
  std::vector<int32_t> matched;       // [R]
};

void match_ring(SearchData& s, Device device) {
  if (device.kind == DeviceKind::CPU || s.ring_params.ring_count == 0) {
    RingMatchInputs in{s.ring_pixels.data(), s.pixel_vertex.data()};
    cpu::match_ring_to_hair(cpu::ThreadPool::global(), s.ring_params, in, s.matched.data());
    return;
  }
#if defined(P3D_WITH_CUDA)
  match_ring_cuda(s.ring_params, s.ring_pixels.data(), s.pixel_vertex.data(), s.matched.data(),
                  device.index);
#endif
}

std::vector<int32_t> nearest_face(const std::vector<float>& queries, const StitchInput& input,
                                  Device device) {
  NearestFaceParams p;
  p.query_count = static_cast<int32_t>(queries.size() / 3);
  p.face_count = input.face_count;
  std::vector<int32_t> nearest(p.query_count, -1);
  if (device.kind == DeviceKind::CPU || p.query_count == 0) {
    NearestFaceInputs in{queries.data(), input.face_xyz};
    cpu::nearest_face_vertices(cpu::ThreadPool::global(), p, in, nearest.data());
    return nearest;
  }
#if defined(P3D_WITH_CUDA)
  nearest_face_cuda(p, queries.data(), input.face_xyz, nearest.data(), device.index);
#endif
  return nearest;
}

void append_rows(const float* src, const std::vector<int32_t>& rows, std::vector<float>* dst) {
  for (int32_t r : rows)
    dst->insert(dst->end(), src + 3 * static_cast<int64_t>(r),
                src + 3 * static_cast<int64_t>(r) + 3);
}

}  // namespace

StitchResult stitch(const StitchInput& input, Device device) {
  check_input(input);
  if (device.kind == DeviceKind::CUDA) {
    std::string reason;
    if (!cuda_available(&reason)) P3D_THROW("stitch on CUDA: ", reason);
  }
  const int32_t pixels = input.height * input.width;

  // 1. Ring pixels -> hair boundary vertices.
  SearchData s;
  s.ring_params.height = input.height;
  s.ring_params.width = input.width;
  for (int32_t i = 0; i < pixels; ++i)
    if (input.ring[i]) s.ring_pixels.push_back(i);
  s.ring_params.ring_count = static_cast<int32_t>(s.ring_pixels.size());
  s.pixel_vertex.assign(pixels, kStitchNone);
  for (int32_t k = 0; k < input.hair_count; ++k)
    s.pixel_vertex[input.points_index[2 * k] * input.width + input.points_index[2 * k + 1]] = k;
  s.matched.assign(s.ring_pixels.size(), kStitchNone);
  match_ring(s, device);
  StitchResult out;
  out.hair_boundary_ind = unique_in_order(s.matched, input.hair_count);

  // 2. Hair boundary vertices -> nearest face vertices, then the face border.
  std::vector<float> queries;
  append_rows(input.hair_xyz, out.hair_boundary_ind, &queries);
  std::vector<int32_t> face_ids = nearest_face(queries, input, device);
  face_ids.insert(face_ids.end(), input.border_index, input.border_index + input.border_count);
  out.face_boundary_ind = unique_in_order(face_ids, input.face_count);

  // 3. Stitch vertices, triangulation of their (x, y), 3D edge filter.
  append_rows(input.face_xyz, out.face_boundary_ind, &out.xyz);
  append_rows(input.hair_xyz, out.hair_boundary_ind, &out.xyz);
  append_rows(input.face_colors, out.face_boundary_ind, &out.colors);
  append_rows(input.hair_colors, out.hair_boundary_ind, &out.colors);
  const int32_t count = out.vertex_count();
  std::vector<double> xy(2 * static_cast<size_t>(count));
  for (int32_t i = 0; i < count; ++i) {
    xy[2 * i] = out.xyz[3 * i];
    xy[2 * i + 1] = out.xyz[3 * i + 1];
  }
  const Delaunay2D tri = delaunay_2d(xy.data(), count);
  for (int32_t t = 0; t < tri.triangle_count(); ++t) {
    const int32_t* v = &tri.triangles[3 * t];
    bool keep = true;
    for (int e = 0; e < 3 && keep; ++e) {
      const double d2 = stitch_dist2(&out.xyz[3 * v[e]], &out.xyz[3 * v[(e + 1) % 3]]);
      keep = std::sqrt(d2) <= kStitchMaxEdge;
    }
    if (keep) out.triangles.insert(out.triangles.end(), v, v + 3);
  }
  return out;
}

}  // namespace p3d
