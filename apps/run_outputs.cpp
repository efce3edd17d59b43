// Writing a portrait's outputs (run_outputs.h).
#include "apps/run_outputs.h"

#include <sstream>

#include "kernels/error.h"
#include "pipeline/head_previews.h"
#include "pipeline/head_records.h"
#include "pipeline/mesh_export.h"

namespace p3d::app {

namespace fs = std::filesystem;

void parse_formats(const std::string& list, OutputOptions& o) {
  o.obj = o.ply = o.glb = o.png = false;
  std::stringstream ss(list);
  std::string item;
  int count = 0;
  while (std::getline(ss, item, ',')) {
    if (item == "obj")
      o.obj = true;
    else if (item == "ply")
      o.ply = true;
    else if (item == "glb")
      o.glb = true;
    else if (item == "png")
      o.png = true;
    else if (!item.empty())
      P3D_THROW("--formats: unknown format '", item, "' (choose from obj, ply, glb, png)");
    count += !item.empty();
  }
  P3D_CHECK(count > 0, "--formats: name at least one of obj, ply, glb, png");
}

namespace {

// The mesh files and the PNGs, shared by heads and face-only portraits.
void write_mesh_outputs(const OutputOptions& o, const std::string& name, const ImageU8& photo,
                        const Step1Record& step1, const HeadMesh& mesh, const DepthAndMask& render,
                        std::vector<std::string>& written) {
  const auto path = [&](const std::string& suffix) { return (o.out / (name + suffix)).string(); };
  if (o.obj) written.push_back(path(".obj")), write_obj(written.back(), mesh);
  if (o.ply) written.push_back(path(".ply")), write_ply(written.back(), mesh);
  if (o.glb) written.push_back(path(".glb")), write_glb(written.back(), mesh);
  if (o.png) {
    written.push_back(path("_preview.png"));
    write_turntable_png(written.back(), mesh);
    written.push_back(path("_overlay.png"));
    write_restore_overlay_png(written.back(), photo, step1.crop_param, render.mask);
    written.push_back(path("_depth.png"));
    write_depth_png(written.back(), render);
    written.push_back(path("_mask.png"));
    write_mask_png(written.back(), render);
    written.push_back(path("_crop.png"));
    ImageU8 crop;
    crop.width = crop.height = 256;
    crop.channels = 3;
    crop.pixels = step1.img;
    write_png(written.back(), crop);
  }
}

}  // namespace

std::vector<std::string> write_head_outputs(const OutputOptions& o, const std::string& name,
                                            const ImageU8& photo, const Step1Record& step1,
                                            const HeadResult& head) {
  std::vector<std::string> written;
  write_mesh_outputs(o, name, photo, step1, head.mesh, head.head_render, written);
  if (o.save_stages) {
    const fs::path stages = o.out / "stages";
    fs::create_directories(stages);
    written.push_back((stages / (name + "_step1.mat")).string());
    write_step1_mat(step1, written.back());
    written.push_back((stages / (name + "_step2.mat")).string());
    write_step2_mat(step1, head.step2, written.back());
    written.push_back((stages / (name + "_step3.mat")).string());
    write_step3_mat(step1, head.step2, head.step3, written.back());
  }
  return written;
}

std::vector<std::string> write_face_only_outputs(const OutputOptions& o, const std::string& name,
                                                 const ImageU8& photo, const Step1Record& step1,
                                                 const FaceOnlyResult& face) {
  std::vector<std::string> written;
  write_mesh_outputs(o, name, photo, step1, face.mesh, face.render, written);
  if (o.save_stages) {
    const fs::path stages = o.out / "stages";
    fs::create_directories(stages);
    written.push_back((stages / (name + "_step1.mat")).string());
    write_step1_mat(step1, written.back());
  }
  return written;
}

std::vector<std::string> write_face_outputs(const OutputOptions& o, const std::string& name,
                                            const Step1Record& step1) {
  std::vector<std::string> written{(o.out / (name + ".mat")).string()};
  write_step1_mat(step1, written.back());
  if (o.png) {
    fs::create_directories(o.out / "vis");
    write_step1_previews(step1, (o.out / "vis" / name).string());
    written.push_back((o.out / "vis" / (name + "*.png")).string());
  }
  return written;
}

}  // namespace p3d::app
