// encode_png_bytes (png_encode.h): signature, IHDR, one IDAT, IEND, each chunk with its CRC.
#include "pipeline/png_encode.h"

#include <zlib.h>

#include "kernels/error.h"

namespace p3d {
namespace {

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  out.insert(out.end(), {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                         static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)});
}

void put_chunk(std::vector<uint8_t>& out, const char type[4], const uint8_t* data, size_t size) {
  put_u32(out, static_cast<uint32_t>(size));
  const size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data, data + size);
  const uLong crc = crc32(0L, out.data() + start, static_cast<uInt>(size + 4));
  put_u32(out, static_cast<uint32_t>(crc));
}

}  // namespace

std::vector<uint8_t> encode_png_bytes(const uint8_t* data, int32_t width, int32_t height,
                                      int32_t channels, const std::string& what, int level) {
  P3D_CHECK(width > 0 && height > 0 && (channels == 1 || channels == 3) && data, "encode PNG ",
            what, ": ", width, "x", height, "x", channels, " is not an 8-bit grey or RGB image");
  const size_t row = static_cast<size_t>(width) * channels;
  // Filtered scanlines: a filter byte (1 = Sub: each byte minus the one a pixel to the left).
  std::vector<uint8_t> raw((row + 1) * height);
  for (int32_t y = 0; y < height; ++y) {
    const uint8_t* src = data + y * row;
    uint8_t* dst = raw.data() + y * (row + 1);
    dst[0] = 1;
    for (int32_t c = 0; c < channels; ++c) dst[1 + c] = src[c];
    for (size_t i = channels; i < row; ++i)
      dst[1 + i] = static_cast<uint8_t>(src[i] - src[i - channels]);
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<uint8_t> packed(packed_size);
  if (compress2(packed.data(), &packed_size, raw.data(), static_cast<uLong>(raw.size()), level) !=
      Z_OK)
    P3D_THROW("encode PNG ", what, ": zlib failed (out of memory?)");

  std::vector<uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  out.reserve(packed_size + 64);
  uint8_t ihdr[13];
  for (int i = 0; i < 4; ++i) {
    ihdr[i] = static_cast<uint8_t>(static_cast<uint32_t>(width) >> (24 - 8 * i));
    ihdr[4 + i] = static_cast<uint8_t>(static_cast<uint32_t>(height) >> (24 - 8 * i));
  }
  ihdr[8] = 8;                         // bit depth
  ihdr[9] = channels == 3 ? 2 : 0;     // colour type: RGB or grey
  ihdr[10] = ihdr[11] = ihdr[12] = 0;  // deflate, adaptive filtering, no interlace
  put_chunk(out, "IHDR", ihdr, sizeof ihdr);
  put_chunk(out, "IDAT", packed.data(), packed_size);
  put_chunk(out, "IEND", nullptr, 0);
  return out;
}

}  // namespace p3d
