// The 3D morphable face model of the face stage (docs/pipeline.md: "Shared files"): the cropped
// Basel Face Model 2009 as the original's BFM/BFM_model_front.mat holds it, plus the three
// auxiliary files the original reads beside it (similarity_Lm3D_all.mat, center.mat,
// border_index.mat).
//
// Every array is a flat std::vector in row-major order equal to numpy's C-order view of the
// array as the original's Python uses it after scipy.io.loadmat, so index arithmetic ported
// from the original carries over unchanged. Indices are 0-based in memory; the files hold
// them 1-based (MATLAB), and the loader/writers convert at the boundary.
//
// Units and orientation (the original's, utils/loader.py transferBFM09): BFM09 stores
// micrometres and the model divides shape and shape bases by 1e5, so one unit is a
// decimetre (the 68 standard landmarks span about x -0.8..0.8, y -0.8..0.7). Right-handed,
// x to image right, y up, z towards the camera; the camera sits at z = 10 looking down -z
// (utils/recon_face.py projection_layer), so a 1.6-unit face at distance ~10 and focal 1015
// covers about 160 of the 224 crop pixels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace p3d {

struct FaceModel {
  // Sizes of the real model; the synthetic one matches them, test fakes may be smaller.
  static constexpr int kVertexCount = 35709;
  static constexpr int kTriangleCount = 70789;
  static constexpr int kIdDims = 80;
  static constexpr int kExpDims = 64;
  static constexpr int kTexDims = 80;
  static constexpr int kKeypointCount = 68;
  static constexpr int kPointBufWidth = 8;  // adjacent-triangle slots per vertex
  static constexpr int kBorderCount = 932;

  int vertex_count = 0;    // N
  int triangle_count = 0;  // F

  // Geometry and colour (float32; see units above). 3N rows are x,y,z of vertex 0, then
  // vertex 1, ... (vertex-major), as numpy's reshape([-1, 3]) reads them.
  std::vector<float> mean_shape;  // [3N]        'meanshape' (file: 1 x 3N)
  std::vector<float> id_base;     // [3N x 80]   'idBase'
  // [3N x 64] 'exBase'. The original's file stores it as double (built from float64
  // std_exp.txt) and its numpy path computes in float64; ours is that rounded to float32
  // (relative difference ~6e-8). TensorFlow's face decoder casts it to float32 too.
  std::vector<float> exp_base;
  std::vector<float> mean_tex;  // [3N]        'meantex' (file: 1 x 3N), RGB 0..255
  std::vector<float> tex_base;  // [3N x 80]   'texBase'

  // Topology, 0-based.
  std::vector<int32_t> triangles;  // [F x 3] vertex ids; file 'tri' is 1-based
  // [N x 8] for each vertex the ids of triangles that use it. The file's 1-based entries
  // pad unused slots with F+1 (one past the last triangle, where the original appends a
  // zero normal), so here padding is F; never an out-of-range id other than F.
  std::vector<int32_t> point_buf;
  std::vector<int32_t> keypoints;  // [68] vertex ids of the 68 landmarks; file 1-based

  // Extras the original's transferBFM09 copies into the same file from facemodel_info.mat
  // (training-loss regions upstream, unused by inference); kept so a converted model saves
  // complete. Empty when absent (the loader accepts files without them).
  std::vector<int32_t> frontmask2_idx;  // [K] 0-based vertex ids; file K x 1, 1-based
  std::vector<int32_t> tri_mask2;       // [T2 x 3] 0-based positions in frontmask2_idx
                                        // (a sub-mesh); file 1-based
  std::vector<int32_t> skinmask;        // [N] 0/1 per vertex; file 1 x N

  // Auxiliaries (separate files).
  std::vector<float> similarity_lm3d;  // [68 x 3] standard 3D landmarks, 'lm'
  float head_center[3] = {0, 0, 0};    // 'head_center' (file 1 x 3), model units
  // [932] vertex ids of the face border. 0-based in the file too: step4_save_obj.py uses
  // the loaded values directly as indices into the face vertices.
  std::vector<int32_t> border_index;
};

// Reads <folder>/BFM_model_front.mat, similarity_Lm3D_all.mat, center.mat and
// border_index.mat (the original's BFM/ folder). Accepts any real numeric MATLAB class and
// either orientation of vectors, checks every shape, value (finite) and index range, and
// throws p3d::Error naming the file and variable. The training extras are optional.
FaceModel load_face_model(const std::string& folder);

// Builds the model from the raw BFM09 release the way the original's transferBFM09 does
// (bit-exact float32 results; see bfm09_convert.cpp): <raw_folder>/01_MorphableModel.mat
// and Exp_Pca.bin, <index_folder>/BFM_front_idx.mat, BFM_exp_idx.mat, facemodel_info.mat
// and std_exp.txt (looked for in raw_folder when not in index_folder). The expression
// model's vertex count (53215 in the original's code) is taken from BFM_exp_idx.mat. The
// auxiliaries are left empty (separate files: load_face_model_auxiliaries).
FaceModel convert_bfm09(const std::string& raw_folder, const std::string& index_folder);

// Reads only the three auxiliary files from `folder` into `model`.
void load_face_model_auxiliaries(const std::string& folder, FaceModel& model);

// Writes BFM_model_front.mat with the original's variable names, shapes and classes.
void save_face_model_mat(const FaceModel& model, const std::string& path);

// Writes similarity_Lm3D_all.mat ('lm'), center.mat ('head_center'), border_index.mat
// ('border_index', 0-based as the original's) into `folder`.
void save_face_model_auxiliaries(const FaceModel& model, const std::string& folder);

// Writes all four files into `folder` (created if missing).
void write_face_model_folder(const FaceModel& model, const std::string& folder);

// Throws p3d::Error unless sizes agree and every index is in range (`source` names the
// origin in the message).
void validate_face_model(const FaceModel& model, const std::string& source);

}  // namespace p3d
