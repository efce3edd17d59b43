// A batch with damaged inputs loses those and changes nothing else: `portrait3d run` on a
// folder of the four smallest seed portraits, then on the same four with damaged portraits
// mixed in (a .mat cut to half, to 300 bytes and to 90 %, a byte flipped in a .mat's
// compressed data, a truncated JPEG, a text file named .jpg, NaN landmarks, a mask of the
// wrong size). Checked: every file the good portraits get is byte-identical between the two
// runs, the damaged ones get no output, and the report names each damaged portrait with its
// reason. Runs the built CLI as cli_run_test does (the synthetic face model, the reduced
// stand-in networks); skips without ../shared/seed-examples.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "pipeline/mat_record.h"
#include "tests/cli_runner.h"
#include "tests/cli_seed_workspace.h"
#include "tests/support/test_files.h"
#include "tests/test_paths.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;
using test::quote;
using test::run_cli;

using test::first_bytes;
using test::read_bytes;
using test::write_bytes;

// One damaged portrait: its name and what the report must say about it.
struct Damaged {
  std::string name;
  std::string reason;  // a substring of the FAILED line
};

// The report line of one portrait ("  NAME: FAILED: reason"), or "" when absent.
std::string failed_line(const std::string& output, const std::string& name) {
  const std::string key = "  " + name + ": FAILED";
  const size_t at = output.find(key);
  if (at == std::string::npos) return "";
  return output.substr(at, output.find('\n', at) - at);
}

TEST(CliDamagedInputs, GoodOutputsUnchangedAndDamagedNamed) {
  test::SeedWorkspace ws;
  ws.set_up("p3d_damaged");
  if (!ws.have_seeds()) GTEST_SKIP() << "seed examples not found at " << ws.seeds;
  ASSERT_TRUE(ws.model_ok) << ws.model_log;
  const fs::path seeds = ws.seeds, work = ws.work;

  // The four smallest photos (quickest to run) with a landmark file and a mask beside them.
  std::vector<fs::path> photos;
  for (const auto& e : fs::directory_iterator(seeds)) {
    const std::string ext = e.path().extension().string();
    if (ext != ".jpg" && ext != ".jpeg") continue;
    const std::string stem = e.path().stem().string();
    if (fs::exists(seeds / (stem + "_landmark.txt")) && fs::exists(seeds / (stem + ".mat")))
      photos.push_back(e.path());
  }
  ASSERT_GE(photos.size(), 4u);
  std::sort(photos.begin(), photos.end(), [](const fs::path& a, const fs::path& b) {
    return fs::file_size(a) < fs::file_size(b);
  });
  photos.resize(4);

  const fs::path good_in = work / "good", mixed_in = work / "mixed";
  fs::create_directories(good_in);
  fs::create_directories(mixed_in);
  std::vector<std::string> good;
  for (const fs::path& p : photos) {
    const std::string stem = p.stem().string();
    good.push_back(stem);
    for (const fs::path& dir : {good_in, mixed_in})
      for (const std::string& f : {p.filename().string(), stem + "_landmark.txt", stem + ".mat"})
        fs::copy_file(seeds / f, dir / f);
  }

  // Damaged portraits built from the first good portrait's files (A).
  const std::string a = good[0];
  const std::string a_photo = photos[0].filename().string();
  const std::vector<uint8_t> a_jpeg = read_bytes(seeds / a_photo);
  const std::vector<uint8_t> a_mat = read_bytes(seeds / (a + ".mat"));
  const std::vector<uint8_t> a_landmarks = read_bytes(seeds / (a + "_landmark.txt"));
  std::vector<Damaged> damaged;
  auto add = [&](const std::string& name, const std::vector<uint8_t>& jpeg,
                 const std::vector<uint8_t>& landmarks, const std::vector<uint8_t>& mat,
                 const std::string& reason) {
    write_bytes(mixed_in / (name + ".jpg"), jpeg);
    write_bytes(mixed_in / (name + "_landmark.txt"), landmarks);
    write_bytes(mixed_in / (name + ".mat"), mat);
    damaged.push_back({name, reason});
  };
  add("zz_mat_half", a_jpeg, a_landmarks, first_bytes(a_mat, a_mat.size() / 2), "truncated");
  add("zz_mat_300", a_jpeg, a_landmarks, first_bytes(a_mat, 300), "truncated");
  add("zz_mat_90pc", a_jpeg, a_landmarks, first_bytes(a_mat, a_mat.size() * 9 / 10), "truncated");
  {
    std::vector<uint8_t> flipped = a_mat;
    flipped[flipped.size() / 2] ^= 0x5A;  // inside the compressed mask
    add("zz_mat_flipped", a_jpeg, a_landmarks, flipped, "zz_mat_flipped.mat");
  }
  add("zz_jpeg_half", first_bytes(a_jpeg, a_jpeg.size() / 2), a_landmarks, a_mat, "truncated");
  {
    const std::string text = "this is not a photo\n";
    add("zz_jpeg_text", std::vector<uint8_t>(text.begin(), text.end()), a_landmarks, a_mat,
        "not a JPEG or PNG");
  }
  {
    std::string lm(a_landmarks.begin(), a_landmarks.end());
    lm.replace(0, lm.find_first_of(" \t\n"), "nan");
    add("zz_landmarks_nan", a_jpeg, std::vector<uint8_t>(lm.begin(), lm.end()), a_mat, "finite");
  }
  {
    // A well-formed 10 x 12 mask beside a photo of another size.
    const fs::path small = work / "small_mask.mat";
    const std::vector<uint8_t> labels(10 * 12, 1);
    MatRecordWriter writer(small.string());
    writer.write_u8("mask", labels.data(), {10, 12});
    writer.close();
    add("zz_mask_wrong_size", a_jpeg, a_landmarks, read_bytes(small),
        "mask is 12x10 (width x height) but the photo is");
  }

  const std::string models = ws.model_args("damped") + " --batch 4";
  const fs::path good_out = work / "good_out", mixed_out = work / "mixed_out";
  const auto clean =
      run_cli("run " + quote(good_in.string()) + models + " --out " + quote(good_out.string()));
  ASSERT_EQ(clean.exit_code, 0) << clean.output;
  const auto mixed =
      run_cli("run " + quote(mixed_in.string()) + models + " --out " + quote(mixed_out.string()));
  EXPECT_EQ(mixed.exit_code, 1) << "damaged inputs must make the exit code say so\n"
                                << mixed.output;

  // Every damaged portrait is named with its reason, and gets no output.
  for (const Damaged& d : damaged) {
    const std::string line = failed_line(mixed.output, d.name);
    EXPECT_FALSE(line.empty()) << d.name << " not reported as failed\n" << mixed.output;
    EXPECT_NE(line.find(d.reason), std::string::npos) << d.name << ": " << line;
    EXPECT_FALSE(fs::exists(mixed_out / (d.name + ".obj"))) << d.name;
  }
  EXPECT_NE(mixed.output.find("summary: 4 of " + std::to_string(4 + damaged.size()) +
                              " portraits written"),
            std::string::npos)
      << mixed.output;

  // Every file the clean run wrote is in the mixed run's output, byte for byte.
  size_t compared = 0;
  for (const auto& e : fs::recursive_directory_iterator(good_out)) {
    if (!e.is_regular_file()) continue;
    const fs::path rel = fs::relative(e.path(), good_out);
    const fs::path other = mixed_out / rel;
    ASSERT_TRUE(fs::exists(other)) << rel << " missing from the mixed run";
    EXPECT_TRUE(read_bytes(e.path()) == read_bytes(other)) << rel << " differs";
    ++compared;
  }
  EXPECT_GE(compared, 4u * 8u) << "expected the 8 files of each of the 4 good portraits";
  for (const std::string& name : good) EXPECT_TRUE(fs::exists(good_out / (name + ".obj"))) << name;
  ws.tear_down();
}

}  // namespace
}  // namespace p3d
