// The input cap (pipeline/input_limits.h) refuses images whose header declares more than it
// allows, before anything is allocated: a 100,000 x 100,000 PNG header and a JPEG header
// claiming 60,000 x 60,000 are refused with a message naming the source, the declared size
// and the cap, and a small real image passes under the default cap and is refused under a
// lowered one. (The .mat side is in mat_validate_test.) The headers are built here byte by
// byte: a PNG signature and IHDR chunk (CRC by zlib), and the committed blocks.jpg with the
// size fields of its SOF segment rewritten. Also the PNG chunk walk that fuzzing called for:
// a chunk declaring more bytes than the file holds, and a CRC mismatch in the pixel data.
#include "pipeline/input_limits.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "pipeline/image_io.h"
#include "tests/support/expect_error.h"
#include "tests/test_paths.h"

namespace p3d {
namespace {

void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

// A PNG with only its signature, an IHDR chunk (8-bit RGB) and an empty IEND.
std::vector<uint8_t> png_header(uint32_t width, uint32_t height) {
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  std::vector<uint8_t> ihdr = {'I', 'H', 'D', 'R'};
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  for (uint8_t b : {8, 2, 0, 0, 0}) ihdr.push_back(b);  // depth, colour type, methods
  put_be32(png, 13);
  png.insert(png.end(), ihdr.begin(), ihdr.end());
  put_be32(png, static_cast<uint32_t>(crc32(0, ihdr.data(), static_cast<uInt>(ihdr.size()))));
  const uint8_t iend[] = {'I', 'E', 'N', 'D'};
  put_be32(png, 0);
  png.insert(png.end(), iend, iend + 4);
  put_be32(png, static_cast<uint32_t>(crc32(0, iend, 4)));
  return png;
}

std::vector<uint8_t> read_fixture(const char* name) {
  std::ifstream in(test::fixture_dir("image_io") / name, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

// The committed JPEG with its frame header's height and width replaced.
std::vector<uint8_t> jpeg_claiming(uint16_t width, uint16_t height) {
  std::vector<uint8_t> jpeg = read_fixture("blocks.jpg");
  for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
    // SOF0..SOF2: FF C0-C2, length (2), precision (1), height (2), width (2).
    if (jpeg[i] == 0xFF && jpeg[i + 1] >= 0xC0 && jpeg[i + 1] <= 0xC2) {
      jpeg[i + 5] = static_cast<uint8_t>(height >> 8);
      jpeg[i + 6] = static_cast<uint8_t>(height);
      jpeg[i + 7] = static_cast<uint8_t>(width >> 8);
      jpeg[i + 8] = static_cast<uint8_t>(width);
      return jpeg;
    }
  }
  ADD_FAILURE() << "no SOF marker in blocks.jpg";
  return jpeg;
}

std::string decode_error(const std::vector<uint8_t>& bytes, const std::string& what) {
  return test::error_message([&] { decode_image(bytes.data(), bytes.size(), what); });
}

TEST(InputLimits, HugePngHeaderRefusedBeforeAllocating) {
  const std::string message = decode_error(png_header(100000, 100000), "huge.png");
  ASSERT_FALSE(message.empty()) << "a 100000x100000 PNG header was decoded";
  EXPECT_NE(message.find("huge.png"), std::string::npos) << message;
  EXPECT_NE(message.find("100000x100000 PNG"), std::string::npos) << message;
  EXPECT_NE(message.find("input cap of " + std::to_string(input_limits().max_bytes)),
            std::string::npos)
      << message;
}

TEST(InputLimits, HugeJpegHeaderRefusedBeforeAllocating) {
  const std::string message = decode_error(jpeg_claiming(60000, 60000), "huge.jpg");
  ASSERT_FALSE(message.empty()) << "a 60000x60000 JPEG header was decoded";
  EXPECT_NE(message.find("huge.jpg"), std::string::npos) << message;
  EXPECT_NE(message.find("60000x60000 JPEG"), std::string::npos) << message;
  // 60000 * 60000 pixels * 3 bytes * 2 (the orientation copy).
  EXPECT_NE(message.find("21600000000 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("input cap"), std::string::npos) << message;
}

// A chunk with its CRC, appended to `png`.
void put_chunk(std::vector<uint8_t>& png, const char* type, const std::vector<uint8_t>& body,
               uint32_t declared_length) {
  put_be32(png, declared_length);
  std::vector<uint8_t> typed(type, type + 4);
  typed.insert(typed.end(), body.begin(), body.end());
  png.insert(png.end(), typed.begin(), typed.end());
  put_be32(png, static_cast<uint32_t>(crc32(0, typed.data(), static_cast<uInt>(typed.size()))));
}

// Fuzzing finding (image_fuzzer, out-of-memory): stb allocated an IDAT chunk's declared
// length (here 1 GiB) before reading it, from a file of under 100 bytes. The chunk walk now
// refuses a chunk longer than what remains.
TEST(InputLimits, PngChunkLongerThanTheFileIsRefused) {
  std::vector<uint8_t> png = png_header(16, 16);
  png.resize(png.size() - 12);  // drop IEND
  put_chunk(png, "IDAT", {0x78, 0x9C, 0x00}, uint32_t{1} << 30);
  const std::string message = decode_error(png, "claims.png");
  EXPECT_NE(message.find("claims.png: cannot decode the PNG: the file is truncated: its IDAT "
                         "chunk at byte 33 declares 1073741824 bytes"),
            std::string::npos)
      << message;
}

// stb checks neither chunk CRCs nor zlib's adler32: a flipped byte in the pixel data decoded
// to other pixels silently. libpng (cv2.imread) refuses it; so does the chunk walk.
TEST(InputLimits, PngDataCrcMismatchIsRefused) {
  std::vector<uint8_t> png;
  {
    std::ifstream in(test::fixture_dir("head_masks") / "rings.png", std::ios::binary);
    png.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(png.size(), 100u);
  ASSERT_NO_THROW(decode_image(png.data(), png.size(), "rings.png"));
  // The first IDAT chunk's middle byte.
  size_t at = 8;
  while (at + 8 < png.size() && std::string(png.begin() + at + 4, png.begin() + at + 8) != "IDAT")
    at += 12 + (png[at] << 24 | png[at + 1] << 16 | png[at + 2] << 8 | png[at + 3]);
  ASSERT_LT(at + 8, png.size());
  const size_t length = png[at] << 24 | png[at + 1] << 16 | png[at + 2] << 8 | png[at + 3];
  png[at + 8 + length / 2] ^= 0x10;
  const std::string message = decode_error(png, "rings.png");
  EXPECT_NE(message.find("CRC mismatch in its IDAT chunk"), std::string::npos) << message;
  // Restored, then cut inside IEND: truncated.
  png[at + 8 + length / 2] ^= 0x10;
  png.resize(png.size() - 6);
  EXPECT_NE(decode_error(png, "cut.png").find("the file is truncated"), std::string::npos);
}

TEST(InputLimits, CapIsConfigurable) {
  const std::vector<uint8_t> jpeg = read_fixture("blocks.jpg");
  const ImageU8 image = decode_image(jpeg.data(), jpeg.size(), "blocks.jpg");
  ASSERT_GT(image.width, 0);
  const InputLimits saved = input_limits();
  InputLimits tiny;
  tiny.max_bytes = 100;
  set_input_limits(tiny);
  const std::string jpeg_message = decode_error(jpeg, "blocks.jpg");
  const std::string png_message = decode_error(png_header(16, 16), "small.png");
  set_input_limits(saved);
  EXPECT_NE(jpeg_message.find("input cap of 100 bytes"), std::string::npos) << jpeg_message;
  EXPECT_NE(png_message.find("16x16 PNG"), std::string::npos) << png_message;
  EXPECT_NE(png_message.find("input cap of 100 bytes"), std::string::npos) << png_message;
}

TEST(InputLimits, CheckSaysDeclaredSizeAndCap) {
  InputLimits limits;
  limits.max_bytes = 1000;
  EXPECT_NO_THROW(limits.check(1000, "x", "y"));
  try {
    limits.check(1001, "file.mat: variable 'm'", "an array of 7 x 11");
    FAIL();
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("file.mat: variable 'm': an array of 7 x 11 needs 1001 bytes, more than "
                     "the input cap of 1000 bytes"),
              std::string::npos)
        << m;
  }
  EXPECT_EQ(saturating_mul(uint64_t{1} << 40, uint64_t{1} << 30), UINT64_MAX);
  EXPECT_EQ(saturating_mul(6, 7), 42u);
}

}  // namespace
}  // namespace p3d
