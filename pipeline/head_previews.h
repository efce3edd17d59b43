// Pictures of a finished head for people to look at, one call per output file:
//   * the restore-from-crop overlay: the 256 x 256 head mask mapped back onto the original
//     photo and tinted red there (restore_from_crop.py: realign + the blend);
//   * a turntable: the coloured mesh rendered by our rasterizer at yaw -30, 0 and +30 degrees,
//     side by side;
//   * the head render's depth and mask maps as PNGs.
// Every PNG is written through pipeline/atomic_file.h (never a half file).
//
// The overlay reproduces the original's realign without its canvas: the crop sits at
// (left, up) on a 1536 x 1024 canvas that cv2.resize(INTER_NEAREST) scales by crop_param's
// scale, and the photo's pixel (x, y) reads canvas pixel
// (min(floor(x / (w / 1536)), 1535), min(floor(y / (h / 1024)), 1023)) with
// w = round(1536 · scale), h = round(1024 · scale) (half to even, in float32 as numpy) —
// cv2's nearest rule, evaluated directly per photo pixel. The mask becomes bytes as numpy's
// astype(uint8) does (truncation: only 1.0 counts), and the blend is the original's float32
// arithmetic, truncated to bytes:
//   result = photo·(1 - m) + photo·m·0.8 + (0, 0, 256)·m·0.2   (BGR: the red channel gains).
// Where the original raises (the crop window leaving the canvas, a canvas smaller than the
// photo) the outside is simply unmasked here.
//
// The turntable is a preview, not a measurement: each view's pixel shows the interpolated
// vertex colour times a Lambert term of its triangle's face normal, 0.35 + 0.65·|n·l| with l
// from the upper left front (two-sided, since the head is an open shell and windings of
// hair triangles vary), over a neutral grey background.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "pipeline/head_mesh.h"
#include "pipeline/image_io.h"
#include "pipeline/render.h"

namespace p3d {

// ---- restore-from-crop overlay -------------------------------------------------------------

// The photo (BGR, as read_image gives it) with the head mask (256 x 256 floats in [0, 1], row
// 0 at the top, the step-3 head mask) mapped back through the step-1 crop_param (scale, left,
// up, 256, 256) and blended as restore_from_crop.py. Throws p3d::Error for an empty or
// non-BGR photo, a crop_param that is not finite or has scale <= 0 or a canvas too large, or
// mask values outside [0, 1].
ImageU8 restore_overlay(const ImageU8& photo, const std::array<float, 5>& crop_param,
                        const std::vector<float>& mask);

// Which photo pixels the overlay marks (1) or keeps (0): [photo height, photo width].
std::vector<uint8_t> restore_overlay_mask(int32_t photo_width, int32_t photo_height,
                                          const std::array<float, 5>& crop_param,
                                          const std::vector<float>& mask);

void write_restore_overlay_png(const std::string& path, const ImageU8& photo,
                               const std::array<float, 5>& crop_param,
                               const std::vector<float>& mask);

// ---- turntable -----------------------------------------------------------------------------

struct TurntableOptions {
  int32_t view_size = 256;  // each view is view_size x view_size pixels
  // Yaw of each view, left to right, in degrees: a right-handed rotation about the vertical
  // (+y) axis through the mesh's bounding-box centre (positive turns the mesh's front
  // towards +x, the viewer's right).
  std::vector<float> yaw_degrees = {-30.f, 0.f, 30.f};
  // The camera. focal > 0: the portrait camera of pipeline/render.h (eye at (0, 0, 10)
  // looking at the origin, y up; focal and principal point in pixels, y up), so the front
  // view lines up with the crop. focal <= 0 (default): framed automatically — the eye on the
  // +z axis through the centre, far enough back to see the whole mesh, the focal chosen so
  // every view's projection fills 90% of the frame.
  RenderCamera camera{};
  std::array<uint8_t, 3> background = {128, 128, 128};  // BGR, neutral grey
  Device device = DeviceKind::CPU;                      // CUDA throws when unavailable
};

// The views side by side: a BGR image (view_size · views) x view_size. Validates the mesh
// like the exporters (sizes, finite values, ids in range).
ImageU8 render_turntable(const HeadMesh& mesh, const TurntableOptions& options = {});
void write_turntable_png(const std::string& path, const HeadMesh& mesh,
                         const TurntableOptions& options = {});

// ---- depth and mask of the head render -----------------------------------------------------

// Portrait n of a render_depth_and_mask result: the depth map with the covered range
// stretched to 64..255 (nearer = brighter: smaller 10 - z; uncovered black), and the mask
// as 0 / 255.
void write_depth_png(const std::string& path, const DepthAndMask& render, int32_t n = 0);
void write_mask_png(const std::string& path, const DepthAndMask& render, int32_t n = 0);

}  // namespace p3d
