// Which instruction set the dense CPU kernels run on, chosen once per process.
//
// The library is compiled for the portable x86-64 baseline; only the GEMM micro-kernels and
// the Winograd transforms (kernels/cpu/isa/) are also compiled for AVX2+FMA and for AVX-512, each
// in its own file. At first use the best set this CPU supports is picked with CPUID, so one binary
// is fast on AVX-512 machines and still runs on AVX2-only or older ones instead of dying with
// SIGILL. The environment variable P3D_CPU_ISA=baseline|avx2|avx512 forces a set (for
// tests and measurements); forcing one the CPU lacks is an error, not a crash.
#pragma once

#include <string>

namespace p3d::cpu {

enum class CpuIsa { Baseline, Avx2, Avx512 };

const char* cpu_isa_name(CpuIsa isa);

// The set named "baseline", "avx2" or "avx512"; throws p3d::Error naming the choices.
CpuIsa cpu_isa_from_name(const std::string& name);

// Whether this CPU (and its OS, for the wider registers' state) can run `isa`.
bool cpu_isa_supported(CpuIsa isa);

// The best supported set, or the one P3D_CPU_ISA names. Read once; throws p3d::Error when
// P3D_CPU_ISA is not a known name or names a set this CPU cannot run.
CpuIsa active_cpu_isa();

// "avx512 (AVX-512F/VL/DQ, forced by P3D_CPU_ISA)" and the like, for reports.
std::string cpu_isa_description();

// What `avx512()`, `avx2()` or `baseline()` returns for the active set: how a kernel picks
// its instruction-set variant (the GEMM's micro-kernel, the Winograd transforms). Off
// x86-64 only the baseline exists (CMakeLists.txt compiles the AVX files for x86-64 alone).
template <class T>
const T& for_active_isa(const T& (*avx512)(), const T& (*avx2)(), const T& (*baseline)()) {
#if defined(__x86_64__)
  switch (active_cpu_isa()) {
    case CpuIsa::Avx512:
      return avx512();
    case CpuIsa::Avx2:
      return avx2();
    case CpuIsa::Baseline:
      break;
  }
#else
  (void)avx512;
  (void)avx2;
#endif
  return baseline();
}

}  // namespace p3d::cpu
