// libFuzzer target for photo decoding through our own path (pipeline/image_io.h
// decode_image): JPEG via libjpeg-turbo as OpenCV drives it, with EXIF orientation, and PNG
// via stb_image, under a 64 MiB input cap so a huge declared size must be refused from the
// header. An accepted image must be consistent: 3 channels and width x height x 3 bytes.
//
// p3d::Error is the documented refusal; anything else is a finding (see mat_fuzzer.cpp).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.h"
#include "kernels/error.h"
#include "pipeline/image_io.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  p3d::fuzz::set_fuzz_limits();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const p3d::ImageU8 image = p3d::decode_image(data, size, "fuzz");
    if (image.channels != 3 || image.width <= 0 || image.height <= 0 ||
        image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3)
      __builtin_trap();
  } catch (const p3d::Error&) {
  }
  return 0;
}
