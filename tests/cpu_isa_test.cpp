// The blocked GEMM and its run-time instruction-set choice: every micro-kernel edge (rows
// and columns short of a register tile, depths past one chunk), the fused epilogue, and
// the generic entry with transposed operands, against a double-precision triple loop.
// ctest runs this file once per instruction set (tests/run_with_cpu_isa.sh).
#include "kernels/cpu/cpu_isa.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "kernels/error.h"

namespace p3d::cpu {
namespace {

std::vector<float> random_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

float reference_activation(Unary op, double x, float alpha) {
  switch (op) {
    case Unary::Relu:
      return static_cast<float>(x > 0 ? x : 0);
    case Unary::Relu6:
      return static_cast<float>(x < 0 ? 0 : x > 6 ? 6 : x);
    case Unary::LeakyRelu:
      return static_cast<float>(x < 0 ? alpha * x : x);
    case Unary::Tanh:
      return static_cast<float>(std::tanh(x));
    default:
      return static_cast<float>(x);
  }
}

struct Shape3 {
  int64_t m, n, k;
};

// Shapes around every tile size in use (mr 4/6/12 and AVX-512's 13-row tiles: 13, 25 and
// 49 rows take them; nr 8/16/32, kc 256, and gemm()'s
// column blocks of 512 to 2048).
const Shape3 kShapes[] = {{1, 1, 1},     {5, 7, 3},    {12, 32, 256}, {13, 33, 257}, {25, 65, 300},
                          {49, 96, 513}, {7, 200, 19}, {200, 17, 64}, {193, 40, 31}, {3, 8, 600}};

TEST(CpuIsa, EnvironmentChoosesThePath) {
  const char* forced = std::getenv("P3D_CPU_ISA");
  const CpuIsa isa = active_cpu_isa();
  if (forced && *forced) {
    EXPECT_EQ(std::string(cpu_isa_name(isa)), forced);
  } else {
    EXPECT_TRUE(cpu_isa_supported(isa));
  }
  EXPECT_EQ(std::string(gemm_isa()), cpu_isa_name(isa));
  EXPECT_TRUE(cpu_isa_supported(CpuIsa::Baseline));
  std::cout << "dense kernels: " << cpu_isa_description() << "\n";
}

TEST(CpuIsa, UnknownNameIsAClearError) {
  EXPECT_EQ(cpu_isa_from_name("avx2"), CpuIsa::Avx2);
  try {
    cpu_isa_from_name("sse9");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not one of baseline, avx2, avx512"), std::string::npos)
        << e.what();
  }
}

TEST(CpuIsa, PackedGemmWithEpilogueMatchesTheTripleLoop) {
  uint32_t seed = 1;
  for (const Shape3& s : kShapes) {
    for (Unary act : {Unary::Identity, Unary::Relu, Unary::Relu6, Unary::LeakyRelu, Unary::Tanh}) {
      const int64_t lda = s.k + 3, ldc = s.n + 5;  // padded rows: strides are honoured
      const auto a = random_values(static_cast<size_t>(s.m * lda), seed++);
      const auto b = random_values(static_cast<size_t>(s.k * s.n), seed++);
      const auto bias = random_values(static_cast<size_t>(s.n), seed++);
      const auto residual = random_values(static_cast<size_t>(s.m * s.n), seed++);
      std::vector<float> packed(gemm_packed_b_floats(s.k, s.n) + 16);
      float* aligned = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(packed.data()) + 63) &
                                                ~uintptr_t(63));
      gemm_pack_b({b.data(), s.n, false}, s.k, s.n, aligned);
      std::vector<float> c(static_cast<size_t>(s.m * ldc), 42.f),
          scratch(gemm_packed_scratch_floats(s.m, s.k));
      const Epilogue e{bias.data(), residual.data(), s.n, act, 0.2f};
      gemm_packed(s.m, s.n, {a.data(), lda, false}, {aligned, s.k}, c.data(), ldc, false, e,
                  scratch.data());
      for (int64_t i = 0; i < s.m; ++i)
        for (int64_t j = 0; j < s.n; ++j) {
          double sum = bias[j] + residual[i * s.n + j];
          for (int64_t p = 0; p < s.k; ++p) sum += double(a[i * lda + p]) * b[p * s.n + j];
          const float want = reference_activation(act, sum, 0.2f);
          ASSERT_NEAR(c[i * ldc + j], want, 1e-5 * std::sqrt(double(s.k)) + 1e-6)
              << "m=" << s.m << " n=" << s.n << " k=" << s.k << " activation "
              << static_cast<int>(act) << " at (" << i << ", " << j << ")";
        }
      // Padding between rows is never written.
      for (int64_t i = 0; i < s.m; ++i)
        for (int64_t j = s.n; j < ldc; ++j) ASSERT_EQ(c[i * ldc + j], 42.f);
    }
  }
}

// Rows 4 KiB apart are copied to a padded block before the product (gemm.cpp, a_block):
// the same result as reading them in place.
TEST(CpuIsa, RowsFourKibApartAreCopiedNotMisread) {
  for (const Shape3 s : {Shape3{13, 133, 1024}, Shape3{30, 260, 2048}}) {
    const auto a = random_values(static_cast<size_t>(s.m * s.k), 7);
    const auto b = random_values(static_cast<size_t>(s.k * s.n), 8);
    std::vector<float> packed(gemm_packed_b_floats(s.k, s.n) + 16);
    float* aligned = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(packed.data()) + 63) &
                                              ~uintptr_t(63));
    gemm_pack_b({b.data(), s.n, false}, s.k, s.n, aligned);
    std::vector<float> c(static_cast<size_t>(s.m * s.n)),
        scratch(gemm_packed_scratch_floats(s.m, s.k));
    const Epilogue none{nullptr, nullptr, 0, Unary::Identity, 0.f};
    gemm_packed(s.m, s.n, {a.data(), s.k, false}, {aligned, s.k}, c.data(), s.n, false, none,
                scratch.data());
    for (int64_t i = 0; i < s.m; ++i)
      for (int64_t j = 0; j < s.n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < s.k; ++p) sum += double(a[i * s.k + p]) * b[p * s.n + j];
        ASSERT_NEAR(c[i * s.n + j], sum, 1e-5 * std::sqrt(double(s.k))) << i << ", " << j;
      }
  }
}

TEST(CpuIsa, GenericGemmWithTransposedOperandsAndAccumulation) {
  uint32_t seed = 100;
  for (const Shape3& s : kShapes) {
    for (int form = 0; form < 4; ++form) {
      const bool ta = form & 1, tb = form & 2;
      const auto a = random_values(static_cast<size_t>(s.m * s.k), seed++);
      const auto b = random_values(static_cast<size_t>(s.k * s.n), seed++);
      const auto c0 = random_values(static_cast<size_t>(s.m * s.n), seed++);
      auto A = [&](int64_t i, int64_t p) { return ta ? a[p * s.m + i] : a[i * s.k + p]; };
      auto B = [&](int64_t p, int64_t j) { return tb ? b[j * s.k + p] : b[p * s.n + j]; };
      for (bool accumulate : {false, true}) {
        std::vector<float> c = c0, scratch(gemm_scratch_floats(s.m, s.n, s.k));
        gemm({s.m,
              s.n,
              s.k,
              {a.data(), ta ? s.m : s.k, ta},
              {b.data(), tb ? s.k : s.n, tb},
              c.data(),
              s.n,
              accumulate},
             scratch.data());
        for (int64_t i = 0; i < s.m; ++i)
          for (int64_t j = 0; j < s.n; ++j) {
            double sum = accumulate ? c0[i * s.n + j] : 0.0;
            for (int64_t p = 0; p < s.k; ++p) sum += double(A(i, p)) * B(p, j);
            ASSERT_NEAR(c[i * s.n + j], sum, 1e-5 * std::sqrt(double(s.k)) + 1e-6)
                << "m=" << s.m << " n=" << s.n << " k=" << s.k << " ta=" << ta << " tb=" << tb
                << " accumulate=" << accumulate;
          }
      }
    }
  }
}

TEST(CpuIsa, EmptyDepthGivesTheEpilogueAlone) {
  const std::vector<float> bias = {1.f, -2.f, 3.f};
  std::vector<float> c(6, 9.f), scratch(16);
  const Epilogue e{bias.data(), nullptr, 0, Unary::Relu, 0.f};
  gemm_packed(2, 3, {nullptr, 0, false}, {nullptr, 0}, c.data(), 3, false, e, scratch.data());
  EXPECT_EQ(c, (std::vector<float>{1.f, 0.f, 3.f, 1.f, 0.f, 3.f}));
}

}  // namespace
}  // namespace p3d::cpu
