// The single-threaded blocked GEMM on the instruction set the process chose (run it with
// P3D_CPU_ISA=baseline|avx2|avx512 to measure each path), in GFLOP/s and as a share of
// the machine's measured peak for that set: independent FMAs in registers, as fast as this
// core can run them (gemm_fma_flops). BM_MicroKernelNearL1 is the micro-kernel on a small
// product that stays in L1 and L2: what our code reaches at best.
//   build/benchmarks/gemm_bench                          # the best set this CPU has
//   P3D_CPU_ISA=avx2 build/benchmarks/gemm_bench         # forced
// Shapes are the dense layers of the two networks as im2col GEMMs at batch 1:
// m = output pixels, n = output channels, k = kh * kw * input channels.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "kernels/cpu/cpu_isa.h"
#include "kernels/cpu/gemm.h"

namespace p3d::cpu {
namespace {

struct Problem {
  int64_t m, n, k;
  std::vector<float> a, packed, c, scratch;
  float* packed_b;
  Problem(int64_t m_, int64_t n_, int64_t k_)
      : m(m_),
        n(n_),
        k(k_),
        a(static_cast<size_t>(m_ * k_), 0.5f),
        packed(gemm_packed_b_floats(k_, n_) + 16),
        c(static_cast<size_t>(m_ * n_)),
        scratch(gemm_packed_scratch_floats(m_, k_)) {
    packed_b = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(packed.data()) + 63) &
                                        ~uintptr_t(63));
    const std::vector<float> b(static_cast<size_t>(k * n), 0.25f);
    gemm_pack_b({b.data(), n, false}, k, n, packed_b);
  }
  void run() {
    const Epilogue e{nullptr, nullptr, 0, Unary::Relu, 0.f};
    gemm_packed(m, n, {a.data(), k, false}, {packed_b, k}, c.data(), n, false, e, scratch.data());
  }
  double flops() const { return 2.0 * double(m) * double(n) * double(k); }
};

// This core's FMA peak on the active set, GFLOP/s: the best of several timed bursts of
// register-only FMAs, after a warm-up burst (clock ramp-up).
double measured_peak_gflops() {
  static const double peak = [] {
    constexpr int64_t kSteps = 20'000'000;
    gemm_fma_flops(kSteps);
    double best = 0;
    for (int burst = 0; burst < 5; ++burst) {
      const auto t0 = std::chrono::steady_clock::now();
      const double flops = gemm_fma_flops(kSteps);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::max(best, flops / s / 1e9);
    }
    return best;
  }();
  return peak;
}

void report(benchmark::State& state, const Problem& p) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(p.flops() * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
  state.counters["peak_GFLOP/s"] = measured_peak_gflops();
  state.SetLabel(cpu_isa_name(active_cpu_isa()));
}

void BM_MicroKernelNearL1(benchmark::State& state) {
  Problem p(48, 2 * gemm_panel_width(), 256);
  for (auto _ : state) p.run();
  report(state, p);
  state.counters["of_peak"] =
      benchmark::Counter(p.flops() * double(state.iterations()) / 1e9 / measured_peak_gflops(),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MicroKernelNearL1);

void BM_Layer(benchmark::State& state) {
  Problem p(state.range(0), state.range(1), state.range(2));
  for (auto _ : state) p.run();
  report(state, p);
  state.counters["of_peak"] =
      benchmark::Counter(p.flops() * double(state.iterations()) / 1e9 / measured_peak_gflops(),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Layer)
    ->ArgNames({"m", "n", "k"})
    ->Args({12544, 64, 147})    // R-Net conv1 (7x7 / 2, 3 -> 64)
    ->Args({3136, 64, 576})     // block1 3x3
    ->Args({3136, 256, 64})     // block1 1x1 expand
    ->Args({784, 128, 1152})    // block2 3x3
    ->Args({196, 256, 2304})    // block3 3x3
    ->Args({49, 512, 4608})     // block4 3x3
    ->Args({49, 2048, 512})     // block4 1x1 expand
    ->Args({65536, 32, 288})    // depth net 3x3, width 32, 256x256
    ->Args({4096, 256, 1152});  // depth net 3x3 at 64x64
}  // namespace
}  // namespace p3d::cpu
