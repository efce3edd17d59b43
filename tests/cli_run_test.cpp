// End-to-end tests of `portrait3d run` on the seed portraits (../shared/seed-examples: real
// photos, landmarks and face-parsing masks), with the synthetic face model (make-face-model)
// and the TensorFlow-made stand-in networks committed as fixtures (tests/fixtures/tf/
// rnet_reduced and depth_net_reduced, fed 224x224 and 256x256 inputs through the importer's
// input_map-style shape replacement). Random weights make no real head; what is checked are
// the mesh's invariants and the command's behaviour:
//   * every good portrait gives OBJ, PLY, GLB and the PNGs; a broken one is named and skipped,
//     and the exit code says something failed;
//   * vertex count = face (35,709) + hair/ear + stitch; ids in range; no degenerate or
//     duplicate triangle; colours in 0..255; OBJ, PLY (and, when P3D_MESH_CHECK_PYTHON names
//     a Python with trimesh and pygltflib, GLB through independent readers) agree;
//   * --save-stages writes the original's step 1-3 records, consistent with the mesh;
//   * --stop-after face writes the step-1 record as the original's step 1 does.
// Skips with the reason when the seed examples are absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/mat_file.h"
#include "tests/cli_runner.h"
#include "tests/cli_seed_workspace.h"
#include "tests/test_paths.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;
using test::quote;
using test::run_cli;

constexpr int kFaceVertices = 35709;

struct ObjMesh {
  std::vector<std::array<double, 6>> vertices;  // x y z r g b
  std::vector<std::array<long, 3>> faces;       // 1-based as written
  bool integer_indices = true;
};

ObjMesh read_obj(const fs::path& path) {
  ObjMesh m;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string tag;
    ss >> tag;
    if (tag == "v") {
      std::array<double, 6> v{};
      for (double& x : v) ss >> x;
      m.vertices.push_back(v);
    } else if (tag == "f") {
      std::array<long, 3> f{};
      for (long& i : f) {
        std::string tok;
        ss >> tok;
        if (tok.find_first_not_of("0123456789") != std::string::npos) m.integer_indices = false;
        i = std::atol(tok.c_str());
      }
      m.faces.push_back(f);
    }
  }
  return m;
}

// The PLY header's element counts (an independent reading of the same mesh's sizes).
std::pair<long, long> ply_counts(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  long v = -1, f = -1;
  while (std::getline(in, line) && line != "end_header") {
    std::istringstream ss(line);
    std::string a, b;
    long n = 0;
    ss >> a >> b >> n;
    if (a == "element" && b == "vertex") v = n;
    if (a == "element" && b == "face") f = n;
  }
  return {v, f};
}

class RunCommand : public test::SeedWorkspaceSuite<RunCommand> {
 public:
  static constexpr const char* kWorkPrefix = "p3d_run_test";
};

void expect_mesh_invariants(const fs::path& out, const std::string& name) {
  SCOPED_TRACE(name);
  for (const char* suffix : {".obj", ".ply", ".glb", "_preview.png", "_overlay.png", "_depth.png",
                             "_mask.png", "_crop.png"})
    EXPECT_TRUE(fs::is_regular_file(out / (name + suffix))) << name + suffix << " missing";
  const ObjMesh m = read_obj(out / (name + ".obj"));
  EXPECT_TRUE(m.integer_indices) << "OBJ face indices must be integers";
  ASSERT_GT(m.vertices.size(), static_cast<size_t>(kFaceVertices));
  const auto [ply_v, ply_f] = ply_counts(out / (name + ".ply"));
  EXPECT_EQ(ply_v, static_cast<long>(m.vertices.size()));
  EXPECT_EQ(ply_f, static_cast<long>(m.faces.size()));
  std::set<std::array<long, 3>> seen;
  for (const auto& f : m.faces) {
    for (long i : f) ASSERT_TRUE(i >= 1 && i <= static_cast<long>(m.vertices.size())) << i;
    EXPECT_TRUE(f[0] != f[1] && f[1] != f[2] && f[0] != f[2]) << "degenerate triangle";
    std::array<long, 3> key = f;
    std::sort(key.begin(), key.end());
    EXPECT_TRUE(seen.insert(key).second)
        << "duplicate triangle " << key[0] << " " << key[1] << " " << key[2];
  }
  for (const auto& v : m.vertices)
    for (int c = 3; c < 6; ++c) ASSERT_TRUE(v[c] >= 0 && v[c] <= 255) << "colour " << v[c];
  if (const char* py = std::getenv("P3D_MESH_CHECK_PYTHON")) {
    const std::string cmd =
        quote(py) + " " +
        quote((test::source_dir() / "tools/mesh_check/check_meshes.py").string()) + " " +
        quote((out / (name + ".obj")).string()) + " " + quote((out / (name + ".ply")).string()) +
        " " + quote((out / (name + ".glb")).string()) + " > /dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << "independent readers disagree on " << name;
  }
}

// All seed portraits plus one broken photo in one folder, batched.
TEST_F(RunCommand, SeedFolderToMeshesWithABrokenInputSkipped) {
  const fs::path in = work_ / "in", out = work_ / "out";
  fs::create_directories(in);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(seeds_)) {
    fs::create_symlink(e.path(), in / e.path().filename());
    const std::string f = e.path().filename().string();
    if (f.size() > 4 && (f.find(".jp") != std::string::npos || f.find(".png") != std::string::npos))
      names.push_back(f.substr(0, f.find('.')));
  }
  ASSERT_FALSE(names.empty());
  // A truncated photo with valid landmarks and mask beside it.
  {
    std::ofstream bad(in / "zz_broken.jpg", std::ios::binary);
    bad << "\xFF\xD8\xFF\xE0 not really a jpeg";
  }
  fs::copy_file(seeds_ / (names[0] + "_landmark.txt"), in / "zz_broken_landmark.txt");
  fs::copy_file(seeds_ / (names[0] + ".mat"), in / "zz_broken.mat");

  const auto r = run_cli("run " + quote(in.string()) + models_args() + " --batch 4 --out " +
                         quote(out.string()));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("zz_broken: FAILED"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("zz_broken.jpg"), std::string::npos) << "the error must name the file\n"
                                                               << r.output;
  EXPECT_NE(r.output.find(std::to_string(names.size()) + " of " + std::to_string(names.size() + 1) +
                          " portraits written"),
            std::string::npos)
      << r.output;
  for (const std::string& name : names) expect_mesh_invariants(out, name);
  EXPECT_FALSE(fs::exists(out / "zz_broken.obj"));
}

// One photo with --save-stages: the records hold the original's fields, consistent with the mesh.
TEST_F(RunCommand, SaveStagesWritesTheOriginalsRecords) {
  const fs::path out = work_ / "stages_out";
  fs::path photo;
  for (const auto& e : fs::directory_iterator(seeds_))
    if (e.path().extension() == ".jpg" || e.path().extension() == ".jpeg") photo = e.path();
  ASSERT_FALSE(photo.empty());
  const std::string name = photo.filename().string().substr(0, photo.filename().string().find('.'));
  const auto r = run_cli("run " + quote(photo.string()) + models_args() +
                         " --save-stages --formats obj --out " + quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const ObjMesh m = read_obj(out / (name + ".obj"));
  MatReader step2((out / "stages" / (name + "_step2.mat")).string());
  for (const char* var : {"img", "mask", "face3d", "face_shape", "face_mask", "input_mask",
                          "points_tri", "points_index", "facemask_withouthair"})
    EXPECT_TRUE(step2.has(var)) << var;
  const MatArray points = step2.read("points_index");
  const long k = static_cast<long>(points.rows);
  ASSERT_EQ(points.cols, 2u);
  const MatArray tri = step2.read("points_tri");
  for (double id : tri.values) ASSERT_TRUE(id >= 1 && id <= k) << id;
  MatReader step3((out / "stages" / (name + "_step3.mat")).string());
  for (const char* var :
       {"hairear_shape", "hairear_texture", "hairear_tri", "face_shape", "face_texture", "face_tri",
        "hairear_index", "facemask_withouthair", "depth", "mask"})
    EXPECT_TRUE(step3.has(var)) << var;
  const MatArray hair = step3.read("hairear_shape");
  ASSERT_EQ(static_cast<long>(hair.rows), k);
  // The OBJ's hair/ear block is step 3's hairear_shape (to the 6 decimals written).
  ASSERT_GE(static_cast<long>(m.vertices.size()), kFaceVertices + k);
  for (long i = 0; i < k; i += 97)
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(m.vertices[kFaceVertices + i][c], hair.values[3 * i + c], 1e-6);
  // Step 2's mask: the stitch pixels are the hair/ear vertices.
  const MatArray input_mask = step2.read("input_mask");
  double on = 0;
  for (double x : input_mask.values) on += x;
  EXPECT_EQ(static_cast<long>(on), k);
}

TEST_F(RunCommand, StopAfterFaceWritesTheStep1Record) {
  const fs::path out = work_ / "face_out";
  fs::path photo;
  for (const auto& e : fs::directory_iterator(seeds_))
    if (e.path().extension() == ".jpg" || e.path().extension() == ".jpeg") photo = e.path();
  const std::string name = photo.filename().string().substr(0, photo.filename().string().find('.'));
  const auto r = run_cli("run " + quote(photo.string()) + models_args() +
                         " --stop-after face --out " + quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  MatReader step1((out / (name + ".mat")).string());
  EXPECT_EQ(step1.read("face3d").size(), 396u);
  EXPECT_FALSE(fs::exists(out / (name + ".obj")));
}

// A manifest of four seed portraits with explicit landmark and mask paths, run as two shards;
// each shard's JSON report names its portraits only; a rerun with --skip-existing skips all.
TEST_F(RunCommand, ManifestShardsSkipExistingAndReport) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(seeds_))
    if (e.path().extension() == ".jpg" || e.path().extension() == ".jpeg")
      names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  names.resize(4);
  const fs::path list = work_ / "list.txt", out = work_ / "manifest_out";
  {
    std::ofstream m(list);
    m << "# photo\tlandmarks\tmask\n";
    for (const std::string& n : names) {
      fs::path photo = seeds_ / (n + ".jpg");
      if (!fs::exists(photo)) photo = seeds_ / (n + ".jpeg");
      m << photo.string() << "\t" << (seeds_ / (n + "_landmark.txt")).string() << "\t"
        << (seeds_ / (n + ".mat")).string() << "\n";
    }
  }
  for (int shard = 0; shard < 2; ++shard) {
    const auto r =
        run_cli("run " + quote(list.string()) + models_args() +
                " --formats obj --batch 2 --shard " + std::to_string(shard) + "/2" + " --json " +
                quote((out / ("report" + std::to_string(shard) + ".json")).string()) + " --out " +
                quote(out.string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("2 of 2 portraits written"), std::string::npos) << r.output;
  }
  for (const std::string& n : names) EXPECT_TRUE(fs::exists(out / (n + ".obj"))) << n;
  std::ifstream report(out / "report1.json");
  const std::string json((std::istreambuf_iterator<char>(report)),
                         std::istreambuf_iterator<char>());
  EXPECT_NE(json.find("\"" + names[1] + "\""), std::string::npos) << json;  // shard 1: 2nd, 4th
  EXPECT_NE(json.find("\"" + names[3] + "\""), std::string::npos) << json;
  EXPECT_EQ(json.find("\"" + names[0] + "\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"p99\""), std::string::npos) << json;
  const auto again = run_cli("run " + quote(list.string()) + models_args() +
                             " --formats obj --skip-existing --out " + quote(out.string()));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("4 skipped"), std::string::npos) << again.output;
}

TEST_F(RunCommand, MissingNetworkIsAClearError) {
  const auto r = run_cli(
      "run " + quote(seeds_.string()) + " --models " + quote((work_ / "no_models").string()) +
      " --bfm " + quote((work_ / "bfm").string()) + " --out " + quote((work_ / "x").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("model_mask3_white_light.pb is missing"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace p3d

namespace p3d {
namespace {

// make-face-model --bfm09: the fake BFM09 release of tests/fixtures/bfm09_fake converted by
// the command equals the numpy transcription's BFM_model_front.mat (variable by variable, as
// float32).
TEST(MakeFaceModel, ConvertsBfm09AsTheOriginal) {
  const fs::path work = fs::temp_directory_path() / ("p3d_bfm09_" + std::to_string(::getpid()));
  const fs::path fixture = test::fixture_dir("bfm09_fake");
  // Auxiliaries that fit the fake model's 7 vertices.
  fs::create_directories(work / "aux");
  {
    std::vector<double> lm(68 * 3);
    for (size_t i = 0; i < lm.size(); ++i)
      lm[i] = 0.01 * static_cast<double>(i % 17) - 0.05 * (i % 3);
    MatWriter((work / "aux" / "similarity_Lm3D_all.mat").string())
        .write("lm", 68, 3, lm.data(), MatClass::kSingle);
    const double center[3] = {0.0, 0.1, -0.2};
    MatWriter((work / "aux" / "center.mat").string())
        .write("head_center", 1, 3, center, MatClass::kDouble);
    const int32_t border[3] = {0, 1, 2};
    MatWriter((work / "aux" / "border_index.mat").string())
        .write("border_index", 3, 1, border, MatClass::kInt32);
  }
  const auto r =
      run_cli("make-face-model --bfm09 " + quote((fixture / "raw").string()) + " --index " +
              quote((fixture / "index").string()) + " --aux " + quote((work / "aux").string()) +
              " --out " + quote((work / "conv").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Basel Face Model 2009"), std::string::npos) << r.output;
  MatReader ours((work / "conv" / "BFM_model_front.mat").string());
  MatReader expected((fixture / "expected_BFM_model_front.mat").string());
  for (const char* var : {"meanshape", "idBase", "exBase", "meantex", "texBase", "tri"}) {
    const MatArray a = ours.read(var), b = expected.read(var);
    EXPECT_EQ(a.rows, b.rows) << var;
    EXPECT_EQ(a.cols, b.cols) << var;
    // Compared as float32: the original keeps exBase in float64, we write the float32 values.
    ASSERT_EQ(a.values.size(), b.values.size()) << var;
    size_t mismatches = 0;
    for (size_t i = 0; i < a.values.size(); ++i)
      mismatches += static_cast<float>(a.values[i]) != static_cast<float>(b.values[i]);
    EXPECT_EQ(mismatches, 0u) << var;
  }
  const auto bad = run_cli("make-face-model --bfm09 " + quote((fixture / "raw").string()) +
                           " --out " + quote((work / "x").string()));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("--index"), std::string::npos) << bad.output;
  fs::remove_all(work);
}

}  // namespace
}  // namespace p3d
