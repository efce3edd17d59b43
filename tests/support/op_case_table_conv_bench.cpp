// conv_bench's table (benchmarks/conv_bench.cpp): every distinct convolution shape of
// ResNet-50 (slim resnet_v1_50, 224x224 input, batch 1; TensorFlow SAME padding, batch norm
// folded into a bias, then ReLU, as at inference), decoder-style transposed convolutions and
// a few matmul shapes.
#include "tests/support/op_case_builders.h"

namespace p3d::test {
namespace {

using namespace cases;

// One ResNet-50 convolution: square input `in` x `in` x in_c, k x k kernel, stride s.
struct ResNetConv {
  const char* where;  // the first slim layer with this shape (documentation only)
  int in, in_c, out_c, k, s;
};

// conv1, max pool, then blocks of [3, 4, 6, 3] bottleneck units (1x1 -> 3x3 -> 1x1, depth
// 4x the bottleneck width); the first unit of each block has a 1x1 projection shortcut; the
// last unit of blocks 1-3 strides its 3x3 conv (its shortcut is a 1x1 stride-2 subsampling,
// not a conv). Shapes repeated across units appear once.
constexpr ResNetConv kResNet50[] = {
    {"conv1", 224, 3, 64, 7, 2},
    {"block1/unit_1/shortcut", 56, 64, 256, 1, 1},  // same shape as block1 conv3
    {"block1/unit_1/conv1", 56, 64, 64, 1, 1},
    {"block1/unit_1/conv2", 56, 64, 64, 3, 1},
    {"block1/unit_2/conv1", 56, 256, 64, 1, 1},
    {"block1/unit_3/conv2", 56, 64, 64, 3, 2},
    {"block1/unit_3/conv3", 28, 64, 256, 1, 1},
    {"block2/unit_1/shortcut", 28, 256, 512, 1, 1},
    {"block2/unit_1/conv1", 28, 256, 128, 1, 1},
    {"block2/unit_1/conv2", 28, 128, 128, 3, 1},
    {"block2/unit_1/conv3", 28, 128, 512, 1, 1},
    {"block2/unit_2/conv1", 28, 512, 128, 1, 1},
    {"block2/unit_4/conv2", 28, 128, 128, 3, 2},
    {"block2/unit_4/conv3", 14, 128, 512, 1, 1},
    {"block3/unit_1/shortcut", 14, 512, 1024, 1, 1},
    {"block3/unit_1/conv1", 14, 512, 256, 1, 1},
    {"block3/unit_1/conv2", 14, 256, 256, 3, 1},
    {"block3/unit_1/conv3", 14, 256, 1024, 1, 1},
    {"block3/unit_2/conv1", 14, 1024, 256, 1, 1},
    {"block3/unit_6/conv2", 14, 256, 256, 3, 2},
    {"block3/unit_6/conv3", 7, 256, 1024, 1, 1},
    {"block4/unit_1/shortcut", 7, 1024, 2048, 1, 1},
    {"block4/unit_1/conv1", 7, 1024, 512, 1, 1},
    {"block4/unit_1/conv2", 7, 512, 512, 3, 1},
    {"block4/unit_1/conv3", 7, 512, 2048, 1, 1},
    {"block4/unit_2/conv1", 7, 2048, 512, 1, 1},
    // The 1x1 stride-2 projection shortcuts of the ResNet variants that stride in the
    // first unit of blocks 2-4 (Keras / torchvision): the strided 1x1 path.
    {"v1.5 block2 shortcut", 56, 256, 512, 1, 2},
    {"v1.5 block3 shortcut", 28, 512, 1024, 1, 2},
    {"v1.5 block4 shortcut", 14, 1024, 2048, 1, 2},
};

// Decoder-style upsampling: in x in x in_c -> 2in x 2in x out_c, stride 2, SAME.
struct DecoderTranspose {
  int in, in_c, out_c, k;
};
constexpr DecoderTranspose kTransposes[] = {
    {14, 512, 256, 4}, {28, 256, 128, 4}, {56, 128, 64, 4}, {28, 256, 128, 3}, {64, 64, 32, 4},
};

struct MatmulShape {
  int batch, m, n, k;
  bool transpose_b;
};
constexpr MatmulShape kMatmuls[] = {
    {1, 1, 1000, 2048, false},  // ResNet-50 logits
    {1, 256, 512, 512, false},  // an MLP layer over 256 tokens
    {1, 1024, 1024, 1024, false},
    {8, 196, 196, 64, true},  // attention scores Q K^T, 8 heads
};

}  // namespace

std::vector<OpCase> conv_bench_cases() {
  std::vector<OpCase> t;
  for (const ResNetConv& c : kResNet50)
    t.push_back(conv2d_case(conv(1, c.in, c.in, c.in_c, c.out_c, c.k)
                                .stride(c.s)
                                .same()
                                .with_bias()
                                .activation(Unary::Relu, 0.f)));
  // The expansion 1x1s (conv3) as the network runs them: bias, the shortcut added, Relu.
  // The residual is a third stream as large as the output; in NHWC it arrives in the
  // tile's row pieces, which is what makes these layers slower in the network than alone.
  for (const ResNetConv& c : kResNet50)
    if (c.k == 1 && c.s == 1 && c.out_c == 4 * c.in_c)
      t.push_back(conv2d_case(conv(1, c.in, c.in, c.in_c, c.out_c, 1)
                                  .with_bias()
                                  .with_residual()
                                  .activation(Unary::Relu, 0.f)));
  // conv(n, out_h, out_w, in_c, out_c, k): the transposed conv is spec'd by its output.
  for (const DecoderTranspose& d : kTransposes)
    t.push_back(conv_transpose2d_case(conv(1, 2 * d.in, 2 * d.in, d.in_c, d.out_c, d.k)
                                          .stride(2)
                                          .same()
                                          .with_bias()
                                          .activation(Unary::Relu)));
  for (const MatmulShape& m : kMatmuls)
    t.push_back(matmul_case(m.batch, m.m, m.n, m.k, false, m.transpose_b, true));
  return t;
}

}  // namespace p3d::test
