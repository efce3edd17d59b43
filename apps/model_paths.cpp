// Model path resolution for run and bench (model_paths.h).
#include "apps/model_paths.h"

#include <cstdio>
#include <filesystem>

#include "kernels/error.h"
#include "pipeline/standin_cache.h"

namespace p3d::app {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRnetFile = "model_mask3_white_light.pb";
constexpr const char* kDepthNetFile = "depth_net.pb";

std::string require_file(const std::string& path, const char* what) {
  P3D_CHECK(fs::is_regular_file(path), what, ": ", path, " is missing (or not a file)");
  return path;
}

}  // namespace

void add_model_path_options(CLI::App& cmd, ModelPathOptions& o) {
  cmd.add_option("--models", o.models,
                 std::string("Folder with ") + kRnetFile + " and " + kDepthNetFile +
                     " (default: the demo's stand-ins)");
  cmd.add_option("--rnet", o.rnet, "The R-Net file (overrides --models)");
  cmd.add_option("--depth-net", o.depth_net, "The depth net file (overrides --models)");
  cmd.add_option("--bfm", o.bfm,
                 "Face model folder: BFM_model_front.mat, similarity_Lm3D_all.mat, center.mat, "
                 "border_index.mat (default: the demo's synthetic model)");
}

ModelPaths resolve_model_paths(const ModelPathOptions& o, bool need_depth) {
  ModelPaths p;
  const bool networks_given =
      !o.models.empty() || (!o.rnet.empty() && (!need_depth || !o.depth_net.empty()));
  if (!networks_given || o.bfm.empty()) {
    const StandinAssets assets = ensure_standin_assets(default_standin_cache_dir());
    std::printf(
        "%s: the demo's stand-ins from %s%s (random weights: they do not reconstruct "
        "real people)\n",
        !networks_given && o.bfm.empty() ? "networks and face model"
        : !networks_given                ? "networks"
                                         : "face model",
        assets.root.c_str(), assets.generated ? ", generated now" : "");
    if (o.models.empty() && o.rnet.empty()) p.rnet = assets.rnet_path;
    if (o.models.empty() && o.depth_net.empty()) p.depth_net = assets.depth_net_path;
    if (o.bfm.empty()) p.face_model = assets.face_model_dir;
    p.standin = true;
    p.where = assets.root;
  }
  if (!o.rnet.empty())
    p.rnet = o.rnet;
  else if (p.rnet.empty())
    p.rnet = (fs::path(o.models) / kRnetFile).string();
  if (!o.depth_net.empty())
    p.depth_net = o.depth_net;
  else if (p.depth_net.empty() && !o.models.empty())
    p.depth_net = (fs::path(o.models) / kDepthNetFile).string();
  if (!o.bfm.empty()) p.face_model = o.bfm;
  require_file(p.rnet, "the R-Net");
  if (need_depth) require_file(p.depth_net, "the depth net");
  P3D_CHECK(fs::is_directory(p.face_model), "--bfm: ", p.face_model, " is not a folder");
  if (p.where.empty())
    p.where = o.models.empty() ? fs::path(p.rnet).parent_path().string() : o.models;
  return p;
}

}  // namespace p3d::app
