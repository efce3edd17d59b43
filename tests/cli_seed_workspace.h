// What the end-to-end CLI suites share: the seed examples folder, a temporary work folder
// with a synthetic face model made by `portrait3d make-face-model`, and the flags that point
// `run` at the committed TensorFlow-made stand-in networks (reduced widths, fed full-size
// inputs through the importer's shape replacement) on the CPU.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/cli_runner.h"
#include "tests/test_paths.h"

namespace p3d::test {

struct SeedWorkspace {
  std::filesystem::path seeds, work;
  bool model_ok = false;
  std::string model_log;

  // Creates the work folder <tmp>/<prefix>_<pid> with the face model in work/bfm; does
  // nothing when the seed examples are absent (have_seeds() then says so).
  void set_up(const std::string& prefix) {
    seeds = shared_dir() / "seed-examples";
    if (!have_seeds()) return;
    work = std::filesystem::temp_directory_path() / (prefix + "_" + std::to_string(::getpid()));
    std::filesystem::create_directories(work);
    const CliResult r = run_cli("make-face-model --out " + quote((work / "bfm").string()));
    model_ok = r.exit_code == 0;
    model_log = r.output;
  }
  void tear_down() {
    if (!work.empty()) std::filesystem::remove_all(work);
  }
  bool have_seeds() const { return std::filesystem::is_directory(seeds); }

  // --rnet/--depth-net (the stand-ins), --bfm (work/bfm), the coefficient override, CPU.
  std::string model_args(const std::string& coeff_override = "zero") const {
    const std::filesystem::path tf = fixture_dir("tf");
    return " --rnet " + quote((tf / "rnet_reduced" / "graph.pb").string()) + " --depth-net " +
           quote((tf / "depth_net_reduced" / "graph.pb").string()) + " --bfm " +
           quote((work / "bfm").string()) + " --coeff-override " + coeff_override + " --device cpu";
  }
};

// A test suite sharing one SeedWorkspace, made before its first test in the work folder
// <tmp>/<Suite::kWorkPrefix>_<pid> and removed after its last. Each test is skipped without
// the seed examples or what missing_requirement() names, and fails when the face model could
// not be made. CRTP (class RunCommand : public SeedWorkspaceSuite<RunCommand>): every suite
// gets a workspace of its own.
template <typename Suite>
class SeedWorkspaceSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ws_.set_up(Suite::kWorkPrefix);
    seeds_ = ws_.seeds;
    work_ = ws_.work;
  }
  static void TearDownTestSuite() { ws_.tear_down(); }
  void SetUp() override {
    if (!ws_.have_seeds()) GTEST_SKIP() << "seed examples not found at " << seeds_;
    const std::string missing = missing_requirement();
    if (!missing.empty()) GTEST_SKIP() << missing;
    ASSERT_TRUE(ws_.model_ok) << ws_.model_log;
  }
  // What else the suite needs, when absent (empty: nothing missing).
  virtual std::string missing_requirement() const { return std::string(); }

  static std::string models_args() { return ws_.model_args("zero"); }

  static inline SeedWorkspace ws_;
  static inline std::filesystem::path seeds_, work_;
};

}  // namespace p3d::test
