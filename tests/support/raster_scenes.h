// Rasterizer scenes shared by the rasterizer's own tests (tests/rasterizer_test.cpp) and
// the kernel agreement cases (op_case_builders_geometry.cpp): the host arrays of one
// rasterize_triangles call, built from a few parameters so every user gets the same scene.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/rasterizer.h"

namespace p3d::test {

struct Scene {
  RasterizeParams p;
  std::vector<float> vertices;     // [N, V, 3]
  std::vector<float> cameras;      // [N, 18]
  std::vector<int32_t> triangles;  // [F, 3]
  std::vector<float> attributes;   // [N, V, C]
};

// The camera that maps world coordinates to themselves (w = 1): vertices given in NDC.
std::vector<float> identity_camera();
// A camera as rasterize_triangles reads it: clip_from_world row-major, then ndc_offset.
std::vector<float> flat_camera(const RasterCamera& cam);
// A one-image scene of `size` x `size` with an identity camera: vertices are NDC.
Scene ndc_scene(int32_t size, int32_t channels = 0);
void add_triangle(Scene& s, int32_t a, int32_t b, int32_t c);

// A jittered (gx x gy) grid of a wavy surface over most of the image (NDC, one channel:
// 3z + 1), plus one triangle folded through it, so the z-buffer has real work to do.
Scene bumpy_surface(int32_t size, int gx, int gy, uint32_t seed);
// A face-like mesh: a (rows x cols) grid over a unit sphere cap facing +z, posed per image
// by a small rotation about y and a shift, as the portrait meshes are, seen through the
// portrait camera (eye at z = 10, focal 800 + 40n, centre (128 + n, 126)); two channels
// (10 - z, x).
Scene sphere_cap_scene(int32_t batch, int rows, int cols, int32_t size);

}  // namespace p3d::test
