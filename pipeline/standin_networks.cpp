// Stand-in R-Net and depth net as GraphDefs (standin_networks.h). Nodes are appended in the
// order tf-slim creates them (variable Const, its `read` Identity, the op), so the frozen
// R-Net lists its nodes exactly as the TF-made rnet_reduced fixture does.
#include "pipeline/standin_networks.h"

#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "importer/graph_def_builder.h"
#include "kernels/error.h"
#include "pipeline/atomic_file.h"

namespace p3d {
namespace {

using tfimport::GraphDefBuilder;

// The GraphDef version of TensorFlow 2.21, which made the twin fixture and whose op set
// (FusedBatchNormV3, AddV2) these graphs use; the importer only reports it.
constexpr int kProducer = 2474;

// Seeded normals from std::mt19937 with our own Box-Muller transform, so the weights do not
// depend on the standard library's distributions.
class Normal {
 public:
  explicit Normal(uint32_t seed) : gen_(seed) {}
  float operator()(double stddev) {
    if (has_spare_) {
      has_spare_ = false;
      return static_cast<float>(spare_ * stddev);
    }
    const double u1 = (static_cast<double>(gen_()) + 1.0) / 4294967296.0;  // (0, 1]
    const double u2 = static_cast<double>(gen_()) / 4294967296.0;          // [0, 1)
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2 * M_PI * u2);
    has_spare_ = true;
    return static_cast<float>(r * std::cos(2 * M_PI * u2) * stddev);
  }

 private:
  std::mt19937 gen_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// Appends nodes with the attrs TensorFlow writes for them.
class Writer {
 public:
  explicit Writer(uint32_t seed) : rng(seed) {}

  GraphDefBuilder b;
  Normal rng;

  // A frozen variable: its Const and the `read` Identity every consumer uses.
  std::string variable(const std::string& name, const std::vector<int64_t>& dims,
                       const std::vector<float>& values) {
    b.floats(name, dims, values);
    tf::NodeDef& read = b.node(name + "/read", "Identity", {name});
    GraphDefBuilder::set_type(read, "T", tf::DT_FLOAT);
    (*read.mutable_attr())["_class"].mutable_list()->add_s("loc:@" + name);
    return name + "/read";
  }

  std::string conv2d(const std::string& name, const std::string& input, const std::string& weights,
                     int stride, const char* padding) {
    tf::NodeDef& n = b.node(name, "Conv2D", {input, weights});
    GraphDefBuilder::set_type(n, "T", tf::DT_FLOAT);
    GraphDefBuilder::set_string(n, "data_format", "NHWC");
    GraphDefBuilder::set_ints(n, "dilations", {1, 1, 1, 1});
    GraphDefBuilder::set_ints(n, "explicit_paddings", {});
    GraphDefBuilder::set_string(n, "padding", padding);
    GraphDefBuilder::set_ints(n, "strides", {1, stride, stride, 1});
    GraphDefBuilder::set_bool(n, "use_cudnn_on_gpu", true);
    return name;
  }

  // slim's batch norm (scope/BatchNorm/...), variables in slim's order: beta, gamma,
  // moving_mean, moving_variance.
  std::string batch_norm(const std::string& scope, const std::string& input,
                         const std::vector<float>& gamma, const std::vector<float>& beta,
                         const std::vector<float>& mean, const std::vector<float>& variance,
                         float epsilon) {
    const int64_t c = static_cast<int64_t>(gamma.size());
    const std::string s = scope + "/BatchNorm/";
    const std::string b_read = variable(s + "beta", {c}, beta);
    const std::string g_read = variable(s + "gamma", {c}, gamma);
    const std::string m_read = variable(s + "moving_mean", {c}, mean);
    const std::string v_read = variable(s + "moving_variance", {c}, variance);
    tf::NodeDef& n =
        b.node(s + "FusedBatchNormV3", "FusedBatchNormV3", {input, g_read, b_read, m_read, v_read});
    GraphDefBuilder::set_type(n, "T", tf::DT_FLOAT);
    GraphDefBuilder::set_type(n, "U", tf::DT_FLOAT);
    GraphDefBuilder::set_string(n, "data_format", "NHWC");
    GraphDefBuilder::set_float(n, "epsilon", epsilon);
    GraphDefBuilder::set_float(n, "exponential_avg_factor", 1.f);
    GraphDefBuilder::set_bool(n, "is_training", false);
    return n.name();
  }

  std::string unary(const std::string& name, const char* op, const std::string& input) {
    tf::NodeDef& n = b.node(name, op, {input});
    GraphDefBuilder::set_type(n, "T", tf::DT_FLOAT);
    return name;
  }

  std::string binary(const std::string& name, const char* op, const std::string& a,
                     const std::string& c) {
    tf::NodeDef& n = b.node(name, op, {a, c});
    GraphDefBuilder::set_type(n, "T", tf::DT_FLOAT);
    return name;
  }

  // An explicit spatial Pad (resnet_utils.conv2d_same before a strided VALID conv).
  std::string pad(const std::string& name, const std::string& input, int before, int after) {
    b.ints(name + "/paddings", {4, 2}, {0, 0, before, after, before, after, 0, 0});
    tf::NodeDef& n = b.node(name, "Pad", {input, name + "/paddings"});
    GraphDefBuilder::set_type(n, "T", tf::DT_FLOAT);
    GraphDefBuilder::set_type(n, "Tpaddings", tf::DT_INT32);
    return name;
  }

  std::string max_pool(const std::string& name, const std::string& input, int k, int stride,
                       const char* padding) {
    tf::NodeDef& n = b.node(name, "MaxPool", {input});
    GraphDefBuilder::set_type(n, "T", tf::DT_FLOAT);
    GraphDefBuilder::set_string(n, "data_format", "NHWC");
    GraphDefBuilder::set_ints(n, "explicit_paddings", {});
    GraphDefBuilder::set_ints(n, "ksize", {1, k, k, 1});
    GraphDefBuilder::set_string(n, "padding", padding);
    GraphDefBuilder::set_ints(n, "strides", {1, stride, stride, 1});
    return name;
  }

  std::string bias_add(const std::string& name, const std::string& input, const std::string& bias) {
    tf::NodeDef& n = b.node(name, "BiasAdd", {input, bias});
    GraphDefBuilder::set_type(n, "T", tf::DT_FLOAT);
    GraphDefBuilder::set_string(n, "data_format", "NHWC");
    return name;
  }

  std::string concat(const std::string& name, const std::vector<std::string>& inputs, int axis) {
    b.ints(name + "/axis", {}, {axis});
    std::vector<std::string> all = inputs;
    all.push_back(name + "/axis");
    tf::NodeDef& n = b.node(name, "ConcatV2", all);
    GraphDefBuilder::set_int(n, "N", static_cast<int64_t>(inputs.size()));
    GraphDefBuilder::set_type(n, "T", tf::DT_FLOAT);
    GraphDefBuilder::set_type(n, "Tidx", tf::DT_INT32);
    return name;
  }

  std::vector<float> normals(size_t count, double stddev) {
    std::vector<float> v(count);
    for (float& x : v) x = rng(stddev);
    return v;
  }
};

// ---- R-Net ----------------------------------------------------------------------------------

constexpr float kSlimBatchNormEpsilon = 1e-5f;  // slim resnet_arg_scope
constexpr int kUnits[4] = {3, 4, 6, 3};
constexpr int kBottleneck[4] = {64, 128, 256, 512};
constexpr int kBlockStride[4] = {2, 2, 2, 1};  // in the block's last unit

// slim conv2d + batch norm (+ ReLU): weights He-scaled by `weight_scale`, batch norm an
// identity times `gain` (moving mean 0, variance 1 - eps so the scale is exactly gain).
std::string rnet_conv(Writer& w, const std::string& scope, const std::string& input, int k, int cin,
                      int cout, int stride, const char* padding, double weight_scale, float gain,
                      bool relu) {
  const double he = std::sqrt(2.0 / (k * k * cin)) * weight_scale;
  const std::string weights =
      w.variable(scope + "/weights", {k, k, cin, cout}, w.normals(size_t(k) * k * cin * cout, he));
  std::string x = w.conv2d(scope + "/Conv2D", input, weights, stride, padding);
  const std::vector<float> gamma(cout, gain), zeros(cout, 0.f),
      variance(cout, 1.f - kSlimBatchNormEpsilon);
  x = w.batch_norm(scope, x, gamma, zeros, zeros, variance, kSlimBatchNormEpsilon);
  return relu ? w.unary(scope + "/Relu", "Relu", x) : x;
}

}  // namespace

tf::GraphDef make_standin_rnet(uint32_t seed) {
  Writer w(seed);
  w.b.placeholder("input_imgs", {-1, 224, 224, 3});
  // Root: 7x7/2 with the explicit pad of conv2d_same, then 3x3/2 max pool. The input is
  // BGR 0..255, hence the 1/128 on the He scale.
  std::string x = w.pad("resnet_v1_50/Pad", "input_imgs", 3, 3);
  x = rnet_conv(w, "resnet_v1_50/conv1", x, 7, 3, 64, 2, "VALID", 1.0 / 128, 1.f, true);
  x = w.max_pool("resnet_v1_50/pool1/MaxPool", x, 3, 2, "SAME");
  int depth_in = 64;
  for (int block = 0; block < 4; ++block) {
    const int base = kBottleneck[block], depth = 4 * base;
    for (int unit = 0; unit < kUnits[block]; ++unit) {
      const int stride = unit == kUnits[block] - 1 ? kBlockStride[block] : 1;
      const std::string scope = "resnet_v1_50/block" + std::to_string(block + 1) + "/unit_" +
                                std::to_string(unit + 1) + "/bottleneck_v1";
      std::string shortcut = x;
      if (depth != depth_in) {
        shortcut = rnet_conv(w, scope + "/shortcut", x, 1, depth_in, depth, stride, "SAME",
                             std::sqrt(0.5), 1.f, false);
      } else if (stride != 1) {
        shortcut = w.max_pool(scope + "/shortcut/MaxPool", x, 1, stride, "SAME");
      }
      std::string r =
          rnet_conv(w, scope + "/conv1", x, 1, depth_in, base, 1, "SAME", 1.0, 1.f, true);
      if (stride == 1) {
        r = rnet_conv(w, scope + "/conv2", r, 3, base, base, 1, "SAME", 1.0, 1.f, true);
      } else {
        r = w.pad(scope + "/Pad", r, 1, 1);
        r = rnet_conv(w, scope + "/conv2", r, 3, base, base, stride, "VALID", 1.0, 1.f, true);
      }
      r = rnet_conv(w, scope + "/conv3", r, 1, base, depth, 1, "SAME", 1.0, kResidualGain, false);
      x = w.unary(scope + "/Relu", "Relu", w.binary(scope + "/add", "AddV2", shortcut, r));
      depth_in = depth;
    }
  }
  w.b.ints("resnet_v1_50/pool5/reduction_indices", {2}, {1, 2});
  {
    tf::NodeDef& n =
        w.b.node("resnet_v1_50/pool5", "Mean", {x, "resnet_v1_50/pool5/reduction_indices"});
    GraphDefBuilder::set_type(n, "T", tf::DT_FLOAT);
    GraphDefBuilder::set_type(n, "Tidx", tf::DT_INT32);
    GraphDefBuilder::set_bool(n, "keep_dims", true);
  }
  // The R_Net heads (fc-f: the 258th output, focal length, which the pipeline drops).
  const std::pair<const char*, int> heads[] = {{"fc-id", 80},    {"fc-ex", 64},    {"fc-tex", 80},
                                               {"fc-angles", 3}, {"fc-gamma", 27}, {"fc-XY", 2},
                                               {"fc-Z", 1},      {"fc-f", 1}};
  std::vector<std::string> squeezed;
  for (const auto& [scope_c, channels] : heads) {
    const std::string scope = scope_c;
    const std::string weights = w.variable(scope + "/weights", {1, 1, depth_in, channels},
                                           w.normals(size_t(depth_in) * channels, kHeadWeightStd));
    const std::string biases =
        w.variable(scope + "/biases", {channels}, std::vector<float>(channels, 0.f));
    std::string h = w.conv2d(scope + "/Conv2D", "resnet_v1_50/pool5", weights, 1, "SAME");
    h = w.bias_add(scope + "/BiasAdd", h, biases);
    tf::NodeDef& sq = w.b.node(scope + "/squeezed", "Squeeze", {h});
    GraphDefBuilder::set_type(sq, "T", tf::DT_FLOAT);
    GraphDefBuilder::set_ints(sq, "squeeze_dims", {1, 2});
    squeezed.push_back(sq.name());
  }
  w.unary("coeff", "Identity", w.concat("concat", squeezed, 1));
  w.b.def().mutable_versions()->set_producer(kProducer);
  return std::move(w.b.def());
}

// ---- depth net ------------------------------------------------------------------------------

namespace {

constexpr float kUnetBatchNormEpsilon = 1e-3f;
constexpr double kHeadFeatureStd = 0.05;  // the head's weights on the random features
constexpr float kBlur[3] = {0.25f, 0.5f, 0.25f};

// A 1-pixel SYMMETRIC MirrorPad before a VALID 3x3 conv: a blur of a region that reaches
// the border keeps its level there (zero padding would darken the last pixels at every
// conv, a visible step in the output wherever hair touches the crop's edge).
std::string mirror_pad(Writer& w, const std::string& name, const std::string& input) {
  w.b.ints(name + "/paddings", {4, 2}, {0, 0, 1, 1, 1, 1, 0, 0});
  tf::NodeDef& n = w.b.node(name, "MirrorPad", {input, name + "/paddings"});
  GraphDefBuilder::set_type(n, "T", tf::DT_FLOAT);
  GraphDefBuilder::set_type(n, "Tpaddings", tf::DT_INT32);
  GraphDefBuilder::set_string(n, "mode", "SYMMETRIC");
  return name;
}

// conv3x3 (channel mix x blur) + BN + ReLU. Output channel 0 is the carrier: it copies input
// channel `carrier_in` (blurred), nothing else; the other outputs mix every input randomly.
std::string unet_conv(Writer& w, const std::string& scope, const std::string& input, int cin,
                      int cout, int carrier_in) {
  const double he = std::sqrt(2.0 / cin);
  std::vector<float> mix(size_t(cin) * cout);
  for (int ci = 0; ci < cin; ++ci)
    for (int co = 0; co < cout; ++co)
      mix[size_t(ci) * cout + co] = co == 0 ? (ci == carrier_in ? 1.f : 0.f) : w.rng(he);
  std::vector<float> weights(9 * mix.size());
  for (int ky = 0; ky < 3; ++ky)
    for (int kx = 0; kx < 3; ++kx)
      for (size_t i = 0; i < mix.size(); ++i)
        weights[(ky * 3 + kx) * mix.size() + i] = kBlur[ky] * kBlur[kx] * mix[i];
  const std::string padded = mirror_pad(w, scope + "/MirrorPad", input);
  std::string x = w.conv2d(scope + "/Conv2D", padded,
                           w.variable(scope + "/weights", {3, 3, cin, cout}, weights), 1, "VALID");
  const std::vector<float> ones(cout, 1.f), zeros(cout, 0.f),
      variance(cout, 1.f - kUnetBatchNormEpsilon);
  x = w.batch_norm(scope, x, ones, zeros, zeros, variance, kUnetBatchNormEpsilon);
  return w.unary(scope + "/Relu", "Relu", x);
}

std::string unet_pair(Writer& w, const std::string& scope, const std::string& input, int cin,
                      int cout, int carrier_in) {
  const std::string x = unet_conv(w, scope + "/conv1", input, cin, cout, carrier_in);
  return unet_conv(w, scope + "/conv2", x, cout, cout, 0);
}

std::string resize_nearest(Writer& w, const std::string& name, const std::string& input, int size) {
  w.b.ints(name + "/size", {2}, {size, size});
  tf::NodeDef& n = w.b.node(name, "ResizeNearestNeighbor", {input, name + "/size"});
  GraphDefBuilder::set_type(n, "T", tf::DT_FLOAT);
  GraphDefBuilder::set_bool(n, "align_corners", false);
  GraphDefBuilder::set_bool(n, "half_pixel_centers", false);
  return name;
}

}  // namespace

float standin_depth_centre(const FaceModel& model) {
  const size_t n = static_cast<size_t>(model.vertex_count);
  P3D_CHECK(n > 0 && model.mean_shape.size() == 3 * n && !model.border_index.empty(),
            "stand-in depth net: the face model has no mean shape or border vertices");
  double mean_z = 0, border_z = 0;
  for (size_t v = 0; v < n; ++v) mean_z += model.mean_shape[3 * v + 2];
  for (int32_t v : model.border_index) {
    P3D_CHECK(v >= 0 && static_cast<size_t>(v) < n, "stand-in depth net: border vertex ", v,
              " out of range");
    border_z += model.mean_shape[3 * size_t(v) + 2];
  }
  const double z = border_z / model.border_index.size() - mean_z / n;
  return static_cast<float>(10.0 - z);
}

tf::GraphDef make_standin_depth_net(const FaceModel& model, uint32_t seed) {
  const float centre = standin_depth_centre(model);
  Writer w(seed);
  w.b.placeholder("inputs", {-1, 256, 256, 5});
  const std::string p = "depth_net/";
  const int widths[4] = {32, 64, 128, 256};
  // Encoder: the carrier starts as input channel 4 (the stitch mask).
  const std::string skip1 = unet_pair(w, p + "enc1", "inputs", 5, widths[0], 4);
  std::string x = w.max_pool(p + "down1/MaxPool", skip1, 2, 2, "VALID");
  const std::string skip2 = unet_pair(w, p + "enc2", x, widths[0], widths[1], 0);
  x = w.max_pool(p + "down2/MaxPool", skip2, 2, 2, "VALID");
  const std::string skip3 = unet_pair(w, p + "enc3", x, widths[1], widths[2], 0);
  x = w.max_pool(p + "down3/MaxPool", skip3, 2, 2, "VALID");
  x = unet_pair(w, p + "bottleneck", x, widths[2], widths[3], 0);
  // Decoder: upsample, conv, concat the skip (the carrier stays at channel 0: the deep,
  // smooth one), conv pair.
  const std::string skips[3] = {skip3, skip2, skip1};
  for (int level = 2, k = 0; level >= 0; --level, ++k) {
    const std::string s = p + "up" + std::to_string(level + 1) + "/";
    x = resize_nearest(w, s + "ResizeNearestNeighbor", x, 256 >> level);
    x = unet_conv(w, s + "conv", x, widths[level + 1], widths[level], 0);
    x = w.concat(s + "concat", {x, skips[k]}, 3);
    x = unet_pair(w, s + "fuse", x, 2 * widths[level], widths[level], 0);
  }
  // Head: h = gain * (1/2 - carrier) + small random features, then d = centre + A tanh(h).
  const int cin = widths[0];
  std::vector<float> mix(cin);
  mix[0] = -kCarrierGain;
  for (int c = 1; c < cin; ++c) mix[c] = w.rng(kHeadFeatureStd / std::sqrt(double(cin)));
  std::vector<float> weights(9 * cin);
  for (int ky = 0; ky < 3; ++ky)
    for (int kx = 0; kx < 3; ++kx)
      for (int c = 0; c < cin; ++c)
        weights[(ky * 3 + kx) * cin + c] = kBlur[ky] * kBlur[kx] * mix[c];
  x = mirror_pad(w, p + "head/MirrorPad", x);
  x = w.conv2d(p + "head/Conv2D", x, w.variable(p + "head/weights", {3, 3, cin, 1}, weights), 1,
               "VALID");
  x = w.bias_add(p + "head/BiasAdd", x, w.variable(p + "head/biases", {1}, {0.5f * kCarrierGain}));
  x = w.unary(p + "head/Tanh", "Tanh", x);
  w.b.floats(p + "output/scale", {}, {kDepthAmplitude});
  x = w.binary(p + "output/mul", "Mul", x, p + "output/scale");
  w.b.floats(p + "output/centre", {}, {centre});
  x = w.binary(p + "output/add", "AddV2", x, p + "output/centre");
  w.unary("depth_map", "Identity", x);
  w.b.def().mutable_versions()->set_producer(kProducer);
  return std::move(w.b.def());
}

void write_graph_def(const tf::GraphDef& def, const std::string& path) {
  const std::string bytes = def.SerializeAsString();
  P3D_CHECK(!bytes.empty(), "writing ", path, ": the graph serialised to nothing");
  write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace p3d
