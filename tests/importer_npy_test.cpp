// The .npy reader and writer: round trips of every supported dtype, numpy's own files (the
// fixtures), and clear errors for what we do not read (Fortran order, big-endian, other
// dtypes, truncation).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "importer/npy.h"
#include "kernels/error.h"
#include "tests/support/expect_error.h"
#include "tests/test_paths.h"

namespace p3d {
namespace {

std::string source_dir() { return test::source_dir().string(); }  // tests/test_paths.h

// A .npy file with a hand-written header (what numpy would write for `dict`).
std::string npy_bytes(const std::string& dict, size_t payload_bytes) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + std::string(payload_bytes, '\0');
}

std::string error_of(const std::string& bytes) {
  return test::error_message([&] { parse_npy(bytes, "t.npy"); });
}

TEST(Npy, RoundTripsEveryDtype) {
  for (DType dtype : {DType::F32, DType::F16, DType::I32, DType::U8}) {
    for (const Shape& shape : {Shape{}, Shape{5}, Shape{2, 3, 4}, Shape{0, 3}}) {
      Tensor t = Tensor::empty(shape, dtype);
      for (size_t i = 0; i < t.bytes(); ++i)
        static_cast<uint8_t*>(t.raw())[i] = static_cast<uint8_t>(i * 7 + 1);
      const std::string bytes = serialize_npy(t);
      EXPECT_EQ((bytes.size() - t.bytes()) % 64, 0u) << "header not 64-byte aligned";
      const Tensor back = parse_npy(bytes, "t.npy");
      EXPECT_EQ(back.shape(), shape);
      EXPECT_EQ(back.dtype(), dtype);
      EXPECT_EQ(std::memcmp(back.raw(), t.raw(), t.bytes()), 0);
    }
  }
}

TEST(Npy, WritesNumpyHeaders) {
  const std::string bytes = serialize_npy(Tensor::empty(Shape{7}, DType::I32));
  EXPECT_NE(bytes.find("{'descr': '<i4', 'fortran_order': False, 'shape': (7,), }"),
            std::string::npos);
  const std::string scalar = serialize_npy(Tensor::empty(Shape{}, DType::F32));
  EXPECT_NE(scalar.find("'shape': ()"), std::string::npos);
}

TEST(Npy, ReadsNumpysFiles) {
  const Tensor x = read_npy(source_dir() + "/tests/fixtures/tf/rnet_reduced/input_input_imgs.npy");
  EXPECT_EQ(x.shape(), (Shape{2, 48, 48, 3}));
  EXPECT_EQ(x.dtype(), DType::F32);
  const Tensor r = read_npy(source_dir() + "/tests/fixtures/tf/range/expected_range_int.npy");
  EXPECT_EQ(r.dtype(), DType::I32);
}

TEST(Npy, FileRoundTrip) {
  const std::string path = testing::TempDir() + "/p3d_npy_test.npy";
  Tensor t = Tensor::empty(Shape{2, 2}, DType::F32);
  t.data<float>()[3] = 4.5f;
  write_npy(path, t);
  EXPECT_EQ(read_npy(path).data<float>()[3], 4.5f);
}

TEST(Npy, RefusesFortranOrder) {
  const std::string msg =
      error_of(npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24));
  EXPECT_NE(msg.find("t.npy"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fortran_order is True"), std::string::npos) << msg;
}

TEST(Npy, RefusesBigEndianAndOtherDtypes) {
  for (const char* descr : {">f4", "<f8", "<i8", "|b1"}) {
    const std::string msg = error_of(npy_bytes(
        std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (2,), }", 16));
    EXPECT_NE(msg.find(std::string("dtype '") + descr + "' is not supported"), std::string::npos)
        << msg;
  }
}

TEST(Npy, RefusesTruncatedOrPaddedData) {
  const std::string good =
      npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24);
  EXPECT_EQ(error_of(good), "");
  std::string msg = error_of(good.substr(0, good.size() - 1));
  EXPECT_NE(msg.find("data is 23 bytes"), std::string::npos) << msg;
  msg = error_of(good + "x");
  EXPECT_NE(msg.find("data is 25 bytes"), std::string::npos) << msg;
  msg = error_of(good.substr(0, 20));
  EXPECT_NE(msg.find("truncated header"), std::string::npos) << msg;
  msg = error_of("PK\x03\x04 a zip file");
  EXPECT_NE(msg.find("not a .npy file"), std::string::npos) << msg;
  msg = error_of(npy_bytes(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", 0));
  EXPECT_NE(msg.find("too many elements"), std::string::npos) << msg;
}

TEST(Npy, MissingFile) {
  try {
    read_npy("/nonexistent/x.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.npy"), std::string::npos);
  }
}

}  // namespace
}  // namespace p3d
