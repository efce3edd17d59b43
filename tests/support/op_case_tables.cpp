// The two tables: test_cases() (the agreement tests) and bench_cases() (the op
// benchmarks). Each op family's test cases are listed in its op_case_table_*.cpp.
#include <set>

#include "kernels/error.h"
#include "tests/support/op_case_builders.h"
#include "tests/support/op_cases.h"

namespace p3d::test {
namespace {

void check_unique(const std::vector<OpCase>& table) {
  std::set<std::string> names;
  for (const OpCase& c : table)
    P3D_CHECK(names.insert(identifier(c.name)).second, "duplicate case name: ", c.name);
}

}  // namespace

using namespace cases;

const std::vector<OpCase>& test_cases() {
  static const std::vector<OpCase> table = [] {
    std::vector<OpCase> t;
    add_conv2d_cases(t);
    add_conv_transpose2d_cases(t);
    add_matmul_cases(t);
    add_pool2d_cases(t);
    add_reduce_cases(t);
    add_elementwise_cases(t);
    add_layout_cases(t);
    add_aliasing_and_alignment_cases(t);
    check_unique(t);
    return t;
  }();
  return table;
}

const std::vector<OpCase>& pipeline_kernel_cases() {
  static const std::vector<OpCase> table = [] {
    std::vector<OpCase> t;
    add_pipeline_kernel_cases(t);
    check_unique(t);
    return t;
  }();
  return table;
}

std::vector<OpCase> bench_cases() {
  std::vector<OpCase> t;
  // ResNet-50 convolutions (batch 1 and 8), a depthwise conv, decoder upsampling.
  t.push_back(conv2d_case(
      conv(1, 224, 224, 3, 64, 7).stride(2).same().with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 56, 56, 64, 64, 1).with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 56, 56, 64, 64, 3).pad(1).with_bias().activation(Unary::Relu)));
  t.push_back(
      conv2d_case(conv(1, 56, 56, 64, 256, 1).with_bias().with_residual().activation(Unary::Relu)));
  t.push_back(conv2d_case(
      conv(1, 56, 56, 128, 128, 3).stride(2).same().with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(1, 14, 14, 256, 256, 3).pad(1).with_bias().activation(Unary::Relu)));
  t.push_back(
      conv2d_case(conv(1, 7, 7, 512, 2048, 1).with_bias().with_residual().activation(Unary::Relu)));
  t.push_back(conv2d_case(conv(8, 56, 56, 64, 64, 3).pad(1).with_bias().activation(Unary::Relu)));
  t.push_back(conv2d_case(
      conv(1, 56, 56, 128, 128, 3).pad(1).group(128).with_bias().activation(Unary::Relu6)));
  t.push_back(conv_transpose2d_case(conv(1, 56, 56, 256, 128, 2).stride(2).with_bias()));
  t.push_back(conv_transpose2d_case(
      conv(1, 64, 64, 128, 64, 4).stride(2).pad(1).with_bias().activation(Unary::Relu)));
  t.push_back(matmul_case(1, 1, 1000, 2048, false, false, true));
  t.push_back(matmul_case(1, 512, 512, 512, false, false, false));
  t.push_back(matmul_case(8, 128, 128, 64, false, true, false));
  t.push_back(pool2d_case(pool_same(PoolKind::Max, 1, 112, 112, 64, 3, 3, 2, 2)));
  t.push_back(pool2d_case(pool_valid(PoolKind::Average, 1, 56, 56, 256, 2, 2)));
  t.push_back(reduce_case(ReduceKind::Mean, 1, 49, 2048));
  t.push_back(reduce_case(ReduceKind::Sum, 1, 3136, 256));
  t.push_back(reduce_case(ReduceKind::Max, 256, 3136, 1));
  t.push_back(batch_norm_case(Shape{1, 56, 56, 256}, 1e-3f));
  const int64_t activation = 56 * 56 * 256;
  t.push_back(unary_case(Unary::Relu, activation));
  t.push_back(unary_case(Unary::Sigmoid, activation));
  t.push_back(unary_case(Unary::Exp, activation));
  t.push_back(binary_case(Binary::Add, Shape{1, 56, 56, 256}, Shape{1, 56, 56, 256}));
  t.push_back(binary_case(Binary::Mul, Shape{1, 56, 56, 256}, Shape{256}));
  t.push_back(binary_case(Binary::Sub, Shape{8, 1, 56, 256}, Shape{1, 56, 1, 256}));
  t.push_back(cast_case(DType::U8, DType::F32, 224 * 224 * 3));
  t.push_back(cast_case(DType::F32, DType::F16, activation));
  t.push_back(cast_case(DType::F16, DType::F32, activation));
  t.push_back(concat_case({Shape{1, 56, 56, 128}, Shape{1, 56, 56, 128}}, 3));
  t.push_back(pad_case(Shape{1, 224, 224, 3}, {0, 3, 3, 0}, {0, 3, 3, 0}, PadMode::Constant));
  t.push_back(pad_case(Shape{1, 128, 128, 64}, {0, 1, 1, 0}, {0, 1, 1, 0}, PadMode::Reflect));
  t.push_back(transpose_case(Shape{1, 56, 56, 256}, {0, 3, 1, 2}));
  t.push_back(transpose_case(Shape{1, 256, 56, 56}, {0, 2, 3, 1}));
  t.push_back(slice_case(Shape{1, 56, 56, 256}, {0, 0, 0, 0}, {1, 2, 2, 1}, {1, 28, 28, 256}));
  t.push_back(slice_case(Shape{1, 224, 224, 3}, {0, 0, 0, 2}, {1, 1, 1, -1},
                         {1, 224, 224, 3}));  // RGB <-> BGR
  t.push_back(resize_case(ResizeMode::Bilinear, 1, 128, 128, 64, 256, 256, false, true));
  t.push_back(resize_case(ResizeMode::Nearest, 1, 128, 128, 64, 256, 256, false, true));
  t.push_back(resize_case(ResizeMode::Bilinear, 1, 512, 512, 3, 224, 224, false, false));
  check_unique(t);
  return t;
}

}  // namespace p3d::test
