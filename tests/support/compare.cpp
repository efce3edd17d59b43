// Error metrics, NaN/Inf scan and guard patterns; see compare.h.
#include "tests/support/compare.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "tests/support/naive_reference.h"

namespace p3d::test {
namespace {

bool both_nan(double a, double b) { return std::isnan(a) && std::isnan(b); }

// "[n,h,w,c]" for a flat index into `shape` (empty when the shape is unknown).
std::string position(const Shape& shape, int64_t index) {
  if (index < 0 || shape.rank() == 0) return "";
  std::vector<int64_t> idx(static_cast<size_t>(shape.rank()));
  for (int d = shape.rank() - 1; d >= 0; --d) {
    idx[static_cast<size_t>(d)] = shape[d] ? index % shape[d] : 0;
    index = shape[d] ? index / shape[d] : 0;
  }
  std::ostringstream out;
  out << "[";
  for (size_t d = 0; d < idx.size(); ++d) out << (d ? "," : "") << idx[d];
  out << "]";
  return out.str();
}

// Accumulates one metric over (got, expected) pairs fed in any order.
class Accumulator {
 public:
  explicit Accumulator(const Tolerance& t) { result_.tolerance = t; }

  // same_bits: the two elements' bytes are equal (read only by Metric::Identical).
  void add(int64_t index, double got, double expected, bool same_bits = false) {
    ++result_.count;
    const double diff = std::fabs(got - expected);
    switch (result_.tolerance.metric) {
      case Metric::Nmse:
        sum_sq_diff_ += (got - expected) * (got - expected);
        sum_sq_ref_ += expected * expected;
        note_worst(index, got, expected,
                   std::isnan(diff) ? std::numeric_limits<double>::infinity() : diff);
        break;
      case Metric::Close: {
        const double bound = result_.tolerance.atol + result_.tolerance.rtol * std::fabs(expected);
        double ratio = 0.0;
        if (both_nan(got, expected))
          ratio = 0.0;
        else if (std::isnan(diff))
          ratio = std::numeric_limits<double>::infinity();
        else if (diff == 0.0)
          ratio = 0.0;
        else
          ratio = bound > 0.0 ? diff / bound : std::numeric_limits<double>::infinity();
        if (ratio > 1.0) ++result_.mismatches;
        note_worst(index, got, expected, ratio);
        break;
      }
      case Metric::Exact:
        if (!(got == expected || both_nan(got, expected))) {
          if (result_.mismatches++ == 0) set_worst(index, got, expected);  // the first one
        }
        break;
      case Metric::Identical:
        if (!same_bits && result_.mismatches++ == 0) set_worst(index, got, expected);
        break;
    }
  }

  Comparison finish(const Shape& shape) {
    switch (result_.tolerance.metric) {
      case Metric::Nmse:
        if (sum_sq_ref_ > 0.0)
          result_.value = sum_sq_diff_ / sum_sq_ref_;
        else
          result_.value = sum_sq_diff_ == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
        result_.ok = result_.value <= result_.tolerance.max_nmse;  // false for NaN
        break;
      case Metric::Close:
        result_.value = worst_;
        result_.ok = result_.mismatches == 0;
        break;
      case Metric::Exact:
      case Metric::Identical:
        result_.value = double(result_.mismatches);
        result_.ok = result_.mismatches == 0;
        break;
    }
    result_.worst_position = position(shape, result_.worst_index);
    return result_;
  }

 private:
  void note_worst(int64_t index, double got, double expected, double score) {
    if (result_.worst_index < 0 || score > worst_) {
      worst_ = score;
      set_worst(index, got, expected);
    }
  }
  void set_worst(int64_t index, double got, double expected) {
    result_.worst_index = index;
    result_.got = got;
    result_.expected = expected;
  }

  Comparison result_;
  double sum_sq_diff_ = 0.0, sum_sq_ref_ = 0.0;
  double worst_ = -1.0;
};

}  // namespace

std::string Tolerance::str() const {
  std::ostringstream out;
  switch (metric) {
    case Metric::Nmse:
      out << "nmse <= " << max_nmse;
      break;
    case Metric::Close:
      out << "|a-b| <= " << atol << " + " << rtol << "*|b|";
      break;
    case Metric::Exact:
      out << "exact";
      break;
    case Metric::Identical:
      out << "identical bits";
      break;
  }
  return out.str();
}

std::string Comparison::describe() const {
  std::ostringstream out;
  out.precision(9);
  if (!note.empty()) out << note << "\n";
  out << "metric " << tolerance.str() << " over " << count << " elements: ";
  switch (tolerance.metric) {
    case Metric::Nmse:
      out << "nmse = " << value;
      break;
    case Metric::Close:
      out << "worst |a-b| / bound = " << value << ", " << mismatches << " out of bound";
      break;
    case Metric::Exact:
    case Metric::Identical:
      out << mismatches << " mismatches";
      break;
  }
  if (worst_index >= 0) {
    out << "\n"
        << (tolerance.metric == Metric::Exact || tolerance.metric == Metric::Identical
                ? "first mismatch"
                : "worst element")
        << " at flat index " << worst_index << " " << worst_position << ": got " << got
        << ", expected " << expected << " (|diff| " << std::fabs(got - expected) << ")";
  }
  return out.str();
}

double element(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::F32:
      return t.data<float>()[i];
    case DType::F16:
      return naive::half_to_float(t.data<uint16_t>()[i]);
    case DType::I32:
      return t.data<int32_t>()[i];
    case DType::U8:
      return t.data<uint8_t>()[i];
  }
  return 0.0;
}

Comparison compare(const Tensor& got, const Tensor& expected, const Tolerance& tolerance) {
  if (got.shape() != expected.shape() || got.dtype() != expected.dtype()) {
    Comparison c;
    c.ok = false;
    c.tolerance = tolerance;
    c.note = "output is " + got.str() + " but the reference is " + expected.str();
    return c;
  }
  Accumulator acc(tolerance);
  const size_t size = dtype_size(got.dtype());
  const auto* a = static_cast<const uint8_t*>(got.raw());
  const auto* b = static_cast<const uint8_t*>(expected.raw());
  for (int64_t i = 0; i < got.numel(); ++i) {
    const size_t at = static_cast<size_t>(i) * size;
    acc.add(i, element(got, i), element(expected, i), std::memcmp(a + at, b + at, size) == 0);
  }
  return acc.finish(got.shape());
}

Comparison compare_at(const Tensor& got, const std::vector<int64_t>& indices,
                      const std::vector<double>& expected, const Tolerance& tolerance) {
  Accumulator acc(tolerance);
  for (size_t i = 0; i < indices.size(); ++i) {
    // Round the reference to the output's precision, as a full reference would be.
    const double ref =
        got.dtype() == DType::F32 ? double(static_cast<float>(expected[i])) : expected[i];
    const double value = element(got, indices[i]);
    acc.add(indices[i], value, ref, value == ref);  // no bits to compare: values, for Identical
  }
  return acc.finish(got.shape());
}

NonFinite find_nonfinite(const Tensor& t) {
  NonFinite r;
  if (t.dtype() != DType::F32 && t.dtype() != DType::F16) return r;
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double v = element(t, i);
    if (!std::isfinite(v)) {
      if (r.count++ == 0) {
        r.first_index = i;
        r.first_value = v;
      }
    }
  }
  return r;
}

// The pattern varies with the offset and the salt, so a kernel that copies a neighbouring
// guard (or zero-fills) over another buffer's guard is still caught.
static uint8_t guard_byte(size_t offset, uint32_t salt) {
  return static_cast<uint8_t>(0xA5u ^ (offset * 131u) ^ (salt * 29u) ^ (offset >> 8));
}

void fill_guard(uint8_t* bytes, size_t count, uint32_t salt) {
  for (size_t i = 0; i < count; ++i) bytes[i] = guard_byte(i, salt);
}

int64_t find_guard_damage(const uint8_t* bytes, size_t count, uint32_t salt) {
  for (size_t i = 0; i < count; ++i)
    if (bytes[i] != guard_byte(i, salt)) return static_cast<int64_t>(i);
  return -1;
}

}  // namespace p3d::test
