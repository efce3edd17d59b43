// Error metrics for the backend agreement tests, NaN/Inf checks, and guard sentinels.
//
// The metric fits the op (as ggml's test-backend-ops and llm.c do):
//   - NMSE = sum (a-b)^2 / sum b^2 for dense math (conv, matmul, reduce), where single
//     elements may differ by accumulation order but the whole must agree;
//   - max |a-b| <= atol + rtol*|b| per element for element-wise math;
//   - exact equality (value equality; NaN equals NaN, +0 equals -0) for data movement,
//     integer casts and nearest-neighbour resize, which must reproduce their input bits;
//   - identical bits for twins that run the same exactly rounded math on both backends
//     (the rasterizer, the crops, the alignment), where even the sign of a zero must agree.
// Every comparison reports the worst element so a failure names where to look.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace p3d::test {

enum class Metric { Nmse, Close, Exact, Identical };

struct Tolerance {
  Metric metric = Metric::Exact;
  double max_nmse = 0.0;  // Nmse
  double atol = 0.0;      // Close
  double rtol = 0.0;      // Close

  static Tolerance nmse(double max_nmse) { return {Metric::Nmse, max_nmse, 0.0, 0.0}; }
  static Tolerance close(double atol, double rtol) { return {Metric::Close, 0.0, atol, rtol}; }
  static Tolerance exact() { return {}; }
  static Tolerance identical() { return {Metric::Identical, 0.0, 0.0, 0.0}; }
  // "nmse <= 1e-09", "|a-b| <= 1e-06 + 1e-05|b|", "exact", "identical bits"
  std::string str() const;
};

struct Comparison {
  bool ok = true;
  Tolerance tolerance;
  double value = 0.0;                // nmse, or the worst |a-b| / (atol + rtol|b|), or #mismatches
  int64_t count = 0;                 // elements compared
  int64_t mismatches = 0;            // elements outside the per-element bound (Close, Exact)
  int64_t worst_index = -1;          // flat index of the worst element (-1: none)
  std::string worst_position;        // worst_index as a multi-index, "[0,3,4,1]"
  double got = 0.0, expected = 0.0;  // at worst_index
  std::string note;                  // shape mismatch and the like
  std::string describe() const;      // one paragraph for a failure message
};

// Elementwise comparison of two host tensors of the same shape and dtype; `got` is the
// backend's output, `expected` the reference. F16 is compared by value (decoded).
Comparison compare(const Tensor& got, const Tensor& expected, const Tolerance& tolerance);
// The same over a subset: got[indices[i]] against expected[i] (sampled checks of big cases).
Comparison compare_at(const Tensor& got, const std::vector<int64_t>& indices,
                      const std::vector<double>& expected, const Tolerance& tolerance);

// Element i of a host tensor as a double (f16 decoded by the naive decoder).
double element(const Tensor& t, int64_t i);

struct NonFinite {
  int64_t count = 0;
  int64_t first_index = -1;
  double first_value = 0.0;
};
// NaN / Inf elements of a floating host tensor (integer tensors have none).
NonFinite find_nonfinite(const Tensor& t);

// ---- guard sentinels -------------------------------------------------------------------
// Every buffer the harness hands a kernel sits between two guard regions of kGuardBytes
// filled with a salted byte pattern; a byte that changed means an out-of-bounds write.
// kGuardBytes keeps the payload 256-byte aligned like Backend::allocate's own result.
constexpr size_t kGuardBytes = 256;
void fill_guard(uint8_t* bytes, size_t count, uint32_t salt);
// Offset of the first byte that differs from the pattern, or -1 when intact.
int64_t find_guard_damage(const uint8_t* bytes, size_t count, uint32_t salt);

}  // namespace p3d::test
