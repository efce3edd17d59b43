// Image files through stb_image / stb_image_write (image_io.h), plus the one thing stb
// leaves to the caller that cv2.imread does: a JPEG's EXIF orientation. The stb
// implementations are compiled here with internal linkage, so other units may embed their
// own copies.
#include "pipeline/image_io.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>

#include "kernels/error.h"

#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace p3d {
namespace {

uint32_t read_u16(const uint8_t* p, bool little) {
  return little ? p[0] | (p[1] << 8) : (p[0] << 8) | p[1];
}
uint32_t read_u32(const uint8_t* p, bool little) {
  return little ? p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24)
                : (static_cast<uint32_t>(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

// The Orientation tag (0x0112) of IFD0 in a TIFF block, or 1 when absent or malformed.
int tiff_orientation(const uint8_t* tiff, size_t size) {
  if (size < 8) return 1;
  bool little;
  if (tiff[0] == 'I' && tiff[1] == 'I')
    little = true;
  else if (tiff[0] == 'M' && tiff[1] == 'M')
    little = false;
  else
    return 1;
  if (read_u16(tiff + 2, little) != 42) return 1;
  const uint32_t ifd = read_u32(tiff + 4, little);
  if (ifd > size - 2) return 1;
  const uint32_t entries = read_u16(tiff + ifd, little);
  for (uint32_t e = 0; e < entries; ++e) {
    const size_t at = ifd + 2 + static_cast<size_t>(e) * 12;
    if (at + 12 > size) return 1;
    if (read_u16(tiff + at, little) != 0x0112) continue;
    if (read_u16(tiff + at + 2, little) != 3) return 1;  // SHORT
    const uint32_t value = read_u16(tiff + at + 8, little);
    return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
  }
  return 1;
}

// The EXIF orientation (1..8) of a JPEG stream: the first APP1 "Exif" segment before the
// scan data. 1 (as stored) for everything else.
int jpeg_orientation(const uint8_t* data, size_t size) {
  if (size < 4 || data[0] != 0xFF || data[1] != 0xD8) return 1;
  size_t at = 2;
  while (at + 4 <= size) {
    if (data[at] != 0xFF) return 1;
    const uint8_t marker = data[at + 1];
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return 1;              // start of scan / end of image
    if ((marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {  // no length field
      at += 2;
      continue;
    }
    const size_t length = read_u16(data + at + 2, false);
    if (length < 2 || at + 2 + length > size) return 1;
    const uint8_t* body = data + at + 4;
    const size_t body_size = length - 2;
    if (marker == 0xE1 && body_size >= 6 && std::memcmp(body, "Exif\0\0", 6) == 0)
      return tiff_orientation(body + 6, body_size - 6);
    at += 2 + length;
  }
  return 1;
}

// OpenCV's ExifTransform: orientations 5..8 transpose first; then 2, 3, 6, 7 flip
// horizontally and 3, 4, 7, 8 flip vertically.
ImageU8 apply_orientation(ImageU8 in, int orientation) {
  if (orientation <= 1 || orientation > 8) return in;
  const bool transpose = orientation >= 5;
  const bool flip_h = orientation == 2 || orientation == 3 || orientation == 6 || orientation == 7;
  const bool flip_v = orientation == 3 || orientation == 4 || orientation == 7 || orientation == 8;
  ImageU8 out;
  out.channels = in.channels;
  out.width = transpose ? in.height : in.width;
  out.height = transpose ? in.width : in.height;
  out.pixels.resize(in.pixels.size());
  const int32_t c = in.channels;
  for (int32_t y = 0; y < out.height; ++y) {
    for (int32_t x = 0; x < out.width; ++x) {
      const int32_t tx = flip_h ? out.width - 1 - x : x;  // position in the transposed image
      const int32_t ty = flip_v ? out.height - 1 - y : y;
      const int32_t sx = transpose ? ty : tx, sy = transpose ? tx : ty;
      std::memcpy(&out.pixels[(static_cast<size_t>(y) * out.width + x) * c],
                  &in.pixels[(static_cast<size_t>(sy) * in.width + sx) * c], c);
    }
  }
  return out;
}

struct StbFree {
  void operator()(stbi_uc* p) const { stbi_image_free(p); }
};

void check_png_target(const std::string& path, int32_t width, int32_t height, int32_t channels) {
  P3D_CHECK(width > 0 && height > 0, "write_png ", path, ": empty image (", width, "x", height,
            ")");
  P3D_CHECK(channels == 1 || channels == 3, "write_png ", path, ": ", channels,
            " channels (1 grey or 3 BGR are supported)");
  P3D_CHECK(static_cast<int64_t>(width) * channels <= std::numeric_limits<int32_t>::max(),
            "write_png ", path, ": row too long");
}

void write_rgb_or_grey(const std::string& path, const uint8_t* bgr_or_grey, int32_t width,
                       int32_t height, int32_t channels) {
  check_png_target(path, width, height, channels);
  std::vector<uint8_t> rgb;
  const uint8_t* data = bgr_or_grey;
  if (channels == 3) {  // cv2.imwrite takes BGR and stores RGB
    rgb.assign(bgr_or_grey, bgr_or_grey + static_cast<size_t>(width) * height * 3);
    for (size_t i = 0; i < rgb.size(); i += 3) std::swap(rgb[i], rgb[i + 2]);
    data = rgb.data();
  }
  if (!stbi_write_png(path.c_str(), width, height, channels, data, width * channels))
    P3D_THROW("write_png ", path, ": cannot write the file (", std::strerror(errno), ")");
}

}  // namespace

ImageU8 decode_image(const uint8_t* data, size_t size, const std::string& what) {
  if (size == 0) P3D_THROW("image ", what, ": the file is empty");
  P3D_CHECK(size <= static_cast<size_t>(std::numeric_limits<int>::max()), "image ", what, ": ",
            size, " bytes is too large");
  const bool jpeg = size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
  const bool png = size >= 8 && std::memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0;
  if (!jpeg && !png) P3D_THROW("image ", what, ": not a JPEG or PNG file (unsupported format)");
  int width = 0, height = 0, file_channels = 0;
  std::unique_ptr<stbi_uc, StbFree> rgb(
      stbi_load_from_memory(data, static_cast<int>(size), &width, &height, &file_channels, 3));
  if (!rgb) {
    const char* reason = stbi_failure_reason();
    P3D_THROW("image ", what, ": cannot decode the ", jpeg ? "JPEG" : "PNG", " (",
              reason ? reason : "unknown error", ": corrupt, truncated or an unsupported variant)");
  }
  ImageU8 out;
  out.width = width;
  out.height = height;
  out.channels = 3;
  const size_t bytes = static_cast<size_t>(width) * height * 3;
  out.pixels.assign(rgb.get(), rgb.get() + bytes);
  for (size_t i = 0; i < bytes; i += 3) std::swap(out.pixels[i], out.pixels[i + 2]);  // RGB -> BGR
  return jpeg ? apply_orientation(std::move(out), jpeg_orientation(data, size)) : out;
}

ImageU8 read_image(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) P3D_THROW("image ", path, ": cannot open the file (", std::strerror(errno), ")");
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  if (in.bad()) P3D_THROW("image ", path, ": read error");
  return decode_image(bytes.data(), bytes.size(), path);
}

void write_png(const std::string& path, const ImageU8& image) {
  P3D_CHECK(image.pixels.size() == static_cast<size_t>(image.width) * image.height * image.channels,
            "write_png ", path, ": ", image.pixels.size(), " bytes for a ", image.width, "x",
            image.height, "x", image.channels, " image");
  write_rgb_or_grey(path, image.pixels.data(), image.width, image.height, image.channels);
}

void write_png(const std::string& path, const float* data, int32_t width, int32_t height,
               int32_t channels, FloatMapScaling scaling) {
  check_png_target(path, width, height, channels);
  const size_t count = static_cast<size_t>(width) * height * channels;
  double lo = 0.0, hi = 255.0;
  if (scaling == FloatMapScaling::kNormalize) {
    lo = std::numeric_limits<double>::infinity();
    hi = -lo;
    for (size_t i = 0; i < count; ++i)
      if (std::isfinite(data[i]))
        lo = std::min(lo, static_cast<double>(data[i])),
        hi = std::max(hi, static_cast<double>(data[i]));
  }
  std::vector<uint8_t> u8(count, 0);
  for (size_t i = 0; i < count; ++i) {
    const double v = data[i];
    if (!std::isfinite(v)) continue;
    double level = v;
    if (scaling == FloatMapScaling::kNormalize)
      level = hi > lo ? (v - lo) * 255.0 / (hi - lo) : 0.0;
    u8[i] = static_cast<uint8_t>(std::lround(std::clamp(level, 0.0, 255.0)));
  }
  write_rgb_or_grey(path, u8.data(), width, height, channels);
}

}  // namespace p3d
