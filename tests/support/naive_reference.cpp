// Naive reference loops; see naive_reference.h for why they exist and what they promise.
// Conventions: accumulate in double, round to the output type once at the end; walk the
// output (gather) unless the op is naturally a scatter (conv_transpose2d).
#include "tests/support/naive_reference.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/error.h"

namespace p3d::naive {
namespace {

int64_t product(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

// Row-major strides of a contiguous tensor with these dims.
std::vector<int64_t> strides_of(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (int d = static_cast<int>(dims.size()) - 2; d >= 0; --d) s[d] = s[d + 1] * dims[d + 1];
  return s;
}

// Advances a row-major multi-index; false once it wraps past the last element.
bool next_index(std::vector<int64_t>& idx, const std::vector<int64_t>& dims) {
  for (int d = static_cast<int>(dims.size()) - 1; d >= 0; --d) {
    if (++idx[d] < dims[d]) return true;
    idx[d] = 0;
  }
  return false;
}

std::vector<int64_t> dims_of(const int64_t* dims, int rank) {
  return std::vector<int64_t>(dims, dims + rank);
}

// The conv epilogue, from Conv2dParams' definition: act(acc + bias[c] + residual).
double epilogue(double acc, const float* bias, const float* residual, int64_t index, int64_t c,
                Unary act, float alpha) {
  if (bias) acc += bias[c];
  if (residual) acc += residual[index];
  return unary(act, acc, alpha);
}

// ---- float-exact helpers for resize: TensorFlow computes sampling coordinates in float,
// one rounded operation at a time, and which source pixel is picked (and the bilinear
// weight) depends on that rounding. The volatile store forces each result to be a rounded
// float: GCC otherwise narrows the expression to float and, with its default
// -ffp-contract=fast, fuses (i + 0.5) * scale - 0.5 into one FMA.
float fmul(float a, float b) {
  volatile float r = a * b;
  return r;
}
float fadd(float a, float b) {
  volatile float r = a + b;
  return r;
}
float resize_scale_f(int32_t in, int32_t out, bool align_corners) {
  if (align_corners && out > 1) return static_cast<float>(double(in - 1) / double(out - 1));
  return static_cast<float>(double(in) / double(out));
}

uint16_t double_to_half(double v) {
  const uint16_t sign = std::signbit(v) ? 0x8000 : 0;
  if (std::isnan(v)) return sign | 0x7E00;
  const double a = std::fabs(v);
  if (std::isinf(a)) return sign | 0x7C00;
  if (a < std::ldexp(1.0, -14)) {
    // Subnormal (or zero): a multiple of 2^-24. A result of 1024 is the smallest normal,
    // whose encoding is exactly 1024 too.
    return sign | static_cast<uint16_t>(std::nearbyint(std::ldexp(a, 24)));
  }
  int e = 0;
  std::frexp(a, &e);     // a = f * 2^e with f in [0.5, 1)
  int exponent = e - 1;  // a = (1 + frac) * 2^exponent
  double mantissa = std::nearbyint((std::ldexp(a, -exponent) - 1.0) * 1024.0);  // ties to even
  if (mantissa == 1024.0) {
    mantissa = 0.0;
    ++exponent;
  }
  if (exponent > 15) return sign | 0x7C00;
  return sign | static_cast<uint16_t>((exponent + 15) << 10) | static_cast<uint16_t>(mantissa);
}

double load_scalar(ScalarType t, const void* x, int64_t i) {
  switch (t) {
    case ScalarType::F32:
      return static_cast<const float*>(x)[i];
    case ScalarType::F16:
      return half_to_float(static_cast<const uint16_t*>(x)[i]);
    case ScalarType::I32:
      return static_cast<const int32_t*>(x)[i];
    case ScalarType::U8:
      return static_cast<const uint8_t*>(x)[i];
  }
  P3D_THROW("unknown scalar type");
}

// Float -> integer as the CastParams comment states: truncate toward zero, then saturate.
double to_integer(double v, double lo, double hi) {
  if (std::isnan(v)) return 0.0;
  return std::min(std::max(std::trunc(v), lo), hi);
}

}  // namespace

// ---- scalar definitions ----------------------------------------------------------------

double unary(Unary op, double x, double alpha) {
  switch (op) {
    case Unary::Identity:
      return x;
    case Unary::Relu:
      return x > 0.0 ? x : 0.0;
    case Unary::Relu6:
      return x < 0.0 ? 0.0 : (x > 6.0 ? 6.0 : x);
    case Unary::LeakyRelu:
      return x < 0.0 ? alpha * x : x;
    case Unary::Elu:
      return x < 0.0 ? std::expm1(x) : x;
    case Unary::Sigmoid:
      return 1.0 / (1.0 + std::exp(-x));
    case Unary::Tanh:
      return std::tanh(x);
    case Unary::Square:
      return x * x;
    case Unary::Sqrt:
      return std::sqrt(x);
    case Unary::Rsqrt:
      return 1.0 / std::sqrt(x);
    case Unary::Exp:
      return std::exp(x);
    case Unary::Neg:
      return -x;
    case Unary::Abs:
      return std::fabs(x);
  }
  P3D_THROW("naive::unary: unknown op ", static_cast<int>(op));
}

double binary(Binary op, double a, double b) {
  switch (op) {
    case Binary::Add:
      return a + b;
    case Binary::Sub:
      return a - b;
    case Binary::Mul:
      return a * b;
    case Binary::Div:
      return a / b;
    case Binary::Min:
      return a < b ? a : b;
    case Binary::Max:
      return a > b ? a : b;
  }
  P3D_THROW("naive::binary: unknown op ", static_cast<int>(op));
}

float half_to_float(uint16_t bits) {
  const double sign = (bits & 0x8000) ? -1.0 : 1.0;
  const int exponent = (bits >> 10) & 0x1F;
  const int mantissa = bits & 0x3FF;
  if (exponent == 0) return static_cast<float>(sign * std::ldexp(mantissa, -24));
  if (exponent == 31) {
    return mantissa ? std::numeric_limits<float>::quiet_NaN()
                    : static_cast<float>(sign * std::numeric_limits<double>::infinity());
  }
  return static_cast<float>(sign * std::ldexp(1024 + mantissa, exponent - 25));
}

uint16_t float_to_half(float value) { return double_to_half(value); }

// ---- dense ops -------------------------------------------------------------------------

// MirrorPad's index rule, written out on its own: coordinate i of an n-long axis padded by
// mirroring (Reflect: the edge not repeated, Symmetric: repeated) reads this input
// coordinate; zero padding leaves i as it is (out of range: skipped).
int64_t mirrored(int64_t i, int64_t n, PadMode fill) {
  if (fill == PadMode::Constant || (i >= 0 && i < n)) return i;
  const int64_t period = fill == PadMode::Reflect ? 2 * (n - 1) : 2 * n;
  if (period == 0) return 0;                     // a one-pixel axis reflects onto itself
  int64_t j = ((i % period) + period) % period;  // position in the mirrored period
  if (fill == PadMode::Reflect) return j < n ? j : period - j;
  return j < n ? j : period - 1 - j;
}

double conv2d_at(const Conv2dParams& p, const float* x, const float* w, const float* bias,
                 const float* residual, int64_t index) {
  int64_t rest = index;
  const int64_t oc = rest % p.out_c;
  rest /= p.out_c;
  const int64_t ox = rest % p.out_w;
  rest /= p.out_w;
  const int64_t oy = rest % p.out_h;
  const int64_t n = rest / p.out_h;
  const int64_t in_per_group = p.in_c / p.groups;
  const int64_t out_per_group = p.out_c / p.groups;
  const int64_t group = oc / out_per_group;
  double acc = 0.0;
  for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
    const int64_t iy =
        mirrored(oy * p.stride_h - p.pad_top + ky * p.dilation_h, p.in_h, p.padding_fill);
    if (iy < 0 || iy >= p.in_h) continue;  // zero padding
    for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
      const int64_t ix =
          mirrored(ox * p.stride_w - p.pad_left + kx * p.dilation_w, p.in_w, p.padding_fill);
      if (ix < 0 || ix >= p.in_w) continue;
      for (int64_t ic = 0; ic < in_per_group; ++ic) {
        const double xv = x[((n * p.in_h + iy) * p.in_w + ix) * p.in_c + group * in_per_group + ic];
        const double wv = w[((ky * p.kernel_w + kx) * in_per_group + ic) * p.out_c + oc];  // HWIO
        acc += xv * wv;
      }
    }
  }
  return epilogue(acc, bias, residual, index, oc, p.activation, p.activation_alpha);
}

void conv2d(const Conv2dParams& p, const float* x, const float* w, const float* bias,
            const float* residual, float* y) {
  const int64_t count = int64_t(p.batch) * p.out_h * p.out_w * p.out_c;
  for (int64_t i = 0; i < count; ++i)
    y[i] = static_cast<float>(conv2d_at(p, x, w, bias, residual, i));
}

void conv_transpose2d(const ConvTranspose2dParams& p, const float* x, const float* w,
                      const float* bias, const float* residual, float* y) {
  // Each input pixel (n, iy, ix, ic) of the small tensor is where the forward conv's window
  // at (iy, ix) landed; the adjoint adds x * w into every output pixel of that window.
  const int64_t out_count = int64_t(p.batch) * p.out_h * p.out_w * p.out_c;
  std::vector<double> acc(static_cast<size_t>(out_count), 0.0);
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t iy = 0; iy < p.in_h; ++iy)
      for (int64_t ix = 0; ix < p.in_w; ++ix)
        for (int64_t ic = 0; ic < p.in_c; ++ic) {
          const double xv = x[((n * p.in_h + iy) * p.in_w + ix) * p.in_c + ic];
          for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
            const int64_t oy = iy * p.stride_h - p.pad_top + ky * p.dilation_h;
            if (oy < 0 || oy >= p.out_h) continue;
            for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
              const int64_t ox = ix * p.stride_w - p.pad_left + kx * p.dilation_w;
              if (ox < 0 || ox >= p.out_w) continue;
              for (int64_t oc = 0; oc < p.out_c; ++oc) {
                const double wv = w[((ky * p.kernel_w + kx) * p.out_c + oc) * p.in_c + ic];  // HWOI
                acc[static_cast<size_t>(((n * p.out_h + oy) * p.out_w + ox) * p.out_c + oc)] +=
                    xv * wv;
              }
            }
          }
        }
  for (int64_t i = 0; i < out_count; ++i)
    y[i] = static_cast<float>(epilogue(acc[static_cast<size_t>(i)], bias, residual, i, i % p.out_c,
                                       p.activation, p.activation_alpha));
}

double matmul_at(const MatmulParams& p, const float* a, const float* b, const float* bias,
                 int64_t index) {
  const int64_t j = index % p.n;
  const int64_t i = (index / p.n) % p.m;
  const int64_t batch = index / (int64_t(p.m) * p.n);
  const float* A = a + batch * p.m * p.k;
  const float* B = b + batch * p.k * p.n;
  double acc = 0.0;
  for (int64_t kk = 0; kk < p.k; ++kk) {
    const double av = p.transpose_a ? A[kk * p.m + i] : A[i * p.k + kk];
    const double bv = p.transpose_b ? B[j * p.k + kk] : B[kk * p.n + j];
    acc += av * bv;
  }
  if (p.has_bias) acc += bias[j];
  return unary(p.activation, acc, p.activation_alpha);
}

void matmul(const MatmulParams& p, const float* a, const float* b, const float* bias, float* c) {
  const int64_t count = int64_t(p.batch) * p.m * p.n;
  for (int64_t i = 0; i < count; ++i) c[i] = static_cast<float>(matmul_at(p, a, b, bias, i));
}

void pool2d(const Pool2dParams& p, const float* x, float* y) {
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t oy = 0; oy < p.out_h; ++oy)
      for (int64_t ox = 0; ox < p.out_w; ++ox)
        for (int64_t c = 0; c < p.channels; ++c) {
          double best = -std::numeric_limits<double>::infinity();
          double sum = 0.0;
          int64_t valid = 0;
          for (int64_t ky = 0; ky < p.kernel_h; ++ky)
            for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
              const int64_t iy = oy * p.stride_h - p.pad_top + ky;
              const int64_t ix = ox * p.stride_w - p.pad_left + kx;
              if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) continue;  // padding: ignored
              const double v = x[((n * p.in_h + iy) * p.in_w + ix) * p.channels + c];
              best = std::max(best, v);
              sum += v;
              ++valid;
            }
          P3D_CHECK(valid > 0, "naive::pool2d: a window holds no input pixel");
          y[((n * p.out_h + oy) * p.out_w + ox) * p.channels + c] =
              static_cast<float>(p.kind == PoolKind::Max ? best : sum / double(valid));
        }
}

void reduce(const ReduceParams& p, const float* x, float* y) {
  for (int64_t o = 0; o < p.outer; ++o)
    for (int64_t i = 0; i < p.inner; ++i) {
      double sum = 0.0;
      double best = -std::numeric_limits<double>::infinity();
      for (int64_t r = 0; r < p.reduced; ++r) {
        const double v = x[(o * p.reduced + r) * p.inner + i];
        sum += v;
        best = std::max(best, v);
      }
      double out = sum;
      if (p.kind == ReduceKind::Mean) out = sum / double(p.reduced);
      if (p.kind == ReduceKind::Max) out = best;
      y[o * p.inner + i] = static_cast<float>(out);
    }
}

void batch_norm(const BatchNormParams& p, const float* x, const float* gamma, const float* beta,
                const float* mean, const float* variance, float* y) {
  for (int64_t r = 0; r < p.rows; ++r)
    for (int64_t c = 0; c < p.channels; ++c) {
      const int64_t i = r * p.channels + c;
      const double normalized =
          (double(x[i]) - mean[c]) / std::sqrt(double(variance[c]) + p.epsilon);
      y[i] = static_cast<float>(normalized * gamma[c] + beta[c]);
    }
}

// ---- element-wise ----------------------------------------------------------------------

void unary(Unary op, float alpha, const float* x, float* y, int64_t count) {
  for (int64_t i = 0; i < count; ++i) y[i] = static_cast<float>(unary(op, x[i], alpha));
}

void binary(Binary op, const std::vector<int64_t>& a_shape, const float* a,
            const std::vector<int64_t>& b_shape, const float* b, float* y) {
  const size_t rank = std::max(a_shape.size(), b_shape.size());
  // Left-pad both shapes with 1s, then each out dim is the non-1 one.
  std::vector<int64_t> ad(rank, 1), bd(rank, 1), od(rank, 1);
  std::copy(a_shape.begin(), a_shape.end(), ad.begin() + (rank - a_shape.size()));
  std::copy(b_shape.begin(), b_shape.end(), bd.begin() + (rank - b_shape.size()));
  for (size_t d = 0; d < rank; ++d) {
    P3D_CHECK(ad[d] == bd[d] || ad[d] == 1 || bd[d] == 1, "naive::binary: shapes do not broadcast");
    od[d] = std::max(ad[d], bd[d]);
  }
  const std::vector<int64_t> as = strides_of(ad), bs = strides_of(bd);
  std::vector<int64_t> idx(rank, 0);
  const int64_t count = product(od);
  for (int64_t i = 0; i < count; ++i, next_index(idx, od)) {
    int64_t ai = 0, bi = 0;
    for (size_t d = 0; d < rank; ++d) {
      ai += (ad[d] == 1 ? 0 : idx[d]) * as[d];
      bi += (bd[d] == 1 ? 0 : idx[d]) * bs[d];
    }
    y[i] = static_cast<float>(binary(op, a[ai], b[bi]));
  }
}

void cast(ScalarType from, ScalarType to, const void* x, void* y, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    const double v = load_scalar(from, x, i);
    switch (to) {
      case ScalarType::F32:
        static_cast<float*>(y)[i] = static_cast<float>(v);
        break;
      case ScalarType::F16:
        static_cast<uint16_t*>(y)[i] = double_to_half(v);
        break;
      case ScalarType::I32:
        static_cast<int32_t*>(y)[i] =
            static_cast<int32_t>(to_integer(v, -2147483648.0, 2147483647.0));
        break;
      case ScalarType::U8:
        static_cast<uint8_t*>(y)[i] = static_cast<uint8_t>(to_integer(v, 0.0, 255.0));
        break;
    }
  }
}

// ---- data movement ---------------------------------------------------------------------

void concat(const std::vector<std::vector<int64_t>>& shapes, const std::vector<const void*>& inputs,
            int axis, int element_size, void* y) {
  P3D_CHECK(!shapes.empty() && shapes.size() == inputs.size(), "naive::concat: bad input list");
  std::vector<int64_t> out_dims = shapes[0];
  out_dims[static_cast<size_t>(axis)] = 0;
  for (const auto& s : shapes) out_dims[static_cast<size_t>(axis)] += s[static_cast<size_t>(axis)];
  const std::vector<int64_t> out_strides = strides_of(out_dims);
  int64_t offset = 0;  // where the current input starts along `axis`
  for (size_t t = 0; t < shapes.size(); ++t) {
    const std::vector<int64_t>& dims = shapes[t];
    std::vector<int64_t> idx(dims.size(), 0);
    const int64_t count = product(dims);
    const char* src = static_cast<const char*>(inputs[t]);
    for (int64_t i = 0; i < count; ++i, next_index(idx, dims)) {
      int64_t o = 0;
      for (size_t d = 0; d < dims.size(); ++d)
        o += (idx[d] + (int(d) == axis ? offset : 0)) * out_strides[d];
      std::memcpy(static_cast<char*>(y) + o * element_size, src + i * element_size,
                  static_cast<size_t>(element_size));
    }
    offset += dims[static_cast<size_t>(axis)];
  }
}

void pad(const PadParams& p, const float* x, float* y) {
  const std::vector<int64_t> in_dims = dims_of(p.in_dims, p.rank);
  std::vector<int64_t> out_dims(in_dims.size());
  for (int d = 0; d < p.rank; ++d) out_dims[d] = in_dims[d] + p.before[d] + p.after[d];
  const std::vector<int64_t> in_strides = strides_of(in_dims);
  std::vector<int64_t> idx(out_dims.size(), 0);
  const int64_t count = product(out_dims);
  for (int64_t i = 0; i < count; ++i, next_index(idx, out_dims)) {
    bool inside = true;
    int64_t src = 0;
    for (int d = 0; d < p.rank; ++d) {
      const int64_t n = in_dims[d];
      int64_t k = idx[d] - p.before[d];
      if (k < 0 || k >= n) {
        if (p.mode == PadMode::Constant) {
          inside = false;
          break;
        }
        // Reflect mirrors about the edge element (edge not repeated), Symmetric about the
        // edge itself (edge repeated).
        if (p.mode == PadMode::Reflect)
          k = k < 0 ? -k : 2 * (n - 1) - k;
        else
          k = k < 0 ? -k - 1 : 2 * n - 1 - k;
        P3D_CHECK(k >= 0 && k < n, "naive::pad: padding too wide for mirror mode");
      }
      src += k * in_strides[d];
    }
    y[i] = inside ? x[src] : p.value;
  }
}

void transpose(const TransposeParams& p, const void* x, void* y) {
  const std::vector<int64_t> in_dims = dims_of(p.in_dims, p.rank);
  std::vector<int64_t> out_dims(in_dims.size());
  for (int d = 0; d < p.rank; ++d) out_dims[d] = in_dims[p.perm[d]];
  const std::vector<int64_t> in_strides = strides_of(in_dims);
  std::vector<int64_t> idx(out_dims.size(), 0);
  const int64_t count = product(out_dims);
  for (int64_t i = 0; i < count; ++i, next_index(idx, out_dims)) {
    int64_t src = 0;
    for (int d = 0; d < p.rank; ++d) src += idx[d] * in_strides[p.perm[d]];  // j[perm[d]] = i[d]
    std::memcpy(static_cast<char*>(y) + i * p.element_size,
                static_cast<const char*>(x) + src * p.element_size,
                static_cast<size_t>(p.element_size));
  }
}

void slice(const SliceParams& p, const void* x, void* y) {
  const std::vector<int64_t> in_dims = dims_of(p.in_dims, p.rank);
  const std::vector<int64_t> out_dims = dims_of(p.out_dims, p.rank);
  const std::vector<int64_t> in_strides = strides_of(in_dims);
  std::vector<int64_t> idx(out_dims.size(), 0);
  const int64_t count = product(out_dims);
  for (int64_t i = 0; i < count; ++i, next_index(idx, out_dims)) {
    int64_t src = 0;
    for (int d = 0; d < p.rank; ++d) {
      const int64_t j = p.begin[d] + idx[d] * p.step[d];
      P3D_CHECK(j >= 0 && j < in_dims[d], "naive::slice: index out of range");
      src += j * in_strides[d];
    }
    std::memcpy(static_cast<char*>(y) + i * p.element_size,
                static_cast<const char*>(x) + src * p.element_size,
                static_cast<size_t>(p.element_size));
  }
}

void resize(const ResizeParams& p, const float* x, float* y) {
  const float sy = resize_scale_f(p.in_h, p.out_h, p.align_corners);
  const float sx = resize_scale_f(p.in_w, p.out_w, p.align_corners);
  auto at = [&](int64_t n, int64_t iy, int64_t ix, int64_t c) -> double {
    return x[((n * p.in_h + iy) * p.in_w + ix) * p.channels + c];
  };
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t oy = 0; oy < p.out_h; ++oy)
      for (int64_t ox = 0; ox < p.out_w; ++ox)
        for (int64_t c = 0; c < p.channels; ++c) {
          double v = 0.0;
          if (p.mode == ResizeMode::Bilinear) {
            // TF1 ResizeBilinear: in = (i + 0.5) * scale - 0.5 with half-pixel centres, else
            // i * scale; neighbours floor/ceil clamped into the image; weight in - floor(in).
            auto source = [&](int64_t i, float s) {
              return p.half_pixel_centers ? fadd(fmul(fadd(float(i), 0.5f), s), -0.5f)
                                          : fmul(float(i), s);
            };
            const float in_y = source(oy, sy), in_x = source(ox, sx);
            const int64_t y0 = std::max<int64_t>(int64_t(std::floor(in_y)), 0);
            const int64_t y1 = std::min<int64_t>(int64_t(std::ceil(in_y)), p.in_h - 1);
            const int64_t x0 = std::max<int64_t>(int64_t(std::floor(in_x)), 0);
            const int64_t x1 = std::min<int64_t>(int64_t(std::ceil(in_x)), p.in_w - 1);
            const double ly = double(in_y) - std::floor(double(in_y));
            const double lx = double(in_x) - std::floor(double(in_x));
            const double top = at(n, y0, x0, c) + (at(n, y0, x1, c) - at(n, y0, x0, c)) * lx;
            const double bottom = at(n, y1, x0, c) + (at(n, y1, x1, c) - at(n, y1, x0, c)) * lx;
            v = top + (bottom - top) * ly;
          } else {
            // TF1 ResizeNearestNeighbor: in = (i + 0.5) * scale with half-pixel centres (no
            // -0.5), else i * scale; round half away from zero with align_corners, else floor.
            auto source = [&](int64_t i, float s, int64_t in_size) {
              const float in =
                  p.half_pixel_centers ? fmul(fadd(float(i), 0.5f), s) : fmul(float(i), s);
              const int64_t k = int64_t(p.align_corners ? std::round(in) : std::floor(in));
              return std::min<int64_t>(std::max<int64_t>(k, 0), in_size - 1);
            };
            v = at(n, source(oy, sy, p.in_h), source(ox, sx, p.in_w), c);
          }
          y[((n * p.out_h + oy) * p.out_w + ox) * p.channels + c] = static_cast<float>(v);
        }
}

}  // namespace p3d::naive
