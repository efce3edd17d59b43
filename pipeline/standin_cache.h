// The demo's embedded default: the synthetic face model and the stand-in networks
// (pipeline/synthetic_face_model.h, pipeline/standin_networks.h), generated once into a user
// cache folder and found again from any working directory, so `portrait3d demo` works on a
// fresh machine with nothing downloaded (and `run` can default to the same files).
//
// Layout under the cache folder (versioned, so a changed generator never reuses old files):
//   standin-v1/models/model_mask3_white_light.pb   the stand-in R-Net
//   standin-v1/models/depth_net.pb                 the stand-in depth net
//   standin-v1/BFM/                                the four face-model .mat files
//   standin-v1/COMPLETE                            written last: the set is whole
// Every file is written atomically, so an interrupted generation leaves no half file and no
// COMPLETE stamp: the next call regenerates. Two processes generating at once write the same
// bytes, each by rename, so either outcome is whole.
#pragma once

#include <string>

namespace p3d {

// $P3D_CACHE_DIR, else $XDG_CACHE_HOME/portrait3d, else $HOME/.cache/portrait3d. Throws
// p3d::Error when none of them is set.
std::string default_standin_cache_dir();

struct StandinAssets {
  std::string root;        // <cache>/standin-v1
  std::string models_dir;  // holds model_mask3_white_light.pb and depth_net.pb
  std::string rnet_path;
  std::string depth_net_path;
  std::string face_model_dir;  // the BFM/ folder
  bool generated = false;      // false: reused from an earlier call
  double generate_ms = 0;      // wall clock of the generation (0 when reused)
};

// The assets under `cache_dir` (created if missing), generated there when not yet complete.
// Throws p3d::Error naming the path that could not be written.
StandinAssets ensure_standin_assets(const std::string& cache_dir);

}  // namespace p3d
