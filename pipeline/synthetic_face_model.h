// A deterministic stand-in for the Basel Face Model, which cannot be shipped. It has the
// real model's sizes (35709 vertices, 70789 triangles, 80 identity, 64 expression and 80
// texture bases, 68 keypoints, 932 border vertices, 8-wide point_buf) and units and
// orientation (decimetres, y up, face towards +z), so every stage, test and benchmark can
// run end to end without the licensed data. It is a face-like height field, not a face:
// its numbers say nothing about the real model's output.
//
// Shape: a frontal surface over a rounded face outline (x within ±0.87, y from -1.02 to
// 0.98): a cross-section that curves back towards the sides and under the chin, plus a
// nose (tip z ≈ 0.55), brow ridges, eye sockets, cheekbones and lips. The 68 keypoints sit
// at the standard places (jaw line, brows, nose, eyes, mouth), and the standard 3D
// landmarks (similarity_lm3d) are the mean shape at those keypoints. Bases are smooth
// random fields whose magnitudes decay with the basis index. Everything but the mesh is
// drawn from std::mt19937(seed), with our own uniform/normal transforms so the values do
// not depend on the standard library's distributions.
#pragma once

#include <cstdint>

#include "pipeline/face_model.h"

namespace p3d {

FaceModel generate_synthetic_face_model(uint32_t seed);

}  // namespace p3d
