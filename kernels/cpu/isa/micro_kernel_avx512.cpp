// The GEMM micro-kernel for AVX-512 (F/VL/DQ + FMA): 12 rows x 32 columns, 24 zmm
// accumulators, B chunks of 256 x 32 floats (32 KiB, inside a 48 KiB L1). Compiled with
// -mavx512f -mavx512vl -mavx512dq -mfma (see CMakeLists.txt) and called only when CPUID
// says the CPU has them (kernels/cpu/cpu_isa.h). The Winograd transforms of the same set
// (winograd_transforms_impl.h) are instantiated here too.
#include <immintrin.h>

#include <cstdint>

// GCC 12 reports its own masked-load intrinsics (`__m512 __Y = __Y;` in avx512fintrin.h)
// as maybe-uninitialized once they are inlined; a known false positive, raised after
// inlining, so it can only be silenced for the whole file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include "kernels/cpu/isa/micro_kernel.h"
#include "kernels/cpu/isa/winograd_transforms.h"

namespace p3d::cpu {
namespace {

#include "kernels/cpu/isa/micro_kernel_impl.h"
#include "kernels/cpu/isa/winograd_transforms_impl.h"

__mmask16 first_lanes(int n) { return n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1); }

struct Avx512 {
  using V = __m512;
  static constexpr int kWidth = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V load(const float* p) { return _mm512_load_ps(p); }
  static V load_full(const float* p) { return _mm512_loadu_ps(p); }
  static void store_full(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V load_n(const float* p, int n) { return _mm512_maskz_loadu_ps(first_lanes(n), p); }
  static void store_n(float* p, V v, int n) { _mm512_mask_storeu_ps(p, first_lanes(n), v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V min(V a, V b) { return _mm512_min_ps(a, b); }
  static V select_negative(V x, V if_negative) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero(), _CMP_LT_OQ), x, if_negative);
  }
};

// 13-row tiles also fit (26 accumulators, 2 B vectors and a broadcast in the 32 registers):
// the driver takes them to cut row counts that 12 does not divide into even tiles (49 rows
// as 13, 12, 12, 12 instead of 12, 12, 12, 7, 6).
constexpr int kMr = 12, kMaxRows = 13, kVectorsPerRow = 2;

void run(const MicroTile& t) { run_rows<Avx512, kMaxRows, kVectorsPerRow>(t); }

}  // namespace

const MicroKernel& micro_kernel_avx512() {
  static const MicroKernel kernel{"avx512", kMr, kVectorsPerRow * Avx512::kWidth, kMaxRows,
                                  256,      run, fma_throughput_flops<Avx512>};
  return kernel;
}

const WinogradTransforms& winograd_transforms_avx512() {
  static const WinogradTransforms transforms{
      winograd_input_2x2<Avx512>, winograd_output_2x2<Avx512>, winograd_input_4x4<Avx512>,
      winograd_output_4x4<Avx512>};
  return transforms;
}

}  // namespace p3d::cpu
