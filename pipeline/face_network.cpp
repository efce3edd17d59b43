// The R-Net runner (face_network.h).
#include "pipeline/face_network.h"

#include <algorithm>
#include <cstring>

#include "kernels/error.h"
#include "engine/executor.h"
#include "importer/tf_importer.h"

namespace p3d {
namespace {

constexpr int kInputSize = 224;
constexpr const char* kInputName = "input_imgs";
constexpr const char* kOutputName = "coeff";

}  // namespace

FaceNetwork::FaceNetwork(const std::string& path, Backend& backend, int batch) : batch_(batch) {
  P3D_CHECK(batch >= 1, "R-Net: batch must be at least 1, got ", batch);
  TfImportOptions options;
  options.input_shapes[kInputName] = Shape{batch, kInputSize, kInputSize, 3};
  options.outputs = {kOutputName};
  TfImportResult imported = load_graph_def(path, options);
  const Graph& g = imported.graph;
  P3D_CHECK(g.outputs().size() == 1, path, ": expected one output '", kOutputName, "'");
  executor_ = std::make_unique<Executor>(std::move(imported.graph), backend);
  staging_.assign(static_cast<size_t>(batch) * kInputSize * kInputSize * 3, 0.f);
}

FaceNetwork::~FaceNetwork() = default;

std::vector<float> FaceNetwork::run(const float* images, int count) {
  P3D_CHECK(count >= 1 && count <= batch_, "R-Net: ", count, " images for a batch of ", batch_);
  const size_t image_floats = static_cast<size_t>(kInputSize) * kInputSize * 3;
  std::memcpy(staging_.data(), images, count * image_floats * sizeof(float));
  for (int b = count; b < batch_; ++b)  // pad: repeat the last image
    std::memcpy(staging_.data() + b * image_floats, images + (count - 1) * image_floats,
                image_floats * sizeof(float));
  TensorMap inputs;
  inputs[kInputName] =
      Tensor::view(staging_.data(), Shape{batch_, kInputSize, kInputSize, 3}, DType::F32);
  TensorMap outputs = executor_->run(inputs);
  auto it = outputs.find(kOutputName);
  P3D_CHECK(it != outputs.end(), "R-Net: no output '", kOutputName, "'");
  const Tensor& coeff = it->second;
  P3D_CHECK(coeff.dtype() == DType::F32 && coeff.shape().rank() == 2 &&
                coeff.shape()[0] == batch_ && coeff.shape()[1] >= 257,
            "R-Net: output 'coeff' is ", coeff.str(), ", expected [", batch_, ", >= 257] f32");
  coeff_count_ = static_cast<int>(coeff.shape()[1]);
  const float* p = coeff.data<float>();
  return std::vector<float>(p, p + static_cast<size_t>(count) * coeff_count_);
}

}  // namespace p3d
