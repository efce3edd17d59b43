// `portrait3d make-face-model --out DIR [--seed S]`: writes the synthetic stand-in for the
// Basel Face Model (pipeline/synthetic_face_model.h: the real sizes, a face-like shape,
// seeded bases) as the four files the original's BFM/ folder holds (BFM_model_front.mat,
// similarity_Lm3D_all.mat, center.mat, border_index.mat), so a fresh machine can run the
// face stage without the licensed model.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "apps/commands.h"
#include "pipeline/face_model.h"
#include "pipeline/synthetic_face_model.h"

namespace p3d::app {

Command add_make_face_model_command(CLI::App& app) {
  struct Options {
    std::string out;
    uint32_t seed = 1;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "make-face-model",
      "Write a synthetic face model (real sizes, not a real face) in the original's BFM/ layout");
  cmd->add_option("--out", options->out,
                  "Folder to write the four .mat files into (created if missing)")
      ->required();
  cmd->add_option("--seed", options->seed, "Seed of the synthetic bases")->capture_default_str();
  return Command{
      cmd, [options]() {
        const auto start = std::chrono::steady_clock::now();
        const FaceModel model = generate_synthetic_face_model(options->seed);
        validate_face_model(model, "synthetic face model");
        write_face_model_folder(model, options->out);
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        std::printf(
            "wrote synthetic face model (seed %u: %d vertices, %d triangles) to %s in %.0f ms\n",
            options->seed, model.vertex_count, model.triangle_count, options->out.c_str(), ms);
        return 0;
      }};
}

}  // namespace p3d::app
