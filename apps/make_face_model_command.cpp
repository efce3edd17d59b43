// `portrait3d make-face-model --out DIR`: the face model folder the stages read (the
// original's BFM/ layout: BFM_model_front.mat, similarity_Lm3D_all.mat, center.mat,
// border_index.mat), either
//   --bfm09 RAW_DIR --index INDEX_DIR   converted from the Basel Face Model 2009 release
//                                       (01_MorphableModel.mat, Exp_Pca.bin) with the original's
//                                       index files, as its transferBFM09 does (bit-exact), or
//   (default)                           the synthetic stand-in (pipeline/synthetic_face_model.h:
//                                       the real sizes, a face-like shape, seeded bases), so a
//                                       fresh machine runs without the licensed model.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "apps/commands.h"
#include "kernels/error.h"
#include "pipeline/face_model.h"
#include "pipeline/synthetic_face_model.h"

namespace p3d::app {

Command add_make_face_model_command(CLI::App& app) {
  struct Options {
    std::string out;
    uint32_t seed = 1;
    std::string bfm09, index, aux;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "make-face-model",
      "Write the face model folder: converted from the Basel Face Model 2009 (--bfm09), or a "
      "synthetic stand-in (real sizes, not a real face)");
  cmd->add_option("--out", options->out,
                  "Folder to write the four .mat files into (created if missing)")
      ->required();
  cmd->add_option("--seed", options->seed, "Seed of the synthetic bases")->capture_default_str();
  cmd->add_option("--bfm09", options->bfm09,
                  "Folder of the BFM09 release: 01_MorphableModel.mat and Exp_Pca.bin");
  cmd->add_option("--index", options->index,
                  "With --bfm09: folder of the original's BFM/ index files (BFM_front_idx.mat, "
                  "BFM_exp_idx.mat, facemodel_info.mat, std_exp.txt, similarity_Lm3D_all.mat, "
                  "center.mat, border_index.mat)");
  cmd->add_option("--aux", options->aux,
                  "With --bfm09: folder with similarity_Lm3D_all.mat, center.mat and "
                  "border_index.mat when they are not in --index");
  return Command{
      cmd, [options]() {
        const auto start = std::chrono::steady_clock::now();
        FaceModel model;
        std::string what;
        if (!options->bfm09.empty()) {
          P3D_CHECK(!options->index.empty(), "--bfm09 needs --index (the original's index files)");
          model = convert_bfm09(options->bfm09, options->index);
          load_face_model_auxiliaries(options->aux.empty() ? options->index : options->aux, model);
          what = "the Basel Face Model 2009 from " + options->bfm09;
        } else {
          P3D_CHECK(options->index.empty() && options->aux.empty(),
                    "--index and --aux are only used with --bfm09");
          model = generate_synthetic_face_model(options->seed);
          what = "synthetic face model (seed " + std::to_string(options->seed) + ")";
        }
        validate_face_model(model, what);
        write_face_model_folder(model, options->out);
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        std::printf("wrote %s: %d vertices, %d triangles, to %s in %.0f ms\n", what.c_str(),
                    model.vertex_count, model.triangle_count, options->out.c_str(), ms);
        return 0;
      }};
}

}  // namespace p3d::app
