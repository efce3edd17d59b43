// End-to-end test of `portrait3d demo` as a fresh machine runs it: an empty cache folder
// (P3D_CACHE_DIR), nothing downloaded. The first run generates the stand-ins, synthesises
// the portrait and writes the mesh, previews and overlay; the second reuses the cache.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli_runner.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;
using test::quote;
using test::run_cli;

class DemoCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = fs::temp_directory_path() / ("p3d_demo_test_" + std::to_string(::getpid()));
    fs::remove_all(work_);
    fs::create_directories(work_);
  }
  void TearDown() override {
    if (!work_.empty()) fs::remove_all(work_);
  }
  // Runs from inside `work_/elsewhere`, so the cache is found by its path alone.
  test::CliResult demo(const fs::path& out) {
    const fs::path cwd = work_ / "elsewhere";
    fs::create_directories(cwd);
    const fs::path previous = fs::current_path();
    fs::current_path(cwd);
    test::CliResult r = run_cli("demo --out " + quote(out.string()) + " --device cpu");
    fs::current_path(previous);
    return r;
  }
  fs::path work_;
};

// The OBJ's vertex and face line counts; `bad_ids` counts face ids outside [1, vertices].
struct ObjSummary {
  long vertices = 0, faces = 0, bad_ids = 0;
  bool operator==(const ObjSummary& o) const {
    return vertices == o.vertices && faces == o.faces && bad_ids == o.bad_ids;
  }
};
ObjSummary read_obj(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  ObjSummary s;
  std::vector<long> ids;
  while (std::getline(in, line)) {
    if (line.rfind("v ", 0) == 0) ++s.vertices;
    if (line.rfind("f ", 0) == 0) {
      ++s.faces;
      std::istringstream ss(line.substr(2));
      long id = 0;
      while (ss >> id) ids.push_back(id);
    }
  }
  for (long id : ids) s.bad_ids += id < 1 || id > s.vertices;
  return s;
}

TEST_F(DemoCommand, FreshCacheThenReuse) {
  const fs::path cache = work_ / "cache";
  ASSERT_EQ(setenv("P3D_CACHE_DIR", cache.c_str(), 1), 0);
  const fs::path out1 = work_ / "out1";
  const test::CliResult first = demo(out1);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("generated the stand-in"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("do not reconstruct"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("model_mask3_white_light.pb"), std::string::npos);
  for (const char* f : {"demo.obj", "demo.ply", "demo.glb", "demo_preview.png", "demo_overlay.png",
                        "demo_depth.png", "demo_mask.png", "demo_crop.png", "input/demo.png",
                        "input/demo_landmark.txt", "input/demo.mat"}) {
    EXPECT_TRUE(fs::is_regular_file(out1 / f)) << f << "\n" << first.output;
    if (fs::is_regular_file(out1 / f)) {
      EXPECT_GT(fs::file_size(out1 / f), 100u) << f;
    }
  }
  // The mesh holds the face (35,709 vertices) and a hair/ear part, its ids in range.
  const ObjSummary mesh = read_obj(out1 / "demo.obj");
  EXPECT_GT(mesh.vertices, 35709 + 1000);
  EXPECT_GT(mesh.faces, 70789);
  EXPECT_EQ(mesh.bad_ids, 0);
  EXPECT_TRUE(fs::is_regular_file(cache / "standin-v1" / "COMPLETE"));

  const fs::path out2 = work_ / "out2";
  const test::CliResult second = demo(out2);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("reusing the stand-in"), std::string::npos) << second.output;
  EXPECT_TRUE(fs::is_regular_file(out2 / "demo.obj"));
  // Same inputs, same networks: the same mesh.
  EXPECT_TRUE(read_obj(out2 / "demo.obj") == mesh);
  unsetenv("P3D_CACHE_DIR");
}

TEST_F(DemoCommand, BadDeviceIsRefusedByName) {
  const test::CliResult r = run_cli("demo --out " + quote((work_ / "o").string()) +
                                    " --device tpu --cache " + quote((work_ / "c").string()));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--device"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace p3d
