// The per-vertex math of the 3D morphable face model (docs/pipeline.md: stage 1, step 3), shared
// by the CPU loops (kernels/cpu/face3dmm.cpp) and the CUDA kernels (kernels/cuda/face3dmm.cu).
//
// What the original computes (Deep3dPortrait utils/recon_face.py, Deep3DFaceReconstruction
// face_decoder.py), in its conventions:
//   coefficients, 257 per face: id 80 | expression 64 | texture 80 | angles x,y,z 3 |
//     SH lighting 27 (3 channels x 9, channel-major) | translation 3;
//   shape S = meanshape + idBase·id + exBase·exp, minus the mean vertex of meanshape;
//   rotation R = (Rz·Ry·Rx)^T applied to row vectors: p' = p·R (+ translation);
//   projection: camera at z = 10 looking down -z, p_cam = (x, y, 10 - z), then
//     (u, v) = ((f·x + cx·Z) / Z, (f·y + cy·Z) / Z) with Z = 10 - z — y up, like the image
//     coordinates the original's landmarks use (y = H - 1 - row);
//   lighting: 9 SH basis functions with constants a0..a2, c0..c2 evaluated at the rotated
//     vertex normal, colour = (Y·gamma_c) · albedo_c per channel, gamma_c[0] += 0.8.
// Every formula is written once here as a P3D_HD function; the backends only loop.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/host_device.h"

namespace p3d {

// Offsets of the coefficient groups inside one face's 257 coefficients (split_coeff).
struct FaceCoeff {
  static constexpr int kId = 0;             // 80 identity (shape)
  static constexpr int kExp = 80;           // 64 expression
  static constexpr int kTex = 144;          // 80 texture (albedo)
  static constexpr int kAngles = 224;       // 3 Euler angles x, y, z (radians)
  static constexpr int kGamma = 227;        // 27 SH lighting, [3 channels][9]
  static constexpr int kTranslation = 254;  // 3 translation
  static constexpr int kCount = 257;
  static constexpr int kShapeDims = 144;  // id + expression, contiguous at kId
};

// The original's fixed camera (projection_layer): focal 1015 px and centre 112 px in the
// 224 x 224 aligned crop, camera 10 units up the z axis.
constexpr float kFaceFocal = 1015.f;
constexpr float kFaceCenter = 112.f;
constexpr float kCameraZ = 10.f;

// A pinhole camera on the z axis looking down -z, in image coordinates with y up, followed by
// an affine map of the result (scale, then offset): the original projects into the 224 crop
// and maps to the photo with inv_params (x · scale + offset). scale 1, offset 0 for none.
struct FaceCamera {
  float focal;   // pixels
  float cx, cy;  // principal point, pixels (y up)
  float scale;   // affine after projection: u' = u · scale + offset_x
  float offset_x;
  float offset_y;
};

// ---- rotation --------------------------------------------------------------------------

// R = (Rz·Ry·Rx)^T, row-major r[3·i + j], for p' = p·R with p a row vector
// (compute_rotation_matrix). Equivalently p' = (Rz·Ry·Rx)·p for a column vector.
P3D_HD void face_rotation(float angle_x, float angle_y, float angle_z, float r[9]) {
  const float cx = cosf(angle_x), sx = sinf(angle_x);
  const float cy = cosf(angle_y), sy = sinf(angle_y);
  const float cz = cosf(angle_z), sz = sinf(angle_z);
  // M = Rz·Ry·Rx written out; r = M^T.
  const float m00 = cz * cy, m01 = cz * sy * sx - sz * cx, m02 = cz * sy * cx + sz * sx;
  const float m10 = sz * cy, m11 = sz * sy * sx + cz * cx, m12 = sz * sy * cx - cz * sx;
  const float m20 = -sy, m21 = cy * sx, m22 = cy * cx;
  r[0] = m00;
  r[1] = m10;
  r[2] = m20;
  r[3] = m01;
  r[4] = m11;
  r[5] = m21;
  r[6] = m02;
  r[7] = m12;
  r[8] = m22;
}

// out = p·r (row vector times row-major 3x3).
P3D_HD void rotate_row(const float p[3], const float r[9], float out[3]) {
  const float x = p[0], y = p[1], z = p[2];
  out[0] = x * r[0] + y * r[3] + z * r[6];
  out[1] = x * r[1] + y * r[4] + z * r[7];
  out[2] = x * r[2] + y * r[5] + z * r[8];
}

// ---- projection ------------------------------------------------------------------------

// Projects a posed point (world: y up, z towards the camera) with `cam`; writes (u, v),
// y up. Mirrors projection_layer's matrix form: aug = (f·x + cx·Z, f·y + cy·Z, Z).
P3D_HD void face_project(const float p[3], const FaceCamera& cam, float uv[2]) {
  const float z_cam = kCameraZ - p[2];
  const float u = (cam.focal * p[0] + cam.cx * z_cam) / z_cam;
  const float v = (cam.focal * p[1] + cam.cy * z_cam) / z_cam;
  uv[0] = u * cam.scale + cam.offset_x;
  uv[1] = v * cam.scale + cam.offset_y;
}

// ---- the per-vertex pass ---------------------------------------------------------------

// One face vertex of one batch item: adds the re-centred mean to the basis product, poses
// and projects it. `delta` is idBase·id + exBase·exp for this vertex (3 floats), `mean` the
// re-centred mean shape at this vertex. Writes the canonical (re-centred, unposed) vertex,
// the posed vertex and its projection; any output pointer may be null.
P3D_HD void face_vertex(const float delta[3], const float mean[3], const float r[9],
                        const float t[3], const FaceCamera& cam, float* canonical, float* posed,
                        float* projection) {
  const float s[3] = {delta[0] + mean[0], delta[1] + mean[1], delta[2] + mean[2]};
  float q[3];
  rotate_row(s, r, q);
  q[0] += t[0];
  q[1] += t[1];
  q[2] += t[2];
  if (canonical) {
    canonical[0] = s[0];
    canonical[1] = s[1];
    canonical[2] = s[2];
  }
  if (posed) {
    posed[0] = q[0];
    posed[1] = q[1];
    posed[2] = q[2];
  }
  if (projection) face_project(q, cam, projection);
}

// Params of the batched per-vertex pass. Arrays are per batch item unless noted.
struct FaceVertexParams {
  int32_t batch;         // N faces
  int32_t vertex_count;  // V vertices per face
  int32_t coeff_stride;  // floats between faces' coefficient rows (257, or 258 raw R-Net)
};

// ---- normals and lighting --------------------------------------------------------------

// l2 normalisation as tf.nn.l2_normalize: x / sqrt(max(|x|², 1e-12)).
P3D_HD void l2_normalize3(float v[3]) {
  float ss = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
  if (ss < 1e-12f) ss = 1e-12f;
  const float inv = 1.f / sqrtf(ss);
  v[0] *= inv;
  v[1] *= inv;
  v[2] *= inv;
}

// Unit normal of triangle (a, b, c) as Compute_norm: cross(a - b, b - c), normalised.
P3D_HD void triangle_normal(const float a[3], const float b[3], const float c[3], float n[3]) {
  const float e1[3] = {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
  const float e2[3] = {b[0] - c[0], b[1] - c[1], b[2] - c[2]};
  n[0] = e1[1] * e2[2] - e1[2] * e2[1];
  n[1] = e1[2] * e2[0] - e1[0] * e2[2];
  n[2] = e1[0] * e2[1] - e1[1] * e2[0];
  l2_normalize3(n);
}

// SH constants of Illumination_block: a0·c0 = sqrt(pi)/2, a1·c1 = sqrt(pi),
// a2·c2 = (2 pi / sqrt 8)(3 sqrt 5 / sqrt(12 pi)), and the Y6 factor a2·c2·0.5/sqrt 3
// (a0 = pi, a1 = 2 pi/sqrt 3, a2 = 2 pi/sqrt 8, c0 = 1/sqrt(4 pi), c1 = sqrt 3/sqrt(4 pi),
// c2 = 3 sqrt 5/sqrt(12 pi)); products evaluated in double, rounded once.
constexpr float kShA0C0 = 0.886226925452758f;
constexpr float kShA1C1 = 1.772453850905516f;
constexpr float kShA2C2 = 2.4270323906946243f;
constexpr float kShY6 = 0.7006239020497412f;
// The original's ambient start: 0.8 added to each channel's first lighting coefficient.
constexpr float kShAmbient = 0.8f;

// The 9 SH basis values Y at unit normal n (already rotated into the posed frame).
P3D_HD void sh_basis(const float n[3], float y[9]) {
  const float k0 = kShA0C0, k1 = kShA1C1, k2 = kShA2C2;
  const float nx = n[0], ny = n[1], nz = n[2];
  y[0] = k0;
  y[1] = -k1 * ny;
  y[2] = k1 * nz;
  y[3] = -k1 * nx;
  y[4] = k2 * nx * ny;
  y[5] = -k2 * ny * nz;
  y[6] = kShY6 * (3.f * nz * nz - 1.f);
  y[7] = -k2 * nx * nz;
  y[8] = k2 * 0.5f * (nx * nx - ny * ny);
}

// Shaded RGB colour of one vertex: albedo (RGB, 0..255) times the SH irradiance of the
// rotated normal under gamma (27 floats, [channel][9]); the original adds 0.8 ambient to
// each channel's first coefficient (kShAmbient).
P3D_HD void sh_shade(const float normal_rotated[3], const float* gamma, const float albedo[3],
                     float rgb[3]) {
  float y[9];
  sh_basis(normal_rotated, y);
  for (int c = 0; c < 3; ++c) {
    float light = 0.f;
    for (int k = 0; k < 9; ++k) light += y[k] * (gamma[c * 9 + k] + (k == 0 ? kShAmbient : 0.f));
    rgb[c] = light * albedo[c];
  }
}

// ---- POS moments -----------------------------------------------------------------------

// Adds one vertex's terms to a face's 8 POS moments (face_pos_moments): with (X, Y, Z) its
// point of the fixed 3D shape and (u, v) its projection, m += (X·u, Y·u, Z·u, u, X·v, Y·v,
// Z·v, v), in double. The CPU adds the vertices in order, the CUDA kernel per block in a
// tree; both through this one formula.
P3D_HD void add_pos_moments(const float shape_xyz[3], const float uv[2], double m[8]) {
  const double x = shape_xyz[0], y = shape_xyz[1], z = shape_xyz[2];
  const double u = uv[0], w = uv[1];
  m[0] += x * u;
  m[1] += y * u;
  m[2] += z * u;
  m[3] += u;
  m[4] += x * w;
  m[5] += y * w;
  m[6] += z * w;
  m[7] += w;
}

}  // namespace p3d
