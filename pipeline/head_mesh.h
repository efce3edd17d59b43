// The reconstructed head of one portrait, in memory: what `portrait3d run` exports (OBJ, PLY,
// GLB) and what the C++ API hands back. Vertices come in the original's order — the face
// model's V vertices, then one per hair/ear pixel, then the stitch vertices — and triangles
// index that one array, so a mesh reads the same in every format.
#pragma once

#include <cstdint>
#include <vector>

namespace p3d {

struct HeadMesh {
  // Vertex positions [V, 3] in the camera frame of the reconstruction (eye at z = 10 looking
  // down -z, y up), the frame the original's OBJ files use.
  std::vector<float> positions;
  // Vertex colours [V, 3], RGB, 0..255 as floats (bilinear samples of the crop keep their
  // fraction, as the original writes them).
  std::vector<float> colors;
  // Triangles [F, 3], 0-based vertex ids, counter-clockwise seen from the camera.
  std::vector<int32_t> triangles;
  // How the vertex array is split (face + hair_ear + stitch = vertex_count()).
  int32_t face_vertex_count = 0;
  int32_t hair_ear_vertex_count = 0;
  int32_t stitch_vertex_count = 0;

  int32_t vertex_count() const { return static_cast<int32_t>(positions.size() / 3); }
  int32_t triangle_count() const { return static_cast<int32_t>(triangles.size() / 3); }
};

}  // namespace p3d
