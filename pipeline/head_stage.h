// Stages 2-4 for a batch (steps 6-12 of the method): from the step-1 records to the head
// meshes. Per batch:
//   6. compute_head_masks: stitch mask, facemask_withouthair, the stitch ring (head_masks.h)
//   7. triangulate_masks: the hair/ear mesh from the pixel grid (hair_triangulation.h)
//   8. make_depth_net_input + DepthNetwork: one batched run of the depth net (depth_network.h)
//   9. compute_head_geometry: hair/ear vertices and colours, face colours (head_geometry.h)
//  10. render_depth_and_mask: face + hair/ear rendered together (render.h)
//  11. stitch: the face border joined to the hair/ear mesh (stitching.h)
//  12. the HeadMesh: face, hair/ear and stitch vertices (RGB colours) and triangles
// Every unit runs on the stage's device; the results come back on the host.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "pipeline/depth_network.h"
#include "pipeline/face_model.h"
#include "pipeline/head_mesh.h"
#include "pipeline/head_records.h"
#include "pipeline/host_transfers.h"
#include "pipeline/render.h"
#include "pipeline/step1_record.h"

namespace p3d {

// Wall-clock milliseconds of each part of the last run.
struct HeadStageTimings {
  double masks_ms = 0;        // 6
  double triangulate_ms = 0;  // 7
  double depth_net_ms = 0;    // 8 (input assembly + the network)
  double geometry_ms = 0;     // 9
  double render_ms = 0;       // 10
  double stitch_ms = 0;       // 11
  double mesh_ms = 0;         // 12
  // Host<->device bytes of the same steps on CUDA (pipeline/host_transfers.h; zeros on the
  // CPU): what the units counted through the device context, plus the depth net's input and
  // output, which the engine copies. Step 12 runs on the host.
  HostTransferBytes masks_transfers, triangulate_transfers, depth_net_transfers, geometry_transfers,
      render_transfers, stitch_transfers, mesh_transfers;
  void add(const HeadStageTimings& o);
};

// One portrait's stage 2-4 results.
struct HeadResult {
  Step2Record step2;
  Step3Record step3;
  HeadMesh mesh;
  DepthAndMask head_render;          // the whole head, 256x256 (batch 1)
  int32_t stitch_hair_vertices = 0;  // hair/ear vertices on the face border
  int32_t stitch_face_vertices = 0;  // face vertices joined to them (incl. the border ids)
};

class HeadStage {
 public:
  // `model` gives the border ids; `face_triangles` the model's [F, 3] 0-based triangles;
  // `depth_net` (which outlives the stage) runs batches of up to its batch size.
  HeadStage(const FaceModel& model, const std::vector<int32_t>& face_triangles,
            DepthNetwork& depth_net, Device device);

  // Results in the order of `records`. Throws p3d::Error for a bad portrait (its masks,
  // an empty face render: "the face does not appear in the head crop"); callers retry
  // portraits one by one to isolate it.
  std::vector<HeadResult> run(const std::vector<const Step1Record*>& records,
                              HeadStageTimings* timings = nullptr);

 private:
  const std::vector<int32_t>& face_triangles_;
  std::vector<int32_t> border_index_;
  DepthNetwork& depth_net_;
  Device device_;
};

}  // namespace p3d
