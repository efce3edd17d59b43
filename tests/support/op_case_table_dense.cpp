// The agreement table's dense-op cases: conv2d, conv_transpose2d, matmul, pool2d, reduce.
#include <limits>

#include "tests/support/op_case_builders.h"

namespace p3d::test::cases {

namespace {
const Unary kFusableActivations[] = {Unary::Identity,  Unary::Relu, Unary::Relu6,
                                     Unary::LeakyRelu, Unary::Elu,  Unary::Sigmoid,
                                     Unary::Tanh};
}  // namespace

void add_conv2d_cases(std::vector<OpCase>& t) {
  // Kernel 1: the unpadded stride-1 fast path, strided, padded, grouped.
  t.push_back(conv2d_case(conv(1, 8, 8, 3, 4, 1)));
  t.push_back(conv2d_case(conv(2, 7, 9, 16, 24, 1).with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 9, 11, 8, 8, 1).stride(2).with_bias()));
  t.push_back(conv2d_case(conv(1, 6, 5, 4, 5, 1).pad(1)));
  t.push_back(conv2d_case(conv(1, 7, 7, 4, 8, 1).group(2)));
  t.push_back(
      conv2d_case(conv(2, 5, 7, 12, 20, 1).with_bias().with_residual().activation(Unary::Relu)));
  // Kernel 3: symmetric, SAME-like asymmetric, VALID, stride 3, dilation, odd sizes.
  t.push_back(conv2d_case(conv(2, 9, 11, 5, 7, 3).pad(1).with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 10, 10, 6, 8, 3).stride(2).same().with_bias()));
  t.push_back(conv2d_case(
      conv(2, 9, 11, 5, 7, 3).stride(2).pad(0, 1, 1, 0).with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 9, 9, 3, 4, 3)));
  t.push_back(conv2d_case(conv(1, 11, 13, 4, 6, 3).stride(3).pad(1, 0, 2, 1)));
  t.push_back(conv2d_case(conv(1, 9, 9, 4, 5, 3).dilation(2).pad(2)));
  t.push_back(conv2d_case(conv(2, 12, 10, 3, 4, 3).stride(2).dilation(2).pad(2, 1, 2, 1)));
  t.push_back(
      conv2d_case(conv(1, 5, 5, 3, 4, 3).pad(3).with_bias()));  // corner windows all padding
  t.push_back(conv2d_case(conv(3, 3, 3, 2, 3, 3)));             // 1x1 output
  t.push_back(conv2d_case(conv(1, 8, 9, 4, 6, 3).stride(1, 2).pad(1, 0, 1, 1)));
  t.push_back(conv2d_case(conv(1, 16, 16, 32, 40, 3).pad(1).with_bias().activation(Unary::Relu6)));
  // 3x3 stride 1 with at least 36 output tiles in the batch: the CPU's Winograd paths,
  // F(4x4) with 36 4x4 tiles, else F(2x2) with 36 2x2 tiles (conv2d_winograd.h).
  // F(4x4): outputs that end 1, 2 and 3 pixels into a tile, no padding, one-sided padding,
  // residual, batch, an activation the output transform does not fuse, channel tails.
  t.push_back(conv2d_case(
      conv(2, 21, 23, 8, 12, 3).pad(1).with_bias().with_residual().activation(Unary::Relu)));
  t.push_back(
      conv2d_case(conv(1, 26, 27, 40, 50, 3).pad(1).with_bias().activation(Unary::Sigmoid)));
  t.push_back(conv2d_case(conv(1, 30, 29, 16, 24, 3)));
  t.push_back(conv2d_case(conv(2, 17, 19, 24, 20, 3)
                              .pad(1, 0, 0, 1)
                              .with_residual()
                              .activation(Unary::LeakyRelu, 0.1f)));
  // Few tiles and 128+ output channels: V of all tiles shared, the threads split the output
  // channels (conv2d_winograd.cpp's column split), with a short last column block: F(2x2)
  // with residual, F(4x4), and an activation the output transform does not fuse.
  t.push_back(conv2d_case(
      conv(1, 14, 14, 64, 160, 3).pad(1).with_bias().with_residual().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 28, 27, 24, 136, 3).pad(1).with_bias()));
  t.push_back(conv2d_case(conv(2, 12, 12, 16, 128, 3).pad(1).activation(Unary::Sigmoid)));
  // 16 2x2 tiles take F(2x2) only with the column split (the R-Net's 7 x 7 x 512 at batch 1).
  t.push_back(conv2d_case(conv(1, 7, 7, 32, 128, 3).pad(1).with_bias().activation(Unary::Relu)));
  // F(2x2): odd sizes (half tiles), no padding, one-sided padding, residual and batch; 7 x 7
  // outputs take it only in a batch (16 tiles per image).
  t.push_back(conv2d_case(conv(1, 22, 24, 16, 9, 3)));
  t.push_back(conv2d_case(
      conv(4, 7, 7, 24, 16, 3).pad(1).with_bias().with_residual().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 21, 21, 8, 8, 3).pad(1, 0, 0, 1).activation(Unary::LeakyRelu)));
  // An activation the output transform does not fuse (a second pass), and channel counts of
  // several vectors plus a tail on every instruction set.
  t.push_back(
      conv2d_case(conv(1, 14, 15, 40, 50, 3).pad(1).with_bias().activation(Unary::Sigmoid)));
  // Mirrored padding (a MirrorPad folded into the conv) on every CPU path: Winograd F(4x4),
  // F(2x2) and its column split, im2col (strided, wider than 1, dilated), the column gather
  // (few input channels, a 7x7 stem), narrow, depthwise, and symmetric padding as wide as
  // the input.
  t.push_back(conv2d_case(conv(1, 26, 27, 24, 40, 3)
                              .pad(1)
                              .mirrored(PadMode::Symmetric)
                              .with_bias()
                              .activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 14, 15, 16, 20, 3).pad(1).mirrored(PadMode::Reflect)));
  t.push_back(conv2d_case(conv(1, 14, 14, 32, 136, 3).pad(1).mirrored(PadMode::Symmetric)));
  t.push_back(
      conv2d_case(conv(2, 11, 12, 16, 24, 3).stride(2).pad(1, 2, 1, 2).mirrored(PadMode::Reflect)));
  t.push_back(conv2d_case(conv(1, 10, 10, 8, 8, 3).dilation(2).pad(2).mirrored(PadMode::Reflect)));
  t.push_back(conv2d_case(conv(1, 20, 18, 5, 32, 3).pad(1).mirrored(PadMode::Symmetric)));
  t.push_back(conv2d_case(
      conv(1, 16, 16, 3, 16, 7).stride(2).pad(3).mirrored(PadMode::Reflect).with_bias()));
  t.push_back(
      conv2d_case(conv(1, 20, 18, 32, 1, 3).pad(1).mirrored(PadMode::Symmetric).with_bias()));
  t.push_back(conv2d_case(conv(1, 9, 10, 16, 16, 3).pad(2).group(16).mirrored(PadMode::Symmetric)));
  t.push_back(conv2d_case(conv(1, 3, 4, 8, 8, 3).pad(3, 4, 3, 4).mirrored(PadMode::Symmetric)));
  // At most 4 output channels: the CPU's per-pixel dot products (the depth net's head is
  // 3x3, 32 -> 1 at 256 x 256). 37 input channels leave a 16-lane remainder.
  t.push_back(conv2d_case(conv(1, 20, 18, 32, 1, 3).pad(1).with_bias()));
  t.push_back(conv2d_case(conv(2, 11, 13, 37, 3, 3)
                              .stride(2)
                              .pad(1)
                              .with_bias()
                              .with_residual()
                              .activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 9, 9, 17, 2, 3).dilation(2).pad(2).activation(Unary::Sigmoid)));
  // Kernel 5 and 7, non-square kernels.
  t.push_back(conv2d_case(conv(2, 11, 9, 6, 5, 5).pad(2).with_bias()));
  t.push_back(conv2d_case(conv(1, 12, 12, 4, 6, 5).stride(2).same()));
  t.push_back(
      conv2d_case(conv(1, 13, 13, 3, 8, 7).stride(2).pad(3).with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 10, 11, 5, 6, 7).pad(3, 2, 3, 4)));
  t.push_back(conv2d_case(conv(1, 9, 9, 4, 6, 7).stride(3).pad(2, 3, 3, 2)));
  t.push_back(conv2d_case(conv(2, 8, 7, 4, 5, 1).kernel(1, 7).pad(0, 3, 0, 3)));
  t.push_back(conv2d_case(conv(1, 8, 7, 4, 5, 1).kernel(7, 1).pad(3, 0, 3, 0).with_bias()));
  t.push_back(conv2d_case(conv(1, 9, 10, 3, 4, 1).kernel(3, 5).stride(2, 1).pad(1, 2, 1, 2)));
  // Under 8 input channels (the column gather, conv2d.cpp): rows wider than a register
  // tile, filter panels with a tail, a residual, 1 and 7 channels, horizontal stride alone.
  t.push_back(conv2d_case(conv(2, 9, 30, 3, 40, 7)
                              .stride(2)
                              .pad(3)
                              .with_bias()
                              .with_residual()
                              .activation(Unary::Relu6)));
  t.push_back(conv2d_case(conv(1, 6, 29, 1, 9, 5).pad(2, 4, 1, 3)));
  t.push_back(conv2d_case(conv(1, 7, 8, 7, 33, 3).stride(1, 2).pad(1).with_bias()));
  // Groups: 2, 4, depthwise (multiplier 1 and 2), depthwise dilated and strided.
  t.push_back(conv2d_case(conv(2, 9, 7, 8, 12, 3).pad(1).group(2).with_bias()));
  t.push_back(
      conv2d_case(conv(1, 10, 10, 12, 16, 3).stride(2).same().group(4).activation(Unary::Relu6)));
  t.push_back(
      conv2d_case(conv(2, 9, 11, 6, 6, 3).pad(1).group(6).with_bias().activation(Unary::Relu6)));
  t.push_back(conv2d_case(conv(1, 10, 10, 6, 12, 3).stride(2).same().group(6)));
  t.push_back(conv2d_case(conv(1, 9, 9, 8, 8, 5).dilation(2).pad(4).group(8)));
  t.push_back(conv2d_case(
      conv(1, 15, 13, 32, 32, 3).stride(2).same().group(32).with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(2, 7, 6, 5, 5, 3)
                              .pad(1)
                              .group(5)
                              .with_bias()
                              .with_residual()
                              .activation(Unary::LeakyRelu, 0.1f)));
  // Every fused-epilogue combination on one small conv.
  for (bool bias : {false, true})
    for (bool residual : {false, true})
      for (Unary act : kFusableActivations) {
        ConvSpec s = conv(2, 7, 6, 5, 6, 3).pad(1).activation(act, 0.2f);
        if (bias) s.with_bias();
        if (residual) s.with_residual();
        t.push_back(conv2d_case(s));
      }
  // ResNet-50 shapes at batch 1 (sampled naive check; the main CUDA-vs-CPU targets).
  t.push_back(conv2d_case(
      conv(1, 224, 224, 3, 64, 7).stride(2).same().with_bias().activation(Unary::Relu).big()));
  t.push_back(conv2d_case(conv(1, 56, 56, 64, 64, 1).with_bias().activation(Unary::Relu).big()));
  t.push_back(
      conv2d_case(conv(1, 56, 56, 64, 64, 3).pad(1).with_bias().activation(Unary::Relu).big()));
  t.push_back(conv2d_case(
      conv(1, 56, 56, 64, 256, 1).with_bias().with_residual().activation(Unary::Relu).big()));
  t.push_back(conv2d_case(conv(1, 56, 56, 256, 512, 1).stride(2).with_bias().big()));
  t.push_back(conv2d_case(
      conv(1, 56, 56, 128, 128, 3).stride(2).same().with_bias().activation(Unary::Relu).big()));
  t.push_back(
      conv2d_case(conv(1, 14, 14, 256, 256, 3).pad(1).with_bias().activation(Unary::Relu).big()));
  t.push_back(conv2d_case(
      conv(1, 7, 7, 512, 2048, 1).with_bias().with_residual().activation(Unary::Relu).big()));
}

void add_conv_transpose2d_cases(std::vector<OpCase>& t) {
  // conv(n, out_h, out_w, in_c, out_c, k): sizes are the output's; the input follows.
  t.push_back(conv_transpose2d_case(conv(1, 8, 10, 6, 5, 2).stride(2)));
  t.push_back(
      conv_transpose2d_case(conv(2, 10, 10, 4, 3, 3).stride(2).pad(0, 0, 1, 1).with_bias()));
  t.push_back(conv_transpose2d_case(
      conv(1, 9, 9, 4, 4, 3).stride(2).pad(1).with_bias().activation(Unary::Relu)));
  t.push_back(conv_transpose2d_case(conv(1, 8, 12, 8, 4, 4).stride(2).pad(1).with_bias()));
  t.push_back(conv_transpose2d_case(conv(1, 9, 10, 3, 2, 4).stride(2).pad(1, 2, 2, 1)));
  t.push_back(conv_transpose2d_case(
      conv(2, 6, 7, 5, 3, 3).pad(1).with_bias().with_residual().activation(Unary::LeakyRelu)));
  t.push_back(conv_transpose2d_case(conv(1, 7, 6, 3, 4, 3)));  // "full" conv: out = in + 2
  t.push_back(conv_transpose2d_case(conv(1, 9, 12, 3, 2, 2).stride(3)));  // kernel < stride: gaps
  t.push_back(
      conv_transpose2d_case(conv(2, 10, 9, 4, 3, 3).stride(2).with_bias()));  // last row uncovered
  t.push_back(conv_transpose2d_case(
      conv(1, 8, 8, 4, 4, 2).stride(2).with_bias().with_residual().activation(Unary::Tanh)));
  t.push_back(conv_transpose2d_case(conv(1, 5, 5, 3, 3, 1).with_bias().activation(Unary::Sigmoid)));
  t.push_back(conv_transpose2d_case(
      conv(1, 12, 10, 16, 8, 4).stride(2).pad(1, 1, 2, 2).activation(Unary::Relu6)));
  t.push_back(conv_transpose2d_case(
      conv(1, 9, 9, 5, 4, 3).stride(2, 1).pad(1, 1, 1, 1).activation(Unary::Elu)));
  // Decoder-size upsampling for the CUDA comparison. The naive check stays complete: the
  // scatter reference has no per-element form, and at ~0.1 s per case it is cheap enough.
  t.push_back(conv_transpose2d_case(conv(1, 56, 56, 256, 128, 2).stride(2).with_bias().big()));
  t.push_back(conv_transpose2d_case(
      conv(1, 64, 64, 128, 64, 4).stride(2).pad(1).with_bias().activation(Unary::Relu).big()));
}

void add_matmul_cases(std::vector<OpCase>& t) {
  for (int batch : {1, 3})
    for (bool ta : {false, true})
      for (bool tb : {false, true}) t.push_back(matmul_case(batch, 17, 23, 29, ta, tb, false));
  t.push_back(matmul_case(1, 17, 23, 29, false, false, true));
  t.push_back(matmul_case(2, 33, 65, 47, true, false, true, Unary::Relu));
  // Threaded with every tile index in use: 2 batches x 2 row blocks x 2 column blocks.
  t.push_back(matmul_case(2, 40, 260, 64, false, false, true, Unary::Relu));
  t.push_back(matmul_case(1, 64, 96, 128, false, true, true, Unary::Sigmoid));
  t.push_back(matmul_case(1, 1, 1000, 256, false, false, true));  // a fully connected layer
  t.push_back(matmul_case(1, 19, 1, 31, false, false, false));    // n = 1
  t.push_back(matmul_case(4, 9, 11, 1, false, true, true));       // k = 1
  t.push_back(matmul_case(1, 130, 70, 257, true, true, false, Unary::LeakyRelu));
  t.push_back(matmul_case(1, 256, 1000, 2048, false, false, true, Unary::Identity, true));
}

namespace {
// Numbers with two NaNs in every seven elements.
FillFn nan_mixed() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  return values({0.5, nan, -1.0, 2.0, -0.25, nan, 1.5});
}
}  // namespace

void add_pool2d_cases(std::vector<OpCase>& t) {
  for (PoolKind kind : {PoolKind::Max, PoolKind::Average}) {
    t.push_back(pool2d_case(pool_valid(kind, 1, 8, 8, 3, 2, 2)));
    t.push_back(
        pool2d_case(pool_same(kind, 2, 9, 11, 5, 3, 3, 2, 2)));  // kernel > stride, pad 1 both ends
    t.push_back(pool2d_case(pool_same(kind, 1, 10, 10, 16, 3, 3, 2, 2)));  // SAME pads only the end
    t.push_back(pool2d_case(pool_same(kind, 1, 7, 9, 4, 3, 3, 1, 1)));
    t.push_back(pool2d_case(pool_valid(kind, 2, 7, 6, 3, 2, 1)));
    t.push_back(pool2d_case(pool_valid(kind, 1, 7, 7, 8, 7, 7)));       // global
    t.push_back(pool2d_case(pool_same(kind, 1, 9, 8, 5, 3, 2, 2, 1)));  // non-square
    t.push_back(pool2d_case(pool_same(kind, 1, 13, 13, 3, 5, 5, 3, 3)));
    t.push_back(pool2d_case({kind, 1, 6, 7, 2, 3, 3, 2, 2, 2, 1, 4, 4}));  // pad top 2, explicit
    t.push_back(
        pool2d_case(pool_same(kind, 2, 11, 11, 6, 3, 3, 2, 2), uniform(-3, -1), " negative"));
  }
  t.push_back(
      pool2d_case(pool_same(PoolKind::Max, 1, 112, 112, 64, 3, 3, 2, 2)));  // ResNet stem pool
  // NaNs lose to numbers (fmaxf) on every vector path: 83 channels = 64 + 16 + 3 lanes, and
  // a period of 7 puts NaNs both first in a window (the accumulator) and later in it.
  t.push_back(pool2d_case(pool_same(PoolKind::Max, 1, 9, 9, 83, 3, 3, 2, 2), nan_mixed(), " nan"));
}

void add_reduce_cases(std::vector<OpCase>& t) {
  for (ReduceKind kind : {ReduceKind::Sum, ReduceKind::Mean, ReduceKind::Max}) {
    t.push_back(reduce_case(kind, 1, 1000, 1));
    t.push_back(reduce_case(kind, 3, 7, 5));
    t.push_back(reduce_case(kind, 2, 49, 64));  // global average pool of 7x7x64
    t.push_back(reduce_case(kind, 5, 1, 3));
    t.push_back(reduce_case(kind, 1, 4097, 3));
    t.push_back(reduce_case(kind, 64, 33, 1));
    t.push_back(reduce_case(kind, 2, 300, 17, uniform(-3, -1), " negative"));
  }
  t.push_back(reduce_case(ReduceKind::Mean, 1, 20000, 1, uniform(0, 1), " positive"));
  t.push_back(reduce_case(ReduceKind::Sum, 1, 3136, 256));
  t.push_back(reduce_case(ReduceKind::Max, 2, 40, 83, nan_mixed(), " nan"));  // as pool2d's
}

}  // namespace p3d::test::cases
