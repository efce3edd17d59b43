// PNG encoding (RGB or grey, 8 bits): every row filtered with "Sub" and the image deflated
// at a fast level by libdeflate. stb_image_write's encoder, which this replaces for writing, tries
// five filters per row and runs its own slow deflate: for the multi-megapixel overlays `run`
// writes per portrait, encoding was most of the run's time on the CPU.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace p3d {

// data: [height, width, channels] rows, channels 1 (grey) or 3 (RGB, in that order). `what`
// names the image in errors. level 1 (fast) .. 12 (small; libdeflate's scale).
std::vector<uint8_t> encode_png_bytes(const uint8_t* data, int32_t width, int32_t height,
                                      int32_t channels, const std::string& what, int level = 1);

}  // namespace p3d
