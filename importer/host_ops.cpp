// Import-time evaluation on host tensors (see host_ops.h).
#include "importer/host_ops.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/error.h"
#include "kernels/half.h"

namespace p3d::tfimport {
namespace {

// Row-major strides of `shape` for an operand of shape `s` broadcast into it (0 = repeated).
std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out) {
  std::vector<int64_t> strides(static_cast<size_t>(out.rank()), 0);
  int64_t stride = 1;
  for (int d = s.rank() - 1; d >= 0; --d) {
    const int od = d + out.rank() - s.rank();
    strides[static_cast<size_t>(od)] = s[d] == 1 ? 0 : stride;
    stride *= s[d];
  }
  return strides;
}

// Calls f(out_index, a_index, b_index) for every output element.
template <typename F>
void for_each_broadcast(const Shape& sa, const Shape& sb, const Shape& out, F f) {
  const std::vector<int64_t> st_a = broadcast_strides(sa, out), st_b = broadcast_strides(sb, out);
  const int rank = out.rank();
  std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
  const int64_t count = out.numel();
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < count; ++i) {
    f(i, ia, ib);
    for (int d = rank - 1; d >= 0; --d) {
      const size_t k = static_cast<size_t>(d);
      ++idx[k];
      ia += st_a[k];
      ib += st_b[k];
      if (idx[k] < out[d]) break;
      ia -= st_a[k] * idx[k];
      ib -= st_b[k] * idx[k];
      idx[k] = 0;
    }
  }
}

float float_op(HostBinary op, float a, float b) {
  switch (op) {
    case HostBinary::Add:
      return a + b;
    case HostBinary::Sub:
      return a - b;
    case HostBinary::Mul:
      return a * b;
    case HostBinary::RealDiv:
      return a / b;
    case HostBinary::FloorDiv:
      return std::floor(a / b);
    case HostBinary::Maximum:
      return std::fmax(a, b);
    case HostBinary::Minimum:
      return std::fmin(a, b);
  }
  return a;
}

int32_t int_op(HostBinary op, int32_t a, int32_t b) {
  int64_t r = 0;
  switch (op) {
    case HostBinary::Add:
      r = int64_t{a} + b;
      break;
    case HostBinary::Sub:
      r = int64_t{a} - b;
      break;
    case HostBinary::Mul:
      r = int64_t{a} * b;
      break;
    case HostBinary::RealDiv:
    case HostBinary::FloorDiv: {
      if (b == 0) P3D_THROW("integer division by zero (", a, " / 0)");
      r = int64_t{a} / b;  // C++ truncates, as TF's integer RealDiv / Div
      if (op == HostBinary::FloorDiv && (int64_t{a} % b != 0) && ((a < 0) != (b < 0))) --r;
      break;
    }
    case HostBinary::Maximum:
      r = std::max(a, b);
      break;
    case HostBinary::Minimum:
      r = std::min(a, b);
      break;
  }
  if (r < std::numeric_limits<int32_t>::min() || r > std::numeric_limits<int32_t>::max())
    P3D_THROW("int32 overflow evaluating ", a, " and ", b);
  return static_cast<int32_t>(r);
}

}  // namespace

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const int rank = std::max(a.rank(), b.rank());
  std::vector<int64_t> out(static_cast<size_t>(rank));
  for (int d = 0; d < rank; ++d) {
    const int da = d - (rank - a.rank()), db = d - (rank - b.rank());
    const int64_t ea = da >= 0 ? a[da] : 1, eb = db >= 0 ? b[db] : 1;
    if (ea != eb && ea != 1 && eb != 1)
      P3D_THROW("shapes ", a.str(), " and ", b.str(), " do not broadcast");
    out[static_cast<size_t>(d)] = ea == 1 ? eb : ea;
  }
  return Shape(out);
}

Tensor host_binary(HostBinary op, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    P3D_THROW("operands have different dtypes: ", a.str(), " and ", b.str());
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape());
  Tensor out = Tensor::empty(out_shape, a.dtype());
  if (a.dtype() == DType::F32) {
    const float *pa = a.data<float>(), *pb = b.data<float>();
    float* po = out.data<float>();
    for_each_broadcast(a.shape(), b.shape(), out_shape, [&](int64_t i, int64_t ia, int64_t ib) {
      po[i] = float_op(op, pa[ia], pb[ib]);
    });
  } else if (a.dtype() == DType::I32) {
    const int32_t *pa = a.data<int32_t>(), *pb = b.data<int32_t>();
    int32_t* po = out.data<int32_t>();
    for_each_broadcast(a.shape(), b.shape(), out_shape, [&](int64_t i, int64_t ia, int64_t ib) {
      po[i] = int_op(op, pa[ia], pb[ib]);
    });
  } else {
    P3D_THROW("arithmetic on ", dtype_name(a.dtype()), " constants is not supported");
  }
  return out;
}

Tensor host_unary(Unary op, const Tensor& x, float alpha) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  const int64_t n = x.numel();
  if (x.dtype() == DType::F32) {
    const float* px = x.data<float>();
    float* po = out.data<float>();
    for (int64_t i = 0; i < n; ++i) po[i] = apply_unary(op, px[i], alpha);
    return out;
  }
  if (x.dtype() == DType::I32 && (op == Unary::Square || op == Unary::Neg || op == Unary::Abs)) {
    const int32_t* px = x.data<int32_t>();
    int32_t* po = out.data<int32_t>();
    for (int64_t i = 0; i < n; ++i) {
      const int64_t v = px[i];
      const int64_t r = op == Unary::Square ? v * v : op == Unary::Neg ? -v : (v < 0 ? -v : v);
      if (r > std::numeric_limits<int32_t>::max())
        P3D_THROW("int32 overflow evaluating ", unary_name(op), "(", v, ")");
      po[i] = static_cast<int32_t>(r);
    }
    return out;
  }
  P3D_THROW(unary_name(op), " of a ", dtype_name(x.dtype()), " constant is not supported");
}

Tensor host_cast(const Tensor& x, DType to) {
  if (x.dtype() == to) return x;
  Tensor out = Tensor::empty(x.shape(), to);
  const int64_t n = x.numel();
  auto load = [&](int64_t i) -> double {
    switch (x.dtype()) {
      case DType::F32:
        return x.data<float>()[i];
      case DType::I32:
        return x.data<int32_t>()[i];
      case DType::U8:
        return x.data<uint8_t>()[i];
      case DType::F16:
        return half_to_float(x.data<uint16_t>()[i]);
    }
    return 0;
  };
  for (int64_t i = 0; i < n; ++i) {
    const double v = load(i);
    switch (to) {
      case DType::F32:
        out.data<float>()[i] = static_cast<float>(v);
        break;
      case DType::F16:
        out.data<uint16_t>()[i] = float_to_half(static_cast<float>(v));
        break;
      case DType::I32: {
        const double t = std::trunc(v);
        if (!(t >= std::numeric_limits<int32_t>::min() && t <= std::numeric_limits<int32_t>::max()))
          P3D_THROW("cast of ", v, " to int32 is out of range");
        out.data<int32_t>()[i] = static_cast<int32_t>(t);
        break;
      }
      case DType::U8: {
        const double t = std::trunc(v);
        if (!(t >= 0 && t <= 255)) P3D_THROW("cast of ", v, " to uint8 is out of range");
        out.data<uint8_t>()[i] = static_cast<uint8_t>(t);
        break;
      }
    }
  }
  return out;
}

Tensor host_round_to_half(const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), DType::F32);
  const float* px = x.data<float>();
  float* po = out.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) po[i] = half_to_float(float_to_half(px[i]));
  return out;
}

Tensor host_slice(const Tensor& x, const std::vector<SliceDim>& dims) {
  const int rank = x.shape().rank();
  P3D_CHECK(static_cast<int>(dims.size()) == rank, "slice of rank ", rank, " with ", dims.size(),
            " dims");
  std::vector<int64_t> out_dims;
  for (const SliceDim& d : dims) out_dims.push_back(d.count);
  Tensor out = Tensor::empty(Shape(out_dims), x.dtype());
  const int64_t count = out.numel();
  if (count == 0) return out;
  const size_t elem = dtype_size(x.dtype());
  std::vector<int64_t> in_strides(static_cast<size_t>(rank), 1);
  for (int d = rank - 2; d >= 0; --d)
    in_strides[static_cast<size_t>(d)] = in_strides[static_cast<size_t>(d) + 1] * x.shape()[d + 1];
  const char* src = static_cast<const char*>(x.raw());
  char* dst = static_cast<char*>(out.raw());
  std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t offset = 0;
    for (int d = 0; d < rank; ++d) {
      const SliceDim& s = dims[static_cast<size_t>(d)];
      offset +=
          (s.start + idx[static_cast<size_t>(d)] * s.step) * in_strides[static_cast<size_t>(d)];
    }
    std::memcpy(dst + static_cast<size_t>(i) * elem, src + static_cast<size_t>(offset) * elem,
                elem);
    for (int d = rank - 1; d >= 0; --d) {
      if (++idx[static_cast<size_t>(d)] < out_dims[static_cast<size_t>(d)]) break;
      idx[static_cast<size_t>(d)] = 0;
    }
  }
  return out;
}

Tensor host_concat(const std::vector<Tensor>& xs, int axis) {
  P3D_CHECK(!xs.empty(), "concat of nothing");
  const Shape& first = xs[0].shape();
  std::vector<int64_t> out_dims = first.dims();
  out_dims[static_cast<size_t>(axis)] = 0;
  for (const Tensor& t : xs) {
    if (t.dtype() != xs[0].dtype())
      P3D_THROW("concat of ", t.str(), " and ", xs[0].str(), ": dtypes differ");
    bool ok = t.shape().rank() == first.rank();
    for (int d = 0; ok && d < first.rank(); ++d) ok = d == axis || t.shape()[d] == first[d];
    if (!ok)
      P3D_THROW("concat of shapes ", first.str(), " and ", t.shape().str(), " along axis ", axis);
    out_dims[static_cast<size_t>(axis)] += t.shape()[axis];
  }
  Tensor out = Tensor::empty(Shape(out_dims), xs[0].dtype());
  const size_t elem = dtype_size(xs[0].dtype());
  const int64_t outer = first.product(0, axis);
  const int64_t out_row = out.shape().product(axis, first.rank()) * static_cast<int64_t>(elem);
  int64_t column = 0;
  for (const Tensor& t : xs) {
    const int64_t row = t.shape().product(axis, first.rank()) * static_cast<int64_t>(elem);
    for (int64_t o = 0; o < outer; ++o)
      if (row)
        std::memcpy(static_cast<char*>(out.raw()) + o * out_row + column,
                    static_cast<const char*>(t.raw()) + o * row, static_cast<size_t>(row));
    column += row;
  }
  return out;
}

Tensor host_reshape(const Tensor& x, const Shape& shape) {
  if (x.numel() == 0) return Tensor::empty(shape, x.dtype());
  return x.reshaped(shape);
}

}  // namespace p3d::tfimport
