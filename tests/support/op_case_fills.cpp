// Input fills, case naming and the pieces every builder shares; see op_case_builders.h.
#include <cmath>
#include <sstream>

#include "tests/support/naive_reference.h"
#include "tests/support/op_case_builders.h"

namespace p3d::test::cases {

// ---- fills -----------------------------------------------------------------------------
// Hand-written draws instead of std::uniform_*_distribution, whose output differs between
// standard libraries: the same seed gives the same inputs everywhere.
int64_t integer(std::mt19937& rng, int64_t lo, int64_t hi) {
  const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
  const uint64_t draw = (uint64_t(rng()) << 32) | rng();
  return lo + static_cast<int64_t>(draw % span);
}

namespace {
double unit(std::mt19937& rng) { return double(rng() >> 8) * (1.0 / 16777216.0); }  // [0, 1)

void store(Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case DType::F32:
      t.data<float>()[i] = static_cast<float>(v);
      break;
    case DType::F16:
      t.data<uint16_t>()[i] = naive::float_to_half(static_cast<float>(v));
      break;
    case DType::I32:
      t.data<int32_t>()[i] = static_cast<int32_t>(v);
      break;
    case DType::U8:
      t.data<uint8_t>()[i] = static_cast<uint8_t>(v);
      break;
  }
}
}  // namespace

// Uniform in [lo, hi): real for f32/f16, integer in [ceil(lo), floor(hi)] for i32/u8.
FillFn uniform(double lo, double hi) {
  return [lo, hi](std::mt19937& rng, Tensor& t) {
    const bool integral = t.dtype() == DType::I32 || t.dtype() == DType::U8;
    for (int64_t i = 0; i < t.numel(); ++i) {
      store(t, i,
            integral ? double(integer(rng, int64_t(std::ceil(lo)), int64_t(std::floor(hi))))
                     : lo + (hi - lo) * unit(rng));
    }
  };
}
// Magnitude in [lo, hi) with a random sign (denominators, values away from zero).
FillFn nonzero(double lo, double hi) {
  return [lo, hi](std::mt19937& rng, Tensor& t) {
    for (int64_t i = 0; i < t.numel(); ++i) {
      const double magnitude = lo + (hi - lo) * unit(rng);
      store(t, i, (rng() & 1) ? magnitude : -magnitude);
    }
  };
}
// sign * 2^e with e uniform in [lo_exp, hi_exp): spans many binades (f16 rounding, subnormals).
FillFn log_uniform(double lo_exp, double hi_exp) {
  return [lo_exp, hi_exp](std::mt19937& rng, Tensor& t) {
    for (int64_t i = 0; i < t.numel(); ++i) {
      const double magnitude = std::exp2(lo_exp + (hi_exp - lo_exp) * unit(rng));
      store(t, i, (rng() & 1) ? magnitude : -magnitude);
    }
  };
}
// The given values in order, then repeated (hand-picked special cases).
FillFn values(std::vector<double> list) {
  return [list](std::mt19937&, Tensor& t) {
    for (int64_t i = 0; i < t.numel(); ++i) store(t, i, list[static_cast<size_t>(i) % list.size()]);
  };
}
// Every 16-bit pattern in order (exhaustive f16 checks).
FillFn all_half_bits() {
  return [](std::mt19937&, Tensor& t) {
    for (int64_t i = 0; i < t.numel(); ++i) t.data<uint16_t>()[i] = static_cast<uint16_t>(i);
  };
}

// ---- naming ----------------------------------------------------------------------------
std::string dims(const Shape& s) {
  std::string out;
  for (int d = 0; d < s.rank(); ++d) out += (d ? "x" : "") + std::to_string(s[d]);
  return out;
}
std::string dims(const std::vector<int64_t>& v) { return dims(Shape(v)); }
std::string hw(int a, int b) {
  return a == b ? std::to_string(a) : std::to_string(a) + "x" + std::to_string(b);
}

const char* unary_name(Unary op) {
  switch (op) {
    case Unary::Identity:
      return "identity";
    case Unary::Relu:
      return "relu";
    case Unary::Relu6:
      return "relu6";
    case Unary::LeakyRelu:
      return "leakyrelu";
    case Unary::Elu:
      return "elu";
    case Unary::Sigmoid:
      return "sigmoid";
    case Unary::Tanh:
      return "tanh";
    case Unary::Square:
      return "square";
    case Unary::Sqrt:
      return "sqrt";
    case Unary::Rsqrt:
      return "rsqrt";
    case Unary::Exp:
      return "exp";
    case Unary::Neg:
      return "neg";
    case Unary::Abs:
      return "abs";
  }
  return "?";
}
std::string activation_name(Unary act, float alpha) {
  std::string s = unary_name(act);
  if (act == Unary::LeakyRelu) {
    std::ostringstream a;
    a << alpha;
    s += a.str();
  }
  return s;
}
const char* binary_name(Binary op) {
  switch (op) {
    case Binary::Add:
      return "add";
    case Binary::Sub:
      return "sub";
    case Binary::Mul:
      return "mul";
    case Binary::Div:
      return "div";
    case Binary::Min:
      return "min";
    case Binary::Max:
      return "max";
  }
  return "?";
}

// ---- shared builder pieces -------------------------------------------------------------
const float* f32(const void* p) { return static_cast<const float*>(p); }
float* f32(void* p) { return static_cast<float*>(p); }

double byte_count(const OpCase& c) {
  double bytes = double(c.out_shape.numel()) * double(dtype_size(c.out_dtype));
  for (const InputSpec& in : c.inputs)
    bytes += double(in.shape.numel()) * double(dtype_size(in.dtype));
  return bytes;
}

InputSpec input(std::string label, Shape shape, FillFn fill, DType dtype) {
  InputSpec s;
  s.label = std::move(label);
  s.shape = std::move(shape);
  s.dtype = dtype;
  s.fill = std::move(fill);
  return s;
}

int32_t out_size(int32_t in, int32_t k, int32_t s, int32_t d, int32_t before, int32_t after) {
  return (in + before + after - ((k - 1) * d + 1)) / s + 1;
}

}  // namespace p3d::test::cases
