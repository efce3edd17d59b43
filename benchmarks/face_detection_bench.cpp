// Face detection and landmarks (pipeline/face_detection.h) on the 18 seed photos
// (../shared/seed-examples; skipped with a message when absent), the measurement behind
// kDetectLongSide:
//   BM_Detect/D        the HOG detector on a copy with long side D (0: the full photo; the
//                      copy is never enlarged past kMaxDetectUpscale), all seeds per
//                      iteration; counters: ms per photo, photos with no face found
//                      (misses) and with more than one (extra)
//   BM_DetectAndLandmarks  what `run` does per bare photo: detection at kDetectLongSide and
//                      the 68-point predictor on the full photo
// The photos are decoded once, outside the timing; the model is loaded once.
//
//   build/benchmarks/face_detection_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/face_detection.h"
#include "pipeline/image_io.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;

fs::path seed_dir() {
  if (const char* env = std::getenv("P3D_SHARED_DIR")) return fs::path(env) / "seed-examples";
  return fs::path(__FILE__).parent_path().parent_path().parent_path() / "shared" / "seed-examples";
}

struct SeedPhoto {
  std::string name;
  ImageU8 image;
};

const std::vector<SeedPhoto>& seed_photos() {
  static const std::vector<SeedPhoto> photos = [] {
    std::vector<SeedPhoto> out;
    if (!fs::is_directory(seed_dir())) return out;
    std::vector<fs::path> paths;
    for (const auto& e : fs::directory_iterator(seed_dir())) {
      const std::string ext = e.path().extension().string();
      if (ext == ".jpg" || ext == ".jpeg" || ext == ".png") paths.push_back(e.path());
    }
    std::sort(paths.begin(), paths.end());
    for (const fs::path& p : paths) out.push_back({p.stem().string(), read_image(p.string())});
    return out;
  }();
  return photos;
}

void BM_Detect(benchmark::State& state) {
  const std::vector<SeedPhoto>& photos = seed_photos();
  if (photos.empty()) return state.SkipWithError("seed examples not found");
  if (!fs::is_regular_file(kDefaultLandmarkModel))
    return state.SkipWithError("landmark model absent (Debian libdlib-data)");
  FaceLandmarker detector(kDefaultLandmarkModel, std::max<int32_t>(80, state.range(0)));
  int misses = 0, extra = 0;
  std::string missed;
  for (auto _ : state) {
    misses = extra = 0;
    missed.clear();
    for (const SeedPhoto& seed : photos) {
      const ImageU8& photo = seed.image;
      // Full size means the photo itself: no enlargement of the small ones either.
      if (state.range(0) == 0) detector.set_detect_long_side(std::max(photo.width, photo.height));
      const std::vector<FaceBox> boxes = detector.detect_boxes(photo);
      misses += boxes.empty();
      if (boxes.empty()) missed += (missed.empty() ? "missed: " : " ") + seed.name;
      extra += boxes.size() > 1;
    }
  }
  // CPU seconds per photo (the shared machine's wall clock is noisier).
  state.counters["per_photo"] = benchmark::Counter(
      static_cast<double>(photos.size()),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.SetLabel(missed);
  state.counters["misses"] = misses;
  state.counters["extra"] = extra;
}
BENCHMARK(BM_Detect)->Arg(320)->Arg(400)->Arg(480)->Arg(640)->Arg(800)->Arg(1024)->Arg(0)->Unit(
    benchmark::kMillisecond);

void BM_DetectAndLandmarks(benchmark::State& state) {
  const std::vector<SeedPhoto>& photos = seed_photos();
  if (photos.empty()) return state.SkipWithError("seed examples not found");
  if (!fs::is_regular_file(kDefaultLandmarkModel))
    return state.SkipWithError("landmark model absent (Debian libdlib-data)");
  FaceLandmarker detector;
  double detect_ms = 0, landmarks_ms = 0;
  int64_t runs = 0;
  for (auto _ : state) {
    for (const SeedPhoto& seed : photos) {
      const DetectedFace f = detector.detect(seed.image);
      detect_ms += f.detect_ms;
      landmarks_ms += f.landmarks_ms;
      ++runs;
    }
  }
  state.counters["detect_ms"] = detect_ms / std::max<int64_t>(1, runs);
  state.counters["landmarks_ms"] = landmarks_ms / std::max<int64_t>(1, runs);
}
BENCHMARK(BM_DetectAndLandmarks)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace p3d
