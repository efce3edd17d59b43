// The R-Net runner (face_network.h).
#include "pipeline/face_network.h"

#include "kernels/error.h"

namespace p3d {
namespace {

constexpr int kInputSize = 224;

}  // namespace

FaceNetwork::FaceNetwork(const std::string& path, Backend& backend, int batch)
    : net_(path, "R-Net", backend, batch, "input_imgs", {kInputSize, kInputSize, 3}, "coeff") {}

std::vector<float> FaceNetwork::run(const float* images, int count) {
  Shape shape;
  std::vector<float> coeffs = net_.run(images, count, &shape);
  check_output(shape);
  return coeffs;
}

std::vector<float> FaceNetwork::run_on_device(const float* device_images, Device device,
                                              int count) {
  Shape shape;
  std::vector<float> coeffs = net_.run_on_device(device_images, device, count, &shape);
  check_output(shape);
  return coeffs;
}

void FaceNetwork::check_output(const Shape& shape) {
  P3D_CHECK(shape.rank() == 2 && shape[1] >= 257, "R-Net (", net_.path(), "): output 'coeff' is ",
            shape.str(), ", expected [", net_.batch(), ", >= 257]");
  coeff_count_ = static_cast<int>(shape[1]);
}

}  // namespace p3d
