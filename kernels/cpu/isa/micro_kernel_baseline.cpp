// The portable GEMM micro-kernel: 4 rows x 8 columns on SSE2 (every x86-64 CPU has it),
// with separate multiply and add (SSE2 has no FMA), or plain scalar code elsewhere. It is
// what an unknown or old CPU runs, and the third path the agreement tests check. The
// portable Winograd transforms (winograd_transforms_impl.h) are instantiated here too.
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "kernels/cpu/isa/micro_kernel.h"
#include "kernels/cpu/isa/winograd_transforms.h"

namespace p3d::cpu {
namespace {

#include "kernels/cpu/isa/micro_kernel_impl.h"
#include "kernels/cpu/isa/winograd_transforms_impl.h"

#if defined(__SSE2__)
struct Portable {
  using V = __m128;
  static constexpr int kWidth = 4;
  static V zero() { return _mm_setzero_ps(); }
  static V set1(float x) { return _mm_set1_ps(x); }
  static V load(const float* p) { return _mm_load_ps(p); }
  static V load_full(const float* p) { return _mm_loadu_ps(p); }
  static void store_full(float* p, V v) { _mm_storeu_ps(p, v); }
  static V load_n(const float* p, int n) {
    alignas(16) float lanes[4] = {0.f, 0.f, 0.f, 0.f};
    for (int i = 0; i < n; ++i) lanes[i] = p[i];
    return _mm_load_ps(lanes);
  }
  static void store_n(float* p, V v, int n) {
    alignas(16) float lanes[4];
    _mm_store_ps(lanes, v);
    for (int i = 0; i < n; ++i) p[i] = lanes[i];
  }
  static V fma(V a, V b, V c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
  static V add(V a, V b) { return _mm_add_ps(a, b); }
  static V sub(V a, V b) { return _mm_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm_mul_ps(a, b); }
  // maxps/minps return the second operand when either is NaN, as the AVX forms do.
  static V max(V a, V b) { return _mm_max_ps(a, b); }
  static V min(V a, V b) { return _mm_min_ps(a, b); }
  static V select_negative(V x, V if_negative) {
    const V negative = _mm_cmplt_ps(x, zero());
    return _mm_or_ps(_mm_and_ps(negative, if_negative), _mm_andnot_ps(negative, x));
  }
};
#else
struct Portable {  // one float per "vector"
  using V = float;
  static constexpr int kWidth = 1;
  static V zero() { return 0.f; }
  static V set1(float x) { return x; }
  static V load(const float* p) { return *p; }
  static V load_full(const float* p) { return *p; }
  static void store_full(float* p, V v) { *p = v; }
  static V load_n(const float* p, int n) { return n > 0 ? *p : 0.f; }
  static void store_n(float* p, V v, int n) {
    if (n > 0) *p = v;
  }
  static V fma(V a, V b, V c) { return a * b + c; }
  static V add(V a, V b) { return a + b; }
  static V sub(V a, V b) { return a - b; }
  static V mul(V a, V b) { return a * b; }
  static V max(V a, V b) { return a > b ? a : b; }
  static V min(V a, V b) { return a < b ? a : b; }
  static V select_negative(V x, V if_negative) { return x < 0.f ? if_negative : x; }
};
#endif

constexpr int kMr = 4;
constexpr int kVectorsPerRow = 8 / Portable::kWidth;

void run(const MicroTile& t) { run_rows<Portable, kMr, kVectorsPerRow>(t); }

}  // namespace

const MicroKernel& micro_kernel_baseline() {
  static const MicroKernel kernel{"baseline", kMr, kVectorsPerRow * Portable::kWidth, kMr,
                                  256,        run, fma_throughput_flops<Portable>};
  return kernel;
}

const WinogradTransforms& winograd_transforms_baseline() {
  static const WinogradTransforms transforms{
      winograd_input_2x2<Portable>, winograd_output_2x2<Portable>, winograd_input_4x4<Portable>,
      winograd_output_4x4<Portable>};
  return transforms;
}

}  // namespace p3d::cpu
