// The demo's embedded default (pipeline/standin_networks.h, standin_cache.h,
// synthetic_portrait.h):
//   * the stand-in R-Net has the node list of its TF-made twin, tests/fixtures/tf/rnet_reduced
//     (same names, ops, inputs and op attrs in the same order; only widths differ), and that
//     fixture's meta.json op histogram; it imports through the importer, has resnet_v1_50's
//     parameter count plus the heads', and on the CPU gives 258 finite coefficients below
//     kCoeffBound in magnitude;
//   * the cache generates once and is then reused;
//   * the depth net imports and runs on the CPU; its map lies within centre +- kDepthAmplitude,
//     follows the designed response to the hair mask (nearer inside the hair, farther
//     outside) and varies smoothly;
//   * the synthetic portrait's labels, landmarks and files are consistent.
// The full R-Net (~94 MB) is generated once per test process, by the one test that needs it
// (ctest runs each test in its own process), into a temporary cache folder removed at exit.
#include "pipeline/standin_networks.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "importer/graph_def_reader.h"
#include "importer/json_reader.h"
#include "importer/tf_importer.h"
#include "pipeline/depth_network.h"
#include "pipeline/face_model.h"
#include "pipeline/face_network.h"
#include "pipeline/image_io.h"
#include "pipeline/landmarks.h"
#include "pipeline/mat_file.h"
#include "pipeline/standin_cache.h"
#include "pipeline/synthetic_face_model.h"
#include "pipeline/synthetic_portrait.h"
#include "tests/support/require_cuda.h"
#include "tests/test_paths.h"

#if defined(P3D_WITH_CUDA)
#include <cuda_runtime.h>
#endif

namespace p3d {
namespace {

namespace fs = std::filesystem;

// |coefficient| bound for the stand-in R-Net on photo-range inputs: the heads' weights have
// std 1e-4, so each coefficient is ~1e-4 * sqrt(2048) * rms(pool5 feature); 0.05 keeps the
// face within a few millimetres and milliradians of the mean face's frontal pose.
constexpr float kCoeffBound = 0.05f;

// A temporary folder per test process, removed at the end.
class TempEnvironment : public ::testing::Environment {
 public:
  static fs::path dir() {
    static const fs::path d = [] {
      const fs::path p =
          fs::temp_directory_path() / ("p3d_standin_test_" + std::to_string(getpid()));
      fs::create_directories(p);
      return p;
    }();
    return d;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir(), ec);
  }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new TempEnvironment);

const FaceModel& model() {
  static const FaceModel m = generate_synthetic_face_model(1);
  return m;
}

// The depth net alone (2 M weights: cheap), written where the importer reads it.
const std::string& depth_net_path() {
  static const std::string path = [] {
    const std::string p = (TempEnvironment::dir() / "depth_net.pb").string();
    write_graph_def(make_standin_depth_net(model(), 2), p);
    return p;
  }();
  return path;
}

tf::GraphDef read_graph(const std::string& path) {
  return tfimport::parse_graph_def(tfimport::read_graph_file(path, tfimport::kProtobufMaxBytes),
                                   path, tfimport::kProtobufMaxBytes);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void expect_twin_node_list(const std::string& rnet_path) {
  const tf::GraphDef ours = read_graph(rnet_path);
  const fs::path twin_dir = test::fixture_dir("tf") / "rnet_reduced";
  const tf::GraphDef twin = read_graph((twin_dir / "graph.pb").string());
  ASSERT_EQ(ours.node_size(), twin.node_size());
  for (int i = 0; i < ours.node_size(); ++i) {
    const tf::NodeDef& a = ours.node(i);
    const tf::NodeDef& b = twin.node(i);
    ASSERT_EQ(a.name(), b.name()) << "node " << i;
    ASSERT_EQ(a.op(), b.op()) << a.name();
    ASSERT_EQ(a.input_size(), b.input_size()) << a.name();
    for (int k = 0; k < a.input_size(); ++k) EXPECT_EQ(a.input(k), b.input(k)) << a.name();
    // Op attrs (strides, padding, epsilon, keep_dims, squeeze_dims, ...) do not depend on
    // widths; Const values and the placeholder's shape do.
    if (a.op() == "Const" || a.op() == "Placeholder") continue;
    ASSERT_EQ(a.attr().size(), b.attr().size()) << a.name();
    for (const auto& [key, value] : b.attr()) {
      ASSERT_TRUE(a.attr().count(key)) << a.name() << " lacks attr " << key;
      EXPECT_EQ(a.attr().at(key).SerializeAsString(), value.SerializeAsString())
          << a.name() << " attr " << key;
    }
  }
  // The twin's op histogram as TensorFlow's generator recorded it.
  const JsonValue meta = JsonValue::parse(read_text(twin_dir / "meta.json"), "meta.json");
  std::map<std::string, int> histogram;
  for (const tf::NodeDef& n : ours.node()) ++histogram[n.op()];
  const auto& expected = meta.at("op_histogram").as_object();
  EXPECT_EQ(histogram.size(), expected.size());
  for (const auto& [op, count] : expected) EXPECT_EQ(histogram[op], count.as_int()) << op;
}

void expect_real_widths(const std::string& rnet_path) {
  const TfGraphInfo info = inspect_graph_def(rnet_path);
  EXPECT_TRUE(info.unsupported.empty());
  ASSERT_EQ(info.inputs.size(), 1u);
  EXPECT_EQ(info.inputs[0].name, "input_imgs");
  EXPECT_EQ(info.inputs[0].dims, (std::vector<int64_t>{-1, 224, 224, 3}));
  // resnet_v1_50's parameters counted layer by layer (each conv's weights and its batch
  // norm's four vectors), plus the heads: 2048 x 258 weights and 258 biases.
  int64_t expected = 7 * 7 * 3 * 64 + 4 * 64;
  const int units[4] = {3, 4, 6, 3};
  int64_t in = 64;
  for (int block = 0; block < 4; ++block) {
    const int64_t b = 64 << block, out = 4 * b;
    for (int u = 0; u < units[block]; ++u) {
      if (in != out) expected += in * out + 4 * out;  // projection shortcut
      expected += in * b + 4 * b + 9 * b * b + 4 * b + b * out + 4 * out;
      in = out;
    }
  }
  expected += 2048 * 258 + 258;
  EXPECT_EQ(info.parameter_count, expected);
}

void expect_small_coefficients(const std::string& rnet_path) {
  auto backend = make_cpu_backend();
  FaceNetwork net(rnet_path, *backend, 2);
  // Two photo-range inputs: flat grey, and a high-contrast pattern of stripes and gradients.
  std::vector<float> images(2 * 224 * 224 * 3, 128.f);
  for (int y = 0; y < 224; ++y)
    for (int x = 0; x < 224; ++x)
      for (int c = 0; c < 3; ++c)
        images[224 * 224 * 3 + (y * 224 + x) * 3 + c] =
            static_cast<float>(((x / 8 + y / 8) % 2) * 200 + c * 20 + (x + y) % 35);
  const std::vector<float> coeffs = net.run(images.data(), 2);
  ASSERT_EQ(net.coeff_count(), 258);
  ASSERT_EQ(coeffs.size(), 2u * 258);
  float largest = 0;
  for (float c : coeffs) {
    ASSERT_TRUE(std::isfinite(c));
    largest = std::max(largest, std::fabs(c));
  }
  std::printf("largest |coefficient|: %.4g (bound %.3g)\n", largest, kCoeffBound);
  EXPECT_LT(largest, kCoeffBound);
  EXPECT_GT(largest, 0.f);  // the heads do see the features
}

TEST(StandinDepthNet, CentreIsTheSilhouettesDepth) {
  const FaceModel& m = model();
  double mean = 0, border = 0;
  for (int v = 0; v < m.vertex_count; ++v) mean += m.mean_shape[3 * v + 2];
  for (int32_t v : m.border_index) border += m.mean_shape[3 * v + 2];
  const double z = border / m.border_index.size() - mean / m.vertex_count;
  EXPECT_NEAR(standin_depth_centre(m), 10.0 - z, 1e-5);
  // Behind the face's front (the mean vertex), as an outline is.
  EXPECT_GT(standin_depth_centre(m), 10.f);
}

TEST(StandinDepthNet, OpsAreTheUNetsAndAllSupported) {
  const TfGraphInfo info = inspect_graph_def(depth_net_path());
  EXPECT_TRUE(info.unsupported.empty());
  ASSERT_EQ(info.inputs.size(), 1u);
  EXPECT_EQ(info.inputs[0].name, "inputs");
  EXPECT_EQ(info.inputs[0].dims, (std::vector<int64_t>{-1, 256, 256, 5}));
  // 4 encoder pairs, 3 decoder levels of conv + pair, the head.
  EXPECT_EQ(info.op_histogram.at("Conv2D"), 8 + 3 * 3 + 1);
  EXPECT_EQ(info.op_histogram.at("FusedBatchNormV3"), 8 + 3 * 3);
  EXPECT_EQ(info.op_histogram.at("MaxPool"), 3);
  EXPECT_EQ(info.op_histogram.at("ResizeNearestNeighbor"), 3);
  EXPECT_EQ(info.op_histogram.at("ConcatV2"), 3);
  EXPECT_EQ(info.op_histogram.at("Tanh"), 1);
  EXPECT_EQ(info.op_histogram.at("MirrorPad"), info.op_histogram.at("Conv2D"));
}

TEST(StandinDepthNet, OutputStaysInItsBandAndIsSmooth) {
  auto backend = make_cpu_backend();
  DepthNetwork net(depth_net_path(), *backend, 1);
  constexpr int S = 256;
  // A head-crop-like input: colours, a face z disc in the middle, the hair mask = rows < 128
  // (touching the top border, where the output must keep its level).
  std::vector<float> input(size_t(S) * S * 5);
  for (int y = 0; y < S; ++y)
    for (int x = 0; x < S; ++x) {
      float* p = &input[(size_t(y) * S + x) * 5];
      const bool hair = y < 128;
      const bool face = (x - 128) * (x - 128) + (y - 170) * (y - 170) < 50 * 50;
      p[0] = hair ? 0.15f : 0.6f + 0.1f * std::sin(x * 0.3f);
      p[1] = hair ? 0.2f : 0.55f;
      p[2] = hair ? 0.35f : 0.75f;
      p[3] = face ? 0.3f : 0.f;
      p[4] = hair ? 1.f : 0.f;
    }
  const std::vector<float> d = net.run(input.data(), 1);
  ASSERT_EQ(d.size(), size_t(S) * S);
  const double centre = standin_depth_centre(model());
  double largest = 0, step = 0, bend = 0;
  for (int y = 0; y < S; ++y)
    for (int x = 0; x < S; ++x) {
      const float v = d[size_t(y) * S + x];
      ASSERT_TRUE(std::isfinite(v));
      largest = std::max(largest, std::fabs(v - centre));
      if (x > 0 && x + 1 < S)
        bend = std::max(
            bend, double(std::fabs(d[size_t(y) * S + x + 1] - 2 * v + d[size_t(y) * S + x - 1])));
      if (y > 0 && y + 1 < S)
        bend = std::max(
            bend, double(std::fabs(d[size_t(y + 1) * S + x] - 2 * v + d[size_t(y - 1) * S + x])));
      if (x + 1 < S) step = std::max(step, double(std::fabs(d[size_t(y) * S + x + 1] - v)));
      if (y + 1 < S) step = std::max(step, double(std::fabs(d[size_t(y + 1) * S + x] - v)));
    }
  std::printf(
      "depth: largest |d - centre| %.4f (band %.2f), largest neighbour step %.4f, "
      "largest second difference %.4f\n",
      largest, kDepthAmplitude, step, bend);
  EXPECT_LE(largest, kDepthAmplitude + 1e-5);
  // The designed response, d = centre + A tanh(G (1/2 - carrier)) with the carrier 1 deep in
  // the hair and 0 far from it, within the random features' share (+-0.05).
  const double inside = centre - kDepthAmplitude * std::tanh(0.5 * kCarrierGain);
  const double outside = centre + kDepthAmplitude * std::tanh(0.5 * kCarrierGain);
  EXPECT_NEAR(d[size_t(40) * S + 128], inside, 0.05);
  EXPECT_NEAR(d[size_t(245) * S + 40], outside, 0.05);
  // Smooth: the hair mask's sharp edge becomes a ramp (measured: steps up to 0.043 across
  // it, at most 8% of the band's width per pixel) without kinks (second differences up to
  // 0.004); pixel noise of even a tenth of the band would show second differences ~0.1.
  EXPECT_LT(step, 0.08 * 2 * kDepthAmplitude);
  EXPECT_LT(bend, 0.01);
}

TEST(StandinRnetAndCache, GeneratedOnceMatchesItsTwinRunsAndIsReused) {
  const std::string cache = (TempEnvironment::dir() / "cache").string();
  const StandinAssets first = ensure_standin_assets(cache);
  EXPECT_TRUE(first.generated);
  EXPECT_GT(first.generate_ms, 0);
  for (const char* f :
       {"BFM_model_front.mat", "similarity_Lm3D_all.mat", "center.mat", "border_index.mat"})
    EXPECT_TRUE(fs::is_regular_file(fs::path(first.face_model_dir) / f)) << f;
  EXPECT_TRUE(fs::is_regular_file(first.depth_net_path));
  {
    SCOPED_TRACE("node list");
    expect_twin_node_list(first.rnet_path);
  }
  {
    SCOPED_TRACE("widths");
    expect_real_widths(first.rnet_path);
  }
  {
    SCOPED_TRACE("coefficients");
    expect_small_coefficients(first.rnet_path);
  }
  const StandinAssets again = ensure_standin_assets(cache);
  EXPECT_FALSE(again.generated);
  EXPECT_EQ(again.rnet_path, first.rnet_path);
  EXPECT_EQ(fs::file_size(again.rnet_path), fs::file_size(first.rnet_path));
  // No folder name is refused.
  EXPECT_THROW(ensure_standin_assets(""), Error);
}

// The R-Net fed from a batch already on the GPU (the alignment's buffer in the pipeline)
// gives the coefficients of the same batch fed from the host.
TEST(StandinRnetOnCuda, DeviceInputGivesTheHostInputsCoefficients) {
  P3D_SKIP_WITHOUT_CUDA();
#if defined(P3D_WITH_CUDA)
  const StandinAssets assets = ensure_standin_assets((TempEnvironment::dir() / "cache").string());
  std::unique_ptr<Backend> gpu = make_cuda_backend(0);
  ASSERT_NE(gpu, nullptr);
  const int batch = 2;
  FaceNetwork net(assets.rnet_path, *gpu, batch);
  std::vector<float> crops(static_cast<size_t>(batch) * 224 * 224 * 3);
  for (size_t i = 0; i < crops.size(); ++i) crops[i] = static_cast<float>((i * 37) % 256);
  const std::vector<float> from_host = net.run(crops.data(), batch);
  float* device = nullptr;
  ASSERT_EQ(cudaMalloc(&device, crops.size() * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(device, crops.data(), crops.size() * sizeof(float), cudaMemcpyHostToDevice),
            cudaSuccess);
  const std::vector<float> from_device = net.run_on_device(device, gpu->device(), batch);
  cudaFree(device);
  EXPECT_EQ(from_device, from_host);
  EXPECT_THROW(net.run_on_device(crops.data(), Device{}, batch), Error) << "a host pointer";
#endif
}

TEST(SyntheticPortrait, LabelsLandmarksAndFilesAgree) {
  const SyntheticPortrait p = make_synthetic_portrait(model(), 512);
  ASSERT_EQ(p.photo.width, 512);
  ASSERT_EQ(p.photo.channels, 3);
  ASSERT_EQ(p.labels.channels, 1);
  std::map<int, int> counts;
  for (uint8_t l : p.labels.pixels) ++counts[l];
  for (int l = 0; l <= 4; ++l) EXPECT_GT(counts[l], 500) << "label " << l;
  EXPECT_EQ(counts.size(), 5u);
  // The face covers a plausible share of the photo (the head crop needs room around it).
  EXPECT_GT(counts[1], 512 * 512 / 16);
  EXPECT_LT(counts[1], 512 * 512 / 3);
  // Every landmark lies on the face or within 3 pixels of it (the jaw line is its rim);
  // the nose tip (30) and the eye corners (36, 45) lie inside it.
  ASSERT_EQ(p.landmarks.size(), 136u);
  auto label_at = [&](double x, double y_up) {
    const int col = static_cast<int>(std::floor(x)), row = static_cast<int>(std::floor(512 - y_up));
    if (col < 0 || row < 0 || col >= 512 || row >= 512) return -1;
    return int(p.labels.pixels[size_t(row) * 512 + col]);
  };
  for (int k = 0; k < 68; ++k) {
    const double x = p.landmarks[2 * k], y = p.landmarks[2 * k + 1];
    bool near_face = false;
    for (int dy = -3; dy <= 3 && !near_face; ++dy)
      for (int dx = -3; dx <= 3 && !near_face; ++dx) near_face = label_at(x + dx, y + dy) == 1;
    EXPECT_TRUE(near_face) << "landmark " << k << " at " << x << ", " << y;
  }
  for (int k : {30, 36, 45}) EXPECT_EQ(label_at(p.landmarks[2 * k], p.landmarks[2 * k + 1]), 1);
  // The left ear (label 3) is on the photo's right, the right ear (4) on its left.
  double x3 = 0, x4 = 0;
  for (int row = 0; row < 512; ++row)
    for (int col = 0; col < 512; ++col) {
      const int l = p.labels.pixels[size_t(row) * 512 + col];
      if (l == 3) x3 += col;
      if (l == 4) x4 += col;
    }
  EXPECT_GT(x3 / counts[3], 256);
  EXPECT_LT(x4 / counts[4], 256);

  // The files read back through the readers `run` uses.
  const fs::path dir = TempEnvironment::dir() / "portrait";
  fs::create_directories(dir);
  const std::vector<std::string> files = write_synthetic_portrait(p, dir.string(), "face");
  ASSERT_EQ(files.size(), 3u);
  const ImageU8 photo = read_image(files[0]);
  EXPECT_EQ(photo.pixels, p.photo.pixels);
  const Landmarks lm = read_landmarks(files[1], LandmarkConvention::YUp68, 512, 512);
  ASSERT_EQ(lm.count(), 68);
  for (int i = 0; i < 136; ++i) EXPECT_NEAR(lm.points[i], p.landmarks[i], 1e-4);
  const MatArray mask = MatReader(files[2]).read("mask");
  EXPECT_EQ(mask.cls, MatClass::kInt32);
  ASSERT_EQ(mask.rows, 512u);
  ASSERT_EQ(mask.cols, 512u);
  for (size_t i = 0; i < mask.size(); ++i) ASSERT_EQ(mask.values[i], p.labels.pixels[i]);
  for (const auto& entry : fs::directory_iterator(dir))
    EXPECT_NE(entry.path().filename().string()[0], '.') << "temporary left: " << entry.path();
}

}  // namespace
}  // namespace p3d
