// Image files (pipeline/image_io.h): PNG round trips in BGR, grey expansion, float-map
// scaling, the EXIF orientation cv2.imread applies to JPEGs (all 8 cases, both byte
// orders), and clear errors for missing, empty, corrupt and unsupported files.
#include "pipeline/image_io.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "tests/alignment_fixture.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;

class ImageIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("p3d_image_io_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write_bytes(const std::string& name, const std::vector<uint8_t>& bytes) const {
    std::ofstream out(path(name), std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  fs::path dir_;
};

ImageU8 pattern(int32_t w, int32_t h, int32_t channels) {
  ImageU8 img;
  img.width = w;
  img.height = h;
  img.channels = channels;
  img.pixels.resize(static_cast<size_t>(w) * h * channels);
  std::mt19937 rng(11);
  for (uint8_t& v : img.pixels) v = static_cast<uint8_t>(rng());
  return img;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_F(ImageIo, PngRoundTripKeepsBgr) {
  const ImageU8 img = pattern(37, 23, 3);
  write_png(path("a.png"), img);
  const ImageU8 back = read_image(path("a.png"));
  EXPECT_EQ(back.width, 37);
  EXPECT_EQ(back.height, 23);
  EXPECT_EQ(back.channels, 3);
  EXPECT_EQ(back.pixels, img.pixels);
}

TEST_F(ImageIo, GreyPngReadsAsThreeEqualChannels) {
  const ImageU8 grey = pattern(9, 5, 1);
  write_png(path("g.png"), grey);
  const ImageU8 back = read_image(path("g.png"));
  ASSERT_EQ(back.channels, 3);
  for (size_t i = 0; i < grey.pixels.size(); ++i)
    for (int c = 0; c < 3; ++c) ASSERT_EQ(back.pixels[i * 3 + c], grey.pixels[i]);
}

TEST_F(ImageIo, FloatMapsClampOrNormalise) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float values[6] = {-5.f, 0.4f, 0.6f, 254.6f, 300.f, nan};
  write_png(path("c.png"), values, 6, 1, 1, FloatMapScaling::kClamp);
  const ImageU8 clamped = read_image(path("c.png"));
  const uint8_t want_clamped[6] = {0, 0, 1, 255, 255, 0};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(clamped.pixels[i * 3], want_clamped[i]) << i;

  const float ramp[4] = {10.f, 20.f, 30.f, std::numeric_limits<float>::infinity()};
  write_png(path("n.png"), ramp, 4, 1, 1, FloatMapScaling::kNormalize);
  const ImageU8 normalised = read_image(path("n.png"));
  const uint8_t want_normalised[4] = {0, 128, 255, 0};  // 127.5 rounds up; infinity -> 0
  for (int i = 0; i < 4; ++i) EXPECT_EQ(normalised.pixels[i * 3], want_normalised[i]) << i;
}

// tests/fixtures/image_io/blocks.jpg: 48 x 32, six flat blocks, made once with Pillow
// (Image.fromarray(...).save(path, quality=95, subsampling=0); values (x // 16) · 80 +
// (y // 16) · 40 + c · 10). Read as bytes; an APP1 Exif block carrying orientation `o`
// (none for 0) is spliced in after SOI.
std::vector<uint8_t> jpeg_with_orientation(int o, bool big_endian) {
  const fs::path path =
      test::alignment_source_dir() / "tests" / "fixtures" / "image_io" / "blocks.jpg";
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> jpeg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  P3D_CHECK(jpeg.size() > 4, "missing fixture ", path.string());
  if (o == 0) return jpeg;
  auto u16 = [&](std::vector<uint8_t>& v, uint32_t x) {
    if (big_endian)
      v.insert(v.end(), {uint8_t(x >> 8), uint8_t(x)});
    else
      v.insert(v.end(), {uint8_t(x), uint8_t(x >> 8)});
  };
  auto u32 = [&](std::vector<uint8_t>& v, uint32_t x) {
    if (big_endian)
      v.insert(v.end(), {uint8_t(x >> 24), uint8_t(x >> 16), uint8_t(x >> 8), uint8_t(x)});
    else
      v.insert(v.end(), {uint8_t(x), uint8_t(x >> 8), uint8_t(x >> 16), uint8_t(x >> 24)});
  };
  std::vector<uint8_t> tiff =
      big_endian ? std::vector<uint8_t>{'M', 'M'} : std::vector<uint8_t>{'I', 'I'};
  u16(tiff, 42);
  u32(tiff, 8);       // IFD0 right after the header
  u16(tiff, 2);       // two entries: an unrelated one first, then Orientation
  u16(tiff, 0x010F);  // Make, ASCII, count 4, inline "abc"
  u16(tiff, 2);
  u32(tiff, 4);
  tiff.insert(tiff.end(), {'a', 'b', 'c', 0});
  u16(tiff, 0x0112);
  u16(tiff, 3);
  u32(tiff, 1);
  u16(tiff, static_cast<uint32_t>(o));
  u16(tiff, 0);
  u32(tiff, 0);  // no next IFD
  std::vector<uint8_t> app1 = {0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), tiff.begin(), tiff.end());
  const size_t length = app1.size() - 2;
  app1[2] = static_cast<uint8_t>(length >> 8);
  app1[3] = static_cast<uint8_t>(length & 0xFF);
  jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());
  return jpeg;
}

TEST_F(ImageIo, JpegExifOrientationIsAppliedLikeOpenCv) {
  const std::vector<uint8_t> plain = jpeg_with_orientation(0, false);
  const ImageU8 upright = decode_image(plain.data(), plain.size(), "plain");
  const int W = upright.width, H = upright.height;
  auto src = [&](int x, int y, int c) {
    return upright.pixels[(static_cast<size_t>(y) * W + x) * 3 + c];
  };
  for (bool big : {false, true}) {
    for (int o = 1; o <= 8; ++o) {
      SCOPED_TRACE("orientation " + std::to_string(o) + (big ? " MM" : " II"));
      const std::vector<uint8_t> bytes = jpeg_with_orientation(o, big);
      const ImageU8 out = decode_image(bytes.data(), bytes.size(), "tagged");
      const bool transpose = o >= 5;
      ASSERT_EQ(out.width, transpose ? H : W);
      ASSERT_EQ(out.height, transpose ? W : H);
      // OpenCV's table: 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise,
      // 7 transverse, 8 rotate 90 counter-clockwise.
      for (int y = 0; y < out.height; ++y)
        for (int x = 0; x < out.width; ++x) {
          int sx = x, sy = y;
          switch (o) {
            case 2:
              sx = W - 1 - x;
              break;
            case 3:
              sx = W - 1 - x, sy = H - 1 - y;
              break;
            case 4:
              sy = H - 1 - y;
              break;
            case 5:
              sx = y, sy = x;
              break;
            case 6:
              sx = y, sy = H - 1 - x;
              break;
            case 7:
              sx = W - 1 - y, sy = H - 1 - x;
              break;
            case 8:
              sx = W - 1 - y, sy = x;
              break;
            default:
              break;
          }
          for (int c = 0; c < 3; ++c)
            ASSERT_EQ(out.pixels[(static_cast<size_t>(y) * out.width + x) * 3 + c], src(sx, sy, c))
                << "at (" << x << ", " << y << ")";
        }
    }
  }
}

TEST_F(ImageIo, MissingFileNamesIt) {
  const std::string msg = error_of([&] { read_image(path("nope.jpg")); });
  EXPECT_NE(msg.find("nope.jpg"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

TEST_F(ImageIo, EmptyCorruptAndUnsupportedFilesAreRefused) {
  write_bytes("empty.png", {});
  write_bytes("gif.gif", {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0});
  write_bytes("truncated.jpg", {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0});
  std::vector<uint8_t> png_head = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n',
                                   0,    0,   0,   13,  'I',  'H',  'D',  'R'};
  write_bytes("bad.png", png_head);
  const struct {
    const char* name;
    const char* says;
  } cases[] = {{"empty.png", "empty"},
               {"gif.gif", "not a JPEG or PNG"},
               {"truncated.jpg", "cannot decode the JPEG"},
               {"bad.png", "cannot decode the PNG"}};
  for (const auto& c : cases) {
    const std::string msg = error_of([&] { read_image(path(c.name)); });
    EXPECT_NE(msg.find(c.name), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.says), std::string::npos) << msg;
  }
}

TEST_F(ImageIo, WritingRejectsBadImagesAndPaths) {
  ImageU8 two = pattern(4, 4, 2);
  EXPECT_NE(error_of([&] { write_png(path("two.png"), two); }).find("channels"), std::string::npos);
  const ImageU8 ok = pattern(4, 4, 3);
  const std::string msg = error_of([&] { write_png(path("no/such/dir/x.png"), ok); });
  EXPECT_NE(msg.find("x.png"), std::string::npos) << msg;
}

}  // namespace
}  // namespace p3d
