// The agreement table's in-place and misaligned variants of the other tables' cases.
#include "tests/support/op_case_builders.h"

namespace p3d::test::cases {

// The executor runs a conv over its residual in place when nothing reads the residual after
// it (engine/executor.cpp), kernels may be called with y aliasing an input, and pointers may
// sit at any element offset (slices of the arena); these cases make both happen in the table,
// so the in-place paths (cuDNN's beta = 1 accumulate, the transposed conv's residual copy)
// and the scalar fallbacks of vectorised kernels run against the naive reference too.
void add_aliasing_and_alignment_cases(std::vector<OpCase>& t) {
  // In place.
  t.push_back(in_place(unary_case(Unary::Relu, 1024), 0));
  t.push_back(in_place(unary_case(Unary::Tanh, 1001), 0));
  t.push_back(in_place(binary_case(Binary::Add, Shape{2, 7, 5, 8}, Shape{2, 7, 5, 8}), 0));
  t.push_back(in_place(binary_case(Binary::Mul, Shape{3, 33}, Shape{3, 33}), 1));
  t.push_back(in_place(binary_case(Binary::Sub, Shape{2, 6, 5, 8}, Shape{8}), 0));
  // conv2d's residual is y: 1x1 (no staging) and 3x3 with SAME-like asymmetric padding
  // (the padded input staged in the workspace). Inputs: x, filter, bias, residual.
  t.push_back(in_place(
      conv2d_case(conv(2, 5, 7, 12, 20, 1).with_bias().with_residual().activation(Unary::Relu)),
      3));
  t.push_back(in_place(conv2d_case(conv(1, 10, 10, 6, 8, 3)
                                       .stride(2)
                                       .same()
                                       .with_bias()
                                       .with_residual()
                                       .activation(Unary::LeakyRelu, 0.1f)),
                       3));
  // F(2x2) Winograd's residual is y (its output transform reads each residual vector
  // just before it writes the same one), with channel counts that leave vector tails.
  t.push_back(in_place(
      conv2d_case(
          conv(1, 13, 14, 20, 36, 3).pad(1).with_bias().with_residual().activation(Unary::Relu6)),
      3));
  // ... and F(4x4)'s (49 tiles of 4x4, the last ones cut at 1 and 2 pixels).
  t.push_back(in_place(
      conv2d_case(
          conv(1, 25, 26, 20, 36, 3).pad(1).with_bias().with_residual().activation(Unary::Relu6)),
      3));
  // ... and the column split's (each thread's block of channels).
  t.push_back(
      in_place(conv2d_case(conv(1, 14, 14, 32, 136, 3).pad(1).with_bias().with_residual()), 3));
  // The per-pixel paths' residual is y: narrow (at most 4 output channels: dot products
  // over the patch) and depthwise (the row starts as bias + residual, in place).
  t.push_back(in_place(
      conv2d_case(
          conv(1, 9, 11, 16, 3, 3).pad(1).with_bias().with_residual().activation(Unary::Relu)),
      3));
  t.push_back(in_place(
      conv2d_case(conv(2, 8, 9, 24, 24, 3).pad(1).group(24).with_bias().with_residual()), 3));
  // conv_transpose2d's residual is y: symmetric (cuDNN writes y) and asymmetric (the crop
  // would overwrite the residual, which is copied first).
  t.push_back(in_place(
      conv_transpose2d_case(conv(2, 6, 7, 5, 3, 3).pad(1).with_bias().with_residual()), 3));
  t.push_back(in_place(conv_transpose2d_case(conv(1, 10, 10, 4, 3, 3)
                                                 .stride(2)
                                                 .pad(0, 0, 1, 1)
                                                 .with_bias()
                                                 .with_residual()
                                                 .activation(Unary::Relu)),
                       3));
  // Misaligned by one float: element-aligned, never 16-byte aligned.
  t.push_back(misaligned(unary_case(Unary::Relu, 1024), 4));
  t.push_back(misaligned(unary_case(Unary::Sigmoid, 4099), 4));
  t.push_back(misaligned(binary_case(Binary::Add, Shape{4, 256}, Shape{4, 256}), 4));
  t.push_back(misaligned(binary_case(Binary::Mul, Shape{2, 9, 64}, Shape{64}), 4));
  t.push_back(misaligned(in_place(binary_case(Binary::Max, Shape{512}, Shape{512}), 0), 4));
  t.push_back(misaligned(cast_case(DType::F32, DType::F16, 1024), 4));
  t.push_back(misaligned(cast_case(DType::U8, DType::F32, 1027), 4));
  t.push_back(misaligned(transpose_case(Shape{2, 8, 16, 12}, {0, 3, 1, 2}), 4));
  t.push_back(
      misaligned(slice_case(Shape{2, 16, 16, 8}, {0, 1, 2, 0}, {1, 2, 1, 1}, {2, 7, 14, 8}), 4));
  t.push_back(misaligned(concat_case({Shape{2, 5, 8}, Shape{2, 5, 12}}, 2), 4));
  t.push_back(
      misaligned(pad_case(Shape{1, 9, 9, 8}, {0, 1, 2, 0}, {0, 2, 1, 0}, PadMode::Constant), 4));
  t.push_back(misaligned(batch_norm_case(Shape{2, 5, 5, 16}, 1e-3f), 4));
  t.push_back(misaligned(resize_case(ResizeMode::Bilinear, 1, 9, 9, 8, 17, 17, false, true), 4));
  // The conv epilogue's scalar path on a channel count that would vectorise (bias and
  // residual off alignment), and the matmul bias epilogue.
  t.push_back(misaligned(
      conv2d_case(conv(1, 6, 6, 8, 16, 1).with_bias().with_residual().activation(Unary::Relu)), 4));
  t.push_back(misaligned(matmul_case(2, 5, 8, 12, false, false, true), 4));
  // The Winograd transforms' unaligned loads and stores, and their masked channel tails.
  t.push_back(misaligned(conv2d_case(conv(1, 12, 13, 17, 33, 3)
                                         .pad(1)
                                         .with_bias()
                                         .with_residual()
                                         .activation(Unary::LeakyRelu, 0.2f)),
                         4));
}

}  // namespace p3d::test::cases
