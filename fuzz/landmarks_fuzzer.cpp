// libFuzzer target for the landmark and detection text parsers (pipeline/landmarks.h):
// arbitrary bytes as NAME_landmark.txt / NAME_detection.txt text, parsed in each of the three
// conventions for a photo size taken from the first two bytes (so the range checks against
// the image size are exercised too, down to 1x1).
//
// p3d::Error is the documented refusal; anything else is a finding (see mat_fuzzer.cpp).
#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/error.h"
#include "pipeline/landmarks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int32_t width = 640, height = 480;
  if (size >= 2 && data[0] == 0) {  // a leading NUL selects a fuzzed size (1..256 each)
    width = 1 + data[1];
    height = 1 + (size >= 3 ? data[2] : 0);
  }
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (p3d::LandmarkConvention c :
       {p3d::LandmarkConvention::YUp68, p3d::LandmarkConvention::TopLeft68,
        p3d::LandmarkConvention::Detection5}) {
    try {
      const p3d::Landmarks lm = p3d::parse_landmarks(text, c, width, height, "fuzz");
      if (lm.count() != p3d::landmark_count(c)) __builtin_trap();  // documented: exactly this
    } catch (const p3d::Error&) {
    }
  }
  return 0;
}
