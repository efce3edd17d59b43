// build_face_only (face_mesh.h).
#include "pipeline/face_mesh.h"

#include "kernels/error.h"
#include "pipeline/head_geometry.h"

namespace p3d {
namespace {

constexpr int32_t kCrop = 256;
constexpr size_t kPlane = static_cast<size_t>(kCrop) * kCrop;

}  // namespace

FaceOnlyResult build_face_only(const Step1Record& r, Device device) {
  const int32_t v = r.vertex_count;
  P3D_CHECK(v > 0 && r.face_shape.size() == static_cast<size_t>(v) * 3 &&
                r.face_projection.size() == static_cast<size_t>(v) * 2,
            "face-only mesh: the record's vertices or projection are missing");
  P3D_CHECK(r.triangles && !r.triangles->empty() && r.triangles->size() % 3 == 0,
            "face-only mesh: the record has no face triangles");
  P3D_CHECK(r.img.size() == 3 * kPlane && r.face_depthmap.size() == kPlane &&
                r.face_mask.size() == kPlane && r.face3d.size() >= 3,
            "face-only mesh: the record has no 256x256 crop, face render or camera");
  double covered = 0;
  for (float m : r.face_mask) covered += m;
  P3D_CHECK(covered > 0, "the face does not appear in the head crop (its render is empty)");

  HeadGeometryInput gi;
  gi.crop_bgr = r.img.data();
  gi.depth = r.face_depthmap.data();  // unused with no hair/ear points, but required
  gi.camera = {r.face3d[0], r.face3d[1], r.face3d[2]};
  gi.point_count = 0;
  gi.face_vertex_count = v;
  gi.face_projection = r.face_projection.data();
  const HeadGeometry geometry = compute_head_geometry(gi, device);

  FaceOnlyResult out;
  HeadMesh& mesh = out.mesh;
  mesh.face_vertex_count = v;
  mesh.positions = r.face_shape;
  mesh.colors.resize(geometry.face_bgr.size());
  for (size_t i = 0; i + 2 < geometry.face_bgr.size(); i += 3) {
    mesh.colors[i] = geometry.face_bgr[i + 2];
    mesh.colors[i + 1] = geometry.face_bgr[i + 1];
    mesh.colors[i + 2] = geometry.face_bgr[i];
  }
  mesh.triangles = *r.triangles;
  out.render.batch = 1;
  out.render.height = out.render.width = kCrop;
  out.render.depth = r.face_depthmap;
  out.render.mask = r.face_mask;
  return out;
}

}  // namespace p3d
