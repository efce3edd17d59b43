// ResNet-50 (slim resnet_v1_50) with seeded weights; see resnet50.h.
// Weights are He-normal (std sqrt(2 / fan_in)) so activations keep their scale through
// conv + ReLU; BN statistics are near (0, 1) and the last BN of each residual branch has a
// small gamma (~0.3) so the 16 residual additions grow activations only a few-fold, keeping
// them well inside float range for any input in a sane range.
#include "engine/resnet50.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "kernels/error.h"

namespace p3d {
namespace {

class Builder {
 public:
  Builder(Graph& g, const Resnet50Options& o) : g_(g), o_(o), rng_(o.seed) {}

  int64_t width(int64_t channels) const {
    return std::max<int64_t>(1, std::lround(static_cast<double>(channels) * o_.width_multiplier));
  }

  Tensor random_tensor(const Shape& shape, float mean, float stddev) {
    Tensor t = Tensor::empty(shape, DType::F32);
    std::normal_distribution<float> dist(mean, stddev);
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng_);
    return t;
  }
  Tensor uniform_tensor(int64_t n, float lo, float hi) {
    Tensor t = Tensor::empty(Shape{n}, DType::F32);
    std::uniform_real_distribution<float> dist(lo, hi);
    float* p = t.data<float>();
    for (int64_t i = 0; i < n; ++i) p[i] = dist(rng_);
    return t;
  }

  // slim.conv2d (no bias: a BN follows) + BatchNorm [+ ReLU], under `scope`.
  // Strided convs go through conv2d_same's explicit padding when slim_padding is on.
  Value conv_bn(Value x, int64_t out_c, int kernel, int stride, bool relu, const std::string& scope,
                float gamma_scale = 1.f) {
    const int64_t in_c = g_.channels(x);
    const float he = std::sqrt(2.f / static_cast<float>(kernel * kernel * in_c));
    const Value w =
        g_.constant(random_tensor(Shape{kernel, kernel, in_c, out_c}, 0.f, he), scope + "/weights");
    Conv2dAttrs attrs = Conv2dAttrs{}.stride(stride).padding(Padding::Same);
    if (stride > 1 && kernel > 1 && o_.slim_padding) {
      const int64_t total = kernel - 1, before = total / 2, after = total - before;
      x = g_.pad(x, PadAttrs{}.spatial(before, after, before, after), scope + "/Pad");
      attrs.padding(Padding::Valid);
    }
    Value y = g_.conv2d(x, w, Value{}, attrs, scope + "/Conv2D");
    const std::string bn = scope + "/BatchNorm";
    const Value gamma =
        g_.constant(uniform_tensor(out_c, 0.8f * gamma_scale, 1.2f * gamma_scale), bn + "/gamma");
    const Value beta = g_.constant(uniform_tensor(out_c, -0.1f, 0.1f), bn + "/beta");
    const Value mean = g_.constant(uniform_tensor(out_c, -0.1f, 0.1f), bn + "/moving_mean");
    const Value var = g_.constant(uniform_tensor(out_c, 0.8f, 1.2f), bn + "/moving_variance");
    y = g_.batch_norm(
        y, BatchNormInputs{}.scale(gamma).offset(beta).moving_mean(mean).moving_variance(var),
        1e-5f, bn + "/FusedBatchNorm");
    return relu ? g_.relu(y, scope + "/Relu") : y;
  }

  // resnet_v1.bottleneck: depth = 4 * depth_bottleneck.
  Value bottleneck(Value x, int64_t depth, int64_t depth_bottleneck, int stride,
                   const std::string& scope) {
    const int64_t depth_in = g_.channels(x);
    Value shortcut = x;
    if (depth != depth_in) {
      shortcut = conv_bn(x, depth, 1, stride, false, scope + "/shortcut");
    } else if (stride > 1) {  // resnet_utils.subsample
      shortcut = g_.max_pool(x, Pool2dAttrs{}.kernel(1).stride(stride).padding(Padding::Same),
                             scope + "/shortcut/MaxPool");
    }
    Value r = conv_bn(x, depth_bottleneck, 1, 1, true, scope + "/conv1");
    r = conv_bn(r, depth_bottleneck, 3, stride, true, scope + "/conv2");
    r = conv_bn(r, depth, 1, 1, false, scope + "/conv3", 0.3f);
    return g_.relu(g_.add(shortcut, r, scope + "/add"), scope + "/Relu");
  }

  Value build(Value input) {
    P3D_CHECK(o_.width_multiplier > 0.f, "ResNet-50 width multiplier must be positive");
    P3D_CHECK(o_.num_outputs > 0, "ResNet-50 needs at least one output");
    const Shape& s = g_.shape(input);
    if (s.rank() != 4 || g_.dtype(input) != DType::F32)
      P3D_THROW("ResNet-50 input must be f32 NHWC, got ", dtype_name(g_.dtype(input)), s.str());
    const std::string root = "resnet_v1_50";
    Value x = conv_bn(input, width(64), 7, 2, true, root + "/conv1");
    x = g_.max_pool(x, Pool2dAttrs{}.kernel(3).stride(2).padding(Padding::Same),
                    root + "/pool1/MaxPool");
    struct Block {
      int64_t base;
      int units;
      int stride;
    };
    const Block blocks[] = {{64, 3, 2}, {128, 4, 2}, {256, 6, 2}, {512, 3, 1}};
    for (int b = 0; b < 4; ++b) {
      const std::string block = root + "/block" + std::to_string(b + 1);
      for (int u = 0; u < blocks[b].units; ++u) {
        const int stride = u + 1 == blocks[b].units ? blocks[b].stride : 1;  // last unit strides
        x = bottleneck(x, width(blocks[b].base * 4), width(blocks[b].base), stride,
                       block + "/unit_" + std::to_string(u + 1) + "/bottleneck_v1");
      }
    }
    x = g_.global_mean(x, false, root + "/pool5");
    const int64_t c = g_.shape(x)[1];
    const Value w = g_.constant(
        random_tensor(Shape{c, o_.num_outputs}, 0.f, 1.f / std::sqrt(static_cast<float>(c))),
        root + "/logits/weights");
    const Value bias =
        g_.constant(uniform_tensor(o_.num_outputs, -0.1f, 0.1f), root + "/logits/biases");
    return g_.matmul(x, w, bias, MatMulAttrs{}, root + "/logits/MatMul");
  }

 private:
  Graph& g_;
  Resnet50Options o_;
  std::mt19937 rng_;
};

}  // namespace

Value build_resnet50(Graph& g, Value input, const Resnet50Options& options) {
  return Builder(g, options).build(input);
}

}  // namespace p3d
