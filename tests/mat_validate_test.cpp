// Corrupt and truncated .mat files are refused, never read as data (pipeline/mat_validate.h,
// through MatReader and the step-1 record reader). matio alone returns what it inflated
// before a broken compressed stream, so a mask cut short read as all zeros without a word.
// Checked here:
//  * a mask written by MatRecordWriter (compressed, as scipy's savemat(do_compression=True)),
//    and a real seed mask when ../shared/seed-examples is present, cut at every 1/32 of its
//    length (and at 300 bytes, 50 % and 90 %) and with bytes flipped all through its
//    compressed data: every result is refused with an error naming the file, or decodes to
//    exactly the original array (the pattern the test wrote, or the untouched file's values);
//  * each kind of damage gets the message that says what is wrong: compressed stream ended
//    early, checksum mismatch, element count short of the dims, a declared 10^12-element
//    array over the input cap (refused before allocating);
//  * every array kind scipy writes (cell, struct, char, sparse, complex, empty) is accepted
//    with the dims scipy wrote, and refused when cut;
//  * the face model, its auxiliary files and the step-1 record reader refuse truncated
//    files too.
#include "pipeline/mat_validate.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "pipeline/face_model.h"
#include "pipeline/input_limits.h"
#include "pipeline/mat_file.h"
#include "pipeline/mat_record.h"
#include "pipeline/step1_record.h"
#include "tests/support/expect_error.h"
#include "tests/support/test_files.h"
#include "tests/test_paths.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;

using test::first_bytes;
using test::read_bytes;
using test::write_bytes;

uint32_t u32_at(const std::vector<uint8_t>& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}

fs::path temp_dir() {
  const fs::path dir =
      fs::temp_directory_path() / ("p3d_mat_validate_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

// A label pattern like a face-parsing mask: bands of 0..5 with a diagonal edge.
std::vector<uint8_t> label_pattern(size_t rows, size_t cols) {
  std::vector<uint8_t> m(rows * cols);
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) m[r * cols + c] = static_cast<uint8_t>(((r + 2 * c) / 7) % 6);
  return m;
}

// The outcome of reading variable 'mask': refused (with the message) or its values.
struct Outcome {
  bool refused = false;
  std::string message;
  std::vector<double> values;
  size_t rows = 0, cols = 0;
};

Outcome read_mask(const fs::path& path) {
  Outcome o;
  try {
    MatReader reader(path.string());
    MatArray a = reader.read("mask");
    o.values = a.values;
    o.rows = a.rows;
    o.cols = a.cols;
  } catch (const Error& e) {
    o.refused = true;
    o.message = e.what();
  }
  return o;
}

// Every cut and every flip is refused naming the file, or decodes to `want` exactly.
// At most `max_flips` positions (evenly spread) are flipped, two ways each.
void expect_refused_or_exact(const fs::path& original, const std::vector<double>& want, size_t rows,
                             size_t cols, size_t max_flips) {
  const std::vector<uint8_t> bytes = read_bytes(original);
  ASSERT_GT(bytes.size(), 200u);
  const fs::path damaged = temp_dir() / ("damaged_" + original.filename().string());
  auto check = [&](const std::vector<uint8_t>& variant, const std::string& how) {
    write_bytes(damaged, variant);
    const Outcome o = read_mask(damaged);
    if (o.refused) {
      EXPECT_NE(o.message.find(damaged.string()), std::string::npos) << how << ": " << o.message;
    } else {
      EXPECT_EQ(o.rows, rows) << how;
      EXPECT_EQ(o.cols, cols) << how;
      EXPECT_EQ(o.values, want) << how << ": read as data that differs from the original";
    }
    return o.refused;
  };
  // Cuts at every 1/32, plus the sizes the issue names.
  std::vector<size_t> cuts;
  for (size_t k = 0; k < 32; ++k) cuts.push_back(bytes.size() * k / 32);
  cuts.push_back(300);
  cuts.push_back(bytes.size() / 2);
  cuts.push_back(bytes.size() * 9 / 10);
  cuts.push_back(bytes.size() - 1);
  for (size_t cut : cuts) {
    const std::vector<uint8_t> cut_bytes(bytes.begin(), bytes.begin() + cut);
    EXPECT_TRUE(check(cut_bytes, "cut to " + std::to_string(cut) + " bytes"))
        << "a file cut to " << cut << " of " << bytes.size() << " bytes was read";
  }
  // Flips all through the first variable's compressed data (after its 8-byte tag).
  ASSERT_EQ(u32_at(bytes, 128), 15u) << "expected an miCOMPRESSED first variable";
  const size_t begin = 136, end = 136 + u32_at(bytes, 132);
  size_t refused = 0, tried = 0;
  const size_t flip_stride = std::max<size_t>(1, (end - begin) / max_flips);
  for (size_t at = begin; at < end; at += flip_stride) {
    for (uint8_t mask : {uint8_t{0xFF}, uint8_t{0x01}}) {
      std::vector<uint8_t> flipped = bytes;
      flipped[at] ^= mask;
      refused += check(flipped, "byte " + std::to_string(at) + " xor " + std::to_string(mask));
      ++tried;
    }
  }
  // A flip that still decodes to the same array is possible (an unused header bit) but rare.
  EXPECT_GT(refused, tried * 9 / 10) << refused << " of " << tried << " flips refused";
  fs::remove(damaged);
}

class MatValidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir();
    mask_path_ = dir_ / "written_mask.mat";
    pattern_ = label_pattern(kRows, kCols);
    MatRecordWriter writer(mask_path_.string());
    writer.write_u8("mask", pattern_.data(), {kRows, kCols});
    writer.close();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<double> pattern_doubles() const {
    return std::vector<double>(pattern_.begin(), pattern_.end());
  }

  static constexpr size_t kRows = 90, kCols = 70;
  fs::path dir_, mask_path_;
  std::vector<uint8_t> pattern_;
};

TEST_F(MatValidateTest, IntactWrittenMaskReadsBack) {
  const Outcome o = read_mask(mask_path_);
  ASSERT_FALSE(o.refused) << o.message;
  EXPECT_EQ(o.rows, kRows);
  EXPECT_EQ(o.cols, kCols);
  EXPECT_EQ(o.values, pattern_doubles());
  const MatFileInfo info = validate_mat_file(mask_path_.string());
  ASSERT_EQ(info.variables.size(), 1u);
  EXPECT_EQ(info.variables[0].name, "mask");
  EXPECT_TRUE(info.variables[0].compressed);
  EXPECT_EQ(info.variables[0].dims, (std::vector<uint64_t>{kRows, kCols}));
}

TEST_F(MatValidateTest, WrittenMaskCutOrFlippedIsRefusedOrExact) {
  expect_refused_or_exact(mask_path_, pattern_doubles(), kRows, kCols, 100000);
}

TEST(MatValidateSeed, SeedMaskCutOrFlippedIsRefusedOrExact) {
  const fs::path seeds = test::shared_dir() / "seed-examples";
  if (!fs::is_directory(seeds)) GTEST_SKIP() << "no seed examples at " << seeds;
  for (const char* name : {"1_1234.mat", "26_0273.mat"}) {
    const fs::path path = seeds / name;
    if (!fs::exists(path)) continue;
    const Outcome original = read_mask(path);
    ASSERT_FALSE(original.refused) << original.message;
    // A real mask: labels 0..5 and not all background.
    double sum = 0;
    for (double v : original.values) {
      ASSERT_TRUE(v >= 0 && v <= 5 && v == static_cast<int>(v)) << v;
      sum += v;
    }
    EXPECT_GT(sum, 0);
    expect_refused_or_exact(path, original.values, original.rows, original.cols, 150);
  }
  fs::remove_all(temp_dir());
}

TEST_F(MatValidateTest, MessagesSayWhatIsWrong) {
  const std::vector<uint8_t> bytes = read_bytes(mask_path_);
  const fs::path bad = dir_ / "bad.mat";
  auto message = [&](const std::vector<uint8_t>& variant) {
    write_bytes(bad, variant);
    const Outcome o = read_mask(bad);
    EXPECT_TRUE(o.refused);
    EXPECT_NE(o.message.find(bad.string()), std::string::npos) << o.message;
    return o.message;
  };
  // Cut at 50 %: the element's declared size runs past the end of the file.
  {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + bytes.size() / 2);
    EXPECT_NE(message(cut).find("truncated"), std::string::npos);
  }
  // The compressed stream cut short with its tag patched to match: the stream ends early.
  {
    const uint32_t size = u32_at(bytes, 132);
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + 136 + size / 2);
    const uint32_t half = size / 2;
    std::memcpy(cut.data() + 132, &half, 4);
    EXPECT_NE(message(cut).find("compressed stream ended early"), std::string::npos);
  }
  // The adler32 trailer (the stream's last 4 bytes) flipped: checksum mismatch.
  {
    std::vector<uint8_t> flipped = bytes;
    flipped[136 + u32_at(bytes, 132) - 2] ^= 0x40;
    EXPECT_NE(message(flipped).find("checksum mismatch"), std::string::npos);
  }
  // Not a MAT file at all, and an empty one.
  EXPECT_NE(message(std::vector<uint8_t>(200, 'x'))
                .find("cannot open as a MATLAB .mat file: no v5 endian"),
            std::string::npos);
  EXPECT_NE(message({}).find("empty"), std::string::npos);
}

// An uncompressed double array (MatWriter, as scipy's savemat default) whose dims are
// patched: larger than its data holds, and 10^6 x 10^6 (10^12 elements, over the cap).
TEST_F(MatValidateTest, UncompressedDimsAgainstDataAndCap) {
  const fs::path good = dir_ / "plain.mat";
  const std::vector<double> values = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  {
    MatWriter writer(good.string());
    writer.write("mask", 3, 4, values.data(), MatClass::kDouble);
    writer.close();
  }
  std::vector<uint8_t> bytes = read_bytes(good);
  // Layout: header 128, miMATRIX tag 8, array flags 16, dims tag 8, then rows and cols.
  ASSERT_EQ(u32_at(bytes, 128), 14u);
  ASSERT_EQ(u32_at(bytes, 152), 5u);  // miINT32 dims
  ASSERT_EQ(u32_at(bytes, 160), 3u);
  ASSERT_EQ(u32_at(bytes, 164), 4u);
  const Outcome intact = read_mask(good);
  ASSERT_FALSE(intact.refused) << intact.message;
  EXPECT_EQ(intact.values, values);

  const fs::path bad = dir_ / "plain_bad.mat";
  const uint32_t five = 5;
  std::memcpy(bytes.data() + 164, &five, 4);
  write_bytes(bad, bytes);
  Outcome o = read_mask(bad);
  ASSERT_TRUE(o.refused);
  EXPECT_NE(o.message.find("dims declare 15 elements"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("variable 'mask'"), std::string::npos) << o.message;

  const uint32_t million = 1000000;
  std::memcpy(bytes.data() + 160, &million, 4);
  std::memcpy(bytes.data() + 164, &million, 4);
  write_bytes(bad, bytes);
  o = read_mask(bad);
  ASSERT_TRUE(o.refused);
  EXPECT_NE(o.message.find("1000000 x 1000000"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("input cap"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("8000000000000 bytes"), std::string::npos) << o.message;

  // A lower cap refuses even the intact file; the default accepts it again.
  const InputLimits saved = input_limits();
  InputLimits tiny;
  tiny.max_bytes = 64;
  set_input_limits(tiny);
  o = read_mask(good);
  set_input_limits(saved);
  ASSERT_TRUE(o.refused);
  EXPECT_NE(o.message.find("3 x 4 needs 96 bytes, more than the input cap of 64"),
            std::string::npos)
      << o.message;
  EXPECT_FALSE(read_mask(good).refused);
}

// A function-handle (or opaque) variable is not read, but matio sizes an array of element
// pointers from its dims before anything else: dims the bytes cannot back are refused (a
// fuzzer's file made matio allocate 1.9 GB here).
TEST_F(MatValidateTest, FunctionHandleDimsMustBeBackedByBytes) {
  const fs::path good = dir_ / "plain.mat";
  const std::vector<double> values(12, 1.0);
  {
    MatWriter writer(good.string());
    writer.write("mask", 3, 4, values.data(), MatClass::kDouble);
    writer.close();
  }
  std::vector<uint8_t> bytes = read_bytes(good);
  ASSERT_EQ(u32_at(bytes, 136), 6u);  // the array flags, miUINT32; the class is byte 144
  bytes[144] = 16;                    // mxFUNCTION_CLASS
  const uint32_t rows = 65547, cols = 3584;
  std::memcpy(bytes.data() + 160, &rows, 4);
  std::memcpy(bytes.data() + 164, &cols, 4);
  const fs::path bad = dir_ / "function_handle.mat";
  write_bytes(bad, bytes);
  const Outcome o = read_mask(bad);
  ASSERT_TRUE(o.refused);
  EXPECT_NE(o.message.find("a function handle of 65547 x 3584 needs 234920448 elements"),
            std::string::npos)
      << o.message;
}

// A compressed variable whose inner tag claims more than the cap is refused before the
// inflate buffer is allocated: the claim is in the first 8 inflated bytes.
TEST_F(MatValidateTest, CompressedDeclaredSizeOverCap) {
  const InputLimits saved = input_limits();
  InputLimits small;
  small.max_bytes = 1000;  // the mask inflates to about 6.5 KB
  set_input_limits(small);
  const Outcome o = read_mask(mask_path_);
  set_input_limits(saved);
  ASSERT_TRUE(o.refused);
  EXPECT_NE(o.message.find("compressed variable inflating to"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("input cap of 1000"), std::string::npos) << o.message;
}

// Every array kind scipy writes (tests/fixtures/mat_validate, made by scipy.io.savemat with
// and without compression): uint8, complex double, char, cell, struct, sparse, empty. The
// walk accepts both files with the classes and dims scipy wrote, and a cut at any byte is
// refused or leaves a file holding a prefix of the same variables (a cut exactly between
// two variables is a well-formed shorter file; reading a lost variable then fails by name).
TEST(MatValidateKinds, ScipyFilesOfEveryKindAndTheirCuts) {
  struct Want {
    const char* name;
    int mx_class;
    std::vector<uint64_t> dims;
  };
  const std::vector<Want> want = {{"mask", 9, {3, 4}},  {"cplx", 6, {1, 2}}, {"text", 4, {1, 5}},
                                  {"cells", 1, {1, 3}}, {"st", 2, {1, 1}},   {"sparse", 5, {3, 2}},
                                  {"empty", 6, {0, 3}}};
  for (const char* file : {"kinds_compressed.mat", "kinds_plain.mat"}) {
    SCOPED_TRACE(file);
    const fs::path path = test::fixture_dir("mat_validate") / file;
    const std::vector<uint8_t> bytes = read_bytes(path);
    ASSERT_FALSE(bytes.empty()) << path;
    const MatFileInfo info = validate_mat_bytes(bytes.data(), bytes.size(), file);
    ASSERT_EQ(info.variables.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(info.variables[i].name, want[i].name);
      EXPECT_EQ(info.variables[i].mx_class, want[i].mx_class) << want[i].name;
      EXPECT_EQ(info.variables[i].dims, want[i].dims) << want[i].name;
    }
    EXPECT_TRUE(info.variables[1].complex);
    const MatArray mask = MatReader(path.string()).read("mask");
    EXPECT_EQ(mask.values, (std::vector<double>{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}));
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      try {
        const MatFileInfo part = validate_mat_bytes(bytes.data(), cut, file);
        ASSERT_LT(part.variables.size(), want.size()) << "cut at " << cut;
        for (size_t i = 0; i < part.variables.size(); ++i)
          EXPECT_EQ(part.variables[i].name, want[i].name) << "cut at " << cut;
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
      }
    }
  }
}

// The face model and its auxiliary files go through MatReader too: a truncated
// BFM_model_front.mat (the fake-BFM fixture cut to 60 %) and a truncated
// similarity_Lm3D_all.mat are refused naming the file.
TEST_F(MatValidateTest, TruncatedFaceModelFilesAreRefused) {
  const std::vector<uint8_t> model =
      read_bytes(test::fixture_dir("bfm09_fake") / "expected_BFM_model_front.mat");
  ASSERT_GT(model.size(), 1000u);
  const fs::path folder = dir_ / "bfm";
  fs::create_directories(folder);
  write_bytes(folder / "BFM_model_front.mat", first_bytes(model, model.size() * 6 / 10));
  std::string message = test::error_message([&] { load_face_model(folder.string()); });
  EXPECT_NE(message.find("BFM_model_front.mat"), std::string::npos) << message;
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;

  const std::vector<double> lm(68 * 3, 1.5);
  const fs::path aux = folder / "similarity_Lm3D_all.mat";
  {
    MatRecordWriter writer(aux.string());
    writer.write_f64("lm", lm.data(), {68, 3});
    writer.close();
  }
  const std::vector<uint8_t> aux_bytes = read_bytes(aux);
  write_bytes(aux, first_bytes(aux_bytes, aux_bytes.size() - 3));
  FaceModel m;
  message = test::error_message([&] { load_face_model_auxiliaries(folder.string(), m); });
  EXPECT_NE(message.find("similarity_Lm3D_all.mat"), std::string::npos) << message;
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
}

TEST_F(MatValidateTest, TruncatedStep1RecordIsRefused) {
  // Any .mat cut short: the step-1 reader validates before matio, so it is refused before
  // the record's own variable checks.
  const std::vector<uint8_t> bytes = read_bytes(mask_path_);
  const fs::path cut = dir_ / "step1_cut.mat";
  write_bytes(cut, std::vector<uint8_t>(bytes.begin(), bytes.begin() + bytes.size() * 3 / 4));
  try {
    read_step1_mat(cut.string(), nullptr);
    FAIL() << "a truncated record was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace p3d
