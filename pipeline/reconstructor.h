// The C++ API of portrait3d: load the face model and the two networks once, reconstruct
// batches of portraits, get the meshes in memory. What `portrait3d run` and `demo` use, and
// what research code embeds (docs/api.md; examples/reconstruct_folder.cpp).
//
//   p3d::ReconstructorOptions o;
//   o.rnet_path = "models/model_mask3_white_light.pb";
//   o.depth_net_path = "models/depth_net.pb";
//   o.face_model_dir = "BFM";
//   p3d::Reconstructor r(o);                      // throws p3d::Error naming the file
//   std::vector<p3d::PortraitInput> in = ...;     // photo + landmarks (+ labels)
//   for (p3d::PortraitResult& res : r.reconstruct(in))
//     if (res.ok()) use(res.mesh); else report(res.name, res.error);
//
// A bad portrait never fails the batch: its result carries the error (with the stage that
// refused it) and the others complete. Everything else (a missing model file, a broken
// network, CUDA requested but unusable) throws p3d::Error from the constructor.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/precision.h"
#include "engine/tensor.h"
#include "pipeline/alignment.h"
#include "pipeline/face_mesh.h"
#include "pipeline/face_model.h"
#include "pipeline/face_stage.h"
#include "pipeline/head_mesh.h"
#include "pipeline/head_records.h"
#include "pipeline/head_stage.h"
#include "pipeline/host_transfers.h"
#include "pipeline/image_io.h"
#include "pipeline/landmarks.h"
#include "pipeline/render.h"
#include "pipeline/step1_record.h"

namespace p3d {

struct ReconstructorOptions {
  std::string rnet_path;       // model_mask3_white_light.pb (or a stand-in)
  std::string depth_net_path;  // depth_net.pb; may stay empty when stop_after_face
  std::string face_model_dir;  // BFM_model_front.mat, similarity_Lm3D_all.mat, center.mat,
                               // border_index.mat
  Device device;               // CPU, or {DeviceKind::CUDA, i}
  int max_batch = 8;           // portraits per network run; longer inputs are split
  int threads = 0;             // CPU threads of the engine (0: all)
  // Convs and matmuls of both networks (engine/precision.h): TF32 / FP16 use tensor cores
  // on CUDA and emulate their rounding on the CPU. FP32 is the reference.
  Precision precision = Precision::FP32;
  bool stop_after_face = false;  // steps 1-5 only (no masks, depth or mesh)
  // Debugging stand-in networks: scales (or, with 0, zeroes) the R-Net's coefficients
  // before the face is built. 1 = off.
  float coeff_scale = 1.f;
  bool face_colors = false;  // SH-lit face colours in Step1Record::face_color (previews)
};

// One portrait to reconstruct. `photo` is BGR (pipeline/image_io.h read_image); `labels`
// the face-parsing labels of the same size (0 bg, 1 face, 2 hair, 3/4 ears, 5 inner mouth) —
// empty for a face-only reconstruction.
struct PortraitInput {
  std::string name;
  const ImageU8* photo = nullptr;
  Landmarks landmarks;
  const ImageU8* labels = nullptr;
};

// One step's host<->device traffic on CUDA, for the "host transfers" table.
struct HostTransferRow {
  std::string step;         // the name rows() gives the step
  HostTransferBytes bytes;  // over the batches run: every step's units count their copies
  std::string why;          // why the step touches the host at all, in one line
};

// Wall-clock milliseconds of one batch's stages, shared by its portraits, and on CUDA the
// bytes each stage moved between host and device (pipeline/host_transfers.h).
struct ReconstructionTimings {
  double align_ms = 0, rnet_ms = 0, face_mesh_ms = 0;
  HostTransferBytes align_transfers, rnet_transfers, face_mesh_transfers;
  FaceStageTimings face;
  HeadStageTimings head;
  void add(const ReconstructionTimings& o);
  // The stages in order as (name, ms), named by step ("1 align (224 crops)", ...), for
  // timing tables and reports.
  std::vector<std::pair<std::string, double>> rows() const;
  // The steps that ran (ms > 0), in rows() order, with their transfers and reasons. Only
  // meaningful for a CUDA run: on the CPU every count is 0.
  std::vector<HostTransferRow> host_transfer_rows() const;
};

struct PortraitResult {
  std::string name;
  std::string error;       // empty on success: "stage: reason" otherwise
  bool face_only = false;  // no labels: the face mesh alone
  Step1Record step1;       // steps 1-5 (the original's step-1 record)
  HeadResult head;         // steps 6-12 (empty when face-only or stopped after the face)
  FaceOnlyResult face;     // face-only: the face mesh and its render
  const HeadMesh& mesh() const { return face_only ? face.mesh : head.mesh; }
  bool ok() const { return error.empty(); }
};

class Reconstructor {
 public:
  explicit Reconstructor(const ReconstructorOptions& options);
  ~Reconstructor();
  Reconstructor(const Reconstructor&) = delete;
  Reconstructor& operator=(const Reconstructor&) = delete;

  // Results in input order. `timings`, when given, receives the sum over the batches run.
  std::vector<PortraitResult> reconstruct(const std::vector<PortraitInput>& portraits,
                                          ReconstructionTimings* timings = nullptr);

  const FaceModel& face_model() const;
  const AlignmentReference& alignment_reference() const;
  const std::vector<int32_t>& face_triangles() const;
  Device device() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace p3d
