// Image files (image_io.h). JPEG goes through libjpeg-turbo driven as OpenCV 4.10's
// JpegDecoder drives it (so that photos decode bit for bit as cv2.imread decodes them),
// plus the EXIF orientation that cv2.imread applies afterwards; PNG goes through stb_image
// (its PNG decodes already equal OpenCV's); PNGs are written by pipeline/png_encode.h. The
// stb implementation is compiled here with internal linkage, so other units may embed their
// own copy.
//
// libjpeg reports errors through a callback that must not return; ours longjmps back into
// the member of JpegDecompressor that made the call. Those members keep only trivially
// destructible locals, so the jump skips no C++ destructor, and nothing thrown ever crosses
// libjpeg's C frames: the p3d::Error is thrown after the jump, in C++ code.
#include "pipeline/image_io.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>

#include "pipeline/atomic_file.h"
#include "pipeline/png_encode.h"

// The order matters: jpeglib.h uses FILE and size_t without including their headers (so
// after <cstdio>), and jerror.h's list of messages depends on jpeglib.h's configuration.
// clang-format off
#include <jpeglib.h>
#include <jerror.h>
// clang-format on
#ifndef LIBJPEG_TURBO_VERSION
#error "needs libjpeg-turbo: OpenCV decodes with it (IJG libjpeg upsamples differently)"
#endif

#include "kernels/error.h"
#include "pipeline/input_limits.h"

#define STBI_ONLY_PNG
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#include <stb/stb_image.h>
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

// cv2.imwrite takes BGR and stores RGB: the PNG bytes of a grey or BGR image.
std::vector<uint8_t> png_of(const uint8_t* bgr_or_grey, int32_t width, int32_t height,
                            int32_t channels, const std::string& what) {
  check_png_target(what, width, height, channels);
  if (channels != 3) return encode_png_bytes(bgr_or_grey, width, height, channels, what);
  std::vector<uint8_t> rgb(bgr_or_grey, bgr_or_grey + static_cast<size_t>(width) * height * 3);
  for (size_t i = 0; i < rgb.size(); i += 3) std::swap(rgb[i], rgb[i + 2]);
  return encode_png_bytes(rgb.data(), width, height, channels, what);
}

void write_rgb_or_grey(const std::string& path, const uint8_t* bgr_or_grey, int32_t width,
                       int32_t height, int32_t channels) {
  write_file_atomic(path, png_of(bgr_or_grey, width, height, channels, path));
}

// ---- JPEG ----------------------------------------------------------------------------

// OpenCV reads the orientation from the first APP1 segment only, and only when that one is
// Exif: an XMP APP1 ahead of the Exif one hides the tag from cv2.imread (the oracle's
// orient6_after_xmp fixture), so it is ignored here too.
int exif_orientation(const jpeg_decompress_struct& cinfo) {
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m != nullptr; m = m->next) {
    if (m->marker != JPEG_APP0 + 1) continue;
    if (m->data_length < 6 || std::memcmp(m->data, "Exif\0\0", 6) != 0) return 1;
    return tiff_orientation(m->data + 6, m->data_length - 6);
  }
  return 1;
}

// Warnings after which libjpeg carries on with pixels it did not read: it pads a truncated
// stream with an end-of-image marker and grey blocks, and skips or zeroes what corrupt
// entropy-coded data leaves undecodable. cv2.imread returns such an image; we refuse it.
// The remaining warnings (bytes between markers, unknown JFIF revision or Adobe transform,
// odd SOS parameters, a bad ICC chunk) leave the pixels whole and are ignored, as OpenCV
// ignores them.
bool loses_pixels(int msg_code) {
  switch (msg_code) {
    case JWRN_JPEG_EOF:           // the data ends before the end-of-image marker
    case JWRN_HIT_MARKER:         // a marker inside an entropy-coded segment
    case JWRN_HUFF_BAD_CODE:      // an invalid Huffman code
    case JWRN_ARITH_BAD_CODE:     // an invalid arithmetic code
    case JWRN_MUST_RESYNC:        // a restart marker missing or out of order
    case JWRN_BOGUS_PROGRESSION:  // progressive scans that leave coefficients unset
      return true;
    default:
      return false;
  }
}

// libjpeg's error manager with the jump target of the call in progress and the text of the
// first fatal message (jpeg_error_mgr first, since libjpeg hands back a pointer to it).
struct JpegErrors {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  bool truncated = false;
  char message[JMSG_LENGTH_MAX] = {};
};

// Replaces error_exit, whose default prints the message and calls exit().
void jpeg_fail(j_common_ptr cinfo) {
  JpegErrors* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
  errors->truncated = cinfo->err->msg_code == JWRN_JPEG_EOF;
  (*cinfo->err->format_message)(cinfo, errors->message);
  std::longjmp(errors->jump, 1);
}

// Replaces emit_message: traces (level >= 0) and harmless warnings pass silently; a warning
// that means lost pixels fails the decode like an error.
void jpeg_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  ++cinfo->err->num_warnings;
  if (loses_pixels(cinfo->err->msg_code)) jpeg_fail(cinfo);
}

// One libjpeg decompression of a memory buffer. Each member that calls into libjpeg sets the
// jump target first and returns false when libjpeg failed (message() says why).
class JpegDecompressor {
 public:
  JpegDecompressor() {
    std::memset(&cinfo_, 0, sizeof cinfo_);  // a never-created struct destroys as a no-op
    cinfo_.err = jpeg_std_error(&errors_.pub);
    errors_.pub.error_exit = jpeg_fail;
    errors_.pub.emit_message = jpeg_message;
  }
  ~JpegDecompressor() { jpeg_destroy_decompress(&cinfo_); }
  JpegDecompressor(const JpegDecompressor&) = delete;
  JpegDecompressor& operator=(const JpegDecompressor&) = delete;

  // Parses the stream up to the first scan, keeping the APP1 segments (for EXIF) as
  // JpegDecoder::readHeader does.
  bool read_header(const uint8_t* data, size_t size) {
    if (setjmp(errors_.jump)) return false;
    jpeg_create_decompress(&cinfo_);
    jpeg_mem_src(&cinfo_, data, static_cast<unsigned long>(size));
    jpeg_save_markers(&cinfo_, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo_, TRUE);
    return true;
  }

  // Decodes into `bgr` (image_width x image_height x 3) with JpegDecoder::readData's settings
  // for a colour read: libjpeg's defaults (accurate integer IDCT, fancy upsampling, full
  // scale), output converted by libjpeg straight to BGR (grey replicated), except that
  // 4-component files come out as CMYK and are converted by OpenCV's formula.
  bool decode(uint8_t* bgr) {
    if (setjmp(errors_.jump)) return false;
    cinfo_.dct_method = JDCT_ISLOW;
    cinfo_.do_fancy_upsampling = TRUE;
    cinfo_.scale_num = cinfo_.scale_denom = 1;
    const bool cmyk = cinfo_.num_components == 4;
    cinfo_.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_BGR;
    jpeg_start_decompress(&cinfo_);
    const JDIMENSION width = cinfo_.output_width;
    // CMYK rows land in libjpeg's own pool (freed with the decompressor), not in a C++
    // object that a jump would leak.
    JSAMPARRAY scratch = cmyk ? (*cinfo_.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&cinfo_),
                                                            JPOOL_IMAGE, width * 4, 1)
                              : nullptr;
    while (cinfo_.output_scanline < cinfo_.output_height) {
      uint8_t* out = bgr + static_cast<size_t>(cinfo_.output_scanline) * width * 3;
      JSAMPROW row = cmyk ? scratch[0] : out;
      if (jpeg_read_scanlines(&cinfo_, &row, 1) != 1) {
        std::snprintf(errors_.message, sizeof errors_.message, "no scanline %u",
                      cinfo_.output_scanline);
        return false;
      }
      if (cmyk) cmyk_to_bgr(scratch[0], out, width);
    }
    jpeg_finish_decompress(&cinfo_);
    return true;
  }

  const jpeg_decompress_struct& info() const { return cinfo_; }
  const char* message() const { return errors_.message; }
  bool truncated() const { return errors_.truncated; }

 private:
  // OpenCV's icvCvt_CMYK2BGR_8u_C4C3R: each ink as k - (255 - ink) * k / 256 (truncated),
  // which reads the samples as Adobe's inverted CMYK; R from C, G from M, B from Y.
  static void cmyk_to_bgr(const uint8_t* cmyk, uint8_t* bgr, JDIMENSION width) {
    for (JDIMENSION x = 0; x < width; ++x, cmyk += 4, bgr += 3) {
      const int k = cmyk[3];
      bgr[0] = static_cast<uint8_t>(k - (((255 - cmyk[2]) * k) >> 8));
      bgr[1] = static_cast<uint8_t>(k - (((255 - cmyk[1]) * k) >> 8));
      bgr[2] = static_cast<uint8_t>(k - (((255 - cmyk[0]) * k) >> 8));
    }
  }

  jpeg_decompress_struct cinfo_;
  JpegErrors errors_;
};

ImageU8 decode_jpeg(const uint8_t* data, size_t size, const std::string& what) {
  JpegDecompressor jpeg;
  auto fail = [&] {
    if (jpeg.truncated())
      P3D_THROW("image ", what, ": cannot decode the JPEG: the file is truncated (", jpeg.message(),
                ")");
    P3D_THROW("image ", what, ": cannot decode the JPEG (", jpeg.message(),
              ": corrupt or an unsupported variant)");
  };
  if (!jpeg.read_header(data, size)) fail();
  const jpeg_decompress_struct& info = jpeg.info();
  const uint64_t pixels = static_cast<uint64_t>(info.image_width) * info.image_height;
  P3D_CHECK(pixels > 0, "image ", what, ": a ", info.image_width, "x", info.image_height,
            " JPEG is empty");
  // The header's size against the input cap, before the pixel buffer is allocated (the
  // orientation copy may need as much again, hence twice).
  input_limits().check(
      pixels * 3 * 2, "image " + what,
      "a " + std::to_string(info.image_width) + "x" + std::to_string(info.image_height) + " JPEG");
  // OpenCV's imread limit (CV_IO_MAX_IMAGE_PIXELS) as a guard against absurd headers.
  P3D_CHECK(pixels <= (uint64_t{1} << 30), "image ", what, ": a ", info.image_width, "x",
            info.image_height, " JPEG is too large to decode (more than 2^30 pixels)");
  const int orientation = exif_orientation(info);  // saved markers die with the decode
  ImageU8 out;
  out.width = static_cast<int32_t>(info.image_width);
  out.height = static_cast<int32_t>(info.image_height);
  out.channels = 3;
  out.pixels.resize(pixels * 3);
  if (!jpeg.decode(out.pixels.data())) fail();
  return apply_orientation(std::move(out), orientation);
}

// Walks the PNG's chunks before stb sees them. stb allocates each IDAT chunk's declared
// length before reading it (a 1 GiB claim in a small file was a fuzzing finding), and
// checks neither chunk CRCs nor zlib's adler32, so a flipped byte in the pixel data would
// decode to wrong pixels without a word. libpng (cv2.imread) refuses a truncated file and a
// CRC error in a critical chunk (IHDR, PLTE, IDAT, IEND: an upper-case first letter) and
// drops ancillary chunks with bad CRCs; so do we, and stb then only ever sees chunks whose
// bytes are all present.
void check_png_chunks(const uint8_t* data, size_t size, const std::string& what) {
  size_t at = 8;
  while (true) {
    if (size - at < 12)
      P3D_THROW("image ", what, ": cannot decode the PNG: the file is truncated (", size - at,
                " bytes after the last whole chunk, no IEND chunk)");
    const uint32_t length = read_u32(data + at, false);
    const char* type = reinterpret_cast<const char*>(data + at + 4);
    const std::string name(type, 4);
    if (length > size - at - 12)
      P3D_THROW("image ", what, ": cannot decode the PNG: the file is truncated: its ", name,
                " chunk at byte ", at, " declares ", length, " bytes, only ", size - at - 12,
                " remain");
    if ((type[0] & 0x20) == 0) {
      const uLong crc = crc32(0, data + at + 4, static_cast<uInt>(length) + 4);
      if (crc != read_u32(data + at + 8 + length, false))
        P3D_THROW("image ", what, ": cannot decode the PNG: CRC mismatch in its ", name,
                  " chunk at byte ", at, " (corrupt file)");
    }
    at += size_t{12} + length;
    if (name == "IEND") return;
  }
}

ImageU8 decode_png(const uint8_t* data, size_t size, const std::string& what) {
  int width = 0, height = 0, file_channels = 0;
  check_png_chunks(data, size, what);
  // The size IHDR declares against the input cap, read here before stb allocates (stb's
  // own guard only says "too large", and only past 2^30 bytes): its working buffer of the
  // file's channels (2 bytes a sample at 16 bits) and the 3-channel result plus our copy.
  if (size >= 26 && std::memcmp(data + 12, "IHDR", 4) == 0) {
    const uint64_t w = read_u32(data + 16, false), h = read_u32(data + 20, false);
    const int colour = data[25];
    const uint64_t channels = colour == 0 ? 1 : colour == 4 ? 2 : colour == 6 ? 4 : 3;
    const uint64_t sample = data[24] == 16 ? 2 : 1;
    const uint64_t need = saturating_mul(w * h, std::max<uint64_t>(channels, 3) * sample + 6);
    input_limits().check(need, "image " + what,
                         "a " + std::to_string(w) + "x" + std::to_string(h) + " PNG");
  }
  std::unique_ptr<stbi_uc, StbFree> rgb(
      stbi_load_from_memory(data, static_cast<int>(size), &width, &height, &file_channels, 3));
  if (!rgb) {
    const char* reason = stbi_failure_reason();
    P3D_THROW("image ", what, ": cannot decode the PNG (", reason ? reason : "unknown error",
              ": corrupt, truncated or an unsupported variant)");
  }
  ImageU8 out;
  out.width = width;
  out.height = height;
  out.channels = 3;
  const size_t bytes = static_cast<size_t>(width) * height * 3;
  out.pixels.assign(rgb.get(), rgb.get() + bytes);
  for (size_t i = 0; i < bytes; i += 3) std::swap(out.pixels[i], out.pixels[i + 2]);  // RGB -> BGR
  return out;
}

}  // namespace

ImageU8 decode_image(const uint8_t* data, size_t size, const std::string& what) {
  if (size == 0) P3D_THROW("image ", what, ": the file is empty");
  P3D_CHECK(size <= static_cast<size_t>(std::numeric_limits<int>::max()), "image ", what, ": ",
            size, " bytes is too large");
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
    return decode_jpeg(data, size, what);
  if (size >= 8 && std::memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0)
    return decode_png(data, size, what);
  P3D_THROW("image ", what, ": not a JPEG or PNG file (unsupported format)");
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

// ---- encode_png (appended: PNG bytes in memory, for the atomic writer) ---------------------
namespace p3d {

std::vector<uint8_t> encode_png(const ImageU8& image, const std::string& what) {
  P3D_CHECK(image.pixels.size() == static_cast<size_t>(image.width) * image.height * image.channels,
            "encode_png ", what, ": ", image.pixels.size(), " bytes for a ", image.width, "x",
            image.height, "x", image.channels, " image");
  return png_of(image.pixels.data(), image.width, image.height, image.channels, what);
}

}  // namespace p3d
