// The face-only result of a portrait that has no face-parsing mask (no NAME.mat): without
// labels there are no hair or ear pixels, so steps 6-11 have nothing to build; what remains
// is the posed 3DMM face of step 3 with the photo's colours, as a HeadMesh that the head's
// exporters (OBJ, PLY, GLB, previews) take unchanged.
//   vertices: the record's face_shape (camera frame, y up), the face model's V vertices;
//   colours:  compute_head_geometry (pipeline/head_geometry.h) with zero hair/ear points,
//             i.e. the original's step-3 face_texture (bilinear samples of the head crop at
//             each vertex's crop projection), BGR turned RGB as the head mesh stores them;
//   triangles: the face model's (the record's), hair/ear and stitch blocks empty;
//   render:   the step-1 face render (face_depthmap, face_mask) as the portrait's depth and
//             mask maps, the head render's place in the outputs.
#pragma once

#include "engine/tensor.h"
#include "pipeline/head_mesh.h"
#include "pipeline/render.h"
#include "pipeline/step1_record.h"

namespace p3d {

struct FaceOnlyResult {
  HeadMesh mesh;
  DepthAndMask render;  // 256 x 256, batch 1: the face's depth (10 - z) and coverage
};

// Throws p3d::Error when the record lacks its crop, vertices, projection, triangles or face
// render, or when the face does not appear in the crop (its render is empty).
FaceOnlyResult build_face_only(const Step1Record& record, Device device = DeviceKind::CPU);

}  // namespace p3d
