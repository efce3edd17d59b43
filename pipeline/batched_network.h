// A frozen TensorFlow network with one float input and one float output, imported once for a
// fixed batch and run on a Backend: what the R-Net (pipeline/face_network.h) and the depth net
// (pipeline/depth_network.h) share. A shorter last batch is padded with copies of its last
// item, so one memory plan serves every call. The input's declared shape is replaced by the
// one given, as the original does with tf.import_graph_def(input_map=...) for both networks.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/shape.h"

namespace p3d {

class Executor;

class BatchedNetwork {
 public:
  // Imports `path` with input `input_name` of shape [batch, item_dims...] and the one output
  // `output_name`, compiled for `backend` (which must outlive the network). `what` names the
  // network in errors ("R-Net", "depth net"). Throws p3d::Error naming the file on any problem.
  BatchedNetwork(const std::string& path, const std::string& what, Backend& backend, int batch,
                 const std::string& input_name, const std::vector<int64_t>& item_dims,
                 const std::string& output_name);
  ~BatchedNetwork();
  BatchedNetwork(const BatchedNetwork&) = delete;
  BatchedNetwork& operator=(const BatchedNetwork&) = delete;

  int batch() const { return batch_; }
  const std::string& path() const { return path_; }
  size_t input_item_floats() const { return item_floats_; }

  // inputs: [count, item_dims...] floats (1 <= count <= batch). Returns the output of the
  // first `count` items; `output_shape` receives the full output shape of the batch.
  std::vector<float> run(const float* inputs, int count, Shape* output_shape = nullptr);
  // The same from a full, already padded batch [batch, item_dims...] that lies on `device`
  // (the backend's GPU), written on its stream (align_images_on_device): only the output
  // comes back to the host.
  std::vector<float> run_on_device(const float* device_inputs, Device device, int count,
                                   Shape* output_shape = nullptr);

  Executor& executor() { return *executor_; }

 private:
  std::vector<float> run_feed(const Tensor& input, int count, Shape* output_shape);

  std::string path_, what_, input_name_, output_name_;
  int batch_ = 0;
  Shape input_shape_;
  size_t item_floats_ = 0;
  std::unique_ptr<Executor> executor_;
  std::vector<float> staging_;
};

}  // namespace p3d
