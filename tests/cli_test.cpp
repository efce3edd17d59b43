// End-to-end tests of the `portrait3d` program's inspect and infer commands: the built binary
// runs on the committed TensorFlow fixtures as a user would run it, and its saved .npy
// outputs are compared with what TensorFlow computed. Error cases check the exit code and
// that the message names the problem.
//
// The binary is found through P3D_CLI (environment) or the path CMake compiled in; the
// fixtures through P3D_SOURCE_DIR (as for the importer tests).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>

#include "engine/backend.h"
#include "importer/npy.h"
#include "importer/tensorflow_graph.pb.h"
#include "tests/cli_runner.h"
#include "tests/support/compare.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

fs::path source_dir() { return env_or("P3D_SOURCE_DIR", P3D_DEFAULT_SOURCE_DIR); }
fs::path fixture(const std::string& name) { return source_dir() / "tests/fixtures/tf" / name; }

using test::cli_path;
using test::expect_failure_naming;
using test::quote;
using test::run_cli;
using Result = test::CliResult;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(cli_path())) << "portrait3d binary not found at " << cli_path();
    ASSERT_TRUE(fs::exists(fixture("rnet_reduced/graph.pb")))
        << "fixtures not found under " << source_dir();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("p3d_cli_test_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs infer on a fixture and compares every saved output with TensorFlow's.
  void check_infer(const std::string& name, const std::string& input, const std::string& output,
                   double relative_tolerance) {
    const fs::path f = fixture(name);
    const fs::path save = dir_ / "out";
    const Result r =
        run_cli("infer " + quote((f / "graph.pb").string()) + " --input " +
                quote(input + "=" + (f / ("input_" + input + ".npy")).string()) + " --output " +
                output + " --save " + quote(save.string()) + " --repeat 2 --profile --threads 1");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("timing"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("items/s"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("profile:"), std::string::npos) << r.output;
    const fs::path saved = save / (output + ".npy");
    ASSERT_TRUE(fs::exists(saved)) << r.output;
    const Tensor got = read_npy(saved.string());
    const Tensor want = read_npy((f / ("expected_" + output + ".npy")).string());
    ASSERT_EQ(got.shape(), want.shape());
    // Worst element relative to the output's scale (so elements near zero do not dominate),
    // and the whole by NMSE.
    double scale = 0;
    const float* w = want.data<float>();
    for (int64_t i = 0; i < want.numel(); ++i)
      scale = std::max(scale, std::fabs(static_cast<double>(w[i])));
    const test::Comparison close =
        test::compare(got, want, test::Tolerance::close(relative_tolerance * scale, 0.0));
    EXPECT_TRUE(close.ok) << close.describe();
    const test::Comparison nmse = test::compare(got, want, test::Tolerance::nmse(1e-6));
    EXPECT_TRUE(nmse.ok) << nmse.describe();
  }

  fs::path dir_;
};

// rnet_reduced amplifies float32 rounding (a one-ulp input nudge moves `coeff` by ~3e-4 of
// its scale; see GoldenRnet.AmplifiesRounding in importer_golden_test.cpp), so any engine
// summing in another order than TensorFlow lands ~2e-4 away: its element bound is the
// importer tests' 5e-3, with NMSE (measured ~4e-8) as the tight check. The depth net agrees
// to ~4e-6 and gets 1e-4.
TEST_F(CliTest, InferRnetMatchesTensorFlow) {
  check_infer("rnet_reduced", "input_imgs", "coeff", 5e-3);
}

TEST_F(CliTest, InferDepthNetMatchesTensorFlow) {
  check_infer("depth_net_reduced", "inputs", "depth_map", 1e-4);
}

TEST_F(CliTest, InspectPrintsHistogramAndLayers) {
  const Result r = run_cli("inspect " + quote(fixture("rnet_reduced/graph.pb").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // tests/fixtures/tf/rnet_reduced/meta.json's op histogram.
  const std::map<std::string, int> histogram{
      {"Const", 287},  {"Identity", 282}, {"Conv2D", 61},    {"FusedBatchNormV3", 53}, {"Relu", 49},
      {"AddV2", 16},   {"BiasAdd", 8},    {"Squeeze", 8},    {"MaxPool", 4},           {"Pad", 4},
      {"ConcatV2", 1}, {"Mean", 1},       {"Placeholder", 1}};
  for (const auto& [op, count] : histogram) {
    const std::regex line("\n +" + op + " +" + std::to_string(count) + "\n");
    EXPECT_TRUE(std::regex_search(r.output, line))
        << "no histogram line for " << op << " " << count << "\n"
        << r.output;
  }
  EXPECT_NE(r.output.find("unsupported ops: none"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("input_imgs"), std::string::npos);
  EXPECT_NE(r.output.find("[?,48,48,3]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("layers after fusion"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("FLOP per run"), std::string::npos) << r.output;
}

TEST_F(CliTest, InspectListsUnsupportedOpsAndFails) {
  tf::GraphDef def;
  tf::NodeDef* input = def.add_node();
  input->set_name("x");
  input->set_op("Placeholder");
  (*input->mutable_attr())["dtype"].set_type(tf::DT_FLOAT);
  auto* shape = (*input->mutable_attr())["shape"].mutable_shape();
  for (int64_t d : {1, 4, 4, 3}) shape->add_dim()->set_size(d);
  for (const char* name : {"odd_a", "odd_b"}) {
    tf::NodeDef* node = def.add_node();
    node->set_name(name);
    node->set_op("NoSuchOpAnywhere");
    node->add_input("x");
  }
  const fs::path path = dir_ / "unsupported.pb";
  std::ofstream(path, std::ios::binary) << def.SerializeAsString();
  const Result r = run_cli("inspect " + quote(path.string()));
  expect_failure_naming(r, {"NoSuchOpAnywhere", "odd_a"});
  EXPECT_TRUE(std::regex_search(r.output, std::regex("NoSuchOpAnywhere +2 +odd_a, odd_b")))
      << r.output;
}

TEST_F(CliTest, MissingGraphFileIsNamed) {
  const std::string missing = (dir_ / "no_such_graph.pb").string();
  for (const std::string& args :
       {"inspect " + quote(missing), "infer " + quote(missing) + " --input x=y.npy"}) {
    const Result r = run_cli(args);
    expect_failure_naming(r, {"no_such_graph.pb", "no such file"});
  }
}

TEST_F(CliTest, WrongInputNameListsTheRealOnes) {
  const fs::path f = fixture("rnet_reduced");
  const Result r = run_cli("infer " + quote((f / "graph.pb").string()) + " --input " +
                           quote("images=" + (f / "input_input_imgs.npy").string()));
  expect_failure_naming(r, {"unknown input 'images'", "input_imgs"});
}

TEST_F(CliTest, MissingInputFileIsNamed) {
  const fs::path f = fixture("rnet_reduced");
  const Result r = run_cli("infer " + quote((f / "graph.pb").string()) + " --input " +
                           quote("input_imgs=" + (dir_ / "absent.npy").string()));
  expect_failure_naming(r, {"absent.npy", "no such file"});
}

TEST_F(CliTest, InputRankAndDtypeMismatchesAreNamed) {
  const fs::path f = fixture("rnet_reduced");
  const fs::path rank3 = dir_ / "rank3.npy";
  write_npy(rank3.string(), Tensor::empty({48, 48, 3}, DType::F32));
  Result r = run_cli("infer " + quote((f / "graph.pb").string()) + " --input " +
                     quote("input_imgs=" + rank3.string()));
  expect_failure_naming(r, {"rank"});

  const fs::path ints = dir_ / "ints.npy";
  write_npy(ints.string(), Tensor::empty({1, 48, 48, 3}, DType::I32));
  r = run_cli("infer " + quote((f / "graph.pb").string()) + " --input " +
              quote("input_imgs=" + ints.string()));
  expect_failure_naming(r, {"i32", "DT_FLOAT"});
}

TEST_F(CliTest, UnknownOutputIsNamed) {
  const fs::path f = fixture("rnet_reduced");
  const Result r = run_cli("infer " + quote((f / "graph.pb").string()) + " --input " +
                           quote("input_imgs=" + (f / "input_input_imgs.npy").string()) +
                           " --output no_such_node");
  expect_failure_naming(r, {"unknown output 'no_such_node'", "coeff"});
}

TEST_F(CliTest, CudaWithoutGpuSaysWhy) {
  std::string reason;
  if (cuda_available(&reason)) GTEST_SKIP() << "a GPU is present";
  const fs::path f = fixture("rnet_reduced");
  const Result r =
      run_cli("infer " + quote((f / "graph.pb").string()) + " --input " +
              quote("input_imgs=" + (f / "input_input_imgs.npy").string()) + " --device cuda");
  expect_failure_naming(r, {"CUDA is not available", reason});
}

}  // namespace
}  // namespace p3d
