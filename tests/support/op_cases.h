// The op case table shared by the backend agreement tests (tests/backend_ops_test.cpp)
// and the op benchmarks (benchmarks/ops_bench.cpp), in the spirit of ggml's
// tests/test-backend-ops.cpp.
//
// A case is one call of one Backend kernel method with fixed attributes: a readable name,
// input shapes and how to fill them from a seed derived from the name, how to launch it on
// any Backend, its naive reference (tests/support/naive_reference.h) and the tolerance to
// hold against that reference and between backends. CaseInstance places a case in a
// backend's memory with guard regions around every buffer, so a test can also catch
// out-of-bounds writes and kernels that write their inputs.
//
// The builders (op_case_builders.h, op_case_builders_*.cpp), the per-family tables
// (op_case_table_*.cpp, gathered by op_case_tables.cpp) and the runner (op_case_runner.cpp)
// live in separate files.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/tensor.h"
#include "tests/support/compare.h"

namespace p3d::test {

// Fills a host tensor of the input's shape and dtype from the case's generator.
using FillFn = std::function<void(std::mt19937& rng, Tensor& host)>;

struct InputSpec {
  std::string label;  // "x", "filter", "bias", ...
  Shape shape;
  DType dtype = DType::F32;
  FillFn fill;
  // Set for conv filters: the backend packs them (pack_conv_filter) instead of a plain
  // upload, and the packed tensor is what the kernel reads.
  std::function<Tensor(Backend&, const Tensor& host)> pack;
};

// Backend pointers handed to a case's launch.
struct LaunchArgs {
  std::vector<const void*> inputs;  // one per InputSpec, in order
  void* output = nullptr;
  void* workspace = nullptr;  // null when the case needs none
};

struct OpCase {
  std::string
      name;  // readable, unique: "conv2d n2 9x11x5 o7 k3x3 s2 d1 pad(t0,l1,b1,r0) g1 bias relu"
  std::string op;      // the Backend method it calls: "conv2d", "binary", ...
  bool large = false;  // big enough that the naive check samples outputs (reference_at)
  std::vector<InputSpec> inputs;
  Shape out_shape;
  DType out_dtype = DType::F32;
  Tolerance vs_reference;         // backend output vs the naive reference
  Tolerance vs_cpu;               // another backend vs the CPU backend
  bool expect_nonfinite = false;  // the op legitimately produces NaN / Inf
  // In place: the output is written over plain input number `output_aliases` (same bytes),
  // as the memory planner does for elementwise ops and residual adds; -1: its own buffer.
  int output_aliases = -1;
  // Every plain buffer (inputs, output, workspace) starts this many bytes past a 256-byte
  // boundary, so kernels must take their scalar path instead of a vectorised one.
  size_t misalign = 0;
  double flops = 0.0;  // arithmetic per run where meaningful (0: not reported)
  double bytes = 0.0;  // bytes read and written per run

  std::function<size_t(Backend&)> workspace;  // empty: no workspace
  std::function<void(Backend&, const LaunchArgs&)> launch;
  // Empty for the pipeline kernels' cases (pipeline_kernel_cases()), whose CPU side is
  // checked against independent references in each kernel's own tests.
  std::function<void(const std::vector<Tensor>& inputs, Tensor& out)> reference;
  // One output element (flat index); large cases check a sample of these instead.
  std::function<double(const std::vector<Tensor>& inputs, int64_t index)> reference_at;
};

// The constant seed of a case: a hash of its name, so it does not depend on table order.
uint32_t case_seed(const std::string& name);
// The case's host inputs, filled deterministically.
std::vector<Tensor> make_inputs(const OpCase& c);

// A case placed in one backend's memory. Every plain input, the output and the workspace
// live between two guard regions (compare.h); inputs are uploaded together with their guards,
// the output and the workspace start filled with 0xFF bytes (NaN for floats) so an element
// a kernel forgets to write, or a workspace it assumes zeroed, shows up.
class CaseInstance {
 public:
  CaseInstance(const OpCase& c, Backend& backend, const std::vector<Tensor>& host_inputs);
  CaseInstance(const CaseInstance&) = delete;
  CaseInstance& operator=(const CaseInstance&) = delete;

  void launch();    // queues the op once (no synchronize)
  Tensor output();  // the output, downloaded to the host
  // Damaged guards and modified inputs, one message each (empty when all is intact).
  std::vector<std::string> integrity_problems();

 private:
  enum class Role { Input, Output, Workspace };
  struct Region {
    std::string label;
    Role role;
    std::shared_ptr<void> base;  // guard + payload + guard, in backend memory
    size_t bytes = 0;            // payload bytes
    int element_size = 1;
    std::vector<uint8_t> image;  // what was uploaded: guard + payload + guard
    uint32_t salt = 0;
    size_t lead = 0;  // bytes of the leading guard (kGuardBytes + misalign)
    void* payload() const;
  };
  struct Packed {
    std::string label;
    Tensor tensor;
    std::vector<uint8_t> snapshot;  // its bytes right after packing
  };
  void* add_region(const std::string& label, Role role, size_t bytes, int element_size,
                   const void* payload);

  const OpCase& case_;
  Backend& backend_;
  std::vector<Region> regions_;
  std::vector<Packed> packed_;
  LaunchArgs args_;
};

struct CaseRun {
  Tensor output;                      // on the host
  std::vector<std::string> problems;  // integrity_problems() after one launch
};
// Uploads, launches once, downloads and checks the guards.
CaseRun run_case(const OpCase& c, Backend& backend, const std::vector<Tensor>& host_inputs);

// `output` against the naive reference with c.vs_reference: every element, or for large
// cases with reference_at a deterministic sample of them.
Comparison check_against_reference(const OpCase& c, const std::vector<Tensor>& inputs,
                                   const Tensor& output);

// The agreement-test table: small odd shapes covering every kernel and attribute, plus a
// few ResNet-50-size convolutions marked large.
const std::vector<OpCase>& test_cases();
// The pipeline kernels that are no Backend methods — the rasterizer, the 3DMM passes, the
// head crops, the face alignment — as cases of the same runner (tests/support/kernel_launch.h
// runs them on either backend), for CUDA-vs-CPU agreement (tests/kernel_agreement_test.cpp).
const std::vector<OpCase>& pipeline_kernel_cases();
// `c` run in place: the output overwrites plain input `input` (which must have the output's
// shape and dtype); the name says so.
OpCase in_place(OpCase c, int input);
// `c` with every plain buffer `bytes` off 256-byte alignment; the name says so.
OpCase misaligned(OpCase c, size_t bytes);
// Bench-sized cases (1x56x56x256 and the like), a representative few per op.
std::vector<OpCase> bench_cases();
// conv_bench's cases: every distinct convolution shape of ResNet-50 at batch 1 (SAME, bias,
// ReLU), decoder-style transposed convolutions and a few matmul shapes.
std::vector<OpCase> conv_bench_cases();

// A readable case name as a GoogleTest / Google Benchmark identifier: runs of characters
// other than letters and digits become one '_'.
std::string identifier(const std::string& name);

}  // namespace p3d::test
