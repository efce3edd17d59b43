// write_step2_mat / write_step3_mat (head_records.h).
#include "pipeline/head_records.h"

#include "kernels/error.h"
#include "pipeline/mat_record.h"

namespace p3d {
namespace {

constexpr size_t kCrop = 256;

void check_count(size_t got, size_t want, const char* what, const std::string& path) {
  if (got != want) P3D_THROW(path, ": ", what, " has ", got, " values, expected ", want);
}

void check_step2(const Step2Record& s, const std::string& path) {
  check_count(s.input_mask.size(), kCrop * kCrop, "input_mask", path);
  check_count(s.facemask_withouthair.size(), kCrop * kCrop, "facemask_withouthair", path);
  P3D_CHECK(s.points_index.size() % 2 == 0 && s.points_tri.size() % 3 == 0, path,
            ": points_index or points_tri is not K x 2 / F x 3");
}

std::vector<int32_t> one_based(const std::vector<int32_t>& ids) {
  std::vector<int32_t> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) out[i] = ids[i] + 1;
  return out;
}

}  // namespace

void write_step2_mat(const Step1Record& step1, const Step2Record& s, const std::string& path) {
  check_step2(s, path);
  MatRecordWriter file(path);
  write_step1_variables(step1, file);
  file.write_f32("input_mask", s.input_mask.data(), {kCrop, kCrop});
  const std::vector<int32_t> tri = one_based(s.points_tri);
  file.write_i32("points_tri", tri.data(), {tri.size() / 3, 3});
  file.write_i32("points_index", s.points_index.data(), {s.points_index.size() / 2, 2});
  file.write_f32("facemask_withouthair", s.facemask_withouthair.data(), {kCrop, kCrop});
  file.close();
}

void write_step3_mat(const Step1Record& step1, const Step2Record& s2, const Step3Record& s3,
                     const std::string& path) {
  check_step2(s2, path);
  const size_t k = s2.points_index.size() / 2, v = static_cast<size_t>(step1.vertex_count);
  check_count(s3.hairear_shape.size(), k * 3, "hairear_shape", path);
  check_count(s3.hairear_texture.size(), k * 3, "hairear_texture", path);
  check_count(s3.face_texture.size(), v * 3, "face_texture", path);
  check_count(step1.face_shape.size(), v * 3, "face_shape", path);
  check_count(s3.depth.size(), kCrop * kCrop, "depth", path);
  check_count(s3.mask.size(), kCrop * kCrop, "mask", path);
  P3D_CHECK(
      step1.triangles && step1.triangles->size() == 3 * static_cast<size_t>(step1.triangle_count),
      path, ": the face triangles are missing");
  MatRecordWriter file(path);
  file.write_f32("hairear_shape", s3.hairear_shape.data(), {k, 3});
  file.write_f32("hairear_texture", s3.hairear_texture.data(), {k, 3});
  const std::vector<int32_t> tri = one_based(s2.points_tri);
  file.write_i32("hairear_tri", tri.data(), {tri.size() / 3, 3});
  file.write_f32("face_shape", step1.face_shape.data(), {v, 3});
  file.write_f32("face_texture", s3.face_texture.data(), {v, 3});
  std::vector<float> face_tri(step1.triangles->size());
  for (size_t i = 0; i < face_tri.size(); ++i)
    face_tri[i] = static_cast<float>((*step1.triangles)[i] + 1);
  file.write_f32("face_tri", face_tri.data(), {face_tri.size() / 3, 3});
  file.write_i32("hairear_index", s2.points_index.data(), {k, 2});
  file.write_f32("facemask_withouthair", s2.facemask_withouthair.data(), {kCrop, kCrop});
  file.write_f32("depth", s3.depth.data(), {kCrop, kCrop});
  file.write_f32("mask", s3.mask.data(), {kCrop, kCrop});
  file.close();
}

}  // namespace p3d
