// Stage 1, steps 3-5 for a batch (docs/pipeline.md): R-Net coefficients and the alignment's
// inverse crop in, the step-1 records (pipeline/step1_record.h) out. Per batch:
//   3. FaceReconstructor: posed shape, photo projection, 68 landmarks (one GEMM + per-vertex)
//   4. POS moments -> HeadCropper (scalar geometry in double) -> cut_head_crops (cubic photo,
//      nearest labels) and the face projected with the crop's camera
//   5. render_depth_and_mask: the posed face into the 256 crop (10 - z and coverage)
// Everything runs on the stage's device (CPU or CUDA); the records come back on the host.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/tensor.h"
#include "pipeline/face_model.h"
#include "pipeline/face_reconstruction.h"
#include "pipeline/head_crop.h"
#include "pipeline/host_transfers.h"
#include "pipeline/step1_record.h"

namespace p3d {

// One portrait of a batch, after alignment and the R-Net.
struct FacePortrait {
  const float* coeffs = nullptr;  // the face's coefficient row (>= 257 floats)
  double inv_scale = 1.0;         // 224 crop -> photo: photo = crop · inv_scale + inv_offset
  double inv_offset[2] = {0.0, 0.0};
  ImageU8View photo;   // BGR, row 0 at the top
  ImageU8View labels;  // face-parsing labels, same size as the photo
  // On CUDA, where the photo's bytes already lie on the stage's GPU (the alignment's
  // upload, align_images_on_device), or null: step 4 then cuts the crop there.
  const uint8_t* device_photo = nullptr;
};

// Wall-clock milliseconds of each part of the last run (host + device, synchronised).
struct FaceStageTimings {
  double reconstruct_ms = 0;    // step 3
  double crop_geometry_ms = 0;  // step 4: POS, head centre, record numbers, crop projection
  double crop_images_ms = 0;    // step 4: resampling the photo and labels
  double render_ms = 0;         // step 5
  // Host<->device bytes of the same parts on CUDA (pipeline/host_transfers.h; zeros on the
  // CPU): what each part's units counted through the device context.
  HostTransferBytes reconstruct_transfers, crop_geometry_transfers, crop_images_transfers,
      render_transfers;
  void add(const FaceStageTimings& o) {
    reconstruct_ms += o.reconstruct_ms;
    crop_geometry_ms += o.crop_geometry_ms;
    crop_images_ms += o.crop_images_ms;
    render_ms += o.render_ms;
    reconstruct_transfers += o.reconstruct_transfers;
    crop_geometry_transfers += o.crop_geometry_transfers;
    crop_images_transfers += o.crop_images_transfers;
    render_transfers += o.render_transfers;
  }
};

class FaceStage {
 public:
  // colors: also compute the SH-lit vertex colours (Step1Record::face_color, previews only).
  FaceStage(const FaceModel& model, Device device = {}, bool colors = false);

  // Records in the order of `portraits`. Throws p3d::Error for a bad portrait (non-finite
  // coefficients, degenerate projection, label size); callers screen inputs first to keep
  // one bad portrait from failing the batch.
  std::vector<Step1Record> run(const std::vector<FacePortrait>& portraits,
                               FaceStageTimings* timings = nullptr);

  const std::vector<int32_t>& triangles() const { return triangles_; }
  Device device() const { return device_; }

 private:
  Device device_;
  bool colors_ = false;
  FaceReconstructor reconstructor_;
  HeadCropper cropper_;
  std::vector<int32_t> triangles_;
  int32_t triangle_count_ = 0;
};

}  // namespace p3d
