// The shared params checks (check_<op>_params beside each params struct in kernels/*.h):
// every CPU entry point rejects bad params with a message naming the op and what is wrong,
// before touching memory (the pointers passed here are null). In a CUDA build the CUDA
// entry points are called with the same bad params and must fail with the very same
// message; that needs no GPU, since the check comes before any CUDA call. conv2d,
// conv_transpose2d and matmul are checked through their functions directly: the CUDA
// backend calls those, and the CPU kernels' own validation is to be replaced by them.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "kernels/conv.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/error.h"
#include "kernels/matmul.h"
#include "kernels/transpose_params.h"
#include "tests/support/expect_error.h"
#include "tests/support/op_case_builders.h"
#if P3D_WITH_CUDA
#include "kernels/cuda/cuda_kernels.h"
#endif

namespace p3d {
namespace {

using test::expect_error;

cpu::ThreadPool& pool() {
  static cpu::ThreadPool p(1);
  return p;
}

Pool2dParams good_pool() {
  Pool2dParams p{};
  p.batch = 1;
  p.in_h = p.in_w = 4;
  p.channels = 2;
  p.out_h = p.out_w = 2;
  p.kernel_h = p.kernel_w = 2;
  p.stride_h = p.stride_w = 2;
  p.kind = PoolKind::Max;
  return p;
}

TEST(ParamsChecks, Pool2d) {
  Pool2dParams p = good_pool();
  EXPECT_NO_THROW(check_pool2d_params(p));
  p.stride_w = 0;
  expect_error([&] { cpu::pool2d(pool(), p, nullptr, nullptr); },
               {"pool2d", "stride 2x0", "must be positive"});
  p = good_pool();
  p.pad_top = -1;
  expect_error([&] { cpu::pool2d(pool(), p, nullptr, nullptr); }, {"pool2d", "negative padding"});
  p = good_pool();
  p.kind = static_cast<PoolKind>(7);
  expect_error([&] { cpu::pool2d(pool(), p, nullptr, nullptr); }, {"pool2d", "unknown kind 7"});
}

TEST(ParamsChecks, Reduce) {
  expect_error(
      [] {
        cpu::reduce(pool(), ReduceParams{2, -1, 3, ReduceKind::Sum}, nullptr, nullptr);
      },
      {"reduce", "negative size [2, -1, 3]"});
  expect_error(
      [] {
        cpu::reduce(pool(), ReduceParams{0, 0, 0, static_cast<ReduceKind>(9)}, nullptr, nullptr);
      },
      {"reduce", "unknown kind 9"});
}

TEST(ParamsChecks, Elementwise) {
  expect_error(
      [] {
        cpu::unary(pool(), UnaryParams{4, static_cast<Unary>(99), 0.f}, nullptr, nullptr);
      },
      {"unary", "unknown op 99"});
  expect_error(
      [] {
        cpu::unary(pool(), UnaryParams{-4, Unary::Relu, 0.f}, nullptr, nullptr);
      },
      {"unary", "negative count -4"});
  BinaryParams b{};
  b.rank = 0;
  expect_error([&] { cpu::binary(pool(), b, nullptr, nullptr, nullptr); },
               {"binary", "rank 0 not in 1..6"});
  b.rank = 1;
  b.out_dims[0] = 3;
  b.op = static_cast<Binary>(42);
  expect_error([&] { cpu::binary(pool(), b, nullptr, nullptr, nullptr); },
               {"binary", "unknown op 42"});
  expect_error(
      [] {
        cpu::batch_norm(pool(), BatchNormParams{2, 3, -1.f}, nullptr, nullptr, nullptr, nullptr,
                        nullptr, nullptr);
      },
      {"batch_norm", "epsilon -1", ">= 0"});
  expect_error(
      [] {
        cpu::batch_norm(pool(), BatchNormParams{-2, 3, 1e-3f}, nullptr, nullptr, nullptr, nullptr,
                        nullptr, nullptr);
      },
      {"batch_norm", "negative size [-2, 3]"});
  expect_error(
      [] {
        cpu::cast(pool(), CastParams{4, ScalarType::F32, static_cast<ScalarType>(5)}, nullptr,
                  nullptr);
      },
      {"cast", "unknown target type 5"});
}

TEST(ParamsChecks, Layout) {
  expect_error(
      [] {
        cpu::concat_copy(pool(), ConcatCopyParams{2, 3, 4, 2, 4}, nullptr, nullptr);
      },
      {"concat_copy", "columns [2, 5)", "output row of 4"});
  PadParams pad{};
  pad.rank = 1;
  pad.in_dims[0] = 3;
  pad.before[0] = 3;
  pad.mode = PadMode::Reflect;
  expect_error([&] { cpu::pad(pool(), pad, nullptr, nullptr); },
               {"pad", "reflect padding of dim 0", "smaller than its size 3"});
  SliceParams s{};
  s.rank = 1;
  s.in_dims[0] = 4;
  s.out_dims[0] = 3;
  s.begin[0] = 2;
  s.step[0] = 1;
  s.element_size = 4;
  expect_error([&] { cpu::slice(pool(), s, nullptr, nullptr); },
               {"slice", "dim 0 reads indices 2..4", "outside 0..3"});
  ResizeParams r{};
  r.batch = r.channels = 1;
  r.in_h = r.in_w = r.out_h = r.out_w = 2;
  r.align_corners = r.half_pixel_centers = true;
  expect_error([&] { cpu::resize(pool(), r, nullptr, nullptr); },
               {"resize", "half_pixel_centers requires align_corners = false"});
  r.align_corners = false;
  r.in_h = 0;
  expect_error([&] { cpu::resize(pool(), r, nullptr, nullptr); },
               {"resize", "empty input image 0x2"});
  TransposeParams t{};
  t.rank = 2;
  t.in_dims[0] = t.in_dims[1] = 2;
  t.perm[0] = t.perm[1] = 1;
  t.element_size = 4;
  expect_error([&] { cpu::transpose(pool(), t, nullptr, nullptr); },
               {"transpose", "not a permutation of 0..1"});
}

// 5x5x4 -> 3x3x6, a 3x3 kernel in two groups.
Conv2dParams good_conv() {
  return test::cases::conv2d_params(
      test::cases::conv(1, 5, 5, 4, 6, 3).group(2).activation(Unary::Identity, 0.f));
}

TEST(ParamsChecks, ConvAndMatmul) {
  Conv2dParams p = good_conv();
  EXPECT_NO_THROW(check_conv2d_params(p));
  p.groups = 3;
  expect_error([&] { check_conv2d_params(p); },
               {"conv2d", "groups (3) must divide in_c (4) and out_c (6)"});
  p = good_conv();
  p.out_h = 4;
  expect_error([&] { check_conv2d_params(p); }, {"conv2d", "output 4x3", "expected 3x3"});

  // The transposed conv of a 3x3 input back to 5x5 (the forward conv maps 5x5 to 3x3).
  Conv2dParams t = good_conv();
  t.groups = 1;
  t.in_h = t.in_w = 3;
  t.out_h = t.out_w = 5;
  EXPECT_NO_THROW(check_conv_transpose2d_params(t));
  t.dilation_w = 2;
  expect_error([&] { check_conv_transpose2d_params(t); },
               {"conv_transpose2d", "only dilation 1", "1x2"});
  t.dilation_w = 1;
  t.out_w = 6;
  expect_error([&] { check_conv_transpose2d_params(t); },
               {"conv_transpose2d", "convolves to 3x4", "not to the input 3x3"});

  MatmulParams m{1, 2, 3, 4, false, false, false, Unary::Identity, 0.f};
  EXPECT_NO_THROW(check_matmul_params(m));
  m.k = -1;
  expect_error([&] { check_matmul_params(m); }, {"matmul", "negative size", "k -1"});
  m.k = 4;
  m.activation = static_cast<Unary>(50);
  expect_error([&] { check_matmul_params(m); }, {"matmul", "unknown activation 50"});
}

using test::error_message;

#if P3D_WITH_CUDA
// T itself, in a spot where template arguments are not deduced.
template <typename T>
struct NotDeduced {
  using type = T;
};

// The errors of the CPU and the CUDA entry point of one kernel for the same bad params, every
// pointer null (and no stream). The pointer types come from the CPU signature.
template <typename Params, typename... Pointers>
std::pair<std::string, std::string> errors_of(
    void (*on_cpu)(cpu::ThreadPool&, const Params&, Pointers...),
    typename NotDeduced<void (*)(const Params&, Pointers..., cudaStream_t)>::type on_cuda,
    const Params& p) {
  return {error_message([&] { on_cpu(pool(), p, Pointers{}...); }),
          error_message([&] { on_cuda(p, Pointers{}..., nullptr); })};
}
#endif

TEST(ParamsChecks, CudaEntryPointsFailAsTheCpuOnesDo) {
#if P3D_WITH_CUDA
  Pool2dParams pool_p = good_pool();
  pool_p.kernel_h = 0;
  const ReduceParams reduce_p{1, -1, 1, ReduceKind::Max};
  const UnaryParams unary_p{3, static_cast<Unary>(77), 0.f};
  const BatchNormParams bn_p{1, 2, -0.5f};
  const CastParams cast_p{3, static_cast<ScalarType>(8), ScalarType::F32};
  BinaryParams binary_p{};
  binary_p.rank = 9;
  const ConcatCopyParams concat_p{1, 5, 4, 0, 4};
  PadParams pad_p{};
  pad_p.rank = 0;
  SliceParams slice_p{};
  slice_p.rank = 1;
  slice_p.element_size = 0;
  ResizeParams resize_p{};
  resize_p.out_h = -1;
  TransposeParams transpose_p{};
  transpose_p.rank = 7;
  const std::pair<std::string, std::string> pairs[] = {
      errors_of(cpu::pool2d, cuda::pool2d, pool_p),
      errors_of(cpu::reduce, cuda::reduce, reduce_p),
      errors_of(cpu::unary, cuda::unary, unary_p),
      errors_of(cpu::batch_norm, cuda::batch_norm, bn_p),
      errors_of(cpu::cast, cuda::cast, cast_p),
      errors_of(cpu::binary, cuda::binary, binary_p),
      errors_of(cpu::concat_copy, cuda::concat_copy, concat_p),
      errors_of(cpu::pad, cuda::pad, pad_p),
      errors_of(cpu::slice, cuda::slice, slice_p),
      errors_of(cpu::resize, cuda::resize, resize_p),
      errors_of(cpu::transpose, cuda::transpose, transpose_p),
  };

  for (const auto& [on_cpu, on_cuda] : pairs) {
    EXPECT_FALSE(on_cpu.empty());
    EXPECT_EQ(on_cpu, on_cuda);
  }
#else
  GTEST_SKIP() << "this build has no CUDA entry points (configured with P3D_CUDA=OFF or without "
                  "nvcc); the CPU ones are checked above";
#endif
}

}  // namespace
}  // namespace p3d
