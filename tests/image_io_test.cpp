// Image files (pipeline/image_io.h): PNG round trips in BGR, grey expansion, float-map
// scaling, the EXIF orientation cv2.imread applies to JPEGs (all 8 cases, both byte
// orders), and clear errors for missing, empty, corrupt and unsupported files. JPEG decodes
// are checked bit for bit against cv2.imread (OpenCV 4.10, tools/oracle/decode_fixtures.py):
// the seed photos by shape and 64-bit FNV-1a of the BGR bytes
// (tests/fixtures/image_io/seed_decodes.json; skipped when ../shared/seed-examples is
// absent), and tiny committed JPEGs covering chroma subsampling, odd sizes, grey, progressive,
// restart markers, CMYK and EXIF variants by cv2's full output (small/NAME.npy). Truncated
// and corrupt JPEGs must be refused with a message naming the file.
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
#include <sstream>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "importer/json_reader.h"
#include "importer/npy.h"
#include "kernels/error.h"
#include "tests/alignment_fixture.h"
#include "tests/support/test_files.h"

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

using test::error_of;

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
  const fs::path path = test::source_dir() / "tests" / "fixtures" / "image_io" / "blocks.jpg";
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

// ---- JPEG decodes against cv2.imread ------------------------------------------------------

fs::path fixture_dir() { return test::source_dir() / "tests" / "fixtures" / "image_io"; }

std::vector<uint8_t> file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  P3D_CHECK(in.good(), "missing fixture ", path.string());
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

// 64-bit FNV-1a, as the oracle hashes cv2's output: xor each byte in, multiply by the prime.
uint64_t fnv1a64(const std::vector<uint8_t>& bytes) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (uint8_t b : bytes) h = (h ^ b) * 0x100000001B3ull;
  return h;
}

std::string hex64(uint64_t v) {
  std::ostringstream out;
  out << std::hex;
  out.width(16);
  out.fill('0');
  out << v;
  return out.str();
}

TEST(ImageIoJpeg, Fnv1aMatchesItsPublishedVectors) {
  EXPECT_EQ(fnv1a64({}), 0xCBF29CE484222325ull);
  EXPECT_EQ(fnv1a64({'a'}), 0xAF63DC4C8601EC8Cull);
  EXPECT_EQ(fnv1a64({'f', 'o', 'o', 'b', 'a', 'r'}), 0x85944171F73967E8ull);
}

TEST(ImageIoJpeg, SeedPhotosDecodeAsCv2Imread) {
  const fs::path seeds = test::shared_dir() / "seed-examples";
  if (!fs::is_directory(seeds)) GTEST_SKIP() << "no seed photos: " << seeds << " is absent";
  const fs::path json_path = fixture_dir() / "seed_decodes.json";
  const std::vector<uint8_t> text = file_bytes(json_path);
  const JsonValue doc = JsonValue::parse(std::string(text.begin(), text.end()), json_path.string());
  const auto& photos = doc.at("photos").as_object();
  ASSERT_EQ(photos.size(), 18u);
  for (const auto& [name, want] : photos) {
    SCOPED_TRACE(name);
    const fs::path path = seeds / name;
    if (!fs::exists(path)) {
      ADD_FAILURE() << path << " is listed in the fixture but missing";
      continue;
    }
    const ImageU8 img = read_image(path.string());
    const auto& shape = want.at("shape").as_array();
    ASSERT_EQ(shape.size(), 3u);
    EXPECT_EQ(img.height, shape[0].as_int());
    EXPECT_EQ(img.width, shape[1].as_int());
    EXPECT_EQ(img.channels, shape[2].as_int());
    EXPECT_EQ(hex64(fnv1a64(img.pixels)), want.at("fnv1a64").as_string());
  }
}

TEST(ImageIoJpeg, SmallJpegsDecodeAsCv2Imread) {
  const char* names[] = {"sub444",      "sub422",     "sub420",     "grey",
                         "progressive", "restart",    "cmyk",       "orient_none",
                         "orient1_ii",  "orient2_ii", "orient3_ii", "orient4_ii",
                         "orient5_ii",  "orient6_ii", "orient7_ii", "orient8_ii",
                         "orient3_mm",  "orient6_mm", "orient8_mm", "orient6_after_xmp"};
  for (const char* name : names) {
    SCOPED_TRACE(name);
    const fs::path stem = fixture_dir() / "small" / name;
    const ImageU8 img = read_image(stem.string() + ".jpg");
    const Tensor want = read_npy(stem.string() + ".npy");
    ASSERT_EQ(want.dtype(), DType::U8);
    ASSERT_EQ(want.shape().rank(), 3);
    ASSERT_EQ(img.height, want.shape()[0]);
    ASSERT_EQ(img.width, want.shape()[1]);
    ASSERT_EQ(img.channels, want.shape()[2]);
    const uint8_t* w = want.data<uint8_t>();
    size_t differ = 0;
    int worst = 0;
    for (size_t i = 0; i < img.pixels.size(); ++i) {
      const int d = std::abs(int(img.pixels[i]) - int(w[i]));
      differ += d != 0;
      worst = std::max(worst, d);
    }
    EXPECT_EQ(differ, 0u) << "bytes differ from cv2.imread, by up to " << worst << " levels";
  }
}

// Writes `bytes` as NAME in the test's folder and returns read_image's error message.
class ImageIoBadJpeg : public ImageIo {
 protected:
  std::string refusal(const std::string& name, const std::vector<uint8_t>& bytes) {
    write_bytes(name, bytes);
    const std::string msg = error_of([&] { read_image(path(name)); });
    EXPECT_NE(msg.find(name), std::string::npos) << "the message must name the file: " << msg;
    EXPECT_NE(msg.find("cannot decode the JPEG"), std::string::npos) << msg;
    return msg;
  }
};

// libjpeg pads a stream that stops early with grey and only warns (cv2.imread then returns
// the padded image); read_image refuses it, wherever the cut falls, including a file
// that lacks only its end-of-image marker.
TEST_F(ImageIoBadJpeg, TruncatedStreamsAreRefused) {
  for (const char* name : {"sub420", "progressive", "grey"}) {
    const std::vector<uint8_t> full =
        file_bytes(fixture_dir() / "small" / (std::string(name) + ".jpg"));
    ASSERT_EQ(full[full.size() - 2], 0xFF);
    ASSERT_EQ(full[full.size() - 1], 0xD9);
    for (size_t keep :
         {size_t{20}, full.size() / 3, full.size() / 2, full.size() - 40, full.size() - 2}) {
      SCOPED_TRACE(std::string(name) + " cut to " + std::to_string(keep) + " bytes");
      const std::string file = std::string("cut_") + name + "_" + std::to_string(keep) + ".jpg";
      const std::string msg =
          refusal(file, std::vector<uint8_t>(full.begin(), full.begin() + keep));
      EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
    }
  }
}

// Offset of the first byte of entropy-coded data (after the SOS segment).
size_t scan_start(const std::vector<uint8_t>& jpeg) {
  size_t at = 2;
  while (at + 4 <= jpeg.size()) {
    const size_t length = (size_t{jpeg[at + 2]} << 8) | jpeg[at + 3];
    if (jpeg[at + 1] == 0xDA) return at + 2 + length;
    at += 2 + length;
  }
  P3D_THROW("no SOS marker");
}

TEST_F(ImageIoBadJpeg, CorruptStreamsAreRefused) {
  const std::vector<uint8_t> good = file_bytes(fixture_dir() / "small" / "sub420.jpg");
  const size_t scan = scan_start(good);
  ASSERT_LT(scan + 64, good.size());
  {  // a frame height of 0 (SOF0 is FF C0, length, precision, height, width)
    std::vector<uint8_t> bad = good;
    size_t sof = 2;
    while (!(bad[sof] == 0xFF && bad[sof + 1] == 0xC0))
      sof += 2 + ((bad[sof + 2] << 8) | bad[sof + 3]);
    bad[sof + 5] = bad[sof + 6] = 0;
    refusal("zero_height.jpg", bad);
  }
  {  // an all-ones run is no valid Huffman code (stuffed FF 00 pairs keep it in the scan)
    std::vector<uint8_t> bad = good;
    for (size_t i = scan + 8; i < scan + 40; i += 2) bad[i] = 0xFF, bad[i + 1] = 0x00;
    const std::string msg = refusal("bad_huffman.jpg", bad);
    EXPECT_NE(msg.find("Corrupt JPEG data"), std::string::npos) << msg;
  }
  {  // a marker in the middle of the entropy-coded data of a file without restarts
    std::vector<uint8_t> bad = good;
    bad[scan + 20] = 0xFF;
    bad[scan + 21] = 0xD3;
    refusal("stray_marker.jpg", bad);
  }
  {  // restart markers out of order (RST1 where RST0 belongs)
    std::vector<uint8_t> bad = file_bytes(fixture_dir() / "small" / "restart.jpg");
    size_t rst = scan_start(bad);
    while (rst + 1 < bad.size() && !(bad[rst] == 0xFF && bad[rst + 1] == 0xD0)) ++rst;
    ASSERT_LT(rst + 1, bad.size()) << "restart.jpg has no RST0 marker";
    bad[rst + 1] = 0xD1;
    refusal("bad_restart.jpg", bad);
  }
  {  // not JPEG data at all after the SOI marker
    refusal("garbage.jpg", {0xFF, 0xD8, 0xFF, 0x12, 0x34, 0x56, 0x78, 0x9A});
  }
}

}  // namespace
}  // namespace p3d
