// HeadStage (head_stage.h): the units of stages 2-4 in order, batched where the unit is.
#include "pipeline/head_stage.h"

#include <chrono>

#include "kernels/error.h"
#include "pipeline/hair_triangulation.h"
#include "pipeline/head_geometry.h"
#include "pipeline/head_masks.h"
#include "pipeline/stitching.h"

namespace p3d {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int32_t kCrop = 256;
constexpr size_t kPlane = static_cast<size_t>(kCrop) * kCrop;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// BGR colour rows (the original's textures) -> RGB (what its OBJ writes: texture[::-1]).
void append_rgb(const std::vector<float>& bgr, std::vector<float>& out) {
  for (size_t i = 0; i + 2 < bgr.size(); i += 3)
    out.insert(out.end(), {bgr[i + 2], bgr[i + 1], bgr[i]});
}

void append_offset(const std::vector<int32_t>& ids, int32_t offset, std::vector<int32_t>& out) {
  for (int32_t id : ids) out.push_back(id + offset);
}

}  // namespace

void HeadStageTimings::add(const HeadStageTimings& o) {
  masks_ms += o.masks_ms;
  triangulate_ms += o.triangulate_ms;
  depth_net_ms += o.depth_net_ms;
  geometry_ms += o.geometry_ms;
  render_ms += o.render_ms;
  stitch_ms += o.stitch_ms;
  mesh_ms += o.mesh_ms;
  masks_transfers += o.masks_transfers;
  triangulate_transfers += o.triangulate_transfers;
  depth_net_transfers += o.depth_net_transfers;
  geometry_transfers += o.geometry_transfers;
  render_transfers += o.render_transfers;
  stitch_transfers += o.stitch_transfers;
  mesh_transfers += o.mesh_transfers;
}

HeadStage::HeadStage(const FaceModel& model, const std::vector<int32_t>& face_triangles,
                     DepthNetwork& depth_net, Device device)
    : face_triangles_(face_triangles),
      border_index_(model.border_index),
      depth_net_(depth_net),
      device_(device) {}

std::vector<HeadResult> HeadStage::run(const std::vector<const Step1Record*>& records,
                                       HeadStageTimings* timings) {
  HeadStageTimings t;
  const int32_t n = static_cast<int32_t>(records.size());
  std::vector<HeadResult> results(n);
  if (n == 0) return results;
  P3D_CHECK(n <= depth_net_.batch(), "head stage: ", n, " portraits for a depth net batch of ",
            depth_net_.batch());
  for (int32_t b = 0; b < n; ++b) {
    const Step1Record& r = *records[b];
    P3D_CHECK(r.mask.size() == kPlane && r.face_mask.size() == kPlane && r.img.size() == 3 * kPlane,
              "head stage: portrait ", b, " has no 256x256 crop, labels or face render");
    double covered = 0;
    for (float m : r.face_mask) covered += m;
    P3D_CHECK(covered > 0, "the face does not appear in the head crop (its render is empty)");
  }

  HostTransferMeter transfers(device_);  // what each step's units copy (zeros on the CPU)

  // 6. Masks.
  Clock::time_point start = Clock::now();
  std::vector<uint8_t> labels(n * kPlane);
  std::vector<float> render_mask(n * kPlane);
  for (int32_t b = 0; b < n; ++b) {
    std::copy(records[b]->mask.begin(), records[b]->mask.end(), labels.begin() + b * kPlane);
    std::copy(records[b]->face_mask.begin(), records[b]->face_mask.end(),
              render_mask.begin() + b * kPlane);
  }
  std::vector<HeadMasks> masks = compute_head_masks(labels, render_mask, n, device_);
  t.masks_ms = ms_since(start);
  t.masks_transfers = transfers.take();

  // 7. Hair/ear triangulation of the stitch masks.
  start = Clock::now();
  std::vector<uint8_t> stitch_masks(n * kPlane);
  for (int32_t b = 0; b < n; ++b)
    std::copy(masks[b].stitch_mask.begin(), masks[b].stitch_mask.end(),
              stitch_masks.begin() + b * kPlane);
  std::vector<MaskTriangulation> grids =
      triangulate_masks(stitch_masks.data(), n, kCrop, kCrop, device_);
  t.triangulate_ms = ms_since(start);
  t.triangulate_transfers = transfers.take();

  // 8. The depth net, one batch.
  start = Clock::now();
  std::vector<float> net_input(n * kPlane * kDepthNetChannels);
  for (int32_t b = 0; b < n; ++b) {
    DepthNetPortrait p;
    p.crop_bgr = records[b]->img.data();
    p.face_depth = records[b]->face_depthmap.data();
    p.facemask_withouthair = masks[b].facemask_withouthair.data();
    p.stitch_mask = masks[b].stitch_mask.data();
    make_depth_net_input(p, net_input.data() + b * kPlane * kDepthNetChannels);
  }
  const std::vector<float> depth = depth_net_.run(net_input.data(), n);
  t.depth_net_ms = ms_since(start);
  t.depth_net_transfers = transfers.take();
  if (device_.kind == DeviceKind::CUDA)  // the engine's copies: the padded batch, both ways
    t.depth_net_transfers += network_transfers(depth_net_.batch(), kPlane * kDepthNetChannels,
                                               depth.size() / static_cast<size_t>(n));

  for (int32_t b = 0; b < n; ++b) {
    const Step1Record& r = *records[b];
    HeadResult& out = results[b];
    const MaskTriangulation& grid = grids[b];
    out.step2.input_mask.assign(masks[b].stitch_mask.begin(), masks[b].stitch_mask.end());
    out.step2.points_index = grid.points;
    out.step2.points_tri = grid.triangles;
    out.step2.facemask_withouthair = masks[b].facemask_withouthair;

    // 9. Back-projection and colours.
    start = Clock::now();
    HeadGeometryInput gi;
    gi.crop_bgr = r.img.data();
    gi.depth = depth.data() + b * kPlane;
    gi.camera = {r.face3d[0], r.face3d[1], r.face3d[2]};
    gi.point_count = grid.vertex_count();
    gi.points = grid.points.data();
    gi.face_vertex_count = r.vertex_count;
    gi.face_projection = r.face_projection.data();
    HeadGeometry geometry = compute_head_geometry(gi, device_);
    t.geometry_ms += ms_since(start);
    t.geometry_transfers += transfers.take();

    // 10. The whole head rendered with the face stage's camera and rasterizer.
    start = Clock::now();
    const int32_t v = r.vertex_count, k = grid.vertex_count();
    std::vector<float> head_vertices(r.face_shape);
    head_vertices.insert(head_vertices.end(), geometry.hair_xyz.begin(), geometry.hair_xyz.end());
    std::vector<int32_t> head_triangles(face_triangles_);
    append_offset(grid.triangles, v, head_triangles);
    const RenderCamera camera{r.face3d[0], r.face3d[1], r.face3d[2]};
    DepthRenderInput ri;
    ri.batch = 1;
    ri.vertex_count = v + k;
    ri.vertices = head_vertices.data();
    ri.triangle_count = static_cast<int32_t>(head_triangles.size() / 3);
    ri.triangles = head_triangles.data();
    ri.cameras = &camera;
    out.head_render = render_depth_and_mask(ri, device_);
    t.render_ms += ms_since(start);
    t.render_transfers += transfers.take();

    // 11. Stitching.
    start = Clock::now();
    StitchInput si;
    si.ring = masks[b].stitch_ring.data();
    si.hair_count = k;
    si.points_index = grid.points.data();
    si.hair_xyz = geometry.hair_xyz.data();
    si.hair_colors = geometry.hair_bgr.data();
    si.face_count = v;
    si.face_xyz = r.face_shape.data();
    si.face_colors = geometry.face_bgr.data();
    si.border_count = static_cast<int32_t>(border_index_.size());
    si.border_index = border_index_.data();
    StitchResult stitched = stitch(si, device_);
    out.stitch_hair_vertices = static_cast<int32_t>(stitched.hair_boundary_ind.size());
    out.stitch_face_vertices = static_cast<int32_t>(stitched.face_boundary_ind.size());
    t.stitch_ms += ms_since(start);
    t.stitch_transfers += transfers.take();

    // 12. The mesh: face, hair/ear, stitch.
    start = Clock::now();
    HeadMesh& mesh = out.mesh;
    const int32_t s = static_cast<int32_t>(stitched.xyz.size() / 3);
    mesh.face_vertex_count = v;
    mesh.hair_ear_vertex_count = k;
    mesh.stitch_vertex_count = s;
    mesh.positions = head_vertices;
    mesh.positions.insert(mesh.positions.end(), stitched.xyz.begin(), stitched.xyz.end());
    mesh.colors.reserve(mesh.positions.size());
    append_rgb(geometry.face_bgr, mesh.colors);
    append_rgb(geometry.hair_bgr, mesh.colors);
    append_rgb(stitched.colors, mesh.colors);
    mesh.triangles = std::move(head_triangles);
    append_offset(stitched.triangles, v + k, mesh.triangles);
    t.mesh_ms += ms_since(start);
    t.mesh_transfers += transfers.take();

    out.step3.hairear_shape = std::move(geometry.hair_xyz);
    out.step3.hairear_texture = std::move(geometry.hair_bgr);
    out.step3.face_texture = std::move(geometry.face_bgr);
    out.step3.depth = out.head_render.depth;
    out.step3.mask = out.head_render.mask;
  }
  if (timings) *timings = t;
  return results;
}

}  // namespace p3d
