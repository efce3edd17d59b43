// Stage 1, step 3 (docs/pipeline.md): R-Net coefficients -> the posed 3D face and its
// projection, batched, on the CPU or a CUDA GPU.
//
// For each face b of a batch (utils/recon_face.py compute_faceshape):
//   canonical = meanshape + idBase·id + exBase·exp - mean vertex of meanshape   [V, 3]
//   posed     = canonical · R + t, R = (Rz·Ry·Rx)^T                              [V, 3]
//   projection: posed seen by cameras[b] (the original's focal 1015 / centre 112 camera of
//     the 224 crop, followed by the inverse crop into photo coordinates, y up)  [V, 2]
//   landmarks = projection at the model's 68 keypoints                          [68, 2]
//   colors (optional, previews): SH-lit albedo at the rotated vertex normals     [V, 3] RGB
//
// The bases are held once in the reconstructor's memory (on the GPU for Device CUDA: the
// id|expression basis as one [3V, 144] matrix, 62 MB in FP32), so per batch the work is one
// GEMM [N, 144] x [144, 3V] plus per-vertex passes (kernels/face3dmm.h).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/tensor.h"
#include "kernels/face3dmm.h"
#include "pipeline/face_model.h"

namespace p3d {

// The camera the original uses for face b (recon_face.py compute_faceshape): projection in
// the 224 crop (focal 1015, centre 112) mapped to the photo by the inverse crop
// (photo = crop · scale + offset, the alignment's inv_params).
FaceCamera photo_camera(float crop_to_photo_scale, float offset_x, float offset_y);

struct FaceGeometry {
  int32_t batch = 0;
  int32_t vertex_count = 0;
  std::vector<float> canonical;   // [N, V, 3] re-centred, unposed
  std::vector<float> posed;       // [N, V, 3] the original's face_shape (pose applied)
  std::vector<float> projection;  // [N, V, 2] photo coordinates, y up
  std::vector<float> landmarks;   // [N, 68, 2] projection at the keypoints
  std::vector<float> colors;      // [N, V, 3] RGB, only when asked for
};

struct FaceReconstructionOptions {
  bool colors = false;  // also compute SH-lit vertex colours (needs texture + normals)
};

class FaceReconstructor {
 public:
  // Copies what it needs from `model` (validated) to `device`'s memory. Throws for CUDA
  // when cuda_available() is false.
  FaceReconstructor(const FaceModel& model, Device device = {});
  ~FaceReconstructor();
  FaceReconstructor(const FaceReconstructor&) = delete;
  FaceReconstructor& operator=(const FaceReconstructor&) = delete;

  Device device() const;
  int32_t vertex_count() const;

  // coeffs: host array [batch x coeff_stride] (257, or 258 for the raw R-Net output whose
  // last value the original drops); cameras: [batch]. Every used coefficient must be finite
  // (throws naming the face and coefficient otherwise: screen faces with
  // first_nonfinite_coefficient first to drop only the bad ones).
  FaceGeometry run(const float* coeffs, int32_t batch, int32_t coeff_stride,
                   const FaceCamera* cameras, const FaceReconstructionOptions& options = {});

  // Projects points [batch, V, 3] (host) with cameras[b]: [batch, V, 2] (the record's
  // face_projection with the head crop's camera).
  std::vector<float> project(const float* points, int32_t batch, const FaceCamera* cameras);

  // POS moments of each face's projection [batch, V, 2] against the model's (raw, not
  // re-centred) mean shape: [batch, 8] (kernels/cpu/face3dmm.h face_pos_moments).
  std::vector<double> pos_moments(const float* projection, int32_t batch);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Index of the first NaN or infinite value among a face's `count` coefficients, or -1.
int first_nonfinite_coefficient(const float* row, int32_t count);

}  // namespace p3d
