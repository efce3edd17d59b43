// Photo and image-map files: decoding JPEG / PNG into the layout the original works in
// (cv2.imread: interleaved 8-bit BGR, row 0 at the top) and writing PNGs for inspection.
// JPEG is decoded by libjpeg-turbo with the settings OpenCV 4.10's decoder uses (accurate
// integer IDCT, fancy upsampling, libjpeg's colour conversion straight to BGR, OpenCV's own
// formula for CMYK), so a photo's pixels equal cv2.imread's bit for bit; PNG is decoded by
// stb_image, whose PNG decodes already equal OpenCV's. Where cv2.imread would return a
// partial image (a truncated stream, corrupt entropy-coded data: libjpeg only warns and
// fills in grey), we refuse the file instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace p3d {

// An owning 8-bit image with interleaved channels, row 0 at the top. Photos are BGR.
struct ImageU8 {
  int32_t width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;  // [height, width, channels]

  bool empty() const { return pixels.empty(); }
  const uint8_t* data() const { return pixels.data(); }
  uint8_t* data() { return pixels.data(); }
  size_t bytes() const { return pixels.size(); }
};

// Reads a JPEG or PNG photo as cv2.imread(path) (IMREAD_COLOR) does: 3 channels in BGR
// order, alpha dropped, grey replicated, 16-bit samples reduced to their high byte, and a
// JPEG's EXIF orientation applied (OpenCV >= 3.1 does, from the first APP1 segment when it
// is Exif; other formats' tags are ignored). Throws p3d::Error naming the file when it is
// missing, unreadable, empty, truncated, corrupt or of another format.
ImageU8 read_image(const std::string& path);

// The same from bytes in memory; `what` names the source in errors.
ImageU8 decode_image(const uint8_t* data, size_t size, const std::string& what);

// Writes a 1-channel (grey) or 3-channel (BGR, stored as RGB like cv2.imwrite) image.
void write_png(const std::string& path, const ImageU8& image);

// How a float map becomes 8 bits.
enum class FloatMapScaling {
  kNormalize,  // the finite values' [min, max] mapped linearly to [0, 255] (all equal -> 0)
  kClamp,      // values taken as 0..255 levels: rounded to nearest, clamped to [0, 255]
};

// Writes a float map [height, width, channels] (channels 1, or 3 as BGR) as an 8-bit PNG;
// NaN and infinities become 0. Normalisation uses one range over all channels.
void write_png(const std::string& path, const float* data, int32_t width, int32_t height,
               int32_t channels, FloatMapScaling scaling);

}  // namespace p3d

namespace p3d {

// The PNG bytes write_png(path, image) would write (1-channel grey or 3-channel BGR stored
// as RGB), in memory — for writers that save through pipeline/atomic_file.h. `what` names
// the target in errors.
std::vector<uint8_t> encode_png(const ImageU8& image, const std::string& what);

}  // namespace p3d
