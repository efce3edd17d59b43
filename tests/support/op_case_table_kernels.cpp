// The pipeline kernels' cases: the rasterizer, the 3DMM passes, the head crops and the
// face alignment, at the sizes the pipeline runs them.
#include "kernels/face3dmm.h"
#include "tests/support/op_case_builders.h"

namespace p3d::test::cases {

void add_pipeline_kernel_cases(std::vector<OpCase>& t) {
  // A face-like mesh (3 posed images of a sphere cap) and a folded bumpy surface.
  const Scene face = sphere_cap_scene(3, 120, 130, 256), bumpy = bumpy_surface(128, 40, 36, 5u);
  for (RasterOutput output : {RasterOutput::TriangleId, RasterOutput::Barycentric,
                              RasterOutput::Attributes, RasterOutput::Mask, RasterOutput::Depth}) {
    t.push_back(rasterize_case(face, "sphere_cap", output));
    t.push_back(rasterize_case(bumpy, "bumpy", output));
  }

  // The real model's sizes: 35709 vertices, raw R-Net rows of 258 floats.
  const int32_t v = 35709, batch = 5, stride = 258;
  t.push_back(face_basis_product_case(batch, int64_t{3} * v, FaceCoeff::kShapeDims, stride));
  t.push_back(face_basis_product_case(3, int64_t{3} * 1500, 80, FaceCoeff::kCount));
  for (FaceVertexOutput output :
       {FaceVertexOutput::Canonical, FaceVertexOutput::Posed, FaceVertexOutput::Projection})
    t.push_back(face_vertices_case(batch, v, stride, output));
  t.push_back(face_project_points_case(batch, v));
  t.push_back(face_triangle_normals_case(batch, v));
  t.push_back(face_vertex_colors_case(batch, v, stride));

  t.push_back(crop_resample_case(true));
  t.push_back(crop_resample_case(false));
  t.push_back(align_faces_case());
}

}  // namespace p3d::test::cases
