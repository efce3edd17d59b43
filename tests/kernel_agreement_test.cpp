// Agreement tests of the pipeline kernels that are no Backend methods — the rasterizer, the
// 3DMM passes, the head crops, the face alignment — over their cases in the op case table
// (tests/support/op_cases.h, pipeline_kernel_cases()), through the same guarded runner as
// the engine's ops (tests/backend_ops_test.cpp):
//   CpuIsSound/<case>  the CPU twin: guards intact, inputs unchanged, no NaN/Inf;
//   CudaVsCpu/<case>   the CUDA twin against the CPU one with the case's stated tolerance
//                      (identical bits for the rasterizer, crops and alignment), skipped
//                      with the reason when this build or machine has no CUDA.
// Their CPU side is checked against independent references in each kernel's own tests.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "tests/support/agreement.h"
#include "tests/support/op_cases.h"
#include "tests/support/require_cuda.h"

namespace p3d::test {
namespace {

class CpuIsSound : public ::testing::TestWithParam<CaseParam> {};

TEST_P(CpuIsSound, Runs) {
  const OpCase& c = *GetParam().c;
  const std::vector<Tensor> inputs = make_inputs(c);
  CaseRun run;
  if (!run_or_fail(c, agreement_cpu_backend(), inputs, run)) return;
  expect_sound(c, run, agreement_cpu_backend());
  // An all-zero output would agree with a CUDA twin that wrote nothing into zeroed memory.
  bool any_nonzero = false;
  for (int64_t i = 0; i < run.output.numel() && !any_nonzero; ++i)
    any_nonzero = element(run.output, i) != 0.0;
  EXPECT_TRUE(any_nonzero) << c.name << ": the output is all zeros";
}

INSTANTIATE_TEST_SUITE_P(Kernels, CpuIsSound,
                         ::testing::ValuesIn(case_params(pipeline_kernel_cases())),
                         case_param_name);

class CudaVsCpu : public ::testing::TestWithParam<CaseParam> {};

TEST_P(CudaVsCpu, Agrees) {
  std::string reason;
  Backend* cuda = agreement_cuda_backend(&reason);
  if (!cuda) P3D_CUDA_SKIP(reason);
  expect_backends_agree(*GetParam().c, *cuda, agreement_cpu_backend());
}

INSTANTIATE_TEST_SUITE_P(Kernels, CudaVsCpu,
                         ::testing::ValuesIn(case_params(pipeline_kernel_cases())),
                         case_param_name);

// The comparison path itself, where no GPU is: every case on a second CPU backend agrees
// with the first under the case's tolerance (the kernels are deterministic), and the
// identical-bits metric the twins are held to does tell a -0 from a +0.
TEST(KernelHarness, BackendVsBackendPath) {
  const std::unique_ptr<Backend> single = make_cpu_backend(1);
  for (const OpCase& c : pipeline_kernel_cases())
    expect_backends_agree(c, *single, agreement_cpu_backend());
}

TEST(KernelHarness, IdenticalBitsTellTheSignOfZero) {
  Tensor a = Tensor::empty(Shape{2}, DType::F32), b = Tensor::empty(Shape{2}, DType::F32);
  a.data<float>()[0] = b.data<float>()[0] = 1.5f;
  a.data<float>()[1] = 0.f;
  b.data<float>()[1] = -0.f;
  EXPECT_TRUE(compare(a, b, Tolerance::exact()).ok);
  const Comparison identical = compare(a, b, Tolerance::identical());
  EXPECT_FALSE(identical.ok);
  EXPECT_EQ(identical.mismatches, 1);
  EXPECT_EQ(identical.worst_index, 1);
  EXPECT_TRUE(compare(a, a, Tolerance::identical()).ok);
}

TEST(KernelCaseTable, CoversEveryPipelineKernel) {
  // face_pos_moments writes doubles, which no case dtype holds: tests/face3dmm_test.cpp
  // compares its twins.
  const std::set<std::string> kernels = {
      "rasterize_triangles", "face_basis_product",    "face_vertices",
      "face_project_points", "face_triangle_normals", "face_vertex_colors",
      "crop_resample_cubic", "crop_resample_nearest", "align_faces"};
  std::set<std::string> seen;
  for (const OpCase& c : pipeline_kernel_cases()) {
    EXPECT_TRUE(kernels.count(c.op)) << c.name << ": unknown kernel " << c.op;
    EXPECT_FALSE(c.reference) << c.name << ": a reference here would never be checked";
    seen.insert(c.op);
  }
  EXPECT_EQ(seen, kernels);
}

}  // namespace
}  // namespace p3d::test
