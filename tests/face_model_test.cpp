// Tests of the face-model unit: the synthetic model (sizes, topology, determinism, a
// face-like layout), the .mat round trip and the original's file conventions, loader
// errors, the public index files as the original reads them, and convert_bfm09 against a
// numpy transcription of transferBFM09 (fixture from tools/oracle/bfm09_fake.py).
#include "pipeline/face_model.h"

#include <gtest/gtest.h>
#include <matio.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <set>
#include <string>

#include "kernels/error.h"
#include "pipeline/face_model_topology.h"
#include "pipeline/mat_file.h"
#include "pipeline/synthetic_face_model.h"
#include "tests/support/expect_error.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;

fs::path source_dir() {
  if (const char* env = std::getenv("P3D_SOURCE_DIR")) return env;
  return fs::path(__FILE__).parent_path().parent_path();
}

fs::path shared_dir() {
  if (const char* env = std::getenv("P3D_SHARED_DIR")) return env;
  return source_dir() / ".." / "shared";
}

// A fresh folder under the test temp dir, removed when the object goes away.
struct TempFolder {
  fs::path path;
  explicit TempFolder(const std::string& name) {
    path = fs::path(::testing::TempDir()) /
           ("p3d_face_model_" + name + "_" + std::to_string(getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempFolder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Loading the model in `folder` fails with a p3d::Error naming every part.
void expect_load_error(const TempFolder& folder, std::initializer_list<std::string> parts) {
  test::expect_error([&] { load_face_model(folder.path.string()); }, parts);
}

using test::expect_error;  // tests/support/expect_error.h

class SyntheticFaceModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { model_ = new FaceModel(generate_synthetic_face_model(1)); }
  static void TearDownTestSuite() { delete model_; }
  static const FaceModel& model() { return *model_; }
  static FaceModel* model_;
};
FaceModel* SyntheticFaceModelTest::model_ = nullptr;

TEST_F(SyntheticFaceModelTest, HasTheRealSizes) {
  const FaceModel& m = model();
  EXPECT_EQ(m.vertex_count, 35709);
  EXPECT_EQ(m.triangle_count, 70789);
  EXPECT_EQ(m.mean_shape.size(), 3u * 35709);
  EXPECT_EQ(m.id_base.size(), 3u * 35709 * 80);
  EXPECT_EQ(m.exp_base.size(), 3u * 35709 * 64);
  EXPECT_EQ(m.tex_base.size(), 3u * 35709 * 80);
  EXPECT_EQ(m.point_buf.size(), 35709u * 8);
  EXPECT_EQ(m.keypoints.size(), 68u);
  EXPECT_EQ(m.border_index.size(), 932u);
  EXPECT_EQ(m.similarity_lm3d.size(), 68u * 3);
  EXPECT_NO_THROW(validate_face_model(m, "synthetic"));
  EXPECT_EQ(std::set<int32_t>(m.keypoints.begin(), m.keypoints.end()).size(), 68u);
  EXPECT_EQ(std::set<int32_t>(m.border_index.begin(), m.border_index.end()).size(), 932u);
}

TEST_F(SyntheticFaceModelTest, PointBufListsExactlyTheAdjacentTriangles) {
  const FaceModel& m = model();
  std::vector<std::set<int32_t>> adjacent(m.vertex_count);
  for (int f = 0; f < m.triangle_count; ++f) {
    for (int k = 0; k < 3; ++k) adjacent[m.triangles[3 * f + k]].insert(f);
  }
  for (int v = 0; v < m.vertex_count; ++v) {
    std::set<int32_t> listed;
    for (int s = 0; s < 8; ++s) {
      const int32_t f = m.point_buf[8 * v + s];
      if (f != m.triangle_count) listed.insert(f);  // padding is F, the zero-normal slot
    }
    ASSERT_EQ(listed, adjacent[v]) << "vertex " << v;
    ASSERT_FALSE(adjacent[v].empty()) << "vertex " << v << " is in no triangle";
  }
}

TEST_F(SyntheticFaceModelTest, TrianglesFaceTheCamera) {
  // The original's normals are cross(v1 - v2, v2 - v3), expected to point out of the face
  // (+z, towards the camera): every triangle must be counter-clockwise seen from +z.
  const FaceModel& m = model();
  const float* s = m.mean_shape.data();
  for (int f = 0; f < m.triangle_count; ++f) {
    const int32_t* t = &m.triangles[3 * f];
    const float ax = s[3 * t[0]], ay = s[3 * t[0] + 1];
    const float bx = s[3 * t[1]] - ax, by = s[3 * t[1] + 1] - ay;
    const float cx = s[3 * t[2]] - ax, cy = s[3 * t[2] + 1] - ay;
    ASSERT_GT(bx * cy - by * cx, 0.0f) << "triangle " << f;
  }
}

TEST_F(SyntheticFaceModelTest, KeypointsAreFaceLike) {
  const FaceModel& m = model();
  auto lm = [&](int k, int c) { return m.similarity_lm3d[3 * (k - 1) + c]; };  // 1-based k
  // The standard landmarks are the mean shape at the keypoints.
  for (int k = 0; k < 68; ++k) {
    for (int c = 0; c < 3; ++c)
      EXPECT_EQ(m.similarity_lm3d[3 * k + c], m.mean_shape[3 * m.keypoints[k] + c]);
  }
  float max_z = -1e9f;
  for (int k = 1; k <= 68; ++k) max_z = std::max(max_z, lm(k, 2));
  EXPECT_EQ(lm(31, 2), max_z) << "the nose tip is the frontmost landmark";
  for (int k = 1; k <= 8; ++k) EXPECT_LT(lm(k, 0), lm(k + 1, 0)) << "jaw runs left to right";
  for (int k = 1; k <= 17; ++k) EXPECT_GE(lm(k, 1), lm(9, 1)) << "the chin is lowest";
  EXPECT_GT(lm(38, 1), lm(31, 1));  // eyes above the nose tip
  EXPECT_GT(lm(31, 1), lm(52, 1));  // nose tip above the mouth
  EXPECT_LT(lm(37, 0), lm(40, 0));  // left eye: outer corner left of inner corner
  EXPECT_LT(lm(43, 0), lm(46, 0));
  EXPECT_GT(lm(20, 1), lm(38, 1));  // brows above the eyes
}

TEST_F(SyntheticFaceModelTest, ProjectsIntoTheCropLikeAFace) {
  // The original's camera: re-centred shape, camera at z = 10, focal 1015, centre 112.
  const FaceModel& m = model();
  double mean[3] = {0, 0, 0};
  for (int v = 0; v < m.vertex_count; ++v) {
    for (int c = 0; c < 3; ++c) mean[c] += m.mean_shape[3 * v + c] / m.vertex_count;
  }
  double lo_x = 1e9, hi_x = -1e9, lo_y = 1e9, hi_y = -1e9;
  for (int v = 0; v < m.vertex_count; ++v) {
    const double x = m.mean_shape[3 * v] - mean[0], y = m.mean_shape[3 * v + 1] - mean[1];
    const double z = m.mean_shape[3 * v + 2] - mean[2];
    const double u = 112 + 1015 * x / (10 - z), w = 112 + 1015 * y / (10 - z);
    lo_x = std::min(lo_x, u), hi_x = std::max(hi_x, u), lo_y = std::min(lo_y, w),
    hi_y = std::max(hi_y, w);
  }
  EXPECT_GT(lo_x, 0);
  EXPECT_LT(hi_x, 224);
  EXPECT_GT(lo_y, 0);
  EXPECT_LT(hi_y, 224);
  EXPECT_GT(hi_x - lo_x, 150) << "the face fills most of the crop width";
  EXPECT_GT(hi_y - lo_y, 170);
}

TEST_F(SyntheticFaceModelTest, LandmarksResembleThePublicStandardLandmarks) {
  const fs::path file = shared_dir() / "bfm-public" / "similarity_Lm3D_all.mat";
  if (!fs::exists(file)) GTEST_SKIP() << file << " absent (set P3D_SHARED_DIR)";
  const MatArray real = MatReader(file.string()).read("lm");
  double sum = 0, worst = 0;
  for (int k = 0; k < 68; ++k) {
    double d2 = 0;
    for (int c = 0; c < 2; ++c)
      d2 += std::pow(real.values[3 * k + c] - model().similarity_lm3d[3 * k + c], 2);
    sum += std::sqrt(d2) / 68;
    worst = std::max(worst, std::sqrt(d2));
  }
  std::printf("synthetic vs public landmarks (x, y): mean %.3f, worst %.3f model units\n", sum,
              worst);
  EXPECT_LT(sum, 0.03);
  EXPECT_LT(worst, 0.08);
}

TEST(SyntheticFaceModel, IsDeterministicPerSeed) {
  const FaceModel a = generate_synthetic_face_model(7);
  const FaceModel b = generate_synthetic_face_model(7);
  const FaceModel c = generate_synthetic_face_model(8);
  EXPECT_EQ(a.mean_shape, b.mean_shape);
  EXPECT_EQ(a.id_base, b.id_base);
  EXPECT_EQ(a.exp_base, b.exp_base);
  EXPECT_EQ(a.tex_base, b.tex_base);
  EXPECT_EQ(a.mean_tex, b.mean_tex);
  EXPECT_EQ(a.keypoints, b.keypoints);
  EXPECT_NE(a.mean_shape, c.mean_shape);
  EXPECT_NE(a.id_base, c.id_base);
  EXPECT_EQ(a.triangles, c.triangles) << "the topology does not depend on the seed";
}

TEST_F(SyntheticFaceModelTest, RoundTripsBitExactlyInTheOriginalsLayout) {
  const FaceModel& m = model();
  TempFolder folder("roundtrip");
  write_face_model_folder(m, folder.path.string());
  const FaceModel back = load_face_model(folder.path.string());
  EXPECT_EQ(back.vertex_count, m.vertex_count);
  EXPECT_EQ(back.triangle_count, m.triangle_count);
  EXPECT_EQ(back.mean_shape, m.mean_shape);
  EXPECT_EQ(back.id_base, m.id_base);
  EXPECT_EQ(back.exp_base, m.exp_base);
  EXPECT_EQ(back.mean_tex, m.mean_tex);
  EXPECT_EQ(back.tex_base, m.tex_base);
  EXPECT_EQ(back.triangles, m.triangles);
  EXPECT_EQ(back.point_buf, m.point_buf);
  EXPECT_EQ(back.keypoints, m.keypoints);
  EXPECT_EQ(back.frontmask2_idx, m.frontmask2_idx);
  EXPECT_EQ(back.tri_mask2, m.tri_mask2);
  EXPECT_EQ(back.skinmask, m.skinmask);
  EXPECT_EQ(back.similarity_lm3d, m.similarity_lm3d);
  EXPECT_EQ(back.border_index, m.border_index);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(back.head_center[c], m.head_center[c]);

  // The files use the original's names, shapes, classes and index bases.
  const MatReader file((folder.path / "BFM_model_front.mat").string());
  struct Expect {
    const char* name;
    size_t rows, cols;
    MatClass cls;
  };
  const size_t n = 35709, f = 70789;
  const Expect expects[] = {
      {"meanshape", 1, 3 * n, MatClass::kSingle},
      {"meantex", 1, 3 * n, MatClass::kSingle},
      {"idBase", 3 * n, 80, MatClass::kSingle},
      {"exBase", 3 * n, 64, MatClass::kDouble},
      {"texBase", 3 * n, 80, MatClass::kSingle},
      {"tri", f, 3, MatClass::kSingle},
      {"point_buf", n, 8, MatClass::kSingle},
      {"keypoints", 1, 68, MatClass::kSingle},
      {"skinmask", 1, n, MatClass::kSingle},
      {"frontmask2_idx", m.frontmask2_idx.size(), 1, MatClass::kSingle},
      {"tri_mask2", m.tri_mask2.size() / 3, 3, MatClass::kSingle},
  };
  for (const Expect& e : expects) {
    const MatArray a = file.read(e.name);
    EXPECT_EQ(a.rows, e.rows) << e.name;
    EXPECT_EQ(a.cols, e.cols) << e.name;
    EXPECT_EQ(a.cls, e.cls) << e.name;
  }
  const MatArray tri = file.read("tri");
  EXPECT_EQ(*std::min_element(tri.values.begin(), tri.values.end()), 1.0) << "1-based";
  EXPECT_EQ(*std::max_element(tri.values.begin(), tri.values.end()), double(n));
  const MatArray point_buf = file.read("point_buf");
  EXPECT_EQ(*std::max_element(point_buf.values.begin(), point_buf.values.end()), double(f + 1))
      << "padding F+1";
  EXPECT_EQ(file.read("keypoints").values[0], m.keypoints[0] + 1.0);
  const MatArray border =
      MatReader((folder.path / "border_index.mat").string()).read("border_index");
  EXPECT_EQ(border.cls, MatClass::kInt64);
  EXPECT_EQ(border.rows, 932u);
  EXPECT_EQ(border.values[0], double(m.border_index[0])) << "0-based, as the original's";
  const MatArray center = MatReader((folder.path / "center.mat").string()).read("head_center");
  EXPECT_EQ(center.cls, MatClass::kDouble);
  EXPECT_EQ(center.cols, 3u);
  const MatArray lm = MatReader((folder.path / "similarity_Lm3D_all.mat").string()).read("lm");
  EXPECT_EQ(lm.cls, MatClass::kSingle);
  EXPECT_EQ(lm.rows, 68u);
}

// ---- loader errors, on a tiny hand-made model -----------------------------------------

FaceModel tiny_model() {
  FaceModel m;
  m.vertex_count = 4;
  m.triangle_count = 2;
  const size_t n3 = 12;
  for (size_t i = 0; i < n3; ++i) m.mean_shape.push_back(0.1f * i);
  m.mean_tex.assign(n3, 128.0f);
  m.id_base.assign(n3 * 80, 0.01f);
  m.exp_base.assign(n3 * 64, 0.02f);
  m.tex_base.assign(n3 * 80, 3.0f);
  m.triangles = {0, 1, 2, 0, 2, 3};
  m.point_buf.assign(4 * 8, 2);
  m.point_buf[0] = 0, m.point_buf[1] = 1, m.point_buf[8] = 0, m.point_buf[16] = 0,
  m.point_buf[17] = 1, m.point_buf[24] = 1;
  m.keypoints.assign(68, 3);
  m.similarity_lm3d.assign(68 * 3, 0.5f);
  m.border_index = {1, 3};
  m.head_center[1] = 0.2f;
  return m;
}

// Writes BFM_model_front.mat like save_face_model_mat, but lets a test drop or replace one
// variable.
void write_variant(const FaceModel& m, const fs::path& path, const std::string& skip,
                   const std::function<void(MatWriter&)>& extra = {}) {
  MatWriter w(path.string());
  auto plus_one = [](std::vector<int32_t> v) {
    for (auto& x : v) ++x;
    return v;
  };
  if (skip != "meanshape") w.write("meanshape", 1, 12, m.mean_shape.data(), MatClass::kSingle);
  if (skip != "meantex") w.write("meantex", 1, 12, m.mean_tex.data(), MatClass::kSingle);
  if (skip != "idBase") w.write("idBase", 12, 80, m.id_base.data(), MatClass::kSingle);
  if (skip != "exBase") w.write("exBase", 12, 64, m.exp_base.data(), MatClass::kDouble);
  if (skip != "texBase") w.write("texBase", 12, 80, m.tex_base.data(), MatClass::kSingle);
  if (skip != "tri") w.write("tri", 2, 3, plus_one(m.triangles).data(), MatClass::kSingle);
  if (skip != "point_buf")
    w.write("point_buf", 4, 8, plus_one(m.point_buf).data(), MatClass::kSingle);
  if (skip != "keypoints")
    w.write("keypoints", 1, 68, plus_one(m.keypoints).data(), MatClass::kSingle);
  if (extra) extra(w);
  w.close();
}

TEST(FaceModelLoader, TinyModelRoundTrips) {
  TempFolder folder("tiny");
  const FaceModel m = tiny_model();
  write_face_model_folder(m, folder.path.string());
  const FaceModel back = load_face_model(folder.path.string());
  EXPECT_EQ(back.mean_shape, m.mean_shape);
  EXPECT_EQ(back.point_buf, m.point_buf);
  EXPECT_EQ(back.border_index, m.border_index);
  EXPECT_TRUE(back.skinmask.empty() && back.tri_mask2.empty() && back.frontmask2_idx.empty());
}

TEST(FaceModelLoader, MissingFileIsNamed) {
  TempFolder folder("missing");
  expect_load_error(folder, {"BFM_model_front.mat", "no such file"});
  // The model alone is not enough: the auxiliaries are named too.
  write_variant(tiny_model(), folder.path / "BFM_model_front.mat", "");
  expect_load_error(folder, {"similarity_Lm3D_all.mat", "no such file"});
}

TEST(FaceModelLoader, MissingVariableIsNamed) {
  TempFolder folder("missing_var");
  const FaceModel m = tiny_model();
  save_face_model_auxiliaries(m, folder.path.string());
  for (const char* name : {"idBase", "exBase", "tri", "point_buf", "keypoints", "meantex"}) {
    write_variant(m, folder.path / "BFM_model_front.mat", name);
    expect_load_error(folder,
                      {"BFM_model_front.mat", "missing variable '" + std::string(name) + "'"});
  }
}

TEST(FaceModelLoader, WrongShapeIsNamed) {
  TempFolder folder("shape");
  const FaceModel m = tiny_model();
  save_face_model_auxiliaries(m, folder.path.string());
  write_variant(m, folder.path / "BFM_model_front.mat", "idBase", [&](MatWriter& w) {
    w.write("idBase", 12, 79, m.id_base.data(), MatClass::kSingle);
  });
  expect_load_error(
      folder, {"BFM_model_front.mat", "variable 'idBase'", "expected shape 12 x 80, got 12 x 79"});
  write_variant(m, folder.path / "BFM_model_front.mat", "point_buf", [&](MatWriter& w) {
    w.write("point_buf", 4, 7, m.point_buf.data(), MatClass::kSingle);
  });
  expect_load_error(folder, {"variable 'point_buf'", "4 x 8"});
}

TEST(FaceModelLoader, BadValuesAreNamed) {
  TempFolder folder("values");
  FaceModel m = tiny_model();
  save_face_model_auxiliaries(m, folder.path.string());
  FaceModel nan_model = m;
  nan_model.mean_shape[5] = std::nanf("");
  write_variant(nan_model, folder.path / "BFM_model_front.mat", "");
  expect_load_error(folder, {"variable 'meanshape'", "non-finite"});
  FaceModel bad_tri = m;
  bad_tri.triangles[4] = 4;  // 1-based 5 > N
  write_variant(bad_tri, folder.path / "BFM_model_front.mat", "");
  expect_load_error(folder, {"variable 'tri'", "outside [1, 4]"});
  write_variant(m, folder.path / "BFM_model_front.mat", "");
  FaceModel far_border = m;
  far_border.border_index = {1, 4};  // 0-based 4 == N
  MatWriter w((folder.path / "border_index.mat").string());
  w.write("border_index", 2, 1, far_border.border_index.data(), MatClass::kInt64);
  w.close();
  expect_load_error(folder, {"border_index.mat", "variable 'border_index'"});
}

TEST(FaceModelLoader, WrongClassIsNamed) {
  // A char array where numbers belong (written through matio directly: MatWriter only
  // writes numbers).
  TempFolder folder("class");
  const FaceModel m = tiny_model();
  save_face_model_auxiliaries(m, folder.path.string());
  write_variant(m, folder.path / "BFM_model_front.mat", "");
  {
    mat_t* mat =
        Mat_CreateVer((folder.path / "similarity_Lm3D_all.mat").c_str(), nullptr, MAT_FT_MAT5);
    ASSERT_NE(mat, nullptr);
    char text[] = "not numbers";
    size_t dims[2] = {1, sizeof(text) - 1};
    matvar_t* var =
        Mat_VarCreate("lm", MAT_C_CHAR, MAT_T_UINT8, 2, dims, text, MAT_F_DONT_COPY_DATA);
    ASSERT_NE(var, nullptr);
    Mat_VarWrite(mat, var, MAT_COMPRESSION_NONE);
    Mat_VarFree(var);
    Mat_Close(mat);
  }
  expect_load_error(
      folder, {"similarity_Lm3D_all.mat", "variable 'lm'", "real numeric array, got class char"});
}

TEST(FaceModelLoader, NotAMatFileIsNamed) {
  TempFolder folder("garbage");
  {
    std::FILE* f = std::fopen((folder.path / "BFM_model_front.mat").c_str(), "w");
    std::fputs("hello", f);
    std::fclose(f);
  }
  expect_load_error(folder, {"BFM_model_front.mat", "cannot open"});
}

// ---- the public index files, read as the original reads them --------------------------

class PublicBfmFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = shared_dir() / "bfm-public";
    if (!fs::exists(dir_ / "border_index.mat"))
      GTEST_SKIP() << dir_ << " absent (set P3D_SHARED_DIR)";
  }
  fs::path dir_;
};

TEST_F(PublicBfmFiles, AuxiliariesLoadAsTheOriginalReadsThem) {
  FaceModel m;
  load_face_model_auxiliaries(dir_.string(), m);
  ASSERT_EQ(m.border_index.size(), 932u);
  EXPECT_EQ(m.border_index.front(), 16510) << "used 0-based, unshifted, by step4_save_obj.py";
  EXPECT_EQ(*std::max_element(m.border_index.begin(), m.border_index.end()), 31925);
  ASSERT_EQ(m.similarity_lm3d.size(), 68u * 3);
  // lm is 68 x 3, row-major: landmark 1 is (-0.7315367, 0.21832459, -0.59036374).
  EXPECT_FLOAT_EQ(m.similarity_lm3d[0], -0.7315367f);
  EXPECT_FLOAT_EQ(m.similarity_lm3d[1], 0.21832459f);
  EXPECT_FLOAT_EQ(m.similarity_lm3d[2], -0.59036374f);
  EXPECT_FLOAT_EQ(m.head_center[0], 0.004183214971040749f);
  EXPECT_FLOAT_EQ(m.head_center[1], 0.23265583763435013f);
  EXPECT_FLOAT_EQ(m.head_center[2], 0.13539391f);
}

TEST_F(PublicBfmFiles, FacemodelInfoTopologyMatchesTheRealSizes) {
  FaceModel m;
  m.vertex_count = 35709;
  read_face_topology(MatReader((dir_ / "facemodel_info.mat").string()), m,
                     /*extras_required=*/true);
  EXPECT_EQ(m.triangle_count, 70789);
  EXPECT_EQ(m.triangles[0], 0);  // file: 1 2 131
  EXPECT_EQ(m.triangles[2], 130);
  EXPECT_EQ(m.keypoints[0], 16644);  // file: 16645, 1-based
  EXPECT_EQ(*std::max_element(m.point_buf.begin(), m.point_buf.end()), 70789) << "padding F";
  EXPECT_EQ(m.frontmask2_idx.size(), 27660u);
  EXPECT_EQ(m.tri_mask2.size(), 3u * 54681);
  EXPECT_EQ(m.skinmask.size(), 35709u);
}

TEST_F(PublicBfmFiles, IndexFilesReadWithTheirStorageClasses) {
  // trimIndex is class double stored as uint16; idx is single.
  const MatArray trim = MatReader((dir_ / "BFM_exp_idx.mat").string()).read("trimIndex");
  EXPECT_EQ(trim.rows, 53215u);
  EXPECT_EQ(trim.cols, 1u);
  EXPECT_EQ(trim.values.front(), 1.0);
  EXPECT_EQ(*std::max_element(trim.values.begin(), trim.values.end()), 53490.0);
  const MatArray idx = MatReader((dir_ / "BFM_front_idx.mat").string()).read("idx");
  EXPECT_EQ(idx.rows, 35709u);
  EXPECT_EQ(idx.cls, MatClass::kSingle);
  EXPECT_EQ(*std::max_element(idx.values.begin(), idx.values.end()), 53153.0);
}

// ---- convert_bfm09 against the numpy transcription of transferBFM09 --------------------

TEST(ConvertBfm09, MatchesTheOriginalsArithmeticOnAFakeRelease) {
  const fs::path fixture = source_dir() / "tests" / "fixtures" / "bfm09_fake";
  const FaceModel m = convert_bfm09((fixture / "raw").string(), (fixture / "index").string());
  const MatReader expected((fixture / "expected_BFM_model_front.mat").string());
  ASSERT_EQ(m.vertex_count, 7);
  auto expect_floats = [&](const char* name, const std::vector<float>& got) {
    const MatArray want = expected.read(name);
    ASSERT_EQ(got.size(), want.size()) << name;
    size_t mismatches = 0;
    // Bit-exact: float32 results as numpy computes them; the float64 exBase rounded once.
    for (size_t i = 0; i < got.size(); ++i)
      mismatches += got[i] != static_cast<float>(want.values[i]);
    EXPECT_EQ(mismatches, 0u) << name;
  };
  expect_floats("meanshape", m.mean_shape);
  expect_floats("meantex", m.mean_tex);
  expect_floats("idBase", m.id_base);
  expect_floats("exBase", m.exp_base);
  expect_floats("texBase", m.tex_base);
  auto expect_ids = [&](const char* name, const std::vector<int32_t>& got, int base) {
    const MatArray want = expected.read(name);
    ASSERT_EQ(got.size(), want.size()) << name;
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_EQ(got[i] + base, want.values[i]) << name << "[" << i << "]";
  };
  expect_ids("tri", m.triangles, 1);
  expect_ids("point_buf", m.point_buf, 1);
  expect_ids("keypoints", m.keypoints, 1);
  expect_ids("frontmask2_idx", m.frontmask2_idx, 1);
  expect_ids("tri_mask2", m.tri_mask2, 1);
  expect_ids("skinmask", m.skinmask, 0);

  // And it saves in the original's layout: write, then read back equal.
  TempFolder folder("convert");
  const fs::path out = folder.path / "BFM_model_front.mat";
  save_face_model_mat(m, out.string());
  const MatReader saved(out.string());
  EXPECT_EQ(saved.read("exBase").cls, MatClass::kDouble);
  EXPECT_EQ(saved.read("idBase").values, expected.read("idBase").values);
}

TEST(ConvertBfm09, MissingInputsAreNamed) {
  const fs::path fixture = source_dir() / "tests" / "fixtures" / "bfm09_fake";
  TempFolder empty("convert_missing");
  expect_error([&] { convert_bfm09(empty.path.string(), (fixture / "index").string()); },
               {"01_MorphableModel.mat", "no such file"});
  fs::copy_file(fixture / "raw" / "01_MorphableModel.mat", empty.path / "01_MorphableModel.mat");
  expect_error([&] { convert_bfm09(empty.path.string(), (fixture / "index").string()); },
               {"Exp_Pca.bin", "no such file"});
  // A truncated expression basis is reported with the sizes it needs.
  {
    std::FILE* f = std::fopen((empty.path / "Exp_Pca.bin").c_str(), "wb");
    const int32_t dims = 79;
    std::fwrite(&dims, 4, 1, f);
    std::fclose(f);
  }
  expect_error([&] { convert_bfm09(empty.path.string(), (fixture / "index").string()); },
               {"Exp_Pca.bin", "79 bases over 11 vertices"});
}

}  // namespace
}  // namespace p3d
