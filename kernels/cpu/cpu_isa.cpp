#include "kernels/cpu/cpu_isa.h"

#include <cstdlib>

#include "kernels/error.h"

namespace p3d::cpu {
namespace {

CpuIsa best_supported() {
  if (cpu_isa_supported(CpuIsa::Avx512)) return CpuIsa::Avx512;
  if (cpu_isa_supported(CpuIsa::Avx2)) return CpuIsa::Avx2;
  return CpuIsa::Baseline;
}

const char* forced_isa_text() {
  const char* text = std::getenv("P3D_CPU_ISA");
  return text && *text ? text : nullptr;
}

CpuIsa choose() {
  const char* forced = forced_isa_text();
  if (!forced) return best_supported();
  const CpuIsa isa = cpu_isa_from_name(forced);
  P3D_CHECK(cpu_isa_supported(isa), "P3D_CPU_ISA=", forced,
            " but this CPU cannot run it (best supported: ", cpu_isa_name(best_supported()), ")");
  return isa;
}

}  // namespace

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::Baseline:
      return "baseline";
    case CpuIsa::Avx2:
      return "avx2";
    case CpuIsa::Avx512:
      return "avx512";
  }
  return "unknown";
}

CpuIsa cpu_isa_from_name(const std::string& name) {
  for (CpuIsa isa : {CpuIsa::Baseline, CpuIsa::Avx2, CpuIsa::Avx512})
    if (name == cpu_isa_name(isa)) return isa;
  P3D_THROW("P3D_CPU_ISA='", name, "' is not one of baseline, avx2, avx512");
}

bool cpu_isa_supported(CpuIsa isa) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  // __builtin_cpu_supports also checks that the OS saves the wider register state (XCR0).
  switch (isa) {
    case CpuIsa::Baseline:
      return true;
    case CpuIsa::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case CpuIsa::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma");
  }
  return false;
#else
  return isa == CpuIsa::Baseline;
#endif
}

CpuIsa active_cpu_isa() {
  static const CpuIsa isa = choose();
  return isa;
}

std::string cpu_isa_description() {
  const CpuIsa isa = active_cpu_isa();
  std::string text = cpu_isa_name(isa);
  text += forced_isa_text() ? " (forced by P3D_CPU_ISA" : " (chosen by CPUID";
  text += std::string("; best on this CPU: ") + cpu_isa_name(best_supported()) + ")";
  return text;
}

}  // namespace p3d::cpu
