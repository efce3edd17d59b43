// Stage 1, step 1 (docs/pipeline.md): the face alignment that makes the R-Net's input, batched,
// on the CPU or a CUDA GPU, reproducing Deep3dPortrait's utils/preprocess.py.
//
// Default path (68 landmarks; step1_recon_3d_face.py:56-61, preprocess.py:121-126, 76-96):
//   lm10 = landmarks 1,2,16,17,31,34,37,46,49,55 (1-based) of 68, x / y-up;
//   (t, s) = POS(lm10, the same rows of similarity_Lm3D_all.mat 'lm'): the least squares
//     [X Y Z 1 0 0 0 0; 0 0 0 0 X Y Z 1]·k = [x; y] (numpy lstsq), t = (k4, k8),
//     s = (|k1..3| + |k5..7|) / 2;
//   M = [[1, 0, -t.x + W//2 + 0.5], [0, 1, (-H)//2 + t.y]] as float32 (note (-H)//2: Python
//     binds the minus first, so odd heights round down), warped = cv2.warpAffine(photo, M,
//     (W, H)) (INTER_LINEAR, zero border);
//   w = int(W / s · 100), h = int(H / s · 100), resized = cv2.resize(warped, (w, h))
//     (INTER_LINEAR);
//   crop = 224 x 224 at (left, up) = (w//2 - 112, h//2 - 112) of the 3x zero-padded image;
//   inv = (s / 100, s / 100 · (w//2 - 112, h//2 - 112) + (t.x - W/2, t.y - H/2)):
//     photo (x, y up) = crop point · inv_scale + inv_offset.
// 5-point path (align_nums=5: preprocess.py:146-159, 98-119, 128-133; loader.py:19-27):
//   lm5 = the detection's 5 points flipped to y-up (H - 1 - y); the standard points are
//     [mean(37, 40), mean(43, 46), 31, 49, 55] of 'lm' (means in float32, as np.mean of the
//     float32 file);
//   (t, s) = POS(lm5, those); PIL: Image.transform AFFINE (1, 0, t.x - W/2, 0, 1, H/2 - t.y)
//     NEAREST, resize to (int(W / s · 102), int(H / s · 102)) BILINEAR, crop 224 x 224 at
//     (int(w/2 - 112), int(h/2 - 112)) (truncation toward zero), zero outside;
//   inv = (s / 102, (t.x - 112 · s / 102, t.y - 112 · s / 102)) (get_invparam).
// The aligned landmarks here are the photo landmarks through that inverse,
// (lm - inv_offset) / inv_scale, in the 224 crop's y-up frame: the frame the R-Net's
// projections live in (recon_face.py compute_faceshape maps them back with inv). The
// original computes such landmarks too but discards them (preprocess.py:83, 116-117).
//
// Where we differ: the original asserts when the crop window leaves its 3x padding (a face
// far off the photo); here those pixels are 0 like the rest of the padding.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "kernels/alignment.h"
#include "pipeline/image_io.h"
#include "pipeline/landmarks.h"

namespace p3d {

// The standard 3D landmarks the alignment fits to (similarity_Lm3D_all.mat, 'lm' [68 x 3]).
struct AlignmentReference {
  std::vector<double> lm68;  // [68, 3], the file's float32 values widened

  static AlignmentReference load(const std::string& mat_path);
  static AlignmentReference from_points(const float* lm68_xyz);  // [68, 3]

  std::vector<double> ten_point() const;   // [10, 3]: load_lm3d(10)
  std::vector<double> five_point() const;  // [5, 3]: load_lm3d(5)
};

// POS's result: translation t (photo pixels, y up) and scale s (pixels per model unit).
struct PosSolution {
  double t[2] = {0, 0};
  double s = 0;
};

// The least-squares fit of `count` 2D points xy [count, 2] to 3D points xyz [count, 3]
// (preprocess.py POS), in double. Throws when the 3D points do not span 3D (rank < 4) or a
// result is not finite.
PosSolution solve_pos(const double* xy, const double* xyz, int32_t count);

// Everything about one portrait's alignment except its pixels.
struct FaceAlignment {
  AlignResampler resampler = AlignResampler::kOpenCv;  // kOpenCv: 68 points; kPillow: 5
  int32_t photo_w = 0, photo_h = 0;
  PosSolution pos;
  float warp_shift[2] = {0, 0};        // kOpenCv: M's translation column, float32 as built
  double pil_shift[2] = {0, 0};        // kPillow: the transform's offsets (t.x - W/2, H/2 - t.y)
  int32_t scaled_w = 0, scaled_h = 0;  // resize target
  int32_t left = 0, up = 0;            // crop window in the resized image
  double inv_scale = 0;                // photo = crop · inv_scale + inv_offset (y up)
  double inv_offset[2] = {0, 0};
  std::vector<double> landmarks;  // [K, 2] crop coordinates, y up

  // The kernel's per-item parameters (src_offset 0).
  AlignItemParams item_params() const;
};

// Solves POS and lays out the crop for one portrait. YUp68 / TopLeft68 landmarks take the
// OpenCV path, Detection5 the Pillow one. Throws when the geometry is unusable (the
// resized photo would be empty or absurdly large).
FaceAlignment plan_alignment(const Landmarks& landmarks, const AlignmentReference& reference);

// Resamples a batch: photos[b] (BGR uint8, the size plans[b] was made for) -> output
// [N, 224, 224, channels] float BGR 0..255, the R-Net's `input_imgs`. On DeviceKind::CUDA
// the work runs on that GPU (throws the reason when CUDA is unavailable); the result is
// the same bytes either way.
std::vector<float> align_images(const std::vector<const ImageU8*>& photos,
                                const std::vector<FaceAlignment>& plans, Device device = {});

// The same crops left on the GPU for the R-Net: `slots` of them (>= photos.size(); past the
// photos the last crop again, as BatchedNetwork pads a batch), in the device context's
// buffer; `photos[b]` is where photo b's bytes went up (the head crops cut from them again,
// pipeline/head_crop.h). Both stay valid, on the context's stream (the engine's too), while
// the context is held and until the next alignment on that device; nothing is synchronised
// or read back. Throws on a CPU device, without CUDA, or for the checks align_images makes.
struct DeviceAlignment {
  const float* crops = nullptr;        // [slots, 224, 224, C] floats
  std::vector<const uint8_t*> photos;  // per photo, its bytes on the device
};
DeviceAlignment align_images_on_device(const std::vector<const ImageU8*>& photos,
                                       const std::vector<FaceAlignment>& plans, int slots,
                                       Device device);

}  // namespace p3d
