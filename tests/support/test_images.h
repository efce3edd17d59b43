// Image helpers the photo tests share (face detection, alignment, previews, the bare-photo
// CLI runs): synthetic photos and shrinking one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pipeline/image_io.h"

namespace p3d::test {

// A width x height RGB photo whose byte (x, y, c) is value(x, y, c), filled in memory order
// (row by row, pixel by pixel, channel by channel: a stateful `value` sees that order).
template <typename Value>
ImageU8 synthetic_rgb(int32_t width, int32_t height, Value value) {
  ImageU8 img;
  img.width = width;
  img.height = height;
  img.channels = 3;
  img.pixels.resize(static_cast<size_t>(width) * height * 3);
  uint8_t* p = img.pixels.data();
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x)
      for (int64_t c = 0; c < 3; ++c) *p++ = static_cast<uint8_t>(value(x, y, c));
  return img;
}

// A width x height RGB photo of one grey level.
inline ImageU8 flat_rgb(int32_t width, int32_t height, uint8_t level) {
  return synthetic_rgb(width, height, [level](int64_t, int64_t, int64_t) { return level; });
}

// An RGB photo shrunk by an integer factor f with a rounded box average (each output
// pixel the mean of an f x f block), so a face in it becomes f times smaller.
inline ImageU8 box_shrink(const ImageU8& photo, int f) {
  ImageU8 small;
  small.width = photo.width / f;
  small.height = photo.height / f;
  small.channels = 3;
  small.pixels.resize(static_cast<size_t>(small.width) * small.height * 3);
  for (int y = 0; y < small.height; ++y)
    for (int x = 0; x < small.width; ++x)
      for (int c = 0; c < 3; ++c) {
        int sum = 0;
        for (int dy = 0; dy < f; ++dy)
          for (int dx = 0; dx < f; ++dx)
            sum +=
                photo
                    .pixels[((static_cast<size_t>(y) * f + dy) * photo.width + x * f + dx) * 3 + c];
        small.pixels[(static_cast<size_t>(y) * small.width + x) * 3 + c] =
            static_cast<uint8_t>((sum + f * f / 2) / (f * f));
      }
  return small;
}

}  // namespace p3d::test
