// Backend agreement tests over the op case table (tests/support/op_cases.h), in the spirit
// of ggml's test-backend-ops:
//   CpuVsNaive/<case>  the CPU backend against the independent naive loops;
//   CudaVsCpu/<case>   the CUDA backend against the CPU backend (skipped, with the reason,
//                      when this build or machine has no CUDA).
// Both also check the guard sentinels around every buffer, that inputs stay unchanged, and
// that outputs hold no NaN/Inf. A few self-tests pin down the harness and the references
// themselves (known values, the conv / conv-transpose adjoint identity, fault injection).
//
// P3D_TEST_THREADS sets the CPU backend's thread count (tests/support/agreement.h).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <set>

#include "engine/backend.h"
#include "tests/support/agreement.h"
#include "tests/support/compare.h"
#include "tests/support/forwarding_backend.h"
#include "tests/support/naive_reference.h"
#include "tests/support/op_case_builders.h"
#include "tests/support/op_cases.h"
#include "tests/support/require_cuda.h"

namespace p3d::test {
namespace {

Backend& cpu_backend() { return agreement_cpu_backend(); }
Backend* cuda_backend(std::string* reason) { return agreement_cuda_backend(reason); }
std::vector<CaseParam> all_cases() { return case_params(test_cases()); }
const auto param_name = case_param_name;

// ---- the two agreement suites ----------------------------------------------------------

class CpuVsNaive : public ::testing::TestWithParam<CaseParam> {};

TEST_P(CpuVsNaive, Agrees) {
  const OpCase& c = *GetParam().c;
  const std::vector<Tensor> inputs = make_inputs(c);
  CaseRun run;
  if (!run_or_fail(c, cpu_backend(), inputs, run)) return;
  expect_sound(c, run, cpu_backend());
  const Comparison cmp = check_against_reference(c, inputs, run.output);
  EXPECT_TRUE(cmp.ok) << "case: " << c.name << (c.large ? " (naive check on a sample)" : "")
                      << "\nCPU vs naive: " << cmp.describe();
}

INSTANTIATE_TEST_SUITE_P(Ops, CpuVsNaive, ::testing::ValuesIn(all_cases()), param_name);

class CudaVsCpu : public ::testing::TestWithParam<CaseParam> {};

TEST_P(CudaVsCpu, Agrees) {
  std::string reason;
  Backend* cuda = cuda_backend(&reason);
  if (!cuda) P3D_CUDA_SKIP(reason);
  expect_backends_agree(*GetParam().c, *cuda, cpu_backend());
}

INSTANTIATE_TEST_SUITE_P(Ops, CudaVsCpu, ::testing::ValuesIn(all_cases()), param_name);

// ---- the table itself ------------------------------------------------------------------

TEST(CaseTable, CoversEveryKernelMethod) {
  const std::set<std::string> methods = {"conv2d", "conv_transpose2d",
                                         "matmul", "pool2d",
                                         "reduce", "batch_norm",
                                         "unary",  "binary",
                                         "cast",   "concat_copy",
                                         "pad",    "transpose",
                                         "slice",  "resize"};
  std::map<std::string, int> per_op;
  std::set<std::string> ids;
  for (const OpCase& c : test_cases()) {
    EXPECT_TRUE(methods.count(c.op)) << c.name << ": unknown op " << c.op;
    EXPECT_TRUE(ids.insert(identifier(c.name)).second) << "duplicate case " << c.name;
    ++per_op[c.op];
  }
  for (const std::string& m : methods) EXPECT_GT(per_op[m], 0) << "no case calls Backend::" << m;
  std::cout << "cases per op:";
  for (const auto& [op, n] : per_op) std::cout << " " << op << "=" << n;
  std::cout << " (total " << test_cases().size() << ")\n";
}

TEST(CaseTable, InputsAreDeterministic) {
  const OpCase& c = test_cases().front();
  const std::vector<Tensor> a = make_inputs(c), b = make_inputs(c);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(0, std::memcmp(a[i].raw(), b[i].raw(), a[i].bytes()));
}

// ---- the references --------------------------------------------------------------------

TEST(NaiveReference, HalfKnownValues) {
  struct Known {
    uint16_t bits;
    float value;
  };
  const Known table[] = {{0x0000, 0.f},
                         {0x8000, -0.f},
                         {0x3C00, 1.f},
                         {0xC000, -2.f},
                         {0x3555, 0.333251953125f},
                         {0x7BFF, 65504.f},
                         {0x0400, 6.103515625e-05f},
                         {0x0001, 5.9604644775390625e-08f},
                         {0x03FF, 6.0975551605224609375e-05f},
                         {0x3C01, 1.0009765625f},
                         {0x7C00, INFINITY},
                         {0xFC00, -INFINITY}};
  for (const Known& k : table) {
    EXPECT_EQ(naive::half_to_float(k.bits), k.value) << std::hex << k.bits;
    EXPECT_EQ(naive::float_to_half(k.value), k.bits) << k.value;
  }
  EXPECT_TRUE(std::isnan(naive::half_to_float(0x7E00)));
  EXPECT_EQ(naive::float_to_half(NAN) & 0x7C00, 0x7C00);
  // Rounding: ties to even, overflow, underflow.
  EXPECT_EQ(naive::float_to_half(1.f + 1.f / 2048), 0x3C00);  // tie -> even (down)
  EXPECT_EQ(naive::float_to_half(1.f + 3.f / 2048), 0x3C02);  // tie -> even (up)
  EXPECT_EQ(naive::float_to_half(65519.f), 0x7BFF);
  EXPECT_EQ(naive::float_to_half(65520.f), 0x7C00);
  EXPECT_EQ(naive::float_to_half(std::ldexp(1.f, -25)), 0x0000);   // tie -> even zero
  EXPECT_EQ(naive::float_to_half(std::ldexp(1.5f, -24)), 0x0002);  // tie -> even 2
  for (uint32_t bits = 0; bits < 0x7C00; ++bits)  // every finite positive half round-trips
    ASSERT_EQ(naive::float_to_half(naive::half_to_float(static_cast<uint16_t>(bits))), bits);
}

TEST(NaiveReference, ConvByHand) {
  // 3x3 single-channel input, 2x2 filter, stride 1, no padding.
  Conv2dParams p =
      cases::conv2d_params(cases::conv(1, 3, 3, 1, 1, 2).activation(Unary::Identity, 0.f));
  const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const float w[4] = {1, 0, 0, -1};  // x[i][j] - x[i+1][j+1]
  float y[4];
  naive::conv2d(p, x, w, nullptr, nullptr, y);
  for (float v : y) EXPECT_EQ(v, -4.f);
  // Padding 1 on the top/left only, bias 10, relu.
  p.pad_top = 1;
  p.pad_left = 1;
  p.out_h = 3;
  p.out_w = 3;
  p.has_bias = true;
  p.activation = Unary::Relu;
  const float bias[1] = {-3};
  float z[9];
  naive::conv2d(p, x, w, bias, nullptr, z);
  const float expected[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};  // first row/col: -x - 3; others -4 - 3
  for (int i = 0; i < 9; ++i) EXPECT_EQ(z[i], expected[i]) << i;
  p.activation = Unary::Identity;
  naive::conv2d(p, x, w, bias, nullptr, z);
  EXPECT_EQ(z[0], -1.f - 3.f);  // window (-1,-1): only w[1][1] * x[0][0] = -1
  EXPECT_EQ(z[4], -4.f - 3.f);
}

// <conv(u), v> == <u, conv_transpose(v)>: the naive conv_transpose2d is the adjoint of the
// naive conv2d with the same filter memory (HWIO of the forward conv is HWOI of the transpose).
TEST(NaiveReference, ConvTransposeIsAdjointOfConv) {
  struct Geometry {
    int h, w, k, s, pt, pl, pb, pr;
  };
  for (const Geometry g : {Geometry{9, 10, 3, 2, 1, 0, 1, 1}, Geometry{8, 8, 4, 2, 1, 1, 1, 1},
                           Geometry{9, 12, 2, 3, 0, 0, 0, 0}, Geometry{6, 7, 3, 1, 1, 1, 1, 1}}) {
    const Conv2dParams f = cases::conv2d_params(cases::conv(2, g.h, g.w, 3, 4, g.k)
                                                    .stride(g.s)
                                                    .pad(g.pt, g.pl, g.pb, g.pr)
                                                    .activation(Unary::Identity, 0.f));
    ConvTranspose2dParams t = f;
    t.in_h = f.out_h;
    t.in_w = f.out_w;
    t.in_c = f.out_c;
    t.out_h = f.in_h;
    t.out_w = f.in_w;
    t.out_c = f.in_c;
    std::mt19937 rng(7);
    auto fill = [&](std::vector<float>& v) {
      for (float& e : v) e = float(int(rng() % 17) - 8) / 8.f;
    };
    std::vector<float> u(size_t(2 * g.h * g.w * 3)), v(size_t(2 * f.out_h * f.out_w * 4)),
        w(size_t(g.k * g.k * 3 * 4));
    fill(u);
    fill(v);
    fill(w);
    std::vector<float> cu(v.size()), tv(u.size());
    naive::conv2d(f, u.data(), w.data(), nullptr, nullptr, cu.data());
    naive::conv_transpose2d(t, v.data(), w.data(), nullptr, nullptr, tv.data());
    double lhs = 0, rhs = 0;
    for (size_t i = 0; i < v.size(); ++i) lhs += double(cu[i]) * v[i];
    for (size_t i = 0; i < u.size(); ++i) rhs += double(u[i]) * tv[i];
    EXPECT_NEAR(lhs, rhs, 1e-4 * (1 + std::fabs(lhs)))
        << "geometry h" << g.h << " k" << g.k << " s" << g.s;
  }
}

TEST(NaiveReference, ResizeKnownValues) {
  // tf.compat.v1.image.resize_bilinear of [[0,1],[2,3]] to 4x4 (legacy coordinates).
  ResizeParams p{1, 2, 2, 1, 4, 4, ResizeMode::Bilinear, false, false};
  const float x[4] = {0, 1, 2, 3};
  float y[16];
  naive::resize(p, x, y);
  const float legacy[16] = {0, 0.5f, 1, 1, 1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 2, 2.5f, 3, 3};
  for (int i = 0; i < 16; ++i) EXPECT_FLOAT_EQ(y[i], legacy[i]) << i;
  // Half-pixel centres: rows at -0.25, 0.25, 0.75, 1.25 -> clamped ends.
  p.half_pixel_centers = true;
  naive::resize(p, x, y);
  const float half[16] = {0,    0.25f, 0.75f, 1,    0.5f, 0.75f, 1.25f, 1.5f,
                          1.5f, 1.75f, 2.25f, 2.5f, 2,    2.25f, 2.75f, 3};
  for (int i = 0; i < 16; ++i) EXPECT_FLOAT_EQ(y[i], half[i]) << i;
  // Nearest with align_corners, 5 -> 9: source i * 0.5 rounds half away from zero.
  ResizeParams q{1, 1, 5, 1, 1, 9, ResizeMode::Nearest, true, false};
  const float row[5] = {10, 11, 12, 13, 14};
  float out[9];
  naive::resize(q, row, out);
  const float picked[9] = {10, 11, 11, 12, 12, 13, 13, 14, 14};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(out[i], picked[i]) << i;
}

TEST(NaiveReference, PadModes) {
  // tf.pad([1,2,3], [[2,2]]) in the three modes.
  PadParams p{};
  p.rank = 1;
  p.in_dims[0] = 3;
  p.before[0] = 2;
  p.after[0] = 2;
  p.value = 9;
  const float x[3] = {1, 2, 3};
  float y[7];
  const float expected[3][7] = {
      {9, 9, 1, 2, 3, 9, 9}, {3, 2, 1, 2, 3, 2, 1}, {2, 1, 1, 2, 3, 3, 2}};
  const PadMode modes[3] = {PadMode::Constant, PadMode::Reflect, PadMode::Symmetric};
  for (int m = 0; m < 3; ++m) {
    p.mode = modes[m];
    naive::pad(p, x, y);
    for (int i = 0; i < 7; ++i) EXPECT_EQ(y[i], expected[m][i]) << "mode " << m << " at " << i;
  }
}

// ---- the metrics -----------------------------------------------------------------------

TEST(Compare, Metrics) {
  const float ref[4] = {1, -2, 3, -4};
  const float off[4] = {1, -2, 3.001f, -4};
  const Tensor a = Tensor::from_data(Shape{4}, ref, 4), b = Tensor::from_data(Shape{4}, off, 4);
  const Comparison n = compare(b, a, Tolerance::nmse(1e-9));
  EXPECT_FALSE(n.ok);
  EXPECT_NEAR(n.value, 1e-6 / 30.0, 1e-9);
  EXPECT_EQ(n.worst_index, 2);
  EXPECT_TRUE(compare(b, a, Tolerance::nmse(1e-7)).ok);
  EXPECT_TRUE(compare(b, a, Tolerance::close(0, 4e-4)).ok);
  EXPECT_FALSE(compare(b, a, Tolerance::close(1e-4, 1e-4)).ok);
  const Comparison e = compare(b, a, Tolerance::exact());
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(e.mismatches, 1);
  EXPECT_EQ(e.worst_position, "[2]");
  const float nan_values[2] = {NAN, 1};
  const Tensor with_nan = Tensor::from_data(Shape{2}, nan_values, 2);
  EXPECT_TRUE(compare(with_nan, with_nan, Tolerance::exact()).ok);
  EXPECT_EQ(find_nonfinite(with_nan).count, 1);
  const float ones[2] = {1, 1};
  const Tensor one = Tensor::from_data(Shape{2}, ones, 2);
  EXPECT_FALSE(compare(with_nan, one, Tolerance::exact()).ok);
  EXPECT_FALSE(compare(with_nan, one, Tolerance::close(1, 1)).ok);
  EXPECT_FALSE(compare(with_nan, one, Tolerance::nmse(1)).ok);
  EXPECT_FALSE(compare(with_nan, a, Tolerance::exact()).ok);  // shape mismatch
}

// ---- the harness catches broken kernels ------------------------------------------------

// Forwards everything to the CPU backend, except for three deliberate faults: unary writes
// one element past the end, binary writes into its first input, transpose skips the last
// output element.
class FaultyBackend final : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  std::string name() const override { return "faulty"; }
  void unary(const UnaryParams& p, const float* x, float* y) override {
    ForwardingBackend::unary(p, x, y);
    y[p.count] = 0.f;  // fault: one past the end
  }
  void binary(const BinaryParams& p, const float* a, const float* b, float* y) override {
    ForwardingBackend::binary(p, a, b, y);
    const_cast<float*>(a)[0] += 1.f;  // fault: writes an input
  }
  void transpose(const TransposeParams& p, const void* x, void* y) override {
    // fault: the last element is never written
    int64_t count = 1;
    for (int d = 0; d < p.rank; ++d) count *= p.in_dims[d];
    const size_t bytes = size_t(count) * size_t(p.element_size);
    std::vector<char> full(bytes);
    ForwardingBackend::transpose(p, x, full.data());
    std::memcpy(y, full.data(), bytes - size_t(p.element_size));
  }
};

const OpCase& first_case(const std::string& op) {
  for (const OpCase& c : test_cases())
    if (c.op == op) return c;
  throw std::runtime_error("no case for " + op);
}

// The CudaVsCpu code path, exercised without a GPU: CPU with 1 thread against CPU with the
// default count, on one case per op.
TEST(Harness, BackendVsBackendPath) {
  const std::unique_ptr<Backend> single = make_cpu_backend(1);
  std::set<std::string> seen;
  for (const OpCase& c : test_cases())
    if (!c.large && seen.insert(c.op).second) expect_backends_agree(c, *single, cpu_backend());
  EXPECT_EQ(seen.size(), 14u);
}

TEST(Harness, CatchesFaults) {
  FaultyBackend faulty(cpu_backend());
  {
    const OpCase& c = first_case("unary");
    const CaseRun run = run_case(c, faulty, make_inputs(c));
    ASSERT_EQ(run.problems.size(), 1u);
    EXPECT_NE(run.problems[0].find("past the end of output"), std::string::npos) << run.problems[0];
  }
  {
    const OpCase& c = first_case("binary");
    const CaseRun run = run_case(c, faulty, make_inputs(c));
    ASSERT_EQ(run.problems.size(), 1u);
    EXPECT_NE(run.problems[0].find("input a was modified"), std::string::npos) << run.problems[0];
  }
  {
    const OpCase& c = first_case("transpose");
    const std::vector<Tensor> inputs = make_inputs(c);
    const CaseRun run = run_case(c, faulty, inputs);
    EXPECT_TRUE(run.problems.empty());
    EXPECT_EQ(find_nonfinite(run.output).count, 1);  // the 0xFF prefill (NaN) shows through
    EXPECT_FALSE(check_against_reference(c, inputs, run.output).ok);
  }
}

}  // namespace
}  // namespace p3d::test
