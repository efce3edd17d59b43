// What `portrait3d run` writes per portrait, all atomically (temporary file, then rename):
//   OUT/NAME.obj, NAME.ply, NAME.glb   the head mesh (--formats obj,ply,glb)
//   OUT/NAME_preview.png               the coloured head from the front and at -30 / +30
//                                      degrees of yaw (--formats png, as are the next three)
//   OUT/NAME_overlay.png               the head mask laid over the photo (restore_from_crop.py)
//   OUT/NAME_depth.png, NAME_mask.png  the head's 256x256 depth map (nearer = brighter) and mask
//   OUT/NAME_crop.png                  the 256x256 head crop the networks saw
//   OUT/stages/NAME_step{1,2,3}.mat    with --save-stages: the original's per-step records
// With --stop-after face: OUT/NAME.mat (the step-1 record) and OUT/vis/ previews, as the
// original's step 1 writes them.
// A face-only portrait (no NAME.mat) writes the same files for its face mesh
// (pipeline/face_mesh.h): the overlay, depth and mask show the face render; --save-stages
// writes only the step-1 record (there is no step 2 or 3).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/face_mesh.h"
#include "pipeline/head_stage.h"
#include "pipeline/image_io.h"
#include "pipeline/step1_record.h"

namespace p3d::app {

struct OutputOptions {
  std::filesystem::path out;
  bool obj = true, ply = true, glb = true, png = true;
  bool save_stages = false;
};

// Parses "obj,ply,glb,png" (any subset, any order) into `o`; throws on an unknown format.
void parse_formats(const std::string& list, OutputOptions& o);

// Writes one portrait's head outputs; returns the paths written. Throws p3d::Error naming
// the file that failed (files already written stay: each is complete).
std::vector<std::string> write_head_outputs(const OutputOptions& o, const std::string& name,
                                            const ImageU8& photo, const Step1Record& step1,
                                            const HeadResult& head);

// A face-only portrait's outputs (same names as the head's).
std::vector<std::string> write_face_only_outputs(const OutputOptions& o, const std::string& name,
                                                 const ImageU8& photo, const Step1Record& step1,
                                                 const FaceOnlyResult& face);

// --stop-after face: OUT/NAME.mat and OUT/vis/NAME*.png.
std::vector<std::string> write_face_outputs(const OutputOptions& o, const std::string& name,
                                            const Step1Record& step1);

}  // namespace p3d::app
