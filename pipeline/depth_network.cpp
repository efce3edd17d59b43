// The depth net runner and its input (depth_network.h).
#include "pipeline/depth_network.h"

#include "kernels/error.h"

namespace p3d {

void make_depth_net_input(const DepthNetPortrait& p, float* out) {
  P3D_CHECK(p.crop_bgr && p.face_depth && p.facemask_withouthair && p.stitch_mask,
            "depth net input: a portrait is missing one of its four maps");
  const int32_t pixels = kDepthNetSize * kDepthNetSize;
  for (int32_t i = 0; i < pixels; ++i) {
    float* o = out + static_cast<size_t>(i) * kDepthNetChannels;
    // imgs_input / 255 in float32, as numpy divides a float32 array by an int.
    o[0] = static_cast<float>(p.crop_bgr[3 * i + 0]) / 255.f;
    o[1] = static_cast<float>(p.crop_bgr[3 * i + 1]) / 255.f;
    o[2] = static_cast<float>(p.crop_bgr[3 * i + 2]) / 255.f;
    o[3] = (10.f - p.face_depth[i]) * p.facemask_withouthair[i];
    o[4] = static_cast<float>(p.stitch_mask[i]);
  }
}

DepthNetwork::DepthNetwork(const std::string& path, Backend& backend, int batch)
    : net_(path, "depth net", backend, batch, "inputs",
           {kDepthNetSize, kDepthNetSize, kDepthNetChannels}, "depth_map") {}

std::vector<float> DepthNetwork::run(const float* inputs, int count) {
  Shape shape;
  std::vector<float> depth = net_.run(inputs, count, &shape);
  P3D_CHECK(
      shape.rank() == 4 && shape[1] == kDepthNetSize && shape[2] == kDepthNetSize && shape[3] == 1,
      "depth net (", net_.path(), "): output 'depth_map' is ", shape.str(), ", expected [",
      net_.batch(), ", 256, 256, 1]");
  return depth;
}

}  // namespace p3d
