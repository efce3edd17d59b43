// The agreement table's elementwise cases: batch_norm, unary, binary, cast.
#include <cmath>

#include "tests/support/op_case_builders.h"

namespace p3d::test::cases {

namespace {
const Unary kAllUnary[] = {Unary::Identity, Unary::Relu,    Unary::Relu6, Unary::LeakyRelu,
                           Unary::Elu,      Unary::Sigmoid, Unary::Tanh,  Unary::Square,
                           Unary::Sqrt,     Unary::Rsqrt,   Unary::Exp,   Unary::Neg,
                           Unary::Abs};
const Binary kAllBinary[] = {Binary::Add, Binary::Sub, Binary::Mul,
                             Binary::Div, Binary::Min, Binary::Max};
const DType kAllDTypes[] = {DType::F32, DType::F16, DType::I32, DType::U8};
}  // namespace

void add_elementwise_cases(std::vector<OpCase>& t) {
  t.push_back(batch_norm_case(Shape{2, 5, 7, 16}, 1e-3f));
  t.push_back(batch_norm_case(Shape{1, 3}, 1e-5f));
  t.push_back(batch_norm_case(Shape{13, 64}, 1e-5f));
  t.push_back(batch_norm_case(Shape{1, 9, 11, 37}, 1e-3f));

  for (Unary op : kAllUnary) {
    t.push_back(unary_case(op, 37));
    t.push_back(unary_case(op, 10007));
  }
  t.push_back(unary_case(Unary::LeakyRelu, 1001, 0.01f));
  t.push_back(unary_case(Unary::Relu, 1));

  for (Binary op : kAllBinary) {
    t.push_back(binary_case(op, Shape{2, 5, 7, 3}, Shape{2, 5, 7, 3}));  // same shape
    t.push_back(binary_case(op, Shape{2, 5, 7, 16}, Shape{16}));         // channel broadcast
    t.push_back(binary_case(op, Shape{3, 4, 5}, Shape{1}));              // tensor op scalar
    t.push_back(binary_case(op, Shape{1}, Shape{3, 4, 5}));              // scalar op tensor
    t.push_back(binary_case(op, Shape{2, 1, 5, 3}, Shape{1, 4, 1, 3}));  // both broadcast, rank 4
    t.push_back(binary_case(op, Shape{2, 3, 1, 4, 1}, Shape{3, 5, 1, 2}));  // rank 5 vs 4
  }
  t.push_back(
      binary_case(Binary::Add, Shape{2, 1, 3, 1, 2, 3}, Shape{1, 2, 1, 4, 1, 3}));  // rank 6
  t.push_back(binary_case(Binary::Mul, Shape{1, 9, 11, 1}, Shape{2, 1, 1, 8}));
  t.push_back(binary_case(Binary::Sub, Shape{4099}, Shape{4099}));

  for (DType from : kAllDTypes)
    for (DType to : kAllDTypes) t.push_back(cast_case(from, to, 1031));
  // Specials: ties to even, subnormals, overflow to inf, inf and NaN into f16; saturation
  // and truncation toward zero into integers; every f16 pattern out of f16.
  t.push_back(
      cast_case(DType::F32, DType::F16, 16,
                values({1.0 + 1.0 / 2048, 1.0 + 3.0 / 2048, 65504, 65519.99, 65520, 1e6, -1e6,
                        std::ldexp(1.0, -24), std::ldexp(1.5, -24), std::ldexp(1.0, -25),
                        std::ldexp(3.0, -26), 6.1e-5, -0.0, INFINITY, -INFINITY, NAN}),
                " specials", true));
  t.push_back(cast_case(DType::F32, DType::I32, 12,
                        values({-2.9, -0.5, 0.5, 2.9, 1e10, -1e10, 2147483520.0, -2147483648.0, 3e9,
                                -3e9, 16777217.0, -7.99999}),
                        " saturate"));
  t.push_back(cast_case(DType::F32, DType::U8, 10,
                        values({-300, -1.5, -0.9, 0.1, 127.5, 254.99, 255, 255.5, 256, 1000}),
                        " saturate"));
  t.push_back(cast_case(DType::F16, DType::F32, 65536, all_half_bits(), " all patterns", true));
}

}  // namespace p3d::test::cases
