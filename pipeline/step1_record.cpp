// Writing and reading the step-1 record (step1_record.h) with matio, and its preview PNGs
// (pipeline/png_encode.h). matio is used directly (not pipeline/mat_file.h) because the record
// needs a 3-D uint8 array and compressed variables.
#include "pipeline/step1_record.h"

#include <matio.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "kernels/error.h"
#include "pipeline/atomic_file.h"
#include "pipeline/mat_record.h"
#include "pipeline/mat_validate.h"
#include "pipeline/png_encode.h"

namespace p3d {
namespace {

constexpr int kCrop = 256;

struct MatCloser {
  void operator()(mat_t* m) const {
    if (m) Mat_Close(m);
  }
};
struct VarFreer {
  void operator()(matvar_t* v) const {
    if (v) Mat_VarFree(v);
  }
};
using MatFile = std::unique_ptr<mat_t, MatCloser>;
using MatVar = std::unique_ptr<matvar_t, VarFreer>;

void check_size(size_t got, size_t want, const char* what) {
  if (got != want) P3D_THROW("step-1 record: ", what, " has ", got, " values, expected ", want);
}

// Reads a variable of the given class as row-major T with its dims.
template <typename T>
std::vector<T> read_var(mat_t* file, const std::string& path, const char* name, matio_classes cls,
                        std::vector<size_t>* dims_out) {
  MatVar var(Mat_VarRead(file, name));
  if (!var) P3D_THROW(path, ": no variable '", name, "'");
  if (var->class_type != cls || var->isComplex || var->data == nullptr)
    P3D_THROW(path, ": variable '", name, "' has an unexpected class ",
              static_cast<int>(var->class_type));
  std::vector<size_t> dims(var->dims, var->dims + var->rank);
  size_t total = 1;
  for (size_t d : dims) total *= d;
  if (var->nbytes != total * sizeof(T))
    P3D_THROW(path, ": variable '", name, "' holds ", var->nbytes, " bytes, expected ",
              total * sizeof(T));
  std::vector<T> out = to_row_major(static_cast<const T*>(var->data), dims);
  if (dims_out) *dims_out = dims;
  return out;
}

void write_png(const std::string& path, int w, int h, int channels, const uint8_t* data) {
  write_file_atomic(path, encode_png_bytes(data, w, h, channels, path));
}

}  // namespace

void write_step1_mat(const Step1Record& r, const std::string& path) {
  const size_t v = static_cast<size_t>(r.vertex_count);
  check_size(r.img.size(), kCrop * kCrop * 3, "img");
  check_size(r.mask.size(), kCrop * kCrop, "mask");
  check_size(r.face3d.size(), 396, "face3d");
  check_size(r.face_shape.size(), v * 3, "face_shape");
  check_size(r.face_projection.size(), v * 2, "face_projection");
  check_size(r.face_depthmap.size(), kCrop * kCrop, "face_depthmap");
  check_size(r.face_mask.size(), kCrop * kCrop, "face_mask");
  P3D_CHECK(r.triangles && r.triangles->size() == 3 * static_cast<size_t>(r.triangle_count),
            "step-1 record: triangles missing or not ", r.triangle_count, " x 3");

  MatRecordWriter file(path);
  write_step1_variables(r, file);
  file.close();
}

void write_step1_variables(const Step1Record& r, MatRecordWriter& file) {
  const size_t v = static_cast<size_t>(r.vertex_count);
  file.write_u8("img", r.img.data(), {kCrop, kCrop, 3});
  file.write_u8("mask", r.mask.data(), {kCrop, kCrop});
  file.write_f32("crop_param", r.crop_param.data(), {1, 5});
  file.write_f32("face3d", r.face3d.data(), {1, 396});
  file.write_f32("face_shape", r.face_shape.data(), {v, 3});
  file.write_f32("face_projection", r.face_projection.data(), {v, 2});
  file.write_f32("face_depthmap", r.face_depthmap.data(), {kCrop, kCrop});
  file.write_f32("face_mask", r.face_mask.data(), {kCrop, kCrop});
  std::vector<float> tri(r.triangles->size());
  for (size_t i = 0; i < tri.size(); ++i) tri[i] = static_cast<float>((*r.triangles)[i] + 1);
  file.write_f32("face_tri", tri.data(), {static_cast<size_t>(r.triangle_count), 3});
}

Step1Record read_step1_mat(const std::string& path, std::vector<int32_t>* triangles_out) {
  validate_mat_file(path);  // refuses truncated or corrupt files matio would read silently
  MatFile file(Mat_Open(path.c_str(), MAT_ACC_RDONLY));
  if (!file) P3D_THROW(path, ": cannot open as a MATLAB file");
  Step1Record r;
  std::vector<size_t> dims;
  r.img = read_var<uint8_t>(file.get(), path, "img", MAT_C_UINT8, &dims);
  P3D_CHECK(dims == std::vector<size_t>({kCrop, kCrop, 3}), path, ": img is not 256 x 256 x 3");
  r.mask = read_var<uint8_t>(file.get(), path, "mask", MAT_C_UINT8, nullptr);
  check_size(r.mask.size(), kCrop * kCrop, "mask");
  std::vector<float> cp = read_var<float>(file.get(), path, "crop_param", MAT_C_SINGLE, nullptr);
  check_size(cp.size(), 5, "crop_param");
  std::copy(cp.begin(), cp.end(), r.crop_param.begin());
  r.face3d = read_var<float>(file.get(), path, "face3d", MAT_C_SINGLE, nullptr);
  check_size(r.face3d.size(), 396, "face3d");
  r.face_shape = read_var<float>(file.get(), path, "face_shape", MAT_C_SINGLE, &dims);
  P3D_CHECK(dims.size() == 2 && dims[1] == 3, path, ": face_shape is not V x 3");
  r.vertex_count = static_cast<int32_t>(dims[0]);
  r.face_projection = read_var<float>(file.get(), path, "face_projection", MAT_C_SINGLE, nullptr);
  check_size(r.face_projection.size(), dims[0] * 2, "face_projection");
  r.face_depthmap = read_var<float>(file.get(), path, "face_depthmap", MAT_C_SINGLE, nullptr);
  r.face_mask = read_var<float>(file.get(), path, "face_mask", MAT_C_SINGLE, nullptr);
  std::vector<float> tri = read_var<float>(file.get(), path, "face_tri", MAT_C_SINGLE, &dims);
  P3D_CHECK(dims.size() == 2 && dims[1] == 3, path, ": face_tri is not F x 3");
  r.triangle_count = static_cast<int32_t>(dims[0]);
  if (triangles_out) {
    triangles_out->resize(tri.size());
    for (size_t i = 0; i < tri.size(); ++i) (*triangles_out)[i] = static_cast<int32_t>(tri[i]) - 1;
  }
  return r;
}

void write_step1_previews(const Step1Record& r, const std::string& prefix) {
  const size_t plane = kCrop * kCrop;
  check_size(r.img.size(), plane * 3, "img");
  // The crop: BGR -> RGB for the PNG (cv2.imwrite of the BGR array shows the same picture).
  std::vector<uint8_t> rgb(plane * 3);
  for (size_t i = 0; i < plane; ++i) {
    rgb[i * 3 + 0] = r.img[i * 3 + 2];
    rgb[i * 3 + 1] = r.img[i * 3 + 1];
    rgb[i * 3 + 2] = r.img[i * 3 + 0];
  }
  write_png(prefix + ".png", kCrop, kCrop, 3, rgb.data());

  // Depth: the covered range stretched to 64..255 (nearer = larger 10 - z = brighter).
  std::vector<uint8_t> gray(plane, 0);
  if (r.face_depthmap.size() == plane && r.face_mask.size() == plane) {
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < plane; ++i)
      if (r.face_mask[i] > 0.5f && std::isfinite(r.face_depthmap[i])) {
        lo = std::min(lo, r.face_depthmap[i]);
        hi = std::max(hi, r.face_depthmap[i]);
      }
    for (size_t i = 0; i < plane; ++i) {
      if (!(r.face_mask[i] > 0.5f) || !(hi >= lo)) continue;
      const float t = hi > lo ? (r.face_depthmap[i] - lo) / (hi - lo) : 1.f;
      gray[i] = static_cast<uint8_t>(64.f + 191.f * std::clamp(t, 0.f, 1.f) + 0.5f);
    }
    write_png(prefix + "_depth.png", kCrop, kCrop, 1, gray.data());
    for (size_t i = 0; i < plane; ++i) gray[i] = r.face_mask[i] > 0.5f ? 255 : 0;
    write_png(prefix + "_face_mask.png", kCrop, kCrop, 1, gray.data());
  }

  // Labels: 0 background, 1 face, 2 hair, 3/4 ears, 5 inner mouth.
  static const uint8_t kPalette[6][3] = {{0, 0, 0},      {230, 190, 150}, {120, 70, 30},
                                         {60, 160, 230}, {60, 230, 160},  {200, 40, 60}};
  for (size_t i = 0; i < plane && r.mask.size() == plane; ++i) {
    const uint8_t* c = kPalette[r.mask[i] < 6 ? r.mask[i] : 0];
    const uint8_t extra = r.mask[i] < 6 ? 0 : 255;  // unknown labels in white
    rgb[i * 3 + 0] = c[0] | extra;
    rgb[i * 3 + 1] = c[1] | extra;
    rgb[i * 3 + 2] = c[2] | extra;
  }
  write_png(prefix + "_labels.png", kCrop, kCrop, 3, rgb.data());

  // Shaded: each vertex's colour at its crop pixel (row = 256 - y, y up), nearest wins.
  if (!r.face_color.empty() && r.face_color.size() == r.face_shape.size() &&
      r.face_projection.size() == static_cast<size_t>(r.vertex_count) * 2) {
    for (size_t i = 0; i < plane; ++i)
      for (int c = 0; c < 3; ++c) rgb[i * 3 + c] = static_cast<uint8_t>(r.img[i * 3 + (2 - c)] / 3);
    std::vector<float> nearest(plane, -INFINITY);
    for (int32_t v = 0; v < r.vertex_count; ++v) {
      const float x = r.face_projection[v * 2], y = r.face_projection[v * 2 + 1];
      if (!(std::isfinite(x) && std::isfinite(y))) continue;
      const long col = std::lround(std::floor(x)), row = std::lround(std::floor(kCrop - y));
      if (col < 0 || row < 0 || col >= kCrop || row >= kCrop) continue;
      const size_t i = static_cast<size_t>(row) * kCrop + col;
      const float z = r.face_shape[v * 3 + 2];
      if (!(z > nearest[i])) continue;
      nearest[i] = z;
      for (int c = 0; c < 3; ++c)
        rgb[i * 3 + c] =
            static_cast<uint8_t>(std::clamp(r.face_color[v * 3 + c], 0.f, 255.f) + 0.5f);
    }
    write_png(prefix + "_shaded.png", kCrop, kCrop, 3, rgb.data());
  }
}

}  // namespace p3d
