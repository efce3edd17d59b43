// The arithmetic precision of the networks' convolutions and matmuls, an option of a backend
// (make_cpu_backend / make_cuda_backend) and so of everything run on it. FP32 is the default
// and the reference every test compares with; the others trade accuracy for tensor-core
// speed on a GPU and are measured against FP32 in docs/precision.md.
//
//   FP32  float inputs, float products, float sums.
//   TF32  conv / matmul inputs and filters rounded to TF32 (10-bit mantissa, float range),
//         float accumulation: cuDNN CUDNN_TENSOR_OP_MATH, cuBLAS CUBLAS_COMPUTE_32F_FAST_TF32.
//   FP16  conv inputs and filters stored as IEEE half, float accumulation, the conv's result
//         stored as half before the float epilogue (bias, residual, activation), as cuDNN's
//         half-storage configuration does; matmul inputs rounded to half with a float result
//         (CUBLAS_COMPUTE_32F_FAST_16F).
// Every other op (pooling, batch norm, element-wise, resize...) stays in FP32 in all three.
// The CPU backend emulates the roundings (kernels/cpu/precision_emulation.h) so the error
// can be measured on machines without a GPU.
#pragma once

#include <string>

#include "kernels/error.h"

namespace p3d {

enum class Precision { FP32, TF32, FP16 };

inline const char* precision_name(Precision p) {
  switch (p) {
    case Precision::FP32:
      return "fp32";
    case Precision::TF32:
      return "tf32";
    case Precision::FP16:
      return "fp16";
  }
  return "?";
}

// "fp32", "tf32" or "fp16" (what --precision takes); throws p3d::Error otherwise.
inline Precision parse_precision(const std::string& text) {
  if (text == "fp32") return Precision::FP32;
  if (text == "tf32") return Precision::TF32;
  if (text == "fp16") return Precision::FP16;
  P3D_THROW("precision must be fp32, tf32 or fp16, got '", text, "'");
}

}  // namespace p3d
