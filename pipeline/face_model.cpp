// Loading, validating and saving the face model files (see face_model.h). The variable
// names, shapes and MATLAB classes written here are those of the original's
// BFM_model_front.mat as transferBFM09 (utils/loader.py) saves it with scipy's savemat:
// float32 arrays stay single, exBase is double (it is built from float64 std_exp.txt),
// and the index arrays copied from facemodel_info.mat stay single and 1-based.
#include "pipeline/face_model.h"

#include <climits>
#include <cmath>
#include <filesystem>

#include "kernels/error.h"
#include "pipeline/face_model_topology.h"
#include "pipeline/mat_file.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;

constexpr const char* kModelFile = "BFM_model_front.mat";
constexpr const char* kLandmarkFile = "similarity_Lm3D_all.mat";
constexpr const char* kCenterFile = "center.mat";
constexpr const char* kBorderFile = "border_index.mat";

std::string join(const std::string& folder, const char* file) {
  return (fs::path(folder) / file).string();
}

std::vector<int32_t> plus_one(const std::vector<int32_t>& ids) {
  std::vector<int32_t> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) out[i] = ids[i] + 1;
  return out;
}

void check_size(size_t got, size_t want, const std::string& source, const char* what) {
  if (got != want) P3D_THROW(source, ": ", what, " has ", got, " entries, expected ", want);
}

void check_range(const std::vector<int32_t>& ids, int64_t limit, const std::string& source,
                 const char* what) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= limit) {
      P3D_THROW(source, ": ", what, "[", i, "] = ", ids[i], " outside [0, ", limit, ")");
    }
  }
}

void check_finite(const std::vector<float>& values, const std::string& source, const char* what) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) P3D_THROW(source, ": ", what, "[", i, "] is not finite");
  }
}

// A 3N-vector of per-vertex xyz (or RGB); the original's file holds it as 1 x 3N.
std::vector<float> read_vertex_vector(const MatReader& file, const char* name) {
  MatArray array = file.read(name);
  array.expect_vector(-1);
  if (array.size() == 0 || array.size() % 3 != 0) {
    P3D_THROW(array.where(), ": expected 3 values per vertex, got ", array.size(), " values");
  }
  return array.to_floats();
}

std::vector<float> read_basis(const MatReader& file, const char* name, size_t vertex_count,
                              int dims) {
  MatArray array = file.read(name);
  array.expect_shape(static_cast<long>(3 * vertex_count), dims);
  return array.to_floats();
}

}  // namespace

void validate_face_model(const FaceModel& m, const std::string& source) {
  P3D_CHECK(m.vertex_count > 0 && m.triangle_count > 0, source, ": empty face model");
  const size_t n3 = 3 * static_cast<size_t>(m.vertex_count);
  check_size(m.mean_shape.size(), n3, source, "meanshape");
  check_size(m.id_base.size(), n3 * FaceModel::kIdDims, source, "idBase");
  check_size(m.exp_base.size(), n3 * FaceModel::kExpDims, source, "exBase");
  check_size(m.mean_tex.size(), n3, source, "meantex");
  check_size(m.tex_base.size(), n3 * FaceModel::kTexDims, source, "texBase");
  check_size(m.triangles.size(), 3 * static_cast<size_t>(m.triangle_count), source, "tri");
  check_size(m.point_buf.size(), static_cast<size_t>(m.vertex_count) * FaceModel::kPointBufWidth,
             source, "point_buf");
  check_size(m.keypoints.size(), FaceModel::kKeypointCount, source, "keypoints");
  check_finite(m.mean_shape, source, "meanshape");
  check_finite(m.id_base, source, "idBase");
  check_finite(m.exp_base, source, "exBase");
  check_finite(m.mean_tex, source, "meantex");
  check_finite(m.tex_base, source, "texBase");
  check_range(m.triangles, m.vertex_count, source, "tri");
  // point_buf pads with one past the last triangle (the original's zero normal slot).
  check_range(m.point_buf, static_cast<int64_t>(m.triangle_count) + 1, source, "point_buf");
  check_range(m.keypoints, m.vertex_count, source, "keypoints");
  check_range(m.frontmask2_idx, m.vertex_count, source, "frontmask2_idx");
  P3D_CHECK(m.tri_mask2.size() % 3 == 0, source, ": tri_mask2 size ", m.tri_mask2.size(),
            " is not 3 x T");
  check_range(m.tri_mask2, static_cast<int64_t>(m.frontmask2_idx.size()), source, "tri_mask2");
  if (!m.skinmask.empty()) {
    check_size(m.skinmask.size(), static_cast<size_t>(m.vertex_count), source, "skinmask");
    check_range(m.skinmask, 2, source, "skinmask");
  }
  if (!m.similarity_lm3d.empty()) {
    check_size(m.similarity_lm3d.size(), 3 * FaceModel::kKeypointCount, source,
               "similarity_Lm3D_all lm");
    check_finite(m.similarity_lm3d, source, "similarity_Lm3D_all lm");
  }
  check_range(m.border_index, m.vertex_count, source, "border_index");
}

void read_face_topology(const MatReader& file, FaceModel& m, bool extras_required) {
  P3D_CHECK(m.vertex_count > 0, file.path(), ": vertex count must be known before the topology");
  const size_t n = static_cast<size_t>(m.vertex_count);
  MatArray tri = file.read("tri");
  tri.expect_shape(-1, 3);
  m.triangle_count = static_cast<int>(tri.rows);
  m.triangles = tri.to_indices(1, m.vertex_count);

  MatArray point_buf = file.read("point_buf");
  point_buf.expect_shape(static_cast<long>(n), FaceModel::kPointBufWidth);
  m.point_buf = point_buf.to_indices(1, static_cast<int64_t>(m.triangle_count) + 1);

  MatArray keypoints = file.read("keypoints");
  keypoints.expect_vector(FaceModel::kKeypointCount);
  m.keypoints = keypoints.to_indices(1, m.vertex_count);

  // Training-only extras: the original's converter requires them, our loader does not.
  if (extras_required || file.has("frontmask2_idx")) {
    MatArray idx = file.read("frontmask2_idx");
    idx.expect_vector(-1);
    m.frontmask2_idx = idx.to_indices(1, m.vertex_count);
  }
  if (extras_required || file.has("tri_mask2")) {
    MatArray tri2 = file.read("tri_mask2");
    tri2.expect_shape(-1, 3);
    m.tri_mask2 = tri2.to_indices(1, static_cast<int64_t>(m.frontmask2_idx.size()));
  }
  if (extras_required || file.has("skinmask")) {
    MatArray skin = file.read("skinmask");
    skin.expect_vector(static_cast<long>(n));
    m.skinmask = skin.to_indices(0, 2);
  }
}

// Reads BFM_model_front.mat alone (the auxiliaries are separate files).
static FaceModel read_model_file(const std::string& path) {
  MatReader file(path);
  FaceModel m;
  m.mean_shape = read_vertex_vector(file, "meanshape");
  const size_t n = m.mean_shape.size() / 3;
  m.vertex_count = static_cast<int>(n);
  m.id_base = read_basis(file, "idBase", n, FaceModel::kIdDims);
  m.exp_base = read_basis(file, "exBase", n, FaceModel::kExpDims);
  m.mean_tex = read_vertex_vector(file, "meantex");
  check_size(m.mean_tex.size(), 3 * n, path + ": variable 'meantex'", "meantex");
  m.tex_base = read_basis(file, "texBase", n, FaceModel::kTexDims);

  read_face_topology(file, m, /*extras_required=*/false);
  return m;
}

void load_face_model_auxiliaries(const std::string& folder, FaceModel& m) {
  {
    MatReader file(join(folder, kLandmarkFile));
    MatArray lm = file.read("lm");
    lm.expect_shape(FaceModel::kKeypointCount, 3);
    m.similarity_lm3d = lm.to_floats();
  }
  {
    MatReader file(join(folder, kCenterFile));
    MatArray center = file.read("head_center");
    center.expect_vector(3);  // the original reshapes it to [1, 1, 3]
    const std::vector<float> values = center.to_floats();
    for (int i = 0; i < 3; ++i) m.head_center[i] = values[i];
  }
  {
    MatReader file(join(folder, kBorderFile));
    MatArray border = file.read("border_index");
    border.expect_vector(-1);
    // 0-based in the file (see face_model.h); the limit is the model's vertex count when
    // the model is loaded, else only non-negativity is checked here.
    const int64_t limit = m.vertex_count > 0 ? m.vertex_count : INT32_MAX;
    m.border_index = border.to_indices(0, limit);
  }
}

FaceModel load_face_model(const std::string& folder) {
  const std::string path = join(folder, kModelFile);
  FaceModel m = read_model_file(path);
  load_face_model_auxiliaries(folder, m);
  validate_face_model(m, folder);
  return m;
}

void save_face_model_mat(const FaceModel& m, const std::string& path) {
  validate_face_model(m, path);
  const size_t n3 = 3 * static_cast<size_t>(m.vertex_count);
  MatWriter file(path);
  // Order and classes as the original's savemat dict (transferBFM09).
  file.write("meanshape", 1, n3, m.mean_shape.data(), MatClass::kSingle);
  file.write("meantex", 1, n3, m.mean_tex.data(), MatClass::kSingle);
  file.write("idBase", n3, FaceModel::kIdDims, m.id_base.data(), MatClass::kSingle);
  file.write("exBase", n3, FaceModel::kExpDims, m.exp_base.data(), MatClass::kDouble);
  file.write("texBase", n3, FaceModel::kTexDims, m.tex_base.data(), MatClass::kSingle);
  file.write("tri", m.triangle_count, 3, plus_one(m.triangles).data(), MatClass::kSingle);
  file.write("point_buf", m.vertex_count, FaceModel::kPointBufWidth, plus_one(m.point_buf).data(),
             MatClass::kSingle);
  if (!m.tri_mask2.empty()) {
    file.write("tri_mask2", m.tri_mask2.size() / 3, 3, plus_one(m.tri_mask2).data(),
               MatClass::kSingle);
  }
  file.write("keypoints", 1, FaceModel::kKeypointCount, plus_one(m.keypoints).data(),
             MatClass::kSingle);
  if (!m.frontmask2_idx.empty()) {
    file.write("frontmask2_idx", m.frontmask2_idx.size(), 1, plus_one(m.frontmask2_idx).data(),
               MatClass::kSingle);
  }
  if (!m.skinmask.empty())
    file.write("skinmask", 1, m.skinmask.size(), m.skinmask.data(), MatClass::kSingle);
  file.close();
}

void save_face_model_auxiliaries(const FaceModel& m, const std::string& folder) {
  P3D_CHECK(m.similarity_lm3d.size() == 3 * FaceModel::kKeypointCount, folder,
            ": the model has no 68 x 3 similarity landmarks to write");
  P3D_CHECK(!m.border_index.empty(), folder, ": the model has no border_index to write");
  {
    // The original's classes: lm single 68 x 3, head_center double 1 x 3, border_index
    // int64 K x 1 (0-based).
    MatWriter file(join(folder, kLandmarkFile));
    file.write("lm", FaceModel::kKeypointCount, 3, m.similarity_lm3d.data(), MatClass::kSingle);
    file.close();
  }
  {
    MatWriter file(join(folder, kCenterFile));
    file.write("head_center", 1, 3, m.head_center, MatClass::kDouble);
    file.close();
  }
  {
    MatWriter file(join(folder, kBorderFile));
    file.write("border_index", m.border_index.size(), 1, m.border_index.data(), MatClass::kInt64);
    file.close();
  }
}

void write_face_model_folder(const FaceModel& m, const std::string& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) P3D_THROW(folder, ": cannot create folder: ", ec.message());
  save_face_model_mat(m, join(folder, kModelFile));
  save_face_model_auxiliaries(m, folder);
}

}  // namespace p3d
