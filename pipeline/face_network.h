// Stage 1, step 2: the R-Net (model_mask3_white_light.pb, a frozen TF 1.x graph: input
// `input_imgs` [N, 224, 224, 3] float BGR 0..255, output `coeff` [N, 258]) run by our importer
// and executor for a fixed batch (pipeline/batched_network.h).
#pragma once

#include <string>
#include <vector>

#include "engine/backend.h"
#include "pipeline/batched_network.h"

namespace p3d {

class FaceNetwork {
 public:
  // Imports `path` for batches of `batch` images and compiles it for `backend` (which must
  // outlive the network). Throws p3d::Error naming the file on any problem, including an
  // output that is not [batch, >= 257].
  FaceNetwork(const std::string& path, Backend& backend, int batch);

  int batch() const { return net_.batch(); }
  int coeff_count() const { return coeff_count_; }  // values per image (258 for the real R-Net)

  // images: [count, 224, 224, 3] (count <= batch). Returns [count, coeff_count()].
  std::vector<float> run(const float* images, int count);
  // The same from batch() crops already on `device` (align_images_on_device).
  std::vector<float> run_on_device(const float* device_images, Device device, int count);

  Executor& executor() { return net_.executor(); }

 private:
  void check_output(const Shape& shape);  // [batch, >= 257]; sets coeff_count_

  BatchedNetwork net_;
  int coeff_count_ = 0;
};

}  // namespace p3d
