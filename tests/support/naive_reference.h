// Naive reference implementations of every Backend kernel, for the agreement tests.
//
// Each function is the plainest loop that states the op's definition (TensorFlow semantics,
// as documented in kernels/*.h), accumulating in double. They are written independently of
// the kernels: nothing here calls apply_unary, apply_binary, resize_scale or any other math
// from kernels/, so a shared formula bug cannot hide on both sides. Speed does not matter;
// obviousness does. Inputs and outputs are contiguous host arrays.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/conv.h"
#include "kernels/elementwise.h"
#include "kernels/layout.h"
#include "kernels/matmul.h"
#include "kernels/pool.h"
#include "kernels/reduce.h"

namespace p3d::naive {

// ---- scalar definitions ----------------------------------------------------------------
double unary(Unary op, double x, double alpha);
double binary(Binary op, double a, double b);

// IEEE binary16 <-> binary32, written from the format's definition (1 sign bit, 5 exponent
// bits with bias 15, 10 mantissa bits; round to nearest, ties to even; overflow to inf).
float half_to_float(uint16_t bits);
uint16_t float_to_half(float value);

// ---- dense ops -------------------------------------------------------------------------
// y = act(conv(x, w_hwio) + bias + residual); bias / residual may be null.
void conv2d(const Conv2dParams& p, const float* x, const float* w_hwio, const float* bias,
            const float* residual, float* y);
// One element of conv2d's output at flat NHWC index `index` (for sampled checks of big cases).
double conv2d_at(const Conv2dParams& p, const float* x, const float* w_hwio, const float* bias,
                 const float* residual, int64_t index);
// The adjoint of conv2d: every input pixel scattered through the HWOI filter into the output.
void conv_transpose2d(const ConvTranspose2dParams& p, const float* x, const float* w_hwoi,
                      const float* bias, const float* residual, float* y);
void matmul(const MatmulParams& p, const float* a, const float* b, const float* bias, float* c);
double matmul_at(const MatmulParams& p, const float* a, const float* b, const float* bias,
                 int64_t index);

void pool2d(const Pool2dParams& p, const float* x, float* y);
void reduce(const ReduceParams& p, const float* x, float* y);
void batch_norm(const BatchNormParams& p, const float* x, const float* gamma, const float* beta,
                const float* mean, const float* variance, float* y);

// ---- element-wise ----------------------------------------------------------------------
void unary(Unary op, float alpha, const float* x, float* y, int64_t count);
// NumPy broadcasting from the operands' own shapes (aligned at the last dim).
void binary(Binary op, const std::vector<int64_t>& a_shape, const float* a,
            const std::vector<int64_t>& b_shape, const float* b, float* y);
// Truncation toward zero, saturation at the target's range for float -> integer.
void cast(ScalarType from, ScalarType to, const void* x, void* y, int64_t count);

// ---- data movement (any element size unless stated) ------------------------------------
// Concatenation of same-rank tensors along `axis`.
void concat(const std::vector<std::vector<int64_t>>& shapes, const std::vector<const void*>& inputs,
            int axis, int element_size, void* y);
void pad(const PadParams& p, const float* x, float* y);
void transpose(const TransposeParams& p, const void* x, void* y);
void slice(const SliceParams& p, const void* x, void* y);
void resize(const ResizeParams& p, const float* x, float* y);

}  // namespace p3d::naive
