// CPU emulation of the reduced-precision arithmetic the CUDA backend runs with tensor cores
// (engine/precision.h), so its error against FP32 can be measured where there is no GPU:
// the same values are rounded, the products and sums stay float.
//   Tf32: conv / matmul inputs and filters rounded to 10 mantissa bits, to nearest even.
//   Half: conv inputs and filters rounded to IEEE half (kernels/half.h, to nearest even),
//         the conv's result rounded to half before the float epilogue (bias, residual,
//         activation): cuDNN's half-storage convolution writes a half output; matmul inputs
//         rounded to half, the result float (cuBLAS CUBLAS_COMPUTE_32F_FAST_16F).
// The GPU's own conversions may differ in the last kept bit (some tensor-core paths
// truncate instead of rounding); the error measured here is the same order, not the same bits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/conv.h"
#include "kernels/half.h"
#include "kernels/matmul.h"

namespace p3d::cpu {

class ThreadPool;

enum class Rounding { Tf32, Half };

// TF32 keeps float's 8-bit exponent and the top 10 of its 23 mantissa bits. Rounds to
// nearest, ties to even; a carry into the exponent is the correct result (up to infinity);
// infinities and NaNs pass unchanged.
inline float round_to_tf32(float f) {
  const uint32_t u = float_to_bits(f);
  if ((u & 0x7f800000u) == 0x7f800000u) return f;
  const uint32_t rounded = (u + 0xfffu + ((u >> 13) & 1u)) & ~0x1fffu;
  return bits_to_float(rounded);
}

inline float round_to_half(float f) { return half_to_float(float_to_half(f)); }

inline float round_to(Rounding r, float f) {
  return r == Rounding::Tf32 ? round_to_tf32(f) : round_to_half(f);
}

void round_in_place(Rounding r, float* data, size_t count);

// The conv / matmul kernels of kernels/cpu/ with their inputs (and, for Half, the conv's
// result) rounded as the GPU's reduced precision rounds them. Filters are rounded once,
// before packing (round_in_place on the host filter): packing only moves values. The
// scratch copies of the inputs grow to the largest call and are reused (not thread-safe:
// one caller at a time, as the backend that owns this).
class PrecisionEmulation {
 public:
  explicit PrecisionEmulation(Rounding r) : rounding_(r) {}
  Rounding rounding() const { return rounding_; }

  void conv2d(ThreadPool& pool, const Conv2dParams& p, const float* x, const float* w_packed,
              const float* bias, const float* residual, float* y, void* workspace);
  void conv_transpose2d(ThreadPool& pool, const ConvTranspose2dParams& p, const float* x,
                        const float* w_packed, const float* bias, const float* residual, float* y,
                        void* workspace);
  void matmul(ThreadPool& pool, const MatmulParams& p, const float* a, const float* b,
              const float* bias, float* c);

 private:
  // x rounded into input_; returns it.
  const float* rounded_input(const float* x, size_t count);
  // Half only: the conv ran without its epilogue into y; round y to half, then apply
  // bias, residual (saved in residual_ when it was y itself) and activation in float.
  void finish_half_conv(const Conv2dParams& p, const float* bias, const float* residual, float* y);

  Rounding rounding_;
  std::vector<float> input_, other_input_, residual_;
};

}  // namespace p3d::cpu
