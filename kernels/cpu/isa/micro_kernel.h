// The interface between the GEMM driver (kernels/cpu/gemm.cpp, compiled for the portable
// baseline) and the register-blocked micro-kernels compiled once per instruction set
// (micro_kernel_<isa>.cpp with that set's compiler flags).
//
// Only plain data and function pointers cross it: an inline function defined here would be
// compiled with AVX-512 in one file and baseline in another, and the linker may keep either
// copy — a SIGILL on an older CPU. The ISA files therefore include nothing but this header,
// <cstdint> and the intrinsics.
#pragma once

#include <cstdint>

namespace p3d::cpu {

// The activations a micro-kernel applies in registers before its last store; the driver
// applies any other one in a separate pass.
enum class MicroActivation : int { Identity, Relu, Relu6, LeakyRelu };

// One tile of C: rows x cols (at most mr x nr) over one chunk of kc of the depth.
struct MicroTile {
  int rows;        // 1..max_rows
  int cols;        // 1..nr; the B panel is nr wide, zero-padded past `cols`
  int64_t kc;      // depth of this chunk
  const float* a;  // A: element (i, p) at a[i * lda + p]
  int64_t lda;
  const float* b;  // B panel: element (p, j) at b[p * nr + j], 64-byte aligned
  // Part of the kc x nr panel chunk the driver multiplies next, or null: the tile asks
  // for it into L2, one cache line (16 floats) per step of its own product, kc lines.
  const float* next_b;
  float* c;  // C tile; element (i, j) at c[i * ldc + j]
  int64_t ldc;
  // C = (load_c ? its own values : 0) + A * B + bias[j] + residual[i * residual_ld + j]
  // (bias and residual added after the product); either may be null (the driver passes
  // them for the first depth chunk only). residual may be C itself (in-place).
  bool load_c;
  const float* bias;
  const float* residual;
  int64_t residual_ld;
  bool activate;  // the last depth chunk: apply `activation` before storing
  MicroActivation activation;
  float alpha;  // LeakyRelu slope
};

struct MicroKernel {
  const char* isa;  // "baseline", "avx2", "avx512"
  int mr, nr;       // register tile
  int max_rows;     // a tile may have up to this many rows (mr, or one more where it fits)
  int64_t kc;       // depth chunk: a kc x nr B panel stays in the L1 cache
  void (*run)(const MicroTile& tile);
  // The core's FMA throughput on this set, for benchmarks to measure their share of it:
  // runs `steps` rounds of independent vector FMAs in registers (mul + add on the
  // baseline) and returns the floating-point operations done.
  double (*fma_flops)(int64_t steps);
};

const MicroKernel& micro_kernel_baseline();
const MicroKernel& micro_kernel_avx2();    // needs AVX2 + FMA
const MicroKernel& micro_kernel_avx512();  // needs AVX-512 F/VL/DQ + FMA

}  // namespace p3d::cpu
