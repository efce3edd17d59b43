// Stage 1, step 4 (docs/pipeline.md): the 256 x 256 head crop and the step-1 `face3d` record.
//
// What the original does per portrait (step1_recon_3d_face.py face_recon,
// utils/recon_face.py compute_center2d, utils/preprocess.py POS / align_img):
//   f = 1015 · inv_scale, p_center = 112 · inv_scale + inv_offset   (the photo's camera)
//   displacement = mean vertex of meanshape · R        (undoes the re-centring)
//   center3d = head_center · R + t - displacement, center2d = its projection (f, p_center)
//   s = POS(face projection in the photo, meanshape) -- the least-squares scale between
//       all V projected vertices and the raw mean shape; scale = s · 1.5 / 100
//   resized photo: w = round(W / scale), h = round(H / scale) (round half to even),
//   c = round(center2d / scale); left = c.x - 128, up = (h - c.y) - 128; the crop is the
//   256 x 256 window at (left, up) of the zero-padded resized photo (cv2 INTER_CUBIC; the
//   mask INTER_NEAREST); t1 = (left, h - 256 - up)
//   record (396 floats): [0] f / scale, [1:3] (p_center - scale · t1) / scale,
//     [3:260] the 257 coefficients with the translation [257:260] minus displacement,
//     [260:396] the 68 landmarks in the crop, (lm - scale · t1) / scale, x y interleaved;
//   crop_param = (scale, left, up, 256, 256).
// All of it is computed in double here (numpy's precision) and stored as float32.
//
// Where we differ: the original asserts when the window leaves its 3x zero padding (a head
// far outside the photo); here the window is simply zero there.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/tensor.h"
#include "kernels/crop_resample.h"
#include "kernels/face3dmm.h"
#include "pipeline/face_model.h"

namespace p3d {

constexpr int32_t kHeadCropSize = 256;
constexpr double kHeadCropScaleFactor = 1.5;  // face_recon's s_factor
constexpr int kFace3dRecordSize = 3 + FaceCoeff::kCount + 2 * FaceModel::kKeypointCount;  // 396

// What the head crop needs of one portrait.
struct HeadCropInput {
  const float* coeffs = nullptr;  // the face's 257 coefficients
  double inv_scale = 1.0;         // 224 crop -> photo: photo = crop · inv_scale + inv_offset
  double inv_offset[2] = {0.0, 0.0};
  const double* pos_moments = nullptr;  // 8 (FaceReconstructor::pos_moments)
  const float* landmarks = nullptr;     // [68, 2] projected landmarks in the photo, y up
  int32_t photo_w = 0, photo_h = 0;
};

// The result for one portrait.
struct HeadCrop {
  std::array<double, kFace3dRecordSize> face3d{};  // the record (see above)
  std::array<double, 5> crop_param{};              // scale, left, up, 256, 256
  double pos_scale = 0;                            // s from POS
  double center2d[2] = {0, 0};                     // projected head centre in the photo, y up
  double displacement[3] = {0, 0, 0};
  CropResampleParams window{};  // src_offset left 0: set per batch

  // The crop's camera for rendering and for face_projection: focal face3d[0], centre
  // face3d[1:3] (y up, crop pixels).
  FaceCamera camera() const;
};

// Per-model constants of the head crop, computed once: the mean vertex, the head centre
// and the Gram matrix of POS's design matrix [X Y Z 1] over the mean shape (fixed, so each
// face's POS needs only its 8 moments).
class HeadCropper {
 public:
  explicit HeadCropper(const FaceModel& model);
  HeadCrop compute(const HeadCropInput& input) const;

  // POS's (t, s) for moments of a projection against the mean shape (k = G^-1 m).
  void solve_pos(const double moments[8], double k1[4], double k2[4]) const;

 private:
  double mean_vertex_[3];
  double head_center_[3];
  double gram_inverse_[16];  // (M^T M)^-1, row-major 4x4
};

// A uint8 image with interleaved channels, row 0 at the top.
struct ImageU8View {
  const uint8_t* data = nullptr;
  int32_t width = 0, height = 0, channels = 0;
};

// Cuts the crops of a batch: the photos with cubic interpolation ([N, 256, 256, C], the
// photo's channel order kept: BGR in, BGR out, as the original's cv2 arrays), the label
// masks with nearest ([N, 256, 256]). crops[b].window gives each item's window; photo b
// and mask b must have the same width and height (the caller checks and reports). Runs on
// the CPU or CUDA (DeviceKind::CUDA throws the reason when unavailable).
struct HeadCropImages {
  std::vector<uint8_t> photos;  // [N, 256, 256, C]
  std::vector<uint8_t> masks;   // [N, 256, 256]
};
// On CUDA, `device_photos` may give, for every crop, where photos[b]'s bytes already lie on
// that GPU (align_images_on_device's upload, all in one buffer): then only the masks go up.
HeadCropImages cut_head_crops(const std::vector<HeadCrop>& crops,
                              const std::vector<ImageU8View>& photos,
                              const std::vector<ImageU8View>& masks, Device device = {},
                              const std::vector<const uint8_t*>& device_photos = {});

}  // namespace p3d
