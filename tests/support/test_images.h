// Image helpers the photo tests share (face detection, the bare-photo CLI runs).
#pragma once

#include <cstddef>
#include <cstdint>

#include "pipeline/image_io.h"

namespace p3d::test {

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
