// Shared by the alignment tests: where the sources and the shared seed data are, the
// synthetic photo and the checksum that tools/oracle/alignment.py computes with the same
// formulas, and a .npy writer for dumping our outputs for the oracle's `compare` mode.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "pipeline/image_io.h"
#include "tests/support/test_images.h"
#include "tests/test_paths.h"

namespace p3d::test {

inline std::filesystem::path alignment_fixture_path() {
  return source_dir() / "tests" / "fixtures" / "alignment" / "oracle.json";
}

// alignment.py synthetic_image: smooth ramps plus a fine xor texture, BGR.
inline ImageU8 synthetic_photo(int32_t width, int32_t height) {
  return synthetic_rgb(width, height, [](int64_t x, int64_t y, int64_t c) {
    return (((x * x + 3 * y * y + 5 * x * y) >> 6) + 37 * c + ((x ^ y) & 15)) % 256;
  });
}

// alignment.py checksum: sum of byte_i · ((i · 2654435761 + 12345) mod 2^32), mod 2^64.
inline uint64_t image_checksum(const std::vector<uint8_t>& bytes) {
  uint64_t sum = 0;
  for (uint64_t i = 0; i < bytes.size(); ++i)
    sum += bytes[i] * ((i * 2654435761ull + 12345ull) & 0xFFFFFFFFull);
  return sum;
}

// Writes a C-order .npy (version 1.0) of uint8 ('|u1') or float32 ('<f4') values.
inline void write_npy(const std::filesystem::path& path, const void* data, size_t bytes,
                      const char* descr, const std::vector<int64_t>& shape) {
  std::ostringstream header;
  header << "{'descr': '" << descr << "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i)
    header << shape[i] << (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
  header << "), }";
  std::string text = header.str();
  while ((10 + text.size() + 1) % 64 != 0) text += ' ';
  text += '\n';
  std::ofstream out(path, std::ios::binary);
  P3D_CHECK(out.good(), "cannot write ", path.string());
  const uint16_t length = static_cast<uint16_t>(text.size());
  out.write("\x93NUMPY\x01\x00", 8);
  out.put(static_cast<char>(length & 0xFF));
  out.put(static_cast<char>(length >> 8));
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
}

}  // namespace p3d::test
