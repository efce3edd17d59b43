// The whole method, photo to head mesh, through the C++ API (pipeline/reconstructor.h) at
// batch 1 and 8, on the CPU and (when this build has CUDA and a GPU is present) on CUDA; and
// step 9's back-projection and colours alone (a unit with no benchmark of its own). Decoding and
// file writing are excluded: the photos, landmarks and labels are read once before timing.
//
// Inputs: the seed portraits (../shared/seed-examples, or $P3D_SHARED_DIR/seed-examples; the
// benchmark reports an error and skips without them), the synthetic face model (generated
// into a temporary folder) and the committed stand-in networks (tests/fixtures/tf/
// rnet_reduced, depth_net_reduced: reduced widths, so the networks' share is small here;
// real-size networks: imported_network_bench). Counter: portraits/s.
//
//   build/benchmarks/pipeline_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "pipeline/face_model.h"
#include "pipeline/head_geometry.h"
#include "pipeline/image_io.h"
#include "pipeline/landmarks.h"
#include "pipeline/mat_file.h"
#include "pipeline/reconstructor.h"
#include "pipeline/synthetic_face_model.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;

fs::path source_dir() { return P3D_DEFAULT_SOURCE_DIR; }
fs::path seed_dir() {
  if (const char* env = std::getenv("P3D_SHARED_DIR")) return fs::path(env) / "seed-examples";
  return source_dir().parent_path() / "shared" / "seed-examples";
}

// The seed portraits, decoded once.
struct Seeds {
  std::vector<std::unique_ptr<ImageU8>> photos, labels;
  std::vector<PortraitInput> inputs;
  std::string face_model_dir;
};

const Seeds* seeds() {
  static std::unique_ptr<Seeds> s = [] {
    auto out = std::make_unique<Seeds>();
    if (!fs::is_directory(seed_dir())) return out;
    for (const auto& e : fs::directory_iterator(seed_dir())) {
      const std::string ext = e.path().extension().string();
      if (ext != ".jpg" && ext != ".jpeg") continue;
      const std::string name = e.path().stem().string();
      const fs::path lm = seed_dir() / (name + "_landmark.txt"), mat = seed_dir() / (name + ".mat");
      if (!fs::exists(lm) || !fs::exists(mat)) continue;
      out->photos.push_back(std::make_unique<ImageU8>(read_image(e.path().string())));
      const ImageU8& photo = *out->photos.back();
      const MatArray mask = MatReader(mat.string()).read("mask");
      auto labels = std::make_unique<ImageU8>();
      labels->width = photo.width;
      labels->height = photo.height;
      labels->channels = 1;
      for (double v : mask.values) labels->pixels.push_back(static_cast<uint8_t>(v));
      out->labels.push_back(std::move(labels));
      PortraitInput in;
      in.name = name;
      in.photo = &photo;
      in.labels = out->labels.back().get();
      in.landmarks =
          read_landmarks(lm.string(), LandmarkConvention::YUp68, photo.width, photo.height);
      out->inputs.push_back(in);
    }
    out->face_model_dir = (fs::temp_directory_path() / "p3d_pipeline_bench_bfm").string();
    if (!fs::exists(fs::path(out->face_model_dir) / "BFM_model_front.mat"))
      write_face_model_folder(generate_synthetic_face_model(1), out->face_model_dir);
    return out;
  }();
  return s->inputs.empty() ? nullptr : s.get();
}

ReconstructorOptions options(const Seeds& s, Device device, int batch) {
  ReconstructorOptions o;
  const fs::path tf = source_dir() / "tests" / "fixtures" / "tf";
  o.rnet_path = (tf / "rnet_reduced" / "graph.pb").string();
  o.depth_net_path = (tf / "depth_net_reduced" / "graph.pb").string();
  o.face_model_dir = s.face_model_dir;
  o.device = device;
  o.max_batch = batch;
  o.coeff_scale = 0.f;  // the stand-in R-Net's random coefficients would leave the frame
  return o;
}

bool usable(benchmark::State& state, Device device) {
  std::string reason;
  if (device.kind == DeviceKind::CUDA && !cuda_available(&reason)) {
    state.SkipWithError(("no usable CUDA device: " + reason).c_str());
    return false;
  }
  if (!seeds()) {
    state.SkipWithError(("seed examples not found at " + seed_dir().string()).c_str());
    return false;
  }
  return true;
}

void BM_Reconstruct(benchmark::State& state, DeviceKind kind) {
  const Device device{kind, 0};
  if (!usable(state, device)) return;
  const int batch = static_cast<int>(state.range(0));
  Reconstructor r(options(*seeds(), device, batch));
  const std::vector<PortraitInput> inputs(
      seeds()->inputs.begin(),
      seeds()->inputs.begin() + std::min<size_t>(batch, seeds()->inputs.size()));
  r.reconstruct(inputs);  // warm-up: plans memory once
  for (auto _ : state) {
    std::vector<PortraitResult> out = r.reconstruct(inputs);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["portraits/s"] = benchmark::Counter(
      static_cast<double>(inputs.size()) * state.iterations(), benchmark::Counter::kIsRate);
}

// Step 9 alone on one portrait: 20,000 hair/ear pixels back-projected, 35,709 face colours.
void BM_HeadGeometry(benchmark::State& state, DeviceKind kind) {
  std::string reason;
  if (kind == DeviceKind::CUDA && !cuda_available(&reason)) {
    state.SkipWithError(("no usable CUDA device: " + reason).c_str());
    return;
  }
  std::vector<uint8_t> crop(256 * 256 * 3, 128);
  std::vector<float> depth(256 * 256, 9.8f), projection;
  std::vector<int32_t> points;
  for (int32_t i = 0; i < 20000; ++i) points.insert(points.end(), {(i / 160) % 256, i % 160});
  for (int32_t v = 0; v < 35709; ++v)
    projection.insert(projection.end(), {60.f + (v % 137) * 1.01f, 60.f + (v / 137) * 0.5f});
  HeadGeometryInput in;
  in.crop_bgr = crop.data();
  in.depth = depth.data();
  in.camera = {1160.f, 128.f, 128.f};
  in.point_count = static_cast<int32_t>(points.size() / 2);
  in.points = points.data();
  in.face_vertex_count = 35709;
  in.face_projection = projection.data();
  for (auto _ : state) benchmark::DoNotOptimize(compute_head_geometry(in, kind).hair_xyz.data());
  state.counters["vertices/s"] = benchmark::Counter(
      (in.point_count + in.face_vertex_count) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_HeadGeometry, cpu, DeviceKind::CPU)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_HeadGeometry, cuda, DeviceKind::CUDA)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

BENCHMARK_CAPTURE(BM_Reconstruct, cpu, DeviceKind::CPU)
    ->Arg(1)
    ->Arg(8)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Reconstruct, cuda, DeviceKind::CUDA)
    ->Arg(1)
    ->Arg(8)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace p3d
