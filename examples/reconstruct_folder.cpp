// Embedding portrait3d: reconstruct the portraits of a folder (the original's input
// convention: NAME.jpg|jpeg|png, NAME_landmark.txt, NAME.mat) with the C++ API and write each
// head as an OBJ — the smallest program a research user would write against the library.
//
//   reconstruct_folder RNET.pb DEPTH_NET.pb BFM_DIR PHOTO_DIR OUT_DIR [cpu|cuda]
//
// Everything the library reports is a p3d::Error with the file and the stage in its message.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "pipeline/image_io.h"
#include "pipeline/landmarks.h"
#include "pipeline/mat_file.h"
#include "pipeline/mesh_export.h"
#include "pipeline/reconstructor.h"

namespace fs = std::filesystem;

// NAME.mat 'mask' as an 8-bit label image.
p3d::ImageU8 read_labels(const std::string& path) {
  p3d::MatReader reader(path);
  const p3d::MatArray mask = reader.read("mask");
  p3d::ImageU8 labels;
  labels.width = static_cast<int32_t>(mask.cols);
  labels.height = static_cast<int32_t>(mask.rows);
  labels.channels = 1;
  for (double v : mask.values) labels.pixels.push_back(static_cast<uint8_t>(v));
  return labels;
}

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s RNET.pb DEPTH_NET.pb BFM_DIR PHOTO_DIR OUT_DIR [cpu|cuda]\n",
                 argv[0]);
    return 2;
  }
  try {
    p3d::ReconstructorOptions options;
    options.rnet_path = argv[1];
    options.depth_net_path = argv[2];
    options.face_model_dir = argv[3];
    if (argc > 6 && std::string(argv[6]) == "cuda") options.device = {p3d::DeviceKind::CUDA, 0};
    // Stand-in networks with random weights give wild coefficients: zero them (the mean face).
    if (std::getenv("P3D_EXAMPLE_ZERO_COEFFS")) options.coeff_scale = 0.f;
    p3d::Reconstructor reconstructor(options);  // loads the model and both networks once

    std::vector<p3d::ImageU8> photos, labels;
    std::vector<p3d::PortraitInput> inputs;
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(argv[4])) {
      const std::string ext = e.path().extension().string();
      if (ext != ".jpg" && ext != ".jpeg" && ext != ".png") continue;
      names.push_back(e.path().stem().string());
    }
    photos.reserve(names.size());
    labels.reserve(names.size());
    for (const std::string& name : names) {
      const fs::path dir = argv[4];
      fs::path photo = dir / (name + ".jpg");
      if (!fs::exists(photo)) photo = dir / (name + ".jpeg");
      if (!fs::exists(photo)) photo = dir / (name + ".png");
      photos.push_back(p3d::read_image(photo.string()));
      labels.push_back(read_labels((dir / (name + ".mat")).string()));
      p3d::PortraitInput in;
      in.name = name;
      in.photo = &photos.back();
      in.labels = &labels.back();
      in.landmarks = p3d::read_landmarks((dir / (name + "_landmark.txt")).string(),
                                         p3d::LandmarkConvention::YUp68, photos.back().width,
                                         photos.back().height);
      inputs.push_back(in);
    }

    fs::create_directories(argv[5]);
    int failed = 0;
    for (const p3d::PortraitResult& r : reconstructor.reconstruct(inputs)) {
      if (!r.ok()) {
        std::printf("%s: failed: %s\n", r.name.c_str(), r.error.c_str());
        ++failed;
        continue;
      }
      const p3d::HeadMesh& mesh = r.mesh();
      p3d::write_obj((fs::path(argv[5]) / (r.name + ".obj")).string(), mesh);
      std::printf("%s: %d vertices (face %d, hair/ear %d, stitch %d), %d triangles\n",
                  r.name.c_str(), mesh.vertex_count(), mesh.face_vertex_count,
                  mesh.hair_ear_vertex_count, mesh.stitch_vertex_count, mesh.triangle_count());
    }
    return failed ? 1 : 0;
  } catch (const p3d::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
