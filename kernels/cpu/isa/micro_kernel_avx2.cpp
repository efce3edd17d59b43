// The GEMM micro-kernel for AVX2 + FMA: 6 rows x 16 columns, 12 ymm accumulators, B chunks
// of 256 x 16 floats (16 KiB). Compiled with -mavx2 -mfma (see CMakeLists.txt) and called
// only when CPUID says the CPU has both (kernels/cpu/cpu_isa.h). The Winograd transforms of
// the same set (winograd_transforms_impl.h) are instantiated here too.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/isa/micro_kernel.h"
#include "kernels/cpu/isa/winograd_transforms.h"

namespace p3d::cpu {
namespace {

#include "kernels/cpu/isa/micro_kernel_impl.h"
#include "kernels/cpu/isa/winograd_transforms_impl.h"

// Lane masks for maskload/maskstore: the first n lanes set.
__m256i first_lanes(int n) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), index);
}

struct Avx2 {
  using V = __m256;
  static constexpr int kWidth = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V load(const float* p) { return _mm256_load_ps(p); }
  static V load_full(const float* p) { return _mm256_loadu_ps(p); }
  static void store_full(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V load_n(const float* p, int n) { return _mm256_maskload_ps(p, first_lanes(n)); }
  static void store_n(float* p, V v, int n) { _mm256_maskstore_ps(p, first_lanes(n), v); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V select_negative(V x, V if_negative) {
    return _mm256_blendv_ps(x, if_negative, _mm256_cmp_ps(x, zero(), _CMP_LT_OQ));
  }
};

constexpr int kMr = 6, kVectorsPerRow = 2;

void run(const MicroTile& t) { run_rows<Avx2, kMr, kVectorsPerRow>(t); }

}  // namespace

const MicroKernel& micro_kernel_avx2() {
  static const MicroKernel kernel{"avx2", kMr, kVectorsPerRow * Avx2::kWidth, kMr,
                                  256,    run, fma_throughput_flops<Avx2>};
  return kernel;
}

const WinogradTransforms& winograd_transforms_avx2() {
  static const WinogradTransforms transforms{winograd_input_2x2<Avx2>, winograd_output_2x2<Avx2>,
                                             winograd_input_4x4<Avx2>, winograd_output_4x4<Avx2>};
  return transforms;
}

}  // namespace p3d::cpu
