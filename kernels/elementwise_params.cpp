// Element-wise validation shared by the CPU loops (kernels/cpu/unary.cpp, binary.cpp,
// batch_norm.cpp, cast.cpp) and their CUDA twins.
#include "kernels/elementwise.h"
#include "kernels/error.h"

namespace p3d {

bool is_known_unary(Unary op) {
  switch (op) {
    case Unary::Identity:
    case Unary::Relu:
    case Unary::Relu6:
    case Unary::LeakyRelu:
    case Unary::Elu:
    case Unary::Sigmoid:
    case Unary::Tanh:
    case Unary::Square:
    case Unary::Sqrt:
    case Unary::Rsqrt:
    case Unary::Exp:
    case Unary::Neg:
    case Unary::Abs:
      return true;
  }
  return false;
}

namespace {

bool is_known_binary(Binary op) {
  switch (op) {
    case Binary::Add:
    case Binary::Sub:
    case Binary::Mul:
    case Binary::Div:
    case Binary::Min:
    case Binary::Max:
      return true;
  }
  return false;
}

bool is_known_scalar_type(ScalarType t) {
  switch (t) {
    case ScalarType::F32:
    case ScalarType::F16:
    case ScalarType::I32:
    case ScalarType::U8:
      return true;
  }
  return false;
}

}  // namespace

void check_unary_params(const UnaryParams& p) {
  P3D_CHECK(p.count >= 0, "unary: negative count ", p.count);
  P3D_CHECK(is_known_unary(p.op), "unary: unknown op ", static_cast<int>(p.op));
}

void check_binary_params(const BinaryParams& p) {
  P3D_CHECK(p.rank >= 1 && p.rank <= kMaxRank, "binary: rank ", p.rank, " not in 1..", kMaxRank);
  for (int d = 0; d < p.rank; ++d)
    P3D_CHECK(p.out_dims[d] >= 0, "binary: negative dim ", p.out_dims[d]);
  P3D_CHECK(is_known_binary(p.op), "binary: unknown op ", static_cast<int>(p.op));
}

void check_batch_norm_params(const BatchNormParams& p) {
  P3D_CHECK(p.rows >= 0 && p.channels >= 0, "batch_norm: negative size [", p.rows, ", ", p.channels,
            "]");
  P3D_CHECK(p.epsilon >= 0.f, "batch_norm: epsilon ", p.epsilon, " must be >= 0");
}

void check_cast_params(const CastParams& p) {
  P3D_CHECK(p.count >= 0, "cast: negative count ", p.count);
  P3D_CHECK(is_known_scalar_type(p.from), "cast: unknown source type ", static_cast<int>(p.from));
  P3D_CHECK(is_known_scalar_type(p.to), "cast: unknown target type ", static_cast<int>(p.to));
}

}  // namespace p3d
