// Writing a HeadMesh (pipeline/head_mesh.h) as OBJ, binary PLY or GLB, the three files
// `portrait3d run` produces. Every format carries the same vertex array in the original's
// order (face, then hair/ear, then stitch vertices; none dropped, so vertex ids agree across
// formats and with the mesh in memory) and the same cleaned triangle list.
//
// What differs from the original (step4_save_obj.py): its face lines print numpy floats
// ("f 1.0 2.0 3.0", which strict OBJ readers reject) and keep degenerate and duplicate
// triangles. Here indices are integers and, before writing, the triangle list is cleaned:
//   * degenerate triangles are dropped: a repeated vertex id, or corners whose positions give
//     an exactly zero cross product (coincident or collinear: padding vertices stacked on one
//     point), computed in double;
//   * duplicates are dropped: a triangle with the same three vertex ids as an earlier one, in
//     any order or winding; the first is kept.
// Refused with a p3d::Error naming the file (nothing is written): mismatched array sizes,
// a vertex split that does not add up to the vertex count, a vertex id outside [0, V),
// a non-finite position or colour, no vertex, or no triangle left after cleaning.
//
// Colours: the mesh keeps RGB 0..255 floats. OBJ writes them as floats like the original
// ("v x y z r g b", '%f'); PLY and GLB need bytes: byte = round-half-away(c) clamped to
// [0, 255]. GLB's COLOR_0 is float VEC3 in glTF's linear space: the byte's sRGB value
// decoded to linear (the photo colours are sRGB), so viewers show the photo's colours; float
// VEC3 is the COLOR_0 form every glTF loader reads. Its material is white, non-metallic,
// double-sided (the head is an open shell) and asks for KHR_materials_unlit (optional),
// so viewers that know it show the colours as sampled. Positions stay in the camera frame
// (y up, as glTF wants; nothing is flipped).
//
// All writers format into memory with std::to_chars (no iostream per number) and write the
// result through the atomic writer (pipeline/atomic_file.h): no half file on failure.
// write_obj formats line ranges in parallel on cpu::ThreadPool::global(), so it must not be
// called from inside a body of that pool's parallel_for (the pool refuses nested calls).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/head_mesh.h"

namespace p3d {

// What a writer wrote.
struct MeshExportStats {
  int32_t vertices = 0;            // written (all of the mesh's)
  int32_t triangles = 0;           // written after cleaning
  int32_t dropped_degenerate = 0;  // repeated id or zero area
  int32_t dropped_duplicate = 0;   // same vertex set as an earlier triangle
  size_t bytes = 0;                // file size
};

// The cleaned triangle list (0-based, [F', 3]) and the counts dropped. Validates the mesh
// first; `what` names the file (or caller) in errors.
struct CleanTriangles {
  std::vector<int32_t> triangles;
  int32_t dropped_degenerate = 0;
  int32_t dropped_duplicate = 0;
};
CleanTriangles clean_mesh_triangles(const HeadMesh& mesh, const std::string& what);

// A colour float (0..255) as a byte: rounded half away from zero, clamped to [0, 255].
uint8_t color_to_byte(float value);

// The writers. Each validates, cleans and writes atomically; throws p3d::Error naming `path`.
MeshExportStats write_obj(const std::string& path, const HeadMesh& mesh);
MeshExportStats write_ply(const std::string& path, const HeadMesh& mesh);
MeshExportStats write_glb(const std::string& path, const HeadMesh& mesh);

}  // namespace p3d
