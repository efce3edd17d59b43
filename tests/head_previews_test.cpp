// The preview pictures (pipeline/head_previews.h).
//   * Overlay: against tools/oracle/restore_overlay.py, a numpy/cv2 transcription of
//     restore_from_crop.py (realign with cv2.resize INTER_NEAREST on the 1536 x 1024 canvas,
//     then the float32 blend), on a seed photo's size and a synthetic mask (regenerated here
//     from the same formula): the marked pixels must equal the oracle's row runs, the whole
//     result on a synthetic photo its FNV-1a hash, and on the real seed photo (when the
//     shared folder is there) the masked pixels must follow the oracle's blend table. Plus
//     an analytic case (scale 1: the crop lands unscaled at (left, up)).
//   * Turntable: a square facing a known pinhole camera covers exactly the pixels whose
//     centres its projected corners enclose; the ±30 degree views are narrower, mirror
//     images of each other, with the edge columns of the perspective projection of the
//     rotated corners; the colour is the vertex colour times the stated Lambert term.
//   * Depth / mask PNGs decode to the stated levels.
#include "pipeline/head_previews.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "importer/json_reader.h"
#include "kernels/error.h"
#include "pipeline/image_io.h"
#include "tests/support/require_cuda.h"
#include "tests/support/test_images.h"
#include "tests/test_paths.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;

// ---- overlay ---------------------------------------------------------------------------------

std::vector<float> synthetic_mask() {  // restore_overlay.py synthetic_mask
  std::vector<float> m(256 * 256, 0.f);
  for (int y = 0; y < 256; ++y)
    for (int x = 0; x < 256; ++x) {
      const double u = (x - 128) / 90.0, v = (y - 120) / 110.0;
      float value = u * u + v * v <= 1.0 ? 1.f : 0.f;
      if (y >= 200 && y < 215) value = 0.5f;
      if (y < 20 && x >= 230) value = (x + y) % 2 == 0 ? 1.f : 0.f;
      if (y >= 250 && x < 40) value = 1.f;
      m[y * 256 + x] = value;
    }
  return m;
}

ImageU8 synthetic_photo(int w, int h) {  // restore_overlay.py synthetic_photo
  return test::synthetic_rgb(w, h, [](int64_t x, int64_t y, int64_t c) {
    return (x * 7 + y * 13 + c * 91 + (x * y) % 17) % 256;
  });
}

uint64_t fnv1a64(const std::vector<uint8_t>& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

JsonValue read_fixture() {
  const fs::path path = test::fixture_dir("restore_overlay") / "expected.json";
  std::ifstream in(path);
  EXPECT_TRUE(in) << "missing " << path;
  return JsonValue::parse(std::string((std::istreambuf_iterator<char>(in)), {}), path.string());
}

std::array<float, 5> crop_param_of(const JsonValue& c) {
  std::array<float, 5> p{};
  for (int i = 0; i < 5; ++i)
    p[i] = static_cast<float>(c.at("crop_param").as_array()[i].as_number());
  return p;
}

TEST(RestoreOverlay, MatchesTheOracle) {
  const JsonValue fx = read_fixture();
  const int w = static_cast<int>(fx.at("photo_width").as_int());
  const int h = static_cast<int>(fx.at("photo_height").as_int());
  const std::vector<float> mask = synthetic_mask();
  const ImageU8 photo = synthetic_photo(w, h);
  ASSERT_GE(fx.at("cases").as_array().size(), 3u);
  for (const JsonValue& c : fx.at("cases").as_array()) {
    const std::array<float, 5> cp = crop_param_of(c);
    std::vector<uint8_t> want(static_cast<size_t>(w) * h, 0);
    for (const JsonValue& r : c.at("marked_runs").as_array()) {
      const auto& a = r.as_array();
      for (int64_t x = a[1].as_int(); x < a[2].as_int(); ++x)
        want[static_cast<size_t>(a[0].as_int()) * w + x] = 1;
    }
    const std::vector<uint8_t> got = restore_overlay_mask(w, h, cp, mask);
    size_t differ = 0, marked = 0;
    for (size_t i = 0; i < got.size(); ++i) differ += got[i] != want[i], marked += got[i];
    EXPECT_EQ(differ, 0u) << "crop_param scale " << cp[0] << " left " << cp[1] << " up " << cp[2];
    EXPECT_EQ(static_cast<int64_t>(marked), c.at("marked_count").as_int());
    char hash[17];
    std::snprintf(
        hash, sizeof(hash), "%016llx",
        static_cast<unsigned long long>(fnv1a64(restore_overlay(photo, cp, mask).pixels)));
    EXPECT_EQ(hash, c.at("synthetic_result_fnv1a64").as_string()) << "scale " << cp[0];
  }
}

TEST(RestoreOverlay, SeedPhotoFollowsTheBlendTable) {
  const JsonValue fx = read_fixture();
  const fs::path photo_path = test::shared_dir() / "seed-examples" / fx.at("photo").as_string();
  if (!fs::exists(photo_path)) GTEST_SKIP() << "seed photo absent: " << photo_path;
  const ImageU8 photo = read_image(photo_path.string());
  ASSERT_EQ(photo.width, fx.at("photo_width").as_int());
  ASSERT_EQ(photo.height, fx.at("photo_height").as_int());
  const auto& table = fx.at("blend_table").as_array();
  const JsonValue& c = fx.at("cases").as_array()[0];
  const std::array<float, 5> cp = crop_param_of(c);
  const std::vector<float> mask = synthetic_mask();
  const std::vector<uint8_t> m = restore_overlay_mask(photo.width, photo.height, cp, mask);
  const ImageU8 out = restore_overlay(photo, cp, mask);
  size_t wrong = 0;
  for (size_t i = 0; i < m.size(); ++i)
    for (int ch = 0; ch < 3; ++ch) {
      const uint8_t in = photo.pixels[3 * i + ch];
      const int want = m[i] ? static_cast<int>(table[ch].as_array()[in].as_int()) : in;
      wrong += out.pixels[3 * i + ch] != want;
    }
  EXPECT_EQ(wrong, 0u);
}

TEST(RestoreOverlay, AnalyticUnscaledCrop) {
  // scale 1: w = 1536, h = 1024, the nearest map is the identity; the crop sits at (10, 20).
  ImageU8 photo = test::flat_rgb(400, 300, 100);
  photo.pixels[0] = 255;
  const std::vector<float> ones(256 * 256, 1.f);
  const ImageU8 out = restore_overlay(photo, {1.f, 10.9f, 20.2f, 256, 256}, ones);
  for (int y = 0; y < 300; ++y)
    for (int x = 0; x < 400; ++x) {
      const bool in = x >= 10 && x < 266 && y >= 20 && y < 276;
      const uint8_t* p = &out.pixels[(static_cast<size_t>(y) * 400 + x) * 3];
      if (x == 0 && y == 0) continue;
      // 100·0.8 = 80; red: 80 + 256·0.2 = 131.2 -> 131.
      ASSERT_EQ(p[0], in ? 80 : 100) << x << "," << y;
      ASSERT_EQ(p[1], in ? 80 : 100) << x << "," << y;
      ASSERT_EQ(p[2], in ? 131 : 100) << x << "," << y;
    }
  // A negative offset crops the mask's top-left: the crop's pixel (5, 7) lands at (0, 0).
  std::vector<float> dot(256 * 256, 0.f);
  dot[7 * 256 + 5] = 1.f;
  const std::vector<uint8_t> m = restore_overlay_mask(400, 300, {1.f, -5.f, -7.f, 256, 256}, dot);
  EXPECT_EQ(m[0], 1);
  size_t count = 0;
  for (uint8_t v : m) count += v;
  EXPECT_EQ(count, 1u);
  // Mask values below 1 do not mark (astype(uint8) truncation).
  std::vector<float> half(256 * 256, 0.999f);
  const std::vector<uint8_t> none = restore_overlay_mask(400, 300, {1.f, 0, 0, 256, 256}, half);
  EXPECT_EQ(std::count(none.begin(), none.end(), 1), 0);
}

TEST(RestoreOverlay, RefusesBadInput) {
  ImageU8 photo = test::flat_rgb(4, 4, 0);
  const std::vector<float> ones(256 * 256, 1.f);
  EXPECT_THROW(restore_overlay(photo, {0.f, 0, 0, 256, 256}, ones), Error);
  EXPECT_THROW(restore_overlay(photo, {NAN, 0, 0, 256, 256}, ones), Error);
  EXPECT_THROW(restore_overlay(photo, {1.f, 0, 0, 256, 256}, std::vector<float>(10, 1.f)), Error);
  std::vector<float> bad = ones;
  bad[3] = 2.f;
  EXPECT_THROW(restore_overlay(photo, {1.f, 0, 0, 256, 256}, bad), Error);
  photo.channels = 1;
  EXPECT_THROW(restore_overlay(photo, {1.f, 0, 0, 256, 256}, ones), Error);
}

// ---- turntable -------------------------------------------------------------------------------

HeadMesh red_square() {
  HeadMesh m;
  m.positions = {-1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 1, 0};
  m.colors = {255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0};
  m.triangles = {0, 1, 2, 0, 2, 3};
  m.face_vertex_count = 4;
  return m;
}

constexpr int kView = 128;
constexpr double kFocal = 500, kCentre = 64, kEyeZ = 10;

TurntableOptions square_options() {
  TurntableOptions o;
  o.view_size = kView;
  o.camera.focal = static_cast<float>(kFocal);
  o.camera.cx = o.camera.cy = static_cast<float>(kCentre);
  return o;
}

bool covered(const ImageU8& img, int view, int x, int y) {
  const uint8_t* p = &img.pixels[(static_cast<size_t>(y) * img.width + view * kView + x) * 3];
  return !(p[0] == 128 && p[1] == 128 && p[2] == 128);
}

// Lambert level of full red for a face normal rotated by `yaw` degrees about +y.
int shaded_red(double yaw) {
  const double a = yaw * M_PI / 180, len = std::sqrt(0.16 + 0.25 + 1.0);
  const double n[3] = {std::sin(a), 0, std::cos(a)};
  const double cosine = std::fabs(-0.4 * n[0] + 0.5 * n[1] + 1.0 * n[2]) / len;
  return static_cast<int>(std::lround(255 * (0.35 + 0.65 * cosine)));
}

TEST(Turntable, SquareCoversTheProjectedPixels) {
  const ImageU8 img = render_turntable(red_square(), square_options());
  ASSERT_EQ(img.width, 3 * kView);
  ASSERT_EQ(img.height, kView);
  ASSERT_EQ(img.channels, 3);
  // Front view (middle): corners at u = 64 ± 500·1/10 = [14, 114]; centres i + 0.5 inside.
  const double yaws[3] = {-30, 0, 30};
  for (int y = 0; y < kView; ++y)
    for (int x = 0; x < kView; ++x) {
      const bool want = x >= 14 && x < 114 && y >= 14 && y < 114;
      ASSERT_EQ(covered(img, 1, x, y), want) << "front view pixel " << x << "," << y;
    }
  // Side views: the rotated corners x' = ±cos 30, z' = ∓(±1)·sin 30, projected with the
  // pinhole; the middle row's covered span is the pixel centres between them.
  for (int view : {0, 2}) {
    const double a = yaws[view] * M_PI / 180;
    double u[2];
    for (int k = 0; k < 2; ++k) {
      const double x = k == 0 ? -1 : 1;
      const double xr = std::cos(a) * x, zr = -std::sin(a) * x;
      u[k] = kFocal * xr / (kEyeZ - zr) + kCentre;
    }
    const int first = static_cast<int>(std::ceil(u[0] - 0.5)),
              last = static_cast<int>(std::floor(u[1] - 0.5));
    int got_first = -1, got_last = -1;
    for (int x = 0; x < kView; ++x)
      if (covered(img, view, x, kView / 2)) {
        if (got_first < 0) got_first = x;
        got_last = x;
      }
    EXPECT_EQ(got_first, first) << "view " << view;
    EXPECT_EQ(got_last, last) << "view " << view;
    EXPECT_LT(last - first + 1, 100) << "a side view must be narrower than the front";
  }
  // The ±30 views mirror each other about the centre column.
  for (int y = 0; y < kView; ++y)
    for (int x = 0; x < kView; ++x)
      ASSERT_EQ(covered(img, 0, x, y), covered(img, 2, kView - 1 - x, y)) << x << "," << y;
  // Colours: BGR (0, 0, shaded red) on every covered pixel.
  for (int view = 0; view < 3; ++view) {
    const int red = shaded_red(yaws[view]);
    for (int y = 0; y < kView; ++y)
      for (int x = 0; x < kView; ++x) {
        if (!covered(img, view, x, y)) continue;
        const uint8_t* p = &img.pixels[(static_cast<size_t>(y) * img.width + view * kView + x) * 3];
        ASSERT_EQ(p[0], 0);
        ASSERT_EQ(p[1], 0);
        ASSERT_EQ(p[2], red) << "view " << view << " pixel " << x << "," << y;
      }
  }
}

TEST(Turntable, AutomaticFramingKeepsEveryViewInside) {
  TurntableOptions o;
  o.view_size = 96;
  HeadMesh m = red_square();
  for (size_t i = 0; i < m.positions.size(); i += 3)
    m.positions[i] += 3.f, m.positions[i + 2] -= 2.f;
  const ImageU8 img = render_turntable(m, o);
  for (int view = 0; view < 3; ++view) {
    int count = 0, xmin = 96, xmax = -1;
    for (int y = 0; y < 96; ++y)
      for (int x = 0; x < 96; ++x) {
        const uint8_t* p = &img.pixels[(static_cast<size_t>(y) * img.width + view * 96 + x) * 3];
        const bool c = !(p[0] == 128 && p[1] == 128 && p[2] == 128);
        if (!c) continue;
        ++count;
        xmin = std::min(xmin, x), xmax = std::max(xmax, x);
        EXPECT_TRUE(x > 0 && y > 0 && x < 95 && y < 95) << "view " << view << " touches the border";
      }
    EXPECT_GT(count, 96 * 96 / 5) << "view " << view;
    EXPECT_NEAR((xmin + xmax) / 2.0, 47.5, 2.0) << "view " << view << " not centred";
  }
}

TEST(Turntable, CudaMatchesCpu) {
  P3D_SKIP_WITHOUT_CUDA();
  TurntableOptions o = square_options();
  const ImageU8 cpu = render_turntable(red_square(), o);
  o.device = DeviceKind::CUDA;
  const ImageU8 gpu = render_turntable(red_square(), o);
  EXPECT_EQ(cpu.pixels, gpu.pixels);  // same P3D_HD math, same winners: bit-equal
}

TEST(Turntable, PngRoundTripsAndLeavesNoTemporary) {
  const fs::path dir = fs::temp_directory_path() / ("p3d_previews_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "turntable.png").string();
  write_turntable_png(path, red_square(), square_options());
  const ImageU8 back = read_image(path);
  EXPECT_EQ(back.pixels, render_turntable(red_square(), square_options()).pixels);
  size_t entries = 0;
  for (auto it = fs::directory_iterator(dir); it != fs::directory_iterator(); ++it) ++entries;
  EXPECT_EQ(entries, 1u);
  fs::remove_all(dir);
}

// ---- depth and mask PNGs ----------------------------------------------------------------------

TEST(DepthMaskPng, StatedLevels) {
  DepthAndMask r;
  r.batch = 2;
  r.height = 2;
  r.width = 3;
  r.depth = {0, 0, 0, 0, 0, 0, /* portrait 1: */ 9.5f, 0, 10.f, 10.5f, 0, 9.75f};
  r.mask = {0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1};
  const fs::path dir = fs::temp_directory_path() / ("p3d_depth_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  write_depth_png((dir / "d.png").string(), r, 1);
  write_mask_png((dir / "m.png").string(), r, 1);
  const ImageU8 d = read_image((dir / "d.png").string());
  const ImageU8 m = read_image((dir / "m.png").string());
  // range 9.5..10.5 -> 64 + 191·t: 9.5 -> 64, 10 -> 159.5 -> 160, 10.5 -> 255, 9.75 -> 111.75 ->
  // 112.
  const int want_depth[6] = {255, 0, 160, 64, 0, 207};  // nearer (smaller 10 - z) brighter
  const int want_mask[6] = {255, 0, 255, 255, 0, 255};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(d.pixels[3 * i], want_depth[i]) << i;
    EXPECT_EQ(m.pixels[3 * i], want_mask[i]) << i;
  }
  EXPECT_THROW(write_depth_png((dir / "x.png").string(), r, 2), Error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace p3d
