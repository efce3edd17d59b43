// Internal to the face-model unit: the part of BFM_model_front.mat that the original's
// transferBFM09 copies verbatim from facemodel_info.mat (tri, point_buf, keypoints and the
// training extras), read the same way by the model loader and by the BFM09 converter.
#pragma once

#include "pipeline/face_model.h"
#include "pipeline/mat_file.h"

namespace p3d {

// Reads tri, point_buf, keypoints (1-based in the file) and frontmask2_idx, tri_mask2,
// skinmask into `m`, whose vertex_count must already be set. The extras are read when
// present, or always (missing ones throw) when `extras_required`.
void read_face_topology(const MatReader& file, FaceModel& m, bool extras_required);

}  // namespace p3d
