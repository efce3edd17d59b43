// The interface between the Winograd driver (kernels/cpu/conv2d_winograd.cpp, compiled for
// the portable baseline) and its input and output transforms for F(2x2, 3x3) and
// F(4x4, 3x3), compiled once per instruction set beside the GEMM micro-kernels
// (micro_kernel_<isa>.cpp). The transforms add, subtract, scale and move data, one vector
// of channels at a time; compiled for the baseline they had taken more of the depth net's
// time than its GEMMs.
//
// As in micro_kernel.h, only plain data and function pointers cross this boundary.
#pragma once

#include <cstdint>

#include "kernels/cpu/isa/micro_kernel.h"

namespace p3d::cpu {

// One m x m output tile (m = 2 or 4): Y = A^T M A for every output channel, plus bias and
// residual, then the activation, stored straight into the tile's pixels. Each channel
// vector of a pixel's residual is read before the same vector of that pixel is written, so
// the residual may be the output buffer itself.
struct WinogradOutputTile {
  const float* m;  // M[e][c] at m[e * m_stride + c], e the (m + 2)^2 transform positions
  int64_t m_stride;
  int64_t channels;
  // Pixels row-major in the tile ((0,0) (0,1) ... ), m * m of them; null: past the edge of
  // an output whose size is not a multiple of m.
  float* y[16];
  const float* residual[16];  // the same pixels' residual rows, or null
  const float* bias;          // or null
  bool activate;              // apply `activation` (the others are applied by the driver)
  MicroActivation activation;
  float alpha;  // LeakyRelu slope
};

// Input transform V = B^T d B for one tile and all channels: d[i * n + j] is the input row of
// patch pixel (i, j) (zeros past the image), n = m + 2; V[e][c] goes to v[e * v_stride + c].
using WinogradInputFn = void (*)(const float* const* d, int64_t channels, float* v,
                                 int64_t v_stride);
using WinogradOutputFn = void (*)(const WinogradOutputTile& tile);

struct WinogradTransforms {
  WinogradInputFn input_2x2;  // F(2x2, 3x3): 4x4 patches, 16 positions
  WinogradOutputFn output_2x2;
  WinogradInputFn input_4x4;  // F(4x4, 3x3): 6x6 patches, 36 positions
  WinogradOutputFn output_4x4;
};

const WinogradTransforms& winograd_transforms_baseline();
const WinogradTransforms& winograd_transforms_avx2();    // needs AVX2 + FMA
const WinogradTransforms& winograd_transforms_avx512();  // needs AVX-512 F/VL/DQ + FMA

}  // namespace p3d::cpu
