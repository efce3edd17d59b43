// `portrait3d demo [--out DIR] [--cache DIR] [--device auto|cpu|cuda]`: the whole method on
// an embedded default, on a fresh machine with nothing downloaded. It generates once (into
// the user cache folder, pipeline/standin_cache.h) the synthetic face model and stand-in
// networks with the real architectures (pipeline/standin_networks.h), synthesises a portrait
// with its landmarks and parsing mask (pipeline/synthetic_portrait.h) into OUT/input/, reads
// it back as `run` reads a user's folder, reconstructs it through the C++ API
// (pipeline/reconstructor.h, the code `run` uses) and writes the mesh, previews and overlay
// (apps/run_outputs.h). It says what every file is, and that stand-in weights reconstruct
// no real person.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/run_outputs.h"
#include "engine/backend.h"
#include "kernels/error.h"
#include "pipeline/image_io.h"
#include "pipeline/landmarks.h"
#include "pipeline/mat_file.h"
#include "pipeline/reconstructor.h"
#include "pipeline/standin_cache.h"
#include "pipeline/synthetic_portrait.h"

namespace p3d::app {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kName = "demo";

struct DemoOptions {
  std::string out = "portrait3d-demo";
  std::string cache;
  std::string device = "auto";
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Device pick_device(const std::string& option) {
  std::string reason;
  if (option == "auto") return cuda_available(&reason) ? Device{DeviceKind::CUDA, 0} : Device{};
  if (option == "cpu") return Device{};
  P3D_CHECK(option == "cuda", "--device must be auto, cpu or cuda, got '", option, "'");
  if (!cuda_available(&reason)) P3D_THROW("--device cuda: ", reason);
  return Device{DeviceKind::CUDA, 0};
}

// The labels as `run` reads them: NAME.mat's 'mask', one byte per pixel.
ImageU8 read_labels(const std::string& path, int32_t width, int32_t height) {
  const MatArray mask = MatReader(path).read("mask");
  mask.expect_shape(height, width);
  ImageU8 labels{width, height, 1, std::vector<uint8_t>(mask.size())};
  for (size_t i = 0; i < mask.size(); ++i) labels.pixels[i] = static_cast<uint8_t>(mask.values[i]);
  return labels;
}

// What each written file is (the file names apps/run_outputs.h writes).
const char* describe(const std::string& path) {
  const std::string f = fs::path(path).filename().string();
  auto ends = [&](const char* s) {
    const std::string t(s);
    return f.size() >= t.size() && f.compare(f.size() - t.size(), t.size(), t) == 0;
  };
  if (ends(".obj")) return "head mesh, OBJ: v x y z r g b (face, hair/ear, stitch vertices)";
  if (ends(".ply")) return "the same mesh, binary PLY with vertex colours";
  if (ends(".glb")) return "the same mesh, glTF binary (opens in any glTF viewer)";
  if (ends("_preview.png")) return "the coloured head from the front and at -30 / +30 degrees";
  if (ends("_overlay.png")) return "the head mask laid over the photo";
  if (ends("_depth.png")) return "the head's 256x256 depth map (nearer = brighter)";
  if (ends("_mask.png")) return "the head's 256x256 mask";
  if (ends("_crop.png")) return "the 256x256 head crop the networks saw";
  if (ends(".mat")) return "a per-step record";
  return "";
}

int run_demo(const DemoOptions& o) {
  const auto total_start = Clock::now();
  const Device device = pick_device(o.device);  // before any work: a bad option costs nothing
  // 1. The embedded default: generated once, then reused.
  const std::string cache = o.cache.empty() ? default_standin_cache_dir() : o.cache;
  const StandinAssets assets = ensure_standin_assets(cache);
  if (assets.generated)
    std::printf("generated the stand-in face model and networks in %.1f s into %s\n",
                assets.generate_ms / 1000, assets.root.c_str());
  else
    std::printf("reusing the stand-in face model and networks in %s\n", assets.root.c_str());

  // 2. Load them as `run` does.
  ReconstructorOptions ro;
  ro.rnet_path = assets.rnet_path;
  ro.depth_net_path = assets.depth_net_path;
  ro.face_model_dir = assets.face_model_dir;
  ro.device = device;
  ro.max_batch = 1;
  auto start = Clock::now();
  Reconstructor reconstructor(ro);
  std::printf("loaded the networks on %s in %.1f s\n",
              ro.device.kind == DeviceKind::CUDA ? "CUDA device 0" : "the CPU",
              seconds_since(start));

  // 3. The synthetic portrait, written as a user's input folder and read back from it.
  const fs::path out = fs::absolute(o.out);
  const fs::path input_dir = out / "input";
  std::error_code ec;
  fs::create_directories(input_dir, ec);
  P3D_CHECK(!ec && fs::is_directory(input_dir), "demo: cannot create ", input_dir.string(),
            ec ? ": " + ec.message() : std::string());
  const SyntheticPortrait portrait = make_synthetic_portrait(reconstructor.face_model());
  const std::vector<std::string> inputs =
      write_synthetic_portrait(portrait, input_dir.string(), kName);
  const ImageU8 photo = read_image(inputs[0]);
  PortraitInput in;
  in.name = kName;
  in.photo = &photo;
  in.landmarks = read_landmarks(inputs[1], LandmarkConvention::YUp68, photo.width, photo.height);
  const ImageU8 labels = read_labels(inputs[2], photo.width, photo.height);
  in.labels = &labels;
  std::printf("synthesised a %dx%d portrait with landmarks and a parsing mask in %s\n", photo.width,
              photo.height, input_dir.string().c_str());

  // 4. The whole method.
  start = Clock::now();
  ReconstructionTimings t;
  std::vector<PortraitResult> results = reconstructor.reconstruct({in}, &t);
  PortraitResult& r = results.at(0);
  if (!r.ok()) {
    std::fprintf(stderr, "portrait3d demo: the reconstruction failed: %s\n", r.error.c_str());
    return 1;
  }
  std::printf(
      "reconstructed the head in %.2f s (R-Net %.0f ms, depth net %.0f ms): %zu "
      "vertices (%d face), %zu triangles\n",
      seconds_since(start), t.rnet_ms, t.head.depth_net_ms, r.mesh().positions.size() / 3,
      r.mesh().face_vertex_count, r.mesh().triangles.size() / 3);

  // 5. The outputs.
  OutputOptions oo;
  oo.out = out;
  const std::vector<std::string> written = write_head_outputs(oo, kName, photo, r.step1, r.head);
  std::printf("\nwrote into %s:\n", out.string().c_str());
  std::printf("  %-28s %s\n", "input/demo.png", "the synthetic photo (BGR PNG)");
  std::printf("  %-28s %s\n", "input/demo_landmark.txt", "its 68 landmarks (x, y up)");
  std::printf("  %-28s %s\n", "input/demo.mat",
              "its face-parsing labels ('mask': 0 bg, 1 face, 2 hair, 3/4 ears)");
  for (const std::string& path : written) {
    const std::string rel = fs::relative(path, out, ec).string();
    std::printf("  %-28s %s\n", (ec ? path : rel).c_str(), describe(path));
  }
  std::printf("(%.1f s in all)\n", seconds_since(total_start));

  std::printf(
      "\nNote: these are STAND-IN weights (seeded random networks with the real architectures)\n"
      "and a synthetic face model. They show the pipeline end to end; they do not reconstruct\n"
      "real people. For real reconstructions:\n"
      "  - the networks: model_mask3_white_light.pb (the R-Net) and depth_net.pb from the\n"
      "    release of the original Deep3dPortrait (github.com/sicxu/Deep3dPortrait), in a\n"
      "    folder, say models/;\n"
      "  - the face model: the Basel Face Model 2009 (01_MorphableModel.mat, from the\n"
      "    University of Basel after accepting its licence), converted into the original's\n"
      "    BFM/ layout (BFM_model_front.mat, similarity_Lm3D_all.mat, center.mat,\n"
      "    border_index.mat) by portrait3d make-face-model (its BFM09 conversion; see\n"
      "    portrait3d make-face-model --help); the stand-in's four files are in\n"
      "    %s;\n"
      "  - then: portrait3d run PHOTO_DIR --models models --bfm BFM --out OUT\n"
      "    (PHOTO_DIR holds NAME.jpg|png with NAME_landmark.txt and NAME.mat, as %s does).\n",
      assets.face_model_dir.c_str(), input_dir.string().c_str());
  return 0;
}

}  // namespace

Command add_demo_command(CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "Reconstruct a synthetic portrait end to end with stand-in networks generated on first "
      "use (nothing to download)");
  cmd->add_option("--out", options->out, "Folder for the portrait and the outputs")
      ->capture_default_str();
  cmd->add_option("--cache", options->cache,
                  "Folder for the generated stand-ins (default: $P3D_CACHE_DIR, else "
                  "$XDG_CACHE_HOME/portrait3d, else ~/.cache/portrait3d)");
  cmd->add_option("--device", options->device, "auto (CUDA when usable), cpu or cuda")
      ->capture_default_str();
  return Command{cmd, [options]() { return run_demo(*options); }};
}

}  // namespace p3d::app
