// Small helpers the engine and importer tests share: a CPU backend per thread count, a
// seeded random tensor and a relative error, instead of a copy in every test file.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <random>

#include "engine/backend.h"
#include "engine/tensor.h"

namespace p3d::test {

// One CPU backend per thread count for the whole test executable (threads <= 0: all).
inline Backend& cpu_backend_with(int threads) {
  static std::map<int, std::unique_ptr<Backend>> backends;
  std::unique_ptr<Backend>& backend = backends[threads];
  if (!backend) backend = make_cpu_backend(threads);
  return *backend;
}

// F32 values uniform in [lo, hi) from std::mt19937(seed).
inline Tensor random_tensor(const Shape& shape, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  Tensor t = Tensor::empty(shape, DType::F32);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

// max |got - want| / (1 + max |want|) over two F32 tensors; infinite when the shapes differ.
inline double relative_error(const Tensor& got, const Tensor& want) {
  if (got.shape() != want.shape()) return INFINITY;
  double scale = 0, worst = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double w = want.data<float>()[i];
    scale = std::max(scale, std::fabs(w));
    worst = std::max(worst, std::fabs(double(got.data<float>()[i]) - w));
  }
  return worst / (1 + scale);
}

}  // namespace p3d::test
