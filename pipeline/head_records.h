// The step-2 and step-3 .mat records, in the original's layout and field names, so a
// researcher can compare ours with the original's field by field (`run --save-stages`).
//
// step 2 (step2_face_segmentation.py re-saves the step-1 record with four more variables):
//   every step-1 variable (pipeline/step1_record.h), then
//   input_mask            single 256 x 256   the stitch mask (hair/ear + uncovered face,
//                                            small components removed)
//   points_tri            int32  F x 3       hair/ear triangles, 1-based ids into points_index
//   points_index          int32  K x 2       the stitch-mask pixels, (row, col), row-major
//   facemask_withouthair  single 256 x 256   the rendered face minus hair/ear
// step 3 (step3_get_head_geometry.py):
//   hairear_shape   single K x 3   back-projected hair/ear vertices
//   hairear_texture single K x 3   their colours, BGR 0..255
//   hairear_tri     int32  F x 3   = points_tri
//   face_shape      single V x 3   the posed face
//   face_texture    single V x 3   face vertex colours, BGR 0..255
//   face_tri        single T x 3   the model's triangles, 1-based
//   hairear_index   int32  K x 2   = points_index
//   facemask_withouthair single 256 x 256
//   depth, mask     single 256 x 256   the whole head rendered (10 - z; coverage)
// Where ours differ by design: the original pads points_index to 28,000 rows (with the
// value 1000) and points_tri to 54,000 rows (repeating the last three padding ids) for
// TensorFlow's static shapes; ours are exactly K and F rows, and our triangles come from the
// pixel grid, not a Delaunay (the same covered area; see pipeline/hair_triangulation.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/step1_record.h"

namespace p3d {

struct Step2Record {
  std::vector<float> input_mask;            // [256, 256] 0/1
  std::vector<int32_t> points_index;        // [K, 2]
  std::vector<int32_t> points_tri;          // [F, 3] 0-based (written 1-based)
  std::vector<float> facemask_withouthair;  // [256, 256] 0/1
};

struct Step3Record {
  std::vector<float> hairear_shape;    // [K, 3]
  std::vector<float> hairear_texture;  // [K, 3] BGR
  std::vector<float> face_texture;     // [V, 3] BGR
  std::vector<float> depth;            // [256, 256]
  std::vector<float> mask;             // [256, 256]
};

// Each throws p3d::Error naming the file or the inconsistent field; files are written
// atomically (pipeline/mat_record.h).
void write_step2_mat(const Step1Record& step1, const Step2Record& step2, const std::string& path);
void write_step3_mat(const Step1Record& step1, const Step2Record& step2, const Step3Record& step3,
                     const std::string& path);

}  // namespace p3d
