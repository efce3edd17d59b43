// The one memory cap on what a user's input file may declare: an image's width x height, a
// .mat array's element count, a compressed .mat variable's inflated size. Every decoder
// checks the size a header declares against it before allocating anything, so a 100,000 x
// 100,000 PNG header or a .mat claiming 10^12 elements is refused in microseconds with a
// message instead of exhausting memory (or, worse, succeeding after minutes of swapping).
//
// One process-wide value, read once from the environment (P3D_MAX_INPUT_BYTES, bytes) or
// the default, and settable by a program or test (the fuzzers lower it to stay inside
// libFuzzer's malloc limit). Decoders take an explicit InputLimits where a caller needs a
// different one for a single call.
#pragma once

#include <cstdint>
#include <string>

namespace p3d {

struct InputLimits {
  // Largest number of bytes one decoded input may need: an image's pixels as 8-bit BGR
  // (width * height * 3), a .mat array's elements widened to double (count * 8), a
  // compressed .mat variable's inflated bytes. 4 GiB: a 100-megapixel photo needs 0.3 GiB,
  // the 127 MB face model's largest array 0.1 GiB.
  uint64_t max_bytes = uint64_t{4} << 30;

  // Throws p3d::Error "<what>: <declared> needs <bytes> bytes, more than the input cap of
  // <max_bytes> bytes (P3D_MAX_INPUT_BYTES)" when `bytes` exceeds the cap. `declared` says
  // what the header claimed ("a 100000x100000 PNG", "an array of 1000000 x 1000000").
  void check(uint64_t bytes, const std::string& what, const std::string& declared) const;
};

// The process-wide limits: P3D_MAX_INPUT_BYTES from the environment at first use when set
// (a positive integer; anything else throws), else the defaults above.
const InputLimits& input_limits();
// Replaces the process-wide limits (not thread-safe against concurrent decoders: call it
// before starting work).
void set_input_limits(const InputLimits& limits);

// a * b, or UINT64_MAX when it overflows (so a cap check on the product still refuses it).
inline uint64_t saturating_mul(uint64_t a, uint64_t b) {
  if (a != 0 && b > UINT64_MAX / a) return UINT64_MAX;
  return a * b;
}

}  // namespace p3d
