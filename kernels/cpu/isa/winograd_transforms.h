// The interface between the Winograd F(2x2, 3x3) driver (kernels/cpu/conv2d_winograd.cpp,
// compiled for the portable baseline) and its input and output transforms, compiled once
// per instruction set beside the GEMM micro-kernels (micro_kernel_<isa>.cpp). The
// transforms only add, subtract and move data, one vector of channels at a time; compiled
// for the baseline they had taken more of the depth net's time than its GEMMs.
//
// As in micro_kernel.h, only plain data and function pointers cross this boundary.
#pragma once

#include <cstdint>

#include "kernels/cpu/isa/micro_kernel.h"

namespace p3d::cpu {

// One 2x2 output tile: Y = A^T M A for every output channel, plus bias and residual, then
// the activation, stored straight into the tile's pixels. Each channel vector of a pixel's
// residual is read before the same vector of that pixel is written, so the residual may be
// the output buffer itself.
struct WinogradOutputTile {
  const float* m;  // M[e][c] at m[e * m_stride + c], e the 16 transform positions
  int64_t m_stride;
  int64_t channels;
  float* y[4];               // pixels (0,0) (0,1) (1,0) (1,1); null: past an odd-sized output
  const float* residual[4];  // the same pixels' residual rows, or null
  const float* bias;         // or null
  bool activate;             // apply `activation` (the others are applied by the driver)
  MicroActivation activation;
  float alpha;  // LeakyRelu slope
};

struct WinogradTransforms {
  // V = B^T d B for one tile and all channels: d[i * 4 + j] is the input row of patch pixel
  // (i, j) (zeros past the image); V[e][c] goes to v[e * v_stride + c].
  void (*input)(const float* const d[16], int64_t channels, float* v, int64_t v_stride);
  void (*output)(const WinogradOutputTile& tile);
};

const WinogradTransforms& winograd_transforms_baseline();
const WinogradTransforms& winograd_transforms_avx2();    // needs AVX2 + FMA
const WinogradTransforms& winograd_transforms_avx512();  // needs AVX-512 F/VL/DQ + FMA

}  // namespace p3d::cpu
