// Depth-map rendering of a posed mesh, as Deep3dPortrait does it with tf_mesh_renderer
// (docs/pipeline.md, step 5: the face into the 256x256 head crop; step 10: the whole head).
// The original (step1_recon_3d_face.py, utils/create_renderer.py, utils/render/*) renders
// the vertices with the per-vertex attribute d = 10 - z (tiled to 3 channels), camera at
// (0, 0, 10) looking at the origin with up (0, 1, 0), fov_y = 2·atan2(size//2, focal) in
// degrees, near 0.01, far 30, delta_center = (centre - size//2) / (size//2), background -1;
// then phong_shader keeps mask = any(attribute >= 0) and rgb = attribute where masked, else 0,
// and flips the rows so row 0 is the top. We interpolate one channel instead of three copies
// (the same numbers) and apply the same two rules.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/tensor.h"
#include "kernels/rasterizer.h"

namespace p3d {

constexpr float kRenderCameraZ = 10.f;    // create_renderer.py camera_position (0, 0, 10)
constexpr float kRenderNearClip = 0.01f;  // mesh_renderer.py default near_clip
constexpr float kRenderFarClip = 30.f;    // create_renderer.py far_clip=30.0

// The camera of one portrait's render: the face3d record's focal and centre (data[0],
// data[1:3] in step1_recon_3d_face.py), in crop pixels with y up.
struct RenderCamera {
  float focal = 0.f;
  float cx = 0.f, cy = 0.f;
};

struct DepthRenderInput {
  int32_t batch = 0;                      // N portraits
  int32_t vertex_count = 0;               // V
  const float* vertices = nullptr;        // [N, V, 3] posed, world frame: eye at z = 10
  int32_t triangle_count = 0;             // F
  const int32_t* triangles = nullptr;     // [F, 3] 0-based vertex ids, shared by the batch
  const RenderCamera* cameras = nullptr;  // [N]
  int32_t width = 256;                    // output size (the original: 256 x 256)
  int32_t height = 256;
};

struct DepthAndMask {
  int32_t batch = 0, height = 0, width = 0;
  std::vector<float> depth;  // [N, H, W] interpolated 10 - z where mask is 1, else 0
  std::vector<float> mask;   // [N, H, W] 1 where the mesh covers the pixel (and 10 - z >= 0)
};

// The rasterizer camera of create_renderer.py for one portrait.
RasterCamera portrait_render_camera(const RenderCamera& camera, int32_t width, int32_t height);

// Renders every portrait's mesh on the CPU or the GPU (DeviceKind::CUDA; throws p3d::Error
// with the reason when CUDA is unavailable). Checks sizes, pointers, triangle ids and
// cameras (finite focal > 0) first. Returns host arrays, row 0 at the top.
DepthAndMask render_depth_and_mask(const DepthRenderInput& input, Device device = DeviceKind::CPU);

}  // namespace p3d
