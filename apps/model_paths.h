// Where `run` and `bench` find the networks and the face model: --models DIR (holding
// model_mask3_white_light.pb and depth_net.pb), or --rnet / --depth-net naming the files one by
// one, and --bfm DIR; whatever is not given comes from the demo's cache of stand-ins
// (pipeline/standin_cache.h: generated on first use, found from any working directory), with
// a line saying so — stand-in weights do not reconstruct real people.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace p3d::app {

struct ModelPathOptions {
  std::string models, rnet, depth_net, bfm;
};

struct ModelPaths {
  std::string rnet, depth_net, face_model;
  std::string where;  // a short description for the start-up line
  bool standin = false;
};

void add_model_path_options(CLI::App& cmd, ModelPathOptions& o);

// Throws p3d::Error naming the missing file.
ModelPaths resolve_model_paths(const ModelPathOptions& o, bool need_depth_net);

}  // namespace p3d::app
