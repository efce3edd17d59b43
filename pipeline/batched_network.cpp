// BatchedNetwork (batched_network.h): import, pad, run, check the output.
#include "pipeline/batched_network.h"

#include <cstring>

#include "engine/executor.h"
#include "importer/tf_importer.h"
#include "kernels/error.h"

namespace p3d {

BatchedNetwork::BatchedNetwork(const std::string& path, const std::string& what, Backend& backend,
                               int batch, const std::string& input_name,
                               const std::vector<int64_t>& item_dims,
                               const std::string& output_name)
    : path_(path), what_(what), input_name_(input_name), output_name_(output_name), batch_(batch) {
  P3D_CHECK(batch >= 1, what, ": batch must be at least 1, got ", batch);
  std::vector<int64_t> dims{batch};
  dims.insert(dims.end(), item_dims.begin(), item_dims.end());
  input_shape_ = Shape(dims);
  item_floats_ = static_cast<size_t>(input_shape_.numel() / batch);
  TfImportOptions options;
  options.input_shapes[input_name] = input_shape_;
  options.replace_declared_shapes = true;
  options.outputs = {output_name};
  TfImportResult imported = load_graph_def(path, options);
  P3D_CHECK(imported.graph.outputs().size() == 1, path, ": expected one output '", output_name,
            "'");
  executor_ = std::make_unique<Executor>(std::move(imported.graph), backend);
  staging_.assign(static_cast<size_t>(batch) * item_floats_, 0.f);
}

BatchedNetwork::~BatchedNetwork() = default;

std::vector<float> BatchedNetwork::run(const float* inputs, int count, Shape* output_shape) {
  P3D_CHECK(count >= 1 && count <= batch_, what_, ": ", count, " inputs for a batch of ", batch_);
  std::memcpy(staging_.data(), inputs, count * item_floats_ * sizeof(float));
  for (int b = count; b < batch_; ++b)  // pad: repeat the last item
    std::memcpy(staging_.data() + b * item_floats_, inputs + (count - 1) * item_floats_,
                item_floats_ * sizeof(float));
  return run_feed(Tensor::view(staging_.data(), input_shape_, DType::F32), count, output_shape);
}

std::vector<float> BatchedNetwork::run_on_device(const float* device_inputs, Device device,
                                                 int count, Shape* output_shape) {
  P3D_CHECK(count >= 1 && count <= batch_, what_, ": ", count, " inputs for a batch of ", batch_);
  P3D_CHECK(device.kind != DeviceKind::CPU, what_, ": run_on_device needs a GPU input, not ",
            device.str(), " (run takes host inputs)");
  // The engine copies it into its arena on the same stream: no host round trip.
  return run_feed(Tensor::view(const_cast<float*>(device_inputs), input_shape_, DType::F32, device),
                  count, output_shape);
}

std::vector<float> BatchedNetwork::run_feed(const Tensor& input, int count, Shape* output_shape) {
  TensorMap feed;
  feed[input_name_] = input;
  TensorMap outputs = executor_->run(feed);
  auto it = outputs.find(output_name_);
  P3D_CHECK(it != outputs.end(), what_, " (", path_, "): no output '", output_name_, "'");
  const Tensor& out = it->second;
  P3D_CHECK(out.dtype() == DType::F32 && out.shape().rank() >= 1 && out.shape()[0] == batch_, what_,
            " (", path_, "): output '", output_name_, "' is ", out.str(),
            ", expected f32 with batch ", batch_);
  if (output_shape) *output_shape = out.shape();
  const size_t per_item = static_cast<size_t>(out.shape().numel() / batch_);
  const float* p = out.data<float>();
  return std::vector<float>(p, p + count * per_item);
}

}  // namespace p3d
