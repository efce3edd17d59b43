// End-to-end tests of `portrait3d run` on bare photos (no landmark file, no NAME.mat), with
// the synthetic face model and the stand-in networks as tests/cli_run_test.cpp uses them:
//   * the 18 seed photos alone give 18 face-only meshes (the face model's 35,709 vertices and
//     its triangles, colours in 0..255) and 18 NAME_landmark.txt files of 68 y-up points that
//     the original's reader accepts; the output says how many faces were seen and marks the
//     portraits face-only; the timing table has the detection and landmark rows;
//   * bad photos in one batch, each named with its own reason while the rest complete: no
//     face, a face below the minimum size, a truncated JPEG, a 20,000 x 20,000 photo (only
//     "refused by name": what refuses it is the decoder's business); and the formats that
//     must work as cv2.imread reads them: a grey-scale JPEG, a CMYK JPEG (Adobe's inverted
//     inks), a 16-bit PNG — written here from a seed photo;
//   * a missing landmark model fails only the bare photos, naming libdlib-data;
//   * with NAME.mat the full head is still built (a face-only portrait beside a head).
// Skips with the reason when the seed examples (or dlib's model) are absent.
#include <gtest/gtest.h>
#include <jpeglib.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/face_detection.h"
#include "pipeline/image_io.h"
#include "pipeline/landmarks.h"
#include "tests/cli_runner.h"
#include "tests/cli_seed_workspace.h"
#include "tests/support/test_images.h"
#include "tests/test_paths.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;
using test::quote;
using test::run_cli;

constexpr long kFaceVertices = 35709;

long count_lines_starting(const fs::path& path, const std::string& tag) {
  std::ifstream in(path);
  std::string line;
  long n = 0;
  while (std::getline(in, line)) n += line.compare(0, tag.size(), tag) == 0;
  return n;
}

// ---- writing test photos -------------------------------------------------------------------

// JPEG with libjpeg: `components` 1 (grey), 3 (RGB) or 4 (CMYK); `row(y, buf)` fills a row.
template <typename RowFn>
void write_jpeg(const fs::path& path, int width, int height, int components, RowFn row) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_TRUE(f) << path;
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, f);
  c.image_width = width;
  c.image_height = height;
  c.input_components = components;
  c.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
  jpeg_set_defaults(&c);  // CMYK: libjpeg writes an Adobe marker (no transform)
  jpeg_set_quality(&c, 92, TRUE);
  jpeg_start_compress(&c, TRUE);
  std::vector<uint8_t> buf(static_cast<size_t>(width) * components);
  while (c.next_scanline < c.image_height) {
    row(static_cast<int>(c.next_scanline), buf.data());
    JSAMPROW r = buf.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::fclose(f);
}

void put_be32(std::string& s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}

void png_chunk(std::string& out, const char* type, const std::string& data) {
  put_be32(out, static_cast<uint32_t>(data.size()));
  const std::string body = std::string(type, 4) + data;
  out += body;
  put_be32(out, static_cast<uint32_t>(
                    crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
}

// A 16-bit RGB PNG whose samples are byte * 257 (high byte = the photo's byte), by hand.
void write_png16(const fs::path& path, const ImageU8& bgr) {
  std::string raw;
  for (int y = 0; y < bgr.height; ++y) {
    raw += '\0';  // filter: none
    for (int x = 0; x < bgr.width; ++x)
      for (int c : {2, 1, 0}) {
        const uint8_t v = bgr.pixels[(static_cast<size_t>(y) * bgr.width + x) * 3 + c];
        raw += static_cast<char>(v), raw += static_cast<char>(v);
      }
  }
  uLongf zsize = compressBound(raw.size());
  std::string z(zsize, '\0');
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(z.data()), &zsize,
                      reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 6),
            Z_OK);
  z.resize(zsize);
  std::string ihdr;
  put_be32(ihdr, bgr.width);
  put_be32(ihdr, bgr.height);
  ihdr +=
      std::string("\x10\x02\x00\x00\x00", 5);  // depth 16, RGB, deflate, no filter, no interlace
  std::string png("\x89PNG\r\n\x1a\n", 8);
  png_chunk(png, "IHDR", ihdr);
  png_chunk(png, "IDAT", z);
  png_chunk(png, "IEND", "");
  std::ofstream(path, std::ios::binary) << png;
}

using test::box_shrink;

// ---- fixture -------------------------------------------------------------------------------

class BarePhotoRun : public test::SeedWorkspaceSuite<BarePhotoRun> {
 public:
  static constexpr const char* kWorkPrefix = "p3d_bare_test";

 protected:
  std::string missing_requirement() const override {
    if (fs::is_regular_file(kDefaultLandmarkModel)) return std::string();
    return std::string(kDefaultLandmarkModel) + " absent (Debian libdlib-data)";
  }

  static std::vector<fs::path> seed_photos() {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(seeds_)) {
      const std::string ext = e.path().extension().string();
      if (ext == ".jpg" || ext == ".jpeg" || ext == ".png") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  static std::string name_of(const fs::path& p) {
    const std::string f = p.filename().string();
    return f.substr(0, f.find('.'));
  }
};

void expect_face_only_mesh(const fs::path& out, const std::string& name) {
  SCOPED_TRACE(name);
  for (const char* suffix : {".obj", ".ply", ".glb", "_preview.png", "_overlay.png", "_depth.png",
                             "_mask.png", "_crop.png", "_landmark.txt"})
    EXPECT_TRUE(fs::is_regular_file(out / (name + suffix))) << name + suffix << " missing";
  EXPECT_EQ(count_lines_starting(out / (name + ".obj"), "v "), kFaceVertices);
  EXPECT_GT(count_lines_starting(out / (name + ".obj"), "f "), 60000);
}

// The landmark file as the original reads it (np.loadtxt -> 68 x 2) and as our reader does.
void expect_landmark_file(const fs::path& file, const ImageU8& photo) {
  SCOPED_TRACE(file.string());
  std::ifstream in(file);
  std::vector<double> v;
  double x;
  while (in >> x) v.push_back(x);
  ASSERT_EQ(v.size(), 136u);
  for (size_t i = 0; i < 68; ++i) {
    EXPECT_GE(v[2 * i], -photo.width) << i;
    EXPECT_LE(v[2 * i], 2.0 * photo.width) << i;
  }
  // y up: the eyes (37-48) lie above the mouth (49-68), so their y is larger.
  double eyes = 0, mouth = 0;
  for (int i = 36; i < 48; ++i) eyes += v[2 * i + 1] / 12;
  for (int i = 48; i < 68; ++i) mouth += v[2 * i + 1] / 20;
  EXPECT_GT(eyes, mouth);
  EXPECT_NO_THROW(
      read_landmarks(file.string(), LandmarkConvention::YUp68, photo.width, photo.height));
}

TEST_F(BarePhotoRun, SeedPhotosAloneToFaceMeshesAndLandmarkFiles) {
  const fs::path in = work_ / "bare", out = work_ / "bare_out";
  fs::create_directories(in);
  const std::vector<fs::path> photos = seed_photos();
  ASSERT_EQ(photos.size(), 18u);
  for (const fs::path& p : photos) fs::create_symlink(p, in / p.filename());
  const auto r =
      run_cli("run " + quote(in.string()) + models_args() + " --out " + quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("18 of 18 portraits written"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("18 with detected landmarks"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("face-only (no NAME.mat, face mesh without hair or ears): 18"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("face detection (18 photos)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("68 landmarks (18 photos)"), std::string::npos) << r.output;
  for (const fs::path& p : photos) {
    const std::string name = name_of(p);
    EXPECT_NE(r.output.find(name + ": 1 face seen"), std::string::npos) << name << "\n" << r.output;
    expect_face_only_mesh(out, name);
    expect_landmark_file(out / (name + "_landmark.txt"), read_image(p.string()));
  }
  // The files written are reusable: the same folder with them beside the photos runs from
  // the files (no detection) to the same meshes.
  const fs::path again = work_ / "again", again_out = work_ / "again_out";
  fs::create_directories(again);
  const std::string name = name_of(photos[0]);
  fs::create_symlink(photos[0], again / photos[0].filename());
  fs::copy_file(out / (name + "_landmark.txt"), again / (name + "_landmark.txt"));
  const auto r2 = run_cli("run " + quote(again.string()) + models_args() + " --formats obj --out " +
                          quote(again_out.string()));
  ASSERT_EQ(r2.exit_code, 0) << r2.output;
  EXPECT_EQ(r2.output.find("face seen"), std::string::npos) << r2.output;
  std::ifstream a(out / (name + ".obj")), b(again_out / (name + ".obj"));
  std::stringstream sa, sb;
  sa << a.rdbuf();
  sb << b.rdbuf();
  EXPECT_TRUE(sa.str() == sb.str()) << "the mesh from the written landmark file differs";
}

TEST_F(BarePhotoRun, BadPhotosAreNamedAndTheBatchGoesOn) {
  const fs::path in = work_ / "bad", out = work_ / "bad_out";
  fs::create_directories(in);
  // A small seed portrait as the source of the good and re-encoded photos.
  fs::path source;
  ImageU8 photo;
  for (const fs::path& p : seed_photos()) {
    ImageU8 img = read_image(p.string());
    if (source.empty() || img.pixels.size() < photo.pixels.size())
      source = p, photo = std::move(img);
  }
  fs::create_symlink(source, in / ("good" + source.extension().string()));

  // Formats that must read as cv2.imread reads them (and so go through).
  write_jpeg(in / "grey.jpg", photo.width, photo.height, 1, [&](int y, uint8_t* row) {
    for (int x = 0; x < photo.width; ++x) {
      const uint8_t* p = &photo.pixels[(static_cast<size_t>(y) * photo.width + x) * 3];
      row[x] = static_cast<uint8_t>((114 * p[0] + 587 * p[1] + 299 * p[2] + 500) / 1000);
    }
  });
  // Adobe CMYK stores inverted inks: with K = 255 each decoded channel is its ink's sample.
  write_jpeg(in / "cmyk.jpg", photo.width, photo.height, 4, [&](int y, uint8_t* row) {
    for (int x = 0; x < photo.width; ++x) {
      const uint8_t* p = &photo.pixels[(static_cast<size_t>(y) * photo.width + x) * 3];
      row[4 * x] = p[2], row[4 * x + 1] = p[1], row[4 * x + 2] = p[0], row[4 * x + 3] = 255;
    }
  });
  write_png16(in / "png16.png", photo);
  ASSERT_EQ(read_image((in / "png16.png").string()).pixels, photo.pixels);

  // Photos that must fail, each with its reason.
  const ImageU8 flat = test::flat_rgb(400, 300, 90);
  write_png((in / "noface.png").string(), flat);
  {
    FaceLandmarker detector;
    const DetectedFace face = detector.detect(photo);
    const int f = static_cast<int>(std::ceil(face.box.width() / (0.8 * kMinFaceSize)));
    write_png((in / "small.png").string(), box_shrink(photo, f));
  }
  {
    std::ifstream src(source, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(src)), std::istreambuf_iterator<char>());
    std::ofstream((in / "truncated.jpg").string(), std::ios::binary)
        << bytes.substr(0, bytes.size() / 2);
  }
  write_jpeg(in / "huge.jpg", 20000, 20000, 1,
             [](int, uint8_t* row) { std::fill(row, row + 20000, uint8_t{128}); });

  const auto r =
      run_cli("run " + quote(in.string()) + models_args() + " --out " + quote(out.string()));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  for (const char* good : {"good", "grey", "cmyk", "png16"}) {
    EXPECT_EQ(r.output.find(std::string(good) + ": FAILED"), std::string::npos) << r.output;
    expect_face_only_mesh(out, good);
  }
  const auto failed_with = [&](const std::string& name, const std::string& reason) {
    const size_t at = r.output.find("  " + name + ": FAILED: ");
    ASSERT_NE(at, std::string::npos) << name << "\n" << r.output;
    const std::string line = r.output.substr(at, r.output.find('\n', at) - at);
    std::printf("%s\n", line.c_str());
    EXPECT_NE(line.find(reason), std::string::npos) << line;
    EXPECT_FALSE(fs::exists(out / (name + ".obj"))) << name;
  };
  failed_with("noface", "no face found");
  failed_with("small", "too small");
  failed_with("small", "the minimum is " + std::to_string(kMinFaceSize) + " px");
  failed_with("truncated", "truncated.jpg");
  const size_t huge = r.output.find("  huge: FAILED: ");
  ASSERT_NE(huge, std::string::npos) << r.output;
  std::printf("%s\n", r.output.substr(huge, r.output.find('\n', huge) - huge).c_str());
  EXPECT_NE(r.output.find("4 of 8 portraits written"), std::string::npos) << r.output;
}

TEST_F(BarePhotoRun, MissingLandmarkModelFailsOnlyTheBarePhotos) {
  const fs::path in = work_ / "nomodel", out = work_ / "nomodel_out";
  fs::create_directories(in);
  const fs::path photo = seed_photos().front();
  const std::string name = name_of(photo);
  // One portrait with its files (a full head), one bare copy of another photo.
  fs::create_symlink(photo, in / photo.filename());
  fs::create_symlink(seeds_ / (name + "_landmark.txt"), in / (name + "_landmark.txt"));
  fs::create_symlink(seeds_ / (name + ".mat"), in / (name + ".mat"));
  fs::create_symlink(seed_photos().back(),
                     in / ("zz_bare" + seed_photos().back().extension().string()));
  const auto r = run_cli("run " + quote(in.string()) + models_args() +
                         " --landmark-model /nonexistent/model.dat --out " + quote(out.string()));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const size_t at = r.output.find("  zz_bare: FAILED: ");
  ASSERT_NE(at, std::string::npos) << r.output;
  const std::string line = r.output.substr(at, r.output.find('\n', at) - at);
  EXPECT_NE(line.find("/nonexistent/model.dat"), std::string::npos) << line;
  EXPECT_NE(line.find("libdlib-data"), std::string::npos) << line;
  // The portrait with a mask is a full head: more vertices than the face.
  EXPECT_GT(count_lines_starting(out / (name + ".obj"), "v "), kFaceVertices) << r.output;
  EXPECT_EQ(r.output.find(name + ": face-only"), std::string::npos) << r.output;
}

TEST_F(BarePhotoRun, LandmarksWithoutMaskIsFaceOnlyBesideAHead) {
  const fs::path in = work_ / "mixed", out = work_ / "mixed_out";
  fs::create_directories(in);
  const std::vector<fs::path> photos = seed_photos();
  const std::string a = name_of(photos[0]), b = name_of(photos[1]);
  fs::create_symlink(photos[0], in / photos[0].filename());
  fs::create_symlink(seeds_ / (a + "_landmark.txt"), in / (a + "_landmark.txt"));
  fs::create_symlink(seeds_ / (a + ".mat"), in / (a + ".mat"));
  fs::create_symlink(photos[1], in / photos[1].filename());
  fs::create_symlink(seeds_ / (b + "_landmark.txt"), in / (b + "_landmark.txt"));
  const auto r = run_cli("run " + quote(in.string()) + models_args() + " --formats obj --out " +
                         quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_GT(count_lines_starting(out / (a + ".obj"), "v "), kFaceVertices);
  EXPECT_EQ(count_lines_starting(out / (b + ".obj"), "v "), kFaceVertices);
  EXPECT_NE(r.output.find(b + ": face-only"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("face-only (no NAME.mat, face mesh without hair or ears): 1: " + b),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(out / (b + "_landmark.txt"))) << "landmarks came from the file";
  // --landmarks detect: the detector even where a file is given.
  const auto d =
      run_cli("run " + quote((in / photos[1].filename()).string()) + models_args() +
              " --landmarks detect --formats obj --out " + quote((work_ / "forced").string()));
  ASSERT_EQ(d.exit_code, 0) << d.output;
  EXPECT_NE(d.output.find(b + ": 1 face seen"), std::string::npos) << d.output;
  EXPECT_TRUE(fs::exists(work_ / "forced" / (b + "_landmark.txt")));
}

}  // namespace
}  // namespace p3d
