// The stand-in asset cache (standin_cache.h).
#include "pipeline/standin_cache.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "kernels/error.h"
#include "pipeline/atomic_file.h"
#include "pipeline/face_model.h"
#include "pipeline/standin_networks.h"
#include "pipeline/synthetic_face_model.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;

constexpr const char* kVersionDir = "standin-v1";
// Seeds: the face model's is make-face-model's default, so `make-face-model --out DIR` writes
// the same model as the cache holds.
constexpr uint32_t kFaceModelSeed = 1;
constexpr uint32_t kRnetSeed = 1;
constexpr uint32_t kDepthNetSeed = 2;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

void make_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  P3D_CHECK(!ec && fs::is_directory(dir), "stand-in cache: cannot create ", dir.string(), ": ",
            ec ? ec.message() : std::string("not a folder"));
}

}  // namespace

std::string default_standin_cache_dir() {
  if (std::string dir = env("P3D_CACHE_DIR"); !dir.empty()) return dir;
  if (std::string xdg = env("XDG_CACHE_HOME"); !xdg.empty())
    return (fs::path(xdg) / "portrait3d").string();
  if (std::string home = env("HOME"); !home.empty())
    return (fs::path(home) / ".cache" / "portrait3d").string();
  P3D_THROW(
      "stand-in cache: none of P3D_CACHE_DIR, XDG_CACHE_HOME or HOME is set "
      "(name a folder with --cache)");
}

StandinAssets ensure_standin_assets(const std::string& cache_dir) {
  P3D_CHECK(!cache_dir.empty(), "stand-in cache: empty folder name");
  const fs::path root = fs::absolute(fs::path(cache_dir)) / kVersionDir;
  StandinAssets a;
  a.root = root.string();
  a.models_dir = (root / "models").string();
  a.rnet_path = (root / "models" / "model_mask3_white_light.pb").string();
  a.depth_net_path = (root / "models" / "depth_net.pb").string();
  a.face_model_dir = (root / "BFM").string();
  const fs::path stamp = root / "COMPLETE";
  if (fs::is_regular_file(stamp) && fs::is_regular_file(a.rnet_path) &&
      fs::is_regular_file(a.depth_net_path) &&
      fs::is_regular_file(root / "BFM" / "BFM_model_front.mat"))
    return a;

  const auto start = std::chrono::steady_clock::now();
  make_dirs(root / "models");
  make_dirs(root / "BFM");
  const FaceModel model = generate_synthetic_face_model(kFaceModelSeed);
  validate_face_model(model, "synthetic face model");
  write_face_model_folder(model, a.face_model_dir);
  write_graph_def(make_standin_depth_net(model, kDepthNetSeed), a.depth_net_path);
  write_graph_def(make_standin_rnet(kRnetSeed), a.rnet_path);
  const std::string note = "portrait3d stand-in assets (not real networks or a real face model)\n";
  write_file_atomic(stamp.string(), note.data(), note.size());
  a.generated = true;
  a.generate_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return a;
}

}  // namespace p3d
