// The step-1 output of one portrait (docs/pipeline.md: stage 1): the .mat file the original's
// step1_recon_3d_face.py saves (scipy.io.savemat, do_compression=True) and that steps 2-4
// read, plus preview PNGs.
//
// Variables, exactly as the original writes them (1-D numpy arrays become 1 x K rows):
//   img             uint8   256 x 256 x 3  the head crop, BGR (cv2 channel order)
//   mask            uint8   256 x 256      the face-parsing labels, cropped (nearest)
//   crop_param      single  1 x 5          scale, left, up, 256, 256
//   face3d          single  1 x 396        focal, centre x/y, 257 coefficients (translation
//                                          adjusted), 68 x 2 crop landmarks (y up)
//   face_shape      single  V x 3          posed face vertices
//   face_projection single  V x 2          the vertices projected into the crop (y up)
//   face_depthmap   single  256 x 256      rendered 10 - z, 0 off the face (row 0 = top)
//   face_mask       single  256 x 256      rendered coverage 0/1
//   face_tri        single  F x 3          the model's triangles, 1-based (as the model file)
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace p3d {

struct Step1Record {
  int32_t vertex_count = 0;
  int32_t triangle_count = 0;
  std::vector<uint8_t> img;   // [256, 256, 3] BGR
  std::vector<uint8_t> mask;  // [256, 256]
  std::array<float, 5> crop_param{};
  std::vector<float> face3d;           // [396]
  std::vector<float> face_shape;       // [V, 3]
  std::vector<float> face_projection;  // [V, 2]
  std::vector<float> face_depthmap;    // [256, 256]
  std::vector<float> face_mask;        // [256, 256]
  // [F, 3] 0-based (written 1-based); not owned: the FaceStage (or model) that made the
  // record must outlive it.
  const std::vector<int32_t>* triangles = nullptr;
  // Not part of the .mat: SH-lit vertex colours [V, 3] RGB for the shaded preview (empty
  // when not computed).
  std::vector<float> face_color;
};

// Writes the .mat file (MATLAB v5, zlib-compressed variables like savemat's
// do_compression=True). Throws p3d::Error naming the file on any failure.
void write_step1_mat(const Step1Record& record, const std::string& path);

// The same variables into an open record (the step-2 record starts with them, as the
// original's step 2 re-saves what it loaded).
class MatRecordWriter;
void write_step1_variables(const Step1Record& record, MatRecordWriter& file);

// Reads a step-1 .mat back (ours or the original's) — for tests and later stages.
Step1Record read_step1_mat(const std::string& path, std::vector<int32_t>* triangles_out = nullptr);

// Preview PNGs: <prefix>.png the crop (as the original's vis/ image), <prefix>_depth.png the
// face depth map (nearer = brighter, background black), <prefix>_face_mask.png the rendered
// coverage, <prefix>_labels.png the cropped face-parsing labels in colour, and when
// face_color is set <prefix>_shaded.png: the SH-lit vertex colours splatted (nearest vertex
// in depth per pixel) over the darkened crop.
void write_step1_previews(const Step1Record& record, const std::string& prefix);

}  // namespace p3d
