// The one way a test steps aside for want of a GPU. Without a device a CUDA test skips with
// cuda_available()'s reason; with P3D_REQUIRE_CUDA=1 in the environment (the GPU check,
// tools/gpu_check.sh, sets it) the same test fails instead, so a GPU machine whose driver is
// too old or whose device cannot run this build's kernels gives a red suite, not a green
// one made of skips. Header-only: the benchmarks' helper (benchmarks/support/cuda_skip.h)
// reads the same variable through cuda_required().
#pragma once

#include <cstdlib>
#include <cstring>
#include <string>

#include "engine/backend.h"

namespace p3d::test {

// True when P3D_REQUIRE_CUDA is set to anything but "" or "0".
inline bool cuda_required() {
  const char* env = std::getenv("P3D_REQUIRE_CUDA");
  return env != nullptr && env[0] != '\0' && std::strcmp(env, "0") != 0;
}

// Empty when the CUDA backend is usable; otherwise why not.
inline std::string cuda_unavailable_reason() {
  std::string reason;
  if (cuda_available(&reason)) return std::string();
  return reason.empty() ? std::string("CUDA unavailable") : reason;
}

}  // namespace p3d::test

// Skips the current test with `reason` (a string), or fails it under P3D_REQUIRE_CUDA=1.
// For tests that found out themselves that there is no device (e.g. a null backend).
#define P3D_CUDA_SKIP(reason)                                                    \
  do {                                                                           \
    if (::p3d::test::cuda_required())                                            \
      FAIL() << "P3D_REQUIRE_CUDA is set but CUDA is unavailable: " << (reason); \
    else                                                                         \
      GTEST_SKIP() << "CUDA unavailable: " << (reason);                          \
  } while (0)

// Skips (or, under P3D_REQUIRE_CUDA=1, fails) the current test when no usable GPU answers.
#define P3D_SKIP_WITHOUT_CUDA()                                                  \
  do {                                                                           \
    const std::string p3d_cuda_reason_ = ::p3d::test::cuda_unavailable_reason(); \
    if (!p3d_cuda_reason_.empty()) P3D_CUDA_SKIP(p3d_cuda_reason_);              \
  } while (0)
