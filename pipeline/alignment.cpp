// The face alignment (alignment.h): POS in double, the crop geometry computed with the
// original's exact sequence of Python operations (so every int() and float32 rounding lands
// where numpy's does), and the batched resampling on the CPU (the CUDA path is in
// alignment_cuda.cpp).
#include "pipeline/alignment.h"

// GCC 12 reports false "may be used uninitialized" warnings inside Eigen's AVX-512 double
// packet code (the 8-unknown POS solve); they are in Eigen's headers, not in this file.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Dense>
#pragma GCC diagnostic pop
#include <cmath>

#include "engine/backend.h"
#include "kernels/cpu/alignment.h"
#include "kernels/error.h"
#include "pipeline/mat_file.h"

namespace p3d {

#if defined(P3D_WITH_CUDA)
// alignment_cuda.cpp: the crops downloaded, or left in the device context's buffer.
std::vector<float> align_images_cuda(const std::vector<const ImageU8*>& photos,
                                     const std::vector<AlignItemParams>& items, int32_t channels,
                                     int device_index);
DeviceAlignment align_images_cuda_resident(const std::vector<const ImageU8*>& photos,
                                           const std::vector<AlignItemParams>& items,
                                           int32_t channels, int device_index);
#endif

namespace {

constexpr int32_t kLandmarkRows10[10] = {1, 2, 16, 17, 31, 34, 37, 46, 49, 55};  // 1-based
constexpr double kScale68 = 100.0;  // align_img_: the face is resized to 100 / s
constexpr double kScale5 = 102.0;   // facerecon_preprocess_yu_5p's default scale
constexpr int32_t kHalfCrop = kAlignCropSize / 2;
constexpr double kMaxScaledSide = 1 << 20;  // a resized photo beyond this is a broken fit

// Python's a // b for ints (floor division).
int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// The resized size: int(side / s * scale), truncated as Python's int() and numpy's astype.
int32_t scaled_side(int32_t side, double s, double scale, const char* axis) {
  const double v = static_cast<double>(side) / s * scale;
  P3D_CHECK(std::isfinite(v) && v >= 1.0 && v < kMaxScaledSide, "alignment: the photo's ", axis,
            " ", side, " resized by ", scale, " / s (s = ", s, ") gives ", v,
            " pixels: the landmarks do not describe a face of usable size");
  return static_cast<int32_t>(v);
}

std::vector<double> aligned_landmarks(const Landmarks& lm, double inv_scale,
                                      const double inv_offset[2]) {
  std::vector<double> out(lm.points.size());
  for (size_t i = 0; i < out.size(); i += 2) {
    out[i] = (lm.points[i] - inv_offset[0]) / inv_scale;
    out[i + 1] = (lm.points[i + 1] - inv_offset[1]) / inv_scale;
  }
  return out;
}

FaceAlignment plan_opencv(const Landmarks& lm, const AlignmentReference& ref) {
  std::vector<double> picked(20);
  for (int i = 0; i < 10; ++i) {
    picked[2 * i] = lm.points[2 * (kLandmarkRows10[i] - 1)];
    picked[2 * i + 1] = lm.points[2 * (kLandmarkRows10[i] - 1) + 1];
  }
  FaceAlignment a;
  a.resampler = AlignResampler::kOpenCv;
  a.photo_w = lm.image_width;
  a.photo_h = lm.image_height;
  a.pos = solve_pos(picked.data(), ref.ten_point().data(), 10);
  const double t0 = a.pos.t[0], t1 = a.pos.t[1], s = a.pos.s;
  const int64_t w0 = a.photo_w, h0 = a.photo_h;
  // M_s = [[1, 0, -t[0] + imgw//2 + 0.5], [0, 1, -imgh//2 + t[1]]], dtype float32.
  a.warp_shift[0] = static_cast<float>((-t0 + static_cast<double>(w0 / 2)) + 0.5);
  a.warp_shift[1] = static_cast<float>(static_cast<double>(floor_div(-h0, 2)) + t1);
  a.scaled_w = scaled_side(a.photo_w, s, kScale68, "width");
  a.scaled_h = scaled_side(a.photo_h, s, kScale68, "height");
  a.left = a.scaled_w / 2 - kHalfCrop;
  a.up = a.scaled_h / 2 - kHalfCrop;
  // inv = (scale / scale_, scale * t1 + t2), scale = s / 100, scale_ = 224 / 224.
  const double scale = s / kScale68;
  const double crop_scale = static_cast<double>(kAlignCropSize) / kAlignCropSize;
  a.inv_scale = scale / crop_scale;
  a.inv_offset[0] = scale * static_cast<double>(a.left) + (t0 - static_cast<double>(w0) / 2);
  a.inv_offset[1] = scale * static_cast<double>(a.up) + (t1 - static_cast<double>(h0) / 2);
  a.landmarks = aligned_landmarks(lm, a.inv_scale, a.inv_offset);
  return a;
}

FaceAlignment plan_pillow(const Landmarks& lm, const AlignmentReference& ref) {
  FaceAlignment a;
  a.resampler = AlignResampler::kPillow;
  a.photo_w = lm.image_width;
  a.photo_h = lm.image_height;
  a.pos = solve_pos(lm.points.data(), ref.five_point().data(), 5);
  const double t0 = a.pos.t[0], t1 = a.pos.t[1], s = a.pos.s;
  const double w0 = a.photo_w, h0 = a.photo_h;
  a.pil_shift[0] = t0 - w0 / 2;
  a.pil_shift[1] = h0 / 2 - t1;
  a.scaled_w = scaled_side(a.photo_w, s, kScale5, "width");
  a.scaled_h = scaled_side(a.photo_h, s, kScale5, "height");
  // (w/2 - 112).astype(np.int32): truncation toward zero.
  a.left = static_cast<int32_t>(static_cast<double>(a.scaled_w) / 2 - kHalfCrop);
  a.up = static_cast<int32_t>(static_cast<double>(a.scaled_h) / 2 - kHalfCrop);
  // get_invparam([w0, h0, scale / s, t0, t1]) = (1 / S, (-112 / S + t0, -112 / S + t1)).
  const double S = kScale5 / s;
  a.inv_scale = 1 / S;
  a.inv_offset[0] = -static_cast<double>(kHalfCrop) / S + t0;
  a.inv_offset[1] = -static_cast<double>(kHalfCrop) / S + t1;
  a.landmarks = aligned_landmarks(lm, a.inv_scale, a.inv_offset);
  return a;
}

}  // namespace

AlignmentReference AlignmentReference::load(const std::string& mat_path) {
  MatReader reader(mat_path);
  const MatArray lm = reader.read("lm");
  lm.expect_shape(68, 3);
  AlignmentReference ref;
  ref.lm68 = lm.to_doubles();
  return ref;
}

AlignmentReference AlignmentReference::from_points(const float* lm68_xyz) {
  AlignmentReference ref;
  ref.lm68.assign(lm68_xyz, lm68_xyz + 68 * 3);
  for (double v : ref.lm68)
    P3D_CHECK(std::isfinite(v), "alignment reference: non-finite standard landmark");
  return ref;
}

std::vector<double> AlignmentReference::ten_point() const {
  P3D_CHECK(lm68.size() == 68 * 3, "alignment reference: ", lm68.size(),
            " values, expected 68 x 3");
  std::vector<double> out;
  for (int32_t row : kLandmarkRows10)
    for (int k = 0; k < 3; ++k) out.push_back(lm68[(row - 1) * 3 + k]);
  return out;
}

std::vector<double> AlignmentReference::five_point() const {
  P3D_CHECK(lm68.size() == 68 * 3, "alignment reference: ", lm68.size(),
            " values, expected 68 x 3");
  // load_lm3d(5): [31, mean(37, 40), mean(43, 46), 49, 55] reordered to [1, 2, 0, 3, 4]; the
  // means are numpy float32 means of the float32 file: (a + b) in float32, then / 2.
  auto at = [&](int row, int k) { return static_cast<float>(lm68[(row - 1) * 3 + k]); };
  std::vector<double> out;
  for (int k = 0; k < 3; ++k) out.push_back(static_cast<float>(at(37, k) + at(40, k)) / 2.0f);
  for (int k = 0; k < 3; ++k) out.push_back(static_cast<float>(at(43, k) + at(46, k)) / 2.0f);
  for (int row : {31, 49, 55})
    for (int k = 0; k < 3; ++k) out.push_back(at(row, k));
  return out;
}

PosSolution solve_pos(const double* xy, const double* xyz, int32_t count) {
  P3D_CHECK(count >= 4, "POS: ", count, " points, at least 4 are needed");
  // The 2n x 8 system decouples into two n x 4 least-squares problems with the same
  // matrix [X Y Z 1]: one for the x row of the projection, one for the y row.
  Eigen::MatrixXd a(count, 4);
  Eigen::MatrixXd b(count, 2);
  for (int32_t i = 0; i < count; ++i) {
    a(i, 0) = xyz[3 * i];
    a(i, 1) = xyz[3 * i + 1];
    a(i, 2) = xyz[3 * i + 2];
    a(i, 3) = 1.0;
    b(i, 0) = xy[2 * i];
    b(i, 1) = xy[2 * i + 1];
  }
  const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(a);
  P3D_CHECK(qr.rank() == 4, "POS: the standard 3D landmarks are degenerate (rank ", qr.rank(),
            " < 4)");
  const Eigen::MatrixXd k = qr.solve(b);
  PosSolution out;
  out.s = (k.col(0).head<3>().norm() + k.col(1).head<3>().norm()) / 2;
  out.t[0] = k(3, 0);
  out.t[1] = k(3, 1);
  P3D_CHECK(std::isfinite(out.s) && std::isfinite(out.t[0]) && std::isfinite(out.t[1]) && out.s > 0,
            "POS: no finite positive scale (s = ", out.s, ")");
  return out;
}

AlignItemParams FaceAlignment::item_params() const {
  AlignItemParams p{};
  p.src_offset = 0;
  p.src_w = photo_w;
  p.src_h = photo_h;
  p.resampler = resampler;
  if (resampler == AlignResampler::kOpenCv) {
    // cv2.warpAffine inverts M (here: negates the translation, in double) and samples the
    // photo at x + (round(-m02 · 1024) + 16) >> 5 thirty-seconds of a pixel.
    for (int axis = 0; axis < 2; ++axis) {
      const double inverse = -static_cast<double>(warp_shift[axis]);
      P3D_CHECK(std::fabs(inverse) < 1e6, "alignment: warp shift ", warp_shift[axis],
                " out of range");
      const int64_t x0 = static_cast<int64_t>(std::nearbyint(inverse * 1024.0)) + 16;
      const int64_t q = floor_div(x0, 32);  // position in 1/32 pixel
      const int64_t whole = floor_div(q, 32);
      (axis == 0 ? p.shift_ix : p.shift_iy) = static_cast<int32_t>(whole);
      (axis == 0 ? p.shift_fx : p.shift_fy) = static_cast<int32_t>(q - whole * 32);
    }
  } else {
    p.pil_dx = pil_shift[0];
    p.pil_dy = pil_shift[1];
  }
  p.scaled_w = scaled_w;
  p.scaled_h = scaled_h;
  p.left = left;
  p.up = up;
  return p;
}

FaceAlignment plan_alignment(const Landmarks& landmarks, const AlignmentReference& reference) {
  P3D_CHECK(landmarks.image_width > 0 && landmarks.image_height > 0,
            "alignment: landmarks without a photo size");
  P3D_CHECK(landmarks.count() == landmark_count(landmarks.convention),
            "alignment: ", landmarks.count(), " landmarks for the ",
            landmark_convention_name(landmarks.convention), " convention");
  return landmarks.convention == LandmarkConvention::Detection5 ? plan_pillow(landmarks, reference)
                                                                : plan_opencv(landmarks, reference);
}

namespace {

// The kernel's items for a batch, each photo checked against its plan; `channels` receives
// the photos' channel count. Item b reads photo b at items[b].src_offset of the photos laid
// end to end.
std::vector<AlignItemParams> align_items(const std::vector<const ImageU8*>& photos,
                                         const std::vector<FaceAlignment>& plans,
                                         int32_t* channels_out) {
  P3D_CHECK(photos.size() == plans.size(), "align_images: ", photos.size(), " photos for ",
            plans.size(), " plans");
  const int32_t n = static_cast<int32_t>(photos.size());
  const int32_t channels = n > 0 && photos[0] ? photos[0]->channels : 0;
  std::vector<AlignItemParams> items(n);
  size_t total = 0;
  for (int32_t b = 0; b < n; ++b) {
    const ImageU8* photo = photos[b];
    P3D_CHECK(photo != nullptr && !photo->empty(), "align_images: photo ", b, " is empty");
    P3D_CHECK(photo->channels == channels, "align_images: photo ", b, " has ", photo->channels,
              " channels, photo 0 has ", channels);
    P3D_CHECK(
        photo->pixels.size() == static_cast<size_t>(photo->width) * photo->height * photo->channels,
        "align_images: photo ", b, " holds ", photo->pixels.size(), " bytes for ", photo->width,
        "x", photo->height, "x", photo->channels);
    P3D_CHECK(photo->width == plans[b].photo_w && photo->height == plans[b].photo_h,
              "align_images: photo ", b, " is ", photo->width, "x", photo->height,
              " but its alignment was planned for ", plans[b].photo_w, "x", plans[b].photo_h);
    items[b] = plans[b].item_params();
    items[b].src_offset = static_cast<int64_t>(total);
    total += photo->pixels.size();
  }
  if (n > 0) cpu::check_align_params(AlignBatchParams{n, kAlignCropSize, channels}, items.data());
  *channels_out = channels;
  return items;
}

// Throws, naming `device`, unless this build has CUDA and a usable GPU.
void require_cuda(const Device& device) {
  std::string reason;
  if (!cuda_available(&reason)) P3D_THROW("align_images on ", device.str(), ": ", reason);
}

}  // namespace

DeviceAlignment align_images_on_device(const std::vector<const ImageU8*>& photos,
                                       const std::vector<FaceAlignment>& plans, int slots,
                                       Device device) {
  P3D_CHECK(device.kind == DeviceKind::CUDA, "align_images_on_device: ", device.str(),
            " is not a GPU (align_images is the host path)");
  P3D_CHECK(!photos.empty() && slots >= static_cast<int>(photos.size()),
            "align_images_on_device: ", photos.size(), " photos for ", slots, " slots");
  int32_t channels = 0;
  std::vector<AlignItemParams> items = align_items(photos, plans, &channels);
  items.resize(static_cast<size_t>(slots), items.back());  // pad: the last crop again
  require_cuda(device);
#if defined(P3D_WITH_CUDA)
  return align_images_cuda_resident(photos, items, channels, device.index);
#else
  return {};  // not reached: require_cuda threw
#endif
}

std::vector<float> align_images(const std::vector<const ImageU8*>& photos,
                                const std::vector<FaceAlignment>& plans, Device device) {
  int32_t channels = 0;
  const std::vector<AlignItemParams> items = align_items(photos, plans, &channels);
  const int32_t n = static_cast<int32_t>(items.size());
  if (n == 0) return {};

  if (device.kind == DeviceKind::CUDA) {
    require_cuda(device);
#if defined(P3D_WITH_CUDA)
    return align_images_cuda(photos, items, channels, device.index);
#endif
  }
  // On the CPU each photo is read where it lies: one item at a time, rows in parallel.
  const size_t plane = static_cast<size_t>(kAlignCropSize) * kAlignCropSize * channels;
  std::vector<float> out(plane * n);
  for (int32_t b = 0; b < n; ++b) {
    AlignItemParams item = items[b];
    item.src_offset = 0;
    cpu::align_faces(AlignBatchParams{1, kAlignCropSize, channels}, &item, photos[b]->data(),
                     out.data() + plane * b);
  }
  return out;
}

}  // namespace p3d
