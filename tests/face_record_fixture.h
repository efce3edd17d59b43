// Shared by the face-stage tests: the closed-form face model and photo that
// tools/oracle/face_record.py builds from the same formulas (every value is a dyadic
// rational or an integer, so float32 holds it exactly whatever the order of operations),
// a reader of the oracle's .npy outputs (float64 / float32), and the fixture folder.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "pipeline/face_model.h"
#include "tests/test_paths.h"

namespace p3d::test {

constexpr int kGridW = 13, kGridH = 11;
constexpr int kFixtureVertices = kGridW * kGridH;  // 143
constexpr int kFixturePhotoW = 480, kFixturePhotoH = 560;

inline std::filesystem::path face_record_fixture_dir() {
  return source_dir() / "tests" / "fixtures" / "face_record";
}

// face_record.py model(): a 13 x 11 vertex grid bent into a cap, bases from modular
// integer patterns, 240 triangles facing +z.
inline FaceModel fixture_face_model() {
  FaceModel m;
  const int v_count = kFixtureVertices;
  m.vertex_count = v_count;
  m.mean_shape.resize(3 * v_count);
  for (int v = 0; v < v_count; ++v) {
    const double x = (v % kGridW - 6) / 8.0 + 1 / 16.0;
    const double y = (v / kGridW - 5) / 8.0 + 1 / 8.0;
    m.mean_shape[v * 3 + 0] = static_cast<float>(x);
    m.mean_shape[v * 3 + 1] = static_cast<float>(y);
    m.mean_shape[v * 3 + 2] = static_cast<float>(0.5 - (x * x + y * y) / 4.0);
  }
  const int rows = 3 * v_count;
  m.id_base.resize(rows * 80);
  m.exp_base.resize(rows * 64);
  m.tex_base.resize(rows * 80);
  m.mean_tex.resize(rows);
  for (int r = 0; r < rows; ++r) {
    for (int k = 0; k < 80; ++k)
      m.id_base[r * 80 + k] = static_cast<float>(((r * 31 + k * 17) % 41 - 20) / 1024.0);
    for (int k = 0; k < 64; ++k)
      m.exp_base[r * 64 + k] = static_cast<float>(((r * 13 + k * 29) % 37 - 18) / 2048.0);
    for (int k = 0; k < 80; ++k)
      m.tex_base[r * 80 + k] = static_cast<float>(((r * 7 + k * 11) % 23 - 11) / 4.0);
    m.mean_tex[r] = static_cast<float>(64 + (r * 37) % 128);
  }
  for (int j = 0; j < kGridH - 1; ++j)
    for (int i = 0; i < kGridW - 1; ++i) {
      const int a = j * kGridW + i, b = a + 1, c = a + kGridW, d = a + kGridW + 1;
      for (int id : {a, b, c, b, d, c}) m.triangles.push_back(id);
    }
  m.triangle_count = static_cast<int>(m.triangles.size() / 3);
  m.point_buf.assign(v_count * 8, m.triangle_count);
  std::vector<int> fill(v_count, 0);
  for (int f = 0; f < m.triangle_count; ++f)
    for (int k = 0; k < 3; ++k) {
      const int v = m.triangles[f * 3 + k];
      if (fill[v] < 8) m.point_buf[v * 8 + fill[v]++] = f;
    }
  for (int i = 0; i < 68; ++i) m.keypoints.push_back((i * 37 + 11) % v_count);
  m.head_center[0] = 1 / 256.f;
  m.head_center[1] = 15 / 64.f;
  m.head_center[2] = 9 / 64.f;
  m.similarity_lm3d.assign(68 * 3, 0.f);
  m.border_index.assign(FaceModel::kBorderCount, 0);
  return m;
}

// face_record.py photo(): BGR ramps and a checkerboard; labels in 20 x 25 blocks.
inline std::vector<uint8_t> fixture_photo() {
  std::vector<uint8_t> img(static_cast<size_t>(kFixturePhotoW) * kFixturePhotoH * 3);
  for (int y = 0; y < kFixturePhotoH; ++y)
    for (int x = 0; x < kFixturePhotoW; ++x) {
      uint8_t* p = img.data() + (static_cast<size_t>(y) * kFixturePhotoW + x) * 3;
      p[0] = static_cast<uint8_t>((x * 2 + y) % 256);
      p[1] = static_cast<uint8_t>(((x / 8 + y / 8) % 2) * 200 + 20);
      p[2] = static_cast<uint8_t>(((x + 2 * y) / 3) % 256);
    }
  return img;
}

inline std::vector<uint8_t> fixture_mask() {
  std::vector<uint8_t> mask(static_cast<size_t>(kFixturePhotoW) * kFixturePhotoH);
  for (int y = 0; y < kFixturePhotoH; ++y)
    for (int x = 0; x < kFixturePhotoW; ++x)
      mask[static_cast<size_t>(y) * kFixturePhotoW + x] =
          static_cast<uint8_t>((x / 20 + y / 25) % 6);
  return mask;
}

// A little-endian C-order '<f8' or '<f4' .npy file as doubles, with its shape.
struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<double> values;
};

inline NpyArray read_npy_doubles(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  P3D_CHECK(in.good(), "cannot open ", path.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string bytes = buffer.str();
  P3D_CHECK(bytes.size() > 10 && bytes.compare(0, 6, "\x93NUMPY") == 0, path.string(),
            ": not a .npy file");
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    offset = 10;
  } else {
    header_len = 0;
    for (int i = 0; i < 4; ++i)
      header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    offset = 12;
  }
  const std::string header = bytes.substr(offset, header_len);
  const bool f8 = header.find("'<f8'") != std::string::npos;
  const bool f4 = header.find("'<f4'") != std::string::npos;
  P3D_CHECK((f8 || f4) && header.find("'fortran_order': False") != std::string::npos, path.string(),
            ": expected C-order <f8 or <f4, header ", header);
  NpyArray a;
  const size_t open = header.find('(', header.find("'shape'"));
  const size_t close = header.find(')', open);
  std::stringstream dims(header.substr(open + 1, close - open - 1));
  std::string item;
  int64_t total = 1;
  while (std::getline(dims, item, ','))
    if (item.find_first_not_of(' ') != std::string::npos) {
      a.shape.push_back(std::stoll(item));
      total *= a.shape.back();
    }
  const char* data = bytes.data() + offset + header_len;
  const size_t elem = f8 ? 8 : 4;
  P3D_CHECK(bytes.size() - offset - header_len == static_cast<size_t>(total) * elem, path.string(),
            ": truncated");
  a.values.resize(static_cast<size_t>(total));
  for (int64_t i = 0; i < total; ++i) {
    if (f8) {
      double v;
      std::memcpy(&v, data + i * 8, 8);
      a.values[i] = v;
    } else {
      float v;
      std::memcpy(&v, data + i * 4, 4);
      a.values[i] = v;
    }
  }
  return a;
}

}  // namespace p3d::test
