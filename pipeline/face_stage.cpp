// Steps 3-5 of the face stage for a batch (face_stage.h).
#include "pipeline/face_stage.h"

#include <algorithm>
#include <chrono>

#include "kernels/error.h"
#include "pipeline/render.h"

namespace p3d {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

FaceStage::FaceStage(const FaceModel& model, Device device, bool colors)
    : device_(device),
      colors_(colors),
      reconstructor_(model, device),
      cropper_(model),
      triangles_(model.triangles),
      triangle_count_(model.triangle_count) {}

std::vector<Step1Record> FaceStage::run(const std::vector<FacePortrait>& portraits,
                                        FaceStageTimings* timings) {
  FaceStageTimings t;
  const int32_t n = static_cast<int32_t>(portraits.size());
  const int32_t v = reconstructor_.vertex_count();
  std::vector<Step1Record> records(n);
  if (n == 0) return records;

  HostTransferMeter transfers(device_);  // what each step's units copy (zeros on the CPU)

  // 3. The posed faces and their projection into the photos.
  auto start = Clock::now();
  std::vector<float> coeffs(static_cast<size_t>(n) * FaceCoeff::kCount);
  std::vector<FaceCamera> photo_cams(n);
  for (int32_t b = 0; b < n; ++b) {
    const FacePortrait& p = portraits[b];
    P3D_CHECK(p.coeffs, "face stage: portrait ", b, " has no coefficients");
    std::copy(p.coeffs, p.coeffs + FaceCoeff::kCount, coeffs.begin() + b * FaceCoeff::kCount);
    photo_cams[b] =
        photo_camera(static_cast<float>(p.inv_scale), static_cast<float>(p.inv_offset[0]),
                     static_cast<float>(p.inv_offset[1]));
  }
  FaceReconstructionOptions options;
  options.colors = colors_;
  FaceGeometry g =
      reconstructor_.run(coeffs.data(), n, FaceCoeff::kCount, photo_cams.data(), options);
  t.reconstruct_ms = ms_since(start);
  t.reconstruct_transfers = transfers.take();

  // 4. Head crop geometry: POS scale, head centre, the record; the crop's projection.
  start = Clock::now();
  const std::vector<double> moments = reconstructor_.pos_moments(g.projection.data(), n);
  std::vector<HeadCrop> crops(n);
  std::vector<FaceCamera> crop_cams(n);
  std::vector<ImageU8View> photos(n), labels(n);
  for (int32_t b = 0; b < n; ++b) {
    const FacePortrait& p = portraits[b];
    HeadCropInput in;
    in.coeffs = coeffs.data() + b * FaceCoeff::kCount;
    in.inv_scale = p.inv_scale;
    in.inv_offset[0] = p.inv_offset[0];
    in.inv_offset[1] = p.inv_offset[1];
    in.pos_moments = moments.data() + b * 8;
    in.landmarks = g.landmarks.data() + static_cast<size_t>(b) * FaceModel::kKeypointCount * 2;
    in.photo_w = p.photo.width;
    in.photo_h = p.photo.height;
    crops[b] = cropper_.compute(in);
    crop_cams[b] = crops[b].camera();
    photos[b] = p.photo;
    labels[b] = p.labels;
  }
  const std::vector<float> crop_projection =
      reconstructor_.project(g.posed.data(), n, crop_cams.data());
  t.crop_geometry_ms = ms_since(start);
  t.crop_geometry_transfers = transfers.take();

  start = Clock::now();
  // On CUDA the photos the alignment uploaded are used in place when every portrait has one.
  std::vector<const uint8_t*> device_photos;
  for (const FacePortrait& p : portraits) device_photos.push_back(p.device_photo);
  if (device_.kind != DeviceKind::CUDA ||
      std::find(device_photos.begin(), device_photos.end(), nullptr) != device_photos.end())
    device_photos.clear();
  HeadCropImages images = cut_head_crops(crops, photos, labels, device_, device_photos);
  t.crop_images_ms = ms_since(start);
  t.crop_images_transfers = transfers.take();

  // 5. The face's depth map and coverage in the crop.
  start = Clock::now();
  std::vector<RenderCamera> render_cams(n);
  for (int32_t b = 0; b < n; ++b)
    render_cams[b] = RenderCamera{crop_cams[b].focal, crop_cams[b].cx, crop_cams[b].cy};
  DepthRenderInput render;
  render.batch = n;
  render.vertex_count = v;
  render.vertices = g.posed.data();
  render.triangle_count = triangle_count_;
  render.triangles = triangles_.data();
  render.cameras = render_cams.data();
  render.width = kHeadCropSize;
  render.height = kHeadCropSize;
  DepthAndMask dm = render_depth_and_mask(render, device_);
  t.render_ms = ms_since(start);
  t.render_transfers = transfers.take();

  const size_t plane = static_cast<size_t>(kHeadCropSize) * kHeadCropSize;
  const int32_t channels = portraits[0].photo.channels;
  for (int32_t b = 0; b < n; ++b) {
    Step1Record& r = records[b];
    r.vertex_count = v;
    r.triangle_count = triangle_count_;
    r.img.assign(images.photos.begin() + b * plane * channels,
                 images.photos.begin() + (b + 1) * plane * channels);
    r.mask.assign(images.masks.begin() + b * plane, images.masks.begin() + (b + 1) * plane);
    for (int k = 0; k < 5; ++k) r.crop_param[k] = static_cast<float>(crops[b].crop_param[k]);
    r.face3d.assign(crops[b].face3d.begin(), crops[b].face3d.end());  // double -> float32
    r.face_shape.assign(g.posed.begin() + static_cast<size_t>(b) * v * 3,
                        g.posed.begin() + static_cast<size_t>(b + 1) * v * 3);
    r.face_projection.assign(crop_projection.begin() + static_cast<size_t>(b) * v * 2,
                             crop_projection.begin() + static_cast<size_t>(b + 1) * v * 2);
    r.face_depthmap.assign(dm.depth.begin() + b * plane, dm.depth.begin() + (b + 1) * plane);
    r.face_mask.assign(dm.mask.begin() + b * plane, dm.mask.begin() + (b + 1) * plane);
    r.triangles = &triangles_;
    if (colors_)
      r.face_color.assign(g.colors.begin() + static_cast<size_t>(b) * v * 3,
                          g.colors.begin() + static_cast<size_t>(b + 1) * v * 3);
  }
  if (timings) *timings = t;
  return records;
}

}  // namespace p3d
