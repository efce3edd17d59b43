// The GoogleTest side of the case runner (op_cases.h), shared by the agreement suites
// (tests/backend_ops_test.cpp, tests/kernel_agreement_test.cpp): the backends under test,
// a case run that reports a throw as a failure naming the case, the soundness checks and
// the backend-vs-backend comparison. Header-only, since only test executables (which link
// GoogleTest) include it and the op benchmarks share the rest of tests/support.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "tests/support/compare.h"
#include "tests/support/op_cases.h"

namespace p3d::test {

// P3D_TEST_THREADS sets the CPU backend's thread count (default 3: an odd split of the
// work exercises uneven partitions even on a 2-core machine).
inline int agreement_cpu_threads() {
  const char* env = std::getenv("P3D_TEST_THREADS");
  return env ? std::atoi(env) : 3;
}

inline Backend& agreement_cpu_backend() {
  static const std::unique_ptr<Backend> backend = make_cpu_backend(agreement_cpu_threads());
  return *backend;
}

// The CUDA backend, or null with `reason` set.
inline Backend* agreement_cuda_backend(std::string* reason) {
  static std::string why;
  static const std::unique_ptr<Backend> backend =
      cuda_available(&why) ? make_cuda_backend(0) : std::unique_ptr<Backend>();
  if (!backend && reason) *reason = why;
  return backend.get();
}

// A case as a GoogleTest parameter (printed by its name).
struct CaseParam {
  const OpCase* c;
};
inline void PrintTo(const CaseParam& p, std::ostream* os) { *os << "\"" << p.c->name << "\""; }
inline std::vector<CaseParam> case_params(const std::vector<OpCase>& table) {
  std::vector<CaseParam> params;
  for (const OpCase& c : table) params.push_back({&c});
  return params;
}
inline std::string case_param_name(const ::testing::TestParamInfo<CaseParam>& info) {
  return identifier(info.param.c->name);
}

// Runs a case, turning an exception into a test failure that names the case.
inline bool run_or_fail(const OpCase& c, Backend& backend, const std::vector<Tensor>& inputs,
                        CaseRun& run) {
  try {
    run = run_case(c, backend, inputs);
    return true;
  } catch (const std::exception& e) {
    ADD_FAILURE() << c.name << ": backend " << backend.name() << " threw: " << e.what();
    return false;
  }
}

// Guards, unchanged inputs, no NaN/Inf (unless the case expects them).
inline void expect_sound(const OpCase& c, const CaseRun& run, const Backend& backend) {
  for (const std::string& problem : run.problems)
    ADD_FAILURE() << c.name << " on " << backend.name() << ": " << problem;
  if (!c.expect_nonfinite) {
    const NonFinite bad = find_nonfinite(run.output);
    EXPECT_EQ(bad.count, 0) << c.name << " on " << backend.name() << ": " << bad.count
                            << " NaN/Inf outputs, the first at flat index " << bad.first_index
                            << " (= " << bad.first_value << ")";
  }
}

// `tested` against `reference` (the CPU backend) with the case's vs_cpu tolerance.
inline void expect_backends_agree(const OpCase& c, Backend& tested, Backend& reference) {
  const std::vector<Tensor> inputs = make_inputs(c);
  CaseRun reference_run, tested_run;
  if (!run_or_fail(c, reference, inputs, reference_run)) return;
  if (!run_or_fail(c, tested, inputs, tested_run)) return;
  expect_sound(c, tested_run, tested);
  const Comparison cmp = compare(tested_run.output, reference_run.output, c.vs_cpu);
  EXPECT_TRUE(cmp.ok) << "case: " << c.name << "\n"
                      << tested.name() << " vs " << reference.name() << ": " << cmp.describe();
}

}  // namespace p3d::test
