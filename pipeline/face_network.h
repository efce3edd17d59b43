// Stage 1, step 2 (DESIGN.md §1): the R-Net (model_mask3_white_light.pb, a frozen TF 1.x
// graph: input `input_imgs` [N, 224, 224, 3] float BGR 0..255, output `coeff` [N, 258]) run
// by our importer and executor. The graph is imported once for a fixed batch; a shorter
// last batch is padded with copies of its last image, so one memory plan serves every call.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/backend.h"

namespace p3d {

class Executor;

class FaceNetwork {
 public:
  // Imports `path` for batches of `batch` images and compiles it for `backend` (which must
  // outlive the network). Throws p3d::Error naming the file on any problem, including an
  // output that is not [batch, >= 257].
  FaceNetwork(const std::string& path, Backend& backend, int batch);
  ~FaceNetwork();
  FaceNetwork(const FaceNetwork&) = delete;
  FaceNetwork& operator=(const FaceNetwork&) = delete;

  int batch() const { return batch_; }
  int coeff_count() const { return coeff_count_; }  // values per image (258 for the real R-Net)

  // images: [count, 224, 224, 3] (count <= batch). Returns [count, coeff_count()].
  std::vector<float> run(const float* images, int count);

 private:
  int batch_ = 0;
  int coeff_count_ = 0;
  std::unique_ptr<Executor> executor_;
  std::vector<float> staging_;
};

}  // namespace p3d
