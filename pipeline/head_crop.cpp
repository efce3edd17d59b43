// The head crop and the face3d record (head_crop.h): per-portrait scalar geometry in
// double, and the batched window resampling on the CPU (the CUDA path is in
// head_crop_cuda.cpp).
#include "pipeline/head_crop.h"

#include <Eigen/Dense>
#include <cmath>
#include <string>

#include "engine/backend.h"
#include "kernels/cpu/crop_resample.h"
#include "kernels/error.h"

namespace p3d {

#if defined(P3D_WITH_CUDA)
HeadCropImages cut_head_crops_cuda(const std::vector<HeadCrop>& crops,
                                   const std::vector<const uint8_t*>& device_photos,
                                   const std::vector<ImageU8View>& photos,
                                   const std::vector<ImageU8View>& masks, int device_index);
#endif

namespace {

// R = (Rz·Ry·Rx)^T in double, row-major, for row vectors (compute_rotation_matrix).
void rotation_double(const float* angles, double r[9]) {
  const double cx = std::cos(static_cast<double>(angles[0])),
               sx = std::sin(static_cast<double>(angles[0]));
  const double cy = std::cos(static_cast<double>(angles[1])),
               sy = std::sin(static_cast<double>(angles[1]));
  const double cz = std::cos(static_cast<double>(angles[2])),
               sz = std::sin(static_cast<double>(angles[2]));
  const double m[9] = {cz * cy,
                       cz * sy * sx - sz * cx,
                       cz * sy * cx + sz * sx,
                       sz * cy,
                       sz * sy * sx + cz * cx,
                       sz * sy * cx - cz * sx,
                       -sy,
                       cy * sx,
                       cy * cx};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r[i * 3 + j] = m[j * 3 + i];
}

void row_times(const double p[3], const double r[9], double out[3]) {
  for (int j = 0; j < 3; ++j) out[j] = p[0] * r[j] + p[1] * r[3 + j] + p[2] * r[6 + j];
}

// numpy's np.round(x).astype(np.int32): half to even; refuses what int32 cannot hold.
int32_t round_to_int(double x, const char* what) {
  P3D_CHECK(std::isfinite(x) && std::fabs(x) < 1073741824.0, "head crop: ", what, " = ", x,
            " is not a usable pixel coordinate");
  return static_cast<int32_t>(std::nearbyint(x));
}

}  // namespace

FaceCamera HeadCrop::camera() const {
  return FaceCamera{static_cast<float>(face3d[0]),
                    static_cast<float>(face3d[1]),
                    static_cast<float>(face3d[2]),
                    1.f,
                    0.f,
                    0.f};
}

HeadCropper::HeadCropper(const FaceModel& model) {
  P3D_CHECK(model.vertex_count > 0 &&
                model.mean_shape.size() == 3 * static_cast<size_t>(model.vertex_count),
            "head crop: face model without a mean shape");
  Eigen::Matrix4d gram = Eigen::Matrix4d::Zero();
  double sum[3] = {0, 0, 0};
  for (int32_t v = 0; v < model.vertex_count; ++v) {
    const Eigen::Vector4d row(model.mean_shape[v * 3], model.mean_shape[v * 3 + 1],
                              model.mean_shape[v * 3 + 2], 1.0);
    gram.noalias() += row * row.transpose();
    for (int c = 0; c < 3; ++c) sum[c] += model.mean_shape[v * 3 + c];
  }
  for (int c = 0; c < 3; ++c) {
    mean_vertex_[c] = sum[c] / model.vertex_count;
    head_center_[c] = model.head_center[c];
  }
  Eigen::Matrix4d inverse;
  bool invertible = false;
  gram.computeInverseWithCheck(inverse, invertible);
  P3D_CHECK(invertible,
            "head crop: the mean shape is degenerate (POS's normal matrix is singular)");
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) gram_inverse_[i * 4 + j] = inverse(i, j);
}

void HeadCropper::solve_pos(const double moments[8], double k1[4], double k2[4]) const {
  for (int i = 0; i < 4; ++i) {
    k1[i] = 0;
    k2[i] = 0;
    for (int j = 0; j < 4; ++j) {
      k1[i] += gram_inverse_[i * 4 + j] * moments[j];
      k2[i] += gram_inverse_[i * 4 + j] * moments[4 + j];
    }
  }
}

HeadCrop HeadCropper::compute(const HeadCropInput& in) const {
  P3D_CHECK(in.coeffs && in.pos_moments && in.landmarks, "head crop: missing input arrays");
  P3D_CHECK(in.photo_w > 0 && in.photo_h > 0, "head crop: photo size ", in.photo_w, "x",
            in.photo_h);
  P3D_CHECK(std::isfinite(in.inv_scale) && in.inv_scale > 0 && std::isfinite(in.inv_offset[0]) &&
                std::isfinite(in.inv_offset[1]),
            "head crop: bad inverse crop (scale ", in.inv_scale, ", offset ", in.inv_offset[0],
            ", ", in.inv_offset[1], ")");
  HeadCrop out;
  // The photo's camera: the 224-crop camera seen through the inverse crop.
  const double f = kFaceFocal * in.inv_scale;
  const double p_center[2] = {in.inv_scale * kFaceCenter + in.inv_offset[0],
                              in.inv_scale * kFaceCenter + in.inv_offset[1]};

  // compute_center2d: the head centre posed with the re-centring undone, then projected.
  double r[9];
  rotation_double(in.coeffs + FaceCoeff::kAngles, r);
  row_times(mean_vertex_, r, out.displacement);
  const float* t = in.coeffs + FaceCoeff::kTranslation;
  double c3[3];
  row_times(head_center_, r, c3);
  for (int k = 0; k < 3; ++k) c3[k] += static_cast<double>(t[k]) - out.displacement[k];
  const double z_cam = static_cast<double>(kCameraZ) - c3[2];
  out.center2d[0] = (f * c3[0] + p_center[0] * z_cam) / z_cam;
  out.center2d[1] = (f * c3[1] + p_center[1] * z_cam) / z_cam;

  // POS between the projected face and the mean shape: only its scale is used.
  double k1[4], k2[4];
  solve_pos(in.pos_moments, k1, k2);
  out.pos_scale = (std::sqrt(k1[0] * k1[0] + k1[1] * k1[1] + k1[2] * k1[2]) +
                   std::sqrt(k2[0] * k2[0] + k2[1] * k2[1] + k2[2] * k2[2])) /
                  2;
  const double scale = out.pos_scale * kHeadCropScaleFactor / 100.0;
  P3D_CHECK(std::isfinite(scale) && scale > 0, "head crop: POS scale ", out.pos_scale,
            " is not positive (degenerate projection)");

  // align_img with t = center2d, s = scale.
  const int32_t w = round_to_int(in.photo_w / scale, "resized width");
  const int32_t h = round_to_int(in.photo_h / scale, "resized height");
  if (w < 1 || h < 1)
    P3D_THROW("head crop: the face projects ", out.pos_scale, " px per model unit, so the ",
              in.photo_w, "x", in.photo_h, " photo would shrink to ", w, "x", h,
              " pixels; the coefficients place the face implausibly (translation z = ", t[2], ")");
  const int32_t cx = round_to_int(out.center2d[0] / scale, "head centre x");
  const int32_t cy = round_to_int(out.center2d[1] / scale, "head centre y");
  const int32_t left = cx - kHeadCropSize / 2;
  const int32_t up = (h - cy) - kHeadCropSize / 2;
  const double t1[2] = {static_cast<double>(left), static_cast<double>(h - kHeadCropSize - up)};

  out.window = CropResampleParams{0, in.photo_w, in.photo_h, w, h, left, up};
  out.crop_param = {scale, static_cast<double>(left), static_cast<double>(up),
                    double(kHeadCropSize), double(kHeadCropSize)};

  // The record.
  double* d = out.face3d.data();
  d[0] = f / scale;
  d[1] = (p_center[0] - scale * t1[0]) / scale;
  d[2] = (p_center[1] - scale * t1[1]) / scale;
  for (int i = 0; i < FaceCoeff::kCount; ++i) d[3 + i] = in.coeffs[i];
  for (int k = 0; k < 3; ++k) d[3 + FaceCoeff::kTranslation + k] -= out.displacement[k];
  double* lm = d + 3 + FaceCoeff::kCount;
  for (int i = 0; i < FaceModel::kKeypointCount; ++i)
    for (int k = 0; k < 2; ++k)
      lm[i * 2 + k] = (static_cast<double>(in.landmarks[i * 2 + k]) - scale * t1[k]) / scale;
  return out;
}

HeadCropImages cut_head_crops(const std::vector<HeadCrop>& crops,
                              const std::vector<ImageU8View>& photos,
                              const std::vector<ImageU8View>& masks, Device device,
                              const std::vector<const uint8_t*>& device_photos) {
  P3D_CHECK(photos.size() == crops.size() && masks.size() == crops.size(),
            "head crop: ", crops.size(), " crops but ", photos.size(), " photos and ", masks.size(),
            " masks");
  const int32_t n = static_cast<int32_t>(crops.size());
  int32_t channels = 0;
  for (int32_t b = 0; b < n; ++b) {
    const ImageU8View& p = photos[b];
    const ImageU8View& m = masks[b];
    P3D_CHECK(p.data && p.width > 0 && p.height > 0 && p.channels > 0, "head crop: photo ", b,
              " is empty");
    P3D_CHECK(m.data && m.channels == 1, "head crop: mask ", b, " must be a 1-channel image");
    P3D_CHECK(m.width == p.width && m.height == p.height, "head crop: mask ", b, " is ", m.width,
              "x", m.height, " but its photo is ", p.width, "x", p.height);
    P3D_CHECK(crops[b].window.src_w == p.width && crops[b].window.src_h == p.height,
              "head crop: crop ", b, " was computed for a ", crops[b].window.src_w, "x",
              crops[b].window.src_h, " photo, got ", p.width, "x", p.height);
    P3D_CHECK(b == 0 || p.channels == channels,
              "head crop: photos of a batch must share a channel count");
    channels = p.channels;
  }
  if (device.kind == DeviceKind::CUDA) {
    std::string reason;
    if (!cuda_available(&reason)) P3D_THROW("head crop on ", device.str(), ": ", reason);
#if defined(P3D_WITH_CUDA)
    P3D_CHECK(device_photos.empty() || device_photos.size() == crops.size(),
              "head crop: ", device_photos.size(), " device photos for ", crops.size(), " crops");
    return cut_head_crops_cuda(crops, device_photos, photos, masks, device.index);
#endif
  }
  HeadCropImages out;
  const size_t plane = static_cast<size_t>(kHeadCropSize) * kHeadCropSize;
  out.photos.resize(n * plane * channels);
  out.masks.resize(n * plane);
  for (int32_t b = 0; b < n; ++b) {
    const CropResampleParams window = crops[b].window;  // src_offset 0: one image per call
    cpu::crop_resample_cubic(CropBatchParams{1, kHeadCropSize, kHeadCropSize, channels}, &window,
                             photos[b].data, out.photos.data() + b * plane * channels);
    cpu::crop_resample_nearest(CropBatchParams{1, kHeadCropSize, kHeadCropSize, 1}, &window,
                               masks[b].data, out.masks.data() + b * plane);
  }
  return out;
}

}  // namespace p3d
