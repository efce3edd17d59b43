// Stage 3, the depth net (depth_net.pb, a frozen TF 1.x U-Net: input `inputs` [N, 256, 256, 5],
// output `depth_map` [N, 256, 256, 1]) and its input, as step3_get_head_geometry.py builds it:
//   channels 0-2  the head crop / 255, BGR (the step-1 'img' as the original's cv2 arrays)
//   channel 3     (10 - face depth) · facemask_withouthair   (face depth: the step-1 render)
//   channel 4     the stitch mask (step 2's input_mask)
// Note (10 - face_depthmap) is 10 off the face (the depth map is 0 there) before the mask
// zeroes it: the net sees the face's z = 10 - depth where the face shows, 0 elsewhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "pipeline/batched_network.h"

namespace p3d {

constexpr int32_t kDepthNetSize = 256;
constexpr int32_t kDepthNetChannels = 5;

// One portrait's inputs to the depth net, all [256, 256] (row 0 at the top).
struct DepthNetPortrait {
  const uint8_t* crop_bgr = nullptr;            // [256, 256, 3]
  const float* face_depth = nullptr;            // rendered 10 - z, 0 off the face
  const float* facemask_withouthair = nullptr;  // 0/1
  const uint8_t* stitch_mask = nullptr;         // 0/1
};

// Writes one portrait's [256, 256, 5] input into `out`.
void make_depth_net_input(const DepthNetPortrait& portrait, float* out);

class DepthNetwork {
 public:
  DepthNetwork(const std::string& path, Backend& backend, int batch);
  int batch() const { return net_.batch(); }

  // inputs: [count, 256, 256, 5]. Returns the depth maps [count, 256, 256].
  std::vector<float> run(const float* inputs, int count);

  Executor& executor() { return net_.executor(); }

 private:
  BatchedNetwork net_;
};

}  // namespace p3d
