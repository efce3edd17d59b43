// Internal to the face-reconstruction unit: the backend-neutral model arrays both
// implementations start from, and the CUDA implementation's factory (defined in
// face_reconstruction_cuda.cpp only when built with CUDA).
#pragma once

#include <memory>
#include <vector>

#include "pipeline/face_reconstruction.h"

namespace p3d {

// The model as the passes consume it (host memory, prepared once).
struct FaceModelArrays {
  int32_t vertex_count = 0;
  int32_t triangle_count = 0;
  std::vector<float> shape_basis;   // [3V, 144] idBase | exBase per row
  std::vector<float> mean_centred;  // [3V] meanshape minus its mean vertex
  std::vector<float> mean_raw;      // [3V] meanshape as stored (POS reference)
  std::vector<float> tex_basis;     // [3V, 80]
  std::vector<float> mean_tex;      // [3V]
  std::vector<int32_t> triangles;   // [F, 3]
  std::vector<int32_t> point_buf;   // [V, 8], padding = F
  std::vector<int32_t> keypoints;   // [68]
};

FaceModelArrays prepare_face_model_arrays(const FaceModel& model);

struct FaceReconstructor::Impl {
  virtual ~Impl() = default;
  virtual Device device() const = 0;
  virtual FaceGeometry run(const float* coeffs, int32_t batch, int32_t coeff_stride,
                           const FaceCamera* cameras, const FaceReconstructionOptions& options) = 0;
  virtual std::vector<float> project(const float* points, int32_t batch,
                                     const FaceCamera* cameras) = 0;
  virtual std::vector<double> pos_moments(const float* projection, int32_t batch) = 0;
  FaceModelArrays model;
};

#if defined(P3D_WITH_CUDA)
std::unique_ptr<FaceReconstructor::Impl> make_cuda_face_reconstructor(FaceModelArrays arrays,
                                                                      int device_index);
#endif

// What both implementations' run() starts from: the result for `batch` faces of
// `vertex_count` vertices with canonical and posed ([N, V, 3]), projection ([N, V, 2]) and,
// when asked for, colors ([N, V, 3]) sized but not yet filled.
FaceGeometry sized_face_geometry(int32_t batch, int32_t vertex_count, bool colors);

// Gathers [batch, 68, 2] landmarks from a [batch, V, 2] projection.
std::vector<float> gather_landmarks(const std::vector<float>& projection, int32_t batch,
                                    int32_t vertex_count, const std::vector<int32_t>& keypoints);

}  // namespace p3d
