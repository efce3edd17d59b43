// Tests of the CUDA backend's own machinery: availability reporting (runs everywhere, GPU
// or not), the check macros' messages, and - on a machine with a GPU - memory round trips
// and the parts of the convolution / matmul glue most likely to be wrong: asymmetric
// padding (explicit pad, crop), in-place residuals and cuBLAS's transposed operands,
// each against a naive loop written here. The op-by-op CPU/CUDA agreement suite lives in
// its own test file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/executor.h"
#include "engine/graph.h"
#include "engine/resnet50.h"
#include "kernels/error.h"
#include "tests/support/require_cuda.h"

#if defined(P3D_WITH_CUDA)
#include "kernels/cuda/check.h"
#include "kernels/cuda/conv2d.h"
#endif

namespace p3d {
namespace {

// Skips the current test, with cuda_available()'s reason, when there is no usable GPU
// (fails it under P3D_REQUIRE_CUDA=1).
#define SKIP_WITHOUT_CUDA() P3D_SKIP_WITHOUT_CUDA()

std::vector<float> random_values(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  return v;
}

Tensor host_tensor(const Shape& shape, const std::vector<float>& values) {
  return Tensor::from_data(shape, values.data(), values.size());
}

std::vector<float> values_of(const Tensor& host) {
  const float* p = host.data<float>();
  return std::vector<float>(p, p + host.numel());
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want, float tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(std::isfinite(got[i])) << "element " << i;
    ASSERT_NEAR(got[i], want[i], tol * (1.f + std::fabs(want[i]))) << "element " << i;
  }
}

// ---- runs everywhere ------------------------------------------------------------------

TEST(CudaAvailability, AnswersWithoutCrashing) {
  std::string reason;
  const bool available = cuda_available(&reason);
  if (available) {
    EXPECT_TRUE(reason.empty()) << reason;
  } else {
    EXPECT_FALSE(reason.empty());
    EXPECT_THROW(make_cuda_backend(0), Error);
  }
  EXPECT_EQ(cuda_available(nullptr), available);  // a null reason is allowed
}

// P3D_REQUIRE_CUDA=1 turns a CUDA test's skip into a failure: this binary's own GPU-only
// test, run again in a child process, exits non-zero with it and zero without it.
TEST(CudaAvailability, RequireCudaTurnsTheSkipIntoAFailure) {
  if (cuda_available()) GTEST_SKIP() << "a GPU answers here: the GPU tests run, nothing to turn";
  const std::string self = "'" + std::filesystem::read_symlink("/proc/self/exe").string() +
                           "' --gtest_filter=CudaBackend.UploadDownloadRoundTrip";
  const std::string quiet = " > /dev/null 2>&1";
  EXPECT_EQ(std::system(("env -u P3D_REQUIRE_CUDA " + self + quiet).c_str()), 0)
      << "without P3D_REQUIRE_CUDA the test should skip (exit 0)";
  EXPECT_NE(std::system(("env P3D_REQUIRE_CUDA=1 " + self + quiet).c_str()), 0)
      << "with P3D_REQUIRE_CUDA=1 the test should fail";
  EXPECT_EQ(std::system(("env P3D_REQUIRE_CUDA=0 " + self + quiet).c_str()), 0)
      << "P3D_REQUIRE_CUDA=0 means not required";
}

#if defined(P3D_WITH_CUDA)
// The macros only format library status codes here, which needs no GPU.
TEST(CudaCheck, MessagesNameTheStatementAndTheError) {
  try {
    P3D_CUDA_CHECK(cudaErrorInvalidValue);
    FAIL() << "no throw";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cudaErrorInvalidValue"), std::string::npos) << what;
    EXPECT_NE(what.find("cuda_backend_test.cpp"), std::string::npos) << what;
  }
  try {
    P3D_CUBLAS_CHECK(CUBLAS_STATUS_INVALID_VALUE);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("CUBLAS_STATUS_INVALID_VALUE"), std::string::npos)
        << e.what();
  }
  try {
    P3D_CUDNN_CHECK(CUDNN_STATUS_BAD_PARAM);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("CUDNN_STATUS_BAD_PARAM"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(P3D_CUDA_CHECK(cudaSuccess));
  P3D_CUDA_CHECK_NOTHROW(cudaErrorInvalidValue);  // prints, does not throw
}
#endif

// ---- naive references ---------------------------------------------------------------

float activate(float v, Unary act, float alpha) { return apply_unary(act, v, alpha); }

// NHWC input, HWIO filter [kh, kw, in_c / groups, out_c].
std::vector<float> naive_conv2d(const Conv2dParams& p, const std::vector<float>& x,
                                const std::vector<float>& w, const std::vector<float>& bias,
                                const std::vector<float>& residual) {
  const int gi = p.in_c / p.groups;
  const int go = p.out_c / p.groups;
  std::vector<float> y(static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.out_c);
  for (int n = 0; n < p.batch; ++n)
    for (int oy = 0; oy < p.out_h; ++oy)
      for (int ox = 0; ox < p.out_w; ++ox)
        for (int oc = 0; oc < p.out_c; ++oc) {
          const int g = oc / go;
          double acc = 0;
          for (int ky = 0; ky < p.kernel_h; ++ky)
            for (int kx = 0; kx < p.kernel_w; ++kx) {
              const int iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
              const int ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
              if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) continue;
              for (int ic = 0; ic < gi; ++ic)
                acc += static_cast<double>(
                           x[((static_cast<size_t>(n) * p.in_h + iy) * p.in_w + ix) * p.in_c +
                             g * gi + ic]) *
                       w[((static_cast<size_t>(ky) * p.kernel_w + kx) * gi + ic) * p.out_c + oc];
            }
          const size_t o = ((static_cast<size_t>(n) * p.out_h + oy) * p.out_w + ox) * p.out_c + oc;
          float v = static_cast<float>(acc);
          if (p.has_bias) v += bias[oc];
          if (p.has_residual) v += residual[o];
          y[o] = activate(v, p.activation, p.activation_alpha);
        }
  return y;
}

// Input [N, in_h, in_w, in_c], HWOI filter [kh, kw, out_c, in_c]: every input pixel
// scatters into the output where the forward conv would have read it.
std::vector<float> naive_conv_transpose2d(const ConvTranspose2dParams& p,
                                          const std::vector<float>& x, const std::vector<float>& w,
                                          const std::vector<float>& bias,
                                          const std::vector<float>& residual) {
  std::vector<double> acc(static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.out_c, 0.0);
  for (int n = 0; n < p.batch; ++n)
    for (int iy = 0; iy < p.in_h; ++iy)
      for (int ix = 0; ix < p.in_w; ++ix)
        for (int ky = 0; ky < p.kernel_h; ++ky)
          for (int kx = 0; kx < p.kernel_w; ++kx) {
            const int oy = iy * p.stride_h - p.pad_top + ky;
            const int ox = ix * p.stride_w - p.pad_left + kx;
            if (oy < 0 || oy >= p.out_h || ox < 0 || ox >= p.out_w) continue;
            for (int oc = 0; oc < p.out_c; ++oc)
              for (int ic = 0; ic < p.in_c; ++ic)
                acc[((static_cast<size_t>(n) * p.out_h + oy) * p.out_w + ox) * p.out_c + oc] +=
                    static_cast<double>(
                        x[((static_cast<size_t>(n) * p.in_h + iy) * p.in_w + ix) * p.in_c + ic]) *
                    w[((static_cast<size_t>(ky) * p.kernel_w + kx) * p.out_c + oc) * p.in_c + ic];
          }
  std::vector<float> y(acc.size());
  for (size_t o = 0; o < y.size(); ++o) {
    float v = static_cast<float>(acc[o]);
    if (p.has_bias) v += bias[o % static_cast<size_t>(p.out_c)];
    if (p.has_residual) v += residual[o];
    y[o] = activate(v, p.activation, p.activation_alpha);
  }
  return y;
}

Conv2dParams conv_params(int in_h, int in_w, int in_c, int out_c, int k, int stride, int top,
                         int left, int bottom, int right, int groups, int dilation) {
  Conv2dParams p{};
  p.batch = 2;
  p.in_h = in_h;
  p.in_w = in_w;
  p.in_c = in_c;
  p.out_c = out_c;
  p.kernel_h = p.kernel_w = k;
  p.stride_h = p.stride_w = stride;
  p.dilation_h = p.dilation_w = dilation;
  p.pad_top = top;
  p.pad_left = left;
  p.pad_bottom = bottom;
  p.pad_right = right;
  p.groups = groups;
  p.out_h = conv_out_size(in_h, k, stride, dilation, top, bottom);
  p.out_w = conv_out_size(in_w, k, stride, dilation, left, right);
  p.activation = Unary::Identity;
  return p;
}

// Runs one conv2d on the CUDA backend; `in_place` passes the residual as y itself.
std::vector<float> run_conv2d(Backend& gpu, const Conv2dParams& p, const std::vector<float>& x,
                              const std::vector<float>& w, const std::vector<float>& bias,
                              const std::vector<float>& residual, bool in_place) {
  const Shape out_shape{p.batch, p.out_h, p.out_w, p.out_c};
  Tensor dx = gpu.to_device(host_tensor(Shape{p.batch, p.in_h, p.in_w, p.in_c}, x));
  Tensor dw = gpu.pack_conv_filter(
      p, host_tensor(Shape{p.kernel_h, p.kernel_w, p.in_c / p.groups, p.out_c}, w));
  Tensor db = gpu.to_device(host_tensor(Shape{p.out_c}, bias));
  Tensor dres = gpu.to_device(host_tensor(out_shape, residual));
  Tensor dy = in_place ? dres : gpu.empty(out_shape, DType::F32);
  const size_t ws_bytes = gpu.conv2d_workspace(p);
  EXPECT_EQ(gpu.conv2d_workspace(p), ws_bytes);  // cached plan, same answer
  Tensor ws = gpu.empty(Shape{static_cast<int64_t>(ws_bytes)}, DType::U8);
  gpu.conv2d(p, dx.data<float>(), dw.data<float>(), p.has_bias ? db.data<float>() : nullptr,
             p.has_residual ? dres.data<float>() : nullptr, dy.data<float>(),
             ws_bytes ? ws.raw() : nullptr);
  return values_of(gpu.to_host(dy));
}

// ---- needs a GPU ----------------------------------------------------------------------

TEST(CudaBackend, UploadDownloadRoundTrip) {
  SKIP_WITHOUT_CUDA();
  auto gpu = make_cuda_backend(0);
  EXPECT_EQ(gpu->device().kind, DeviceKind::CUDA);
  EXPECT_FALSE(gpu->name().empty());
  const std::vector<float> values = random_values(1000, 1);
  Tensor d = gpu->to_device(host_tensor(Shape{10, 100}, values));
  Tensor copy = gpu->empty(Shape{10, 100}, DType::F32);
  gpu->copy(copy.raw(), d.raw(), d.bytes());
  EXPECT_EQ(values_of(gpu->to_host(copy)), values);
  gpu->fill_zero(copy.raw(), copy.bytes());
  EXPECT_EQ(values_of(gpu->to_host(copy)), std::vector<float>(1000, 0.f));
  gpu->synchronize();
}

TEST(CudaBackend, Conv2dPaddingGroupsAndEpilogue) {
  SKIP_WITHOUT_CUDA();
  auto gpu = make_cuda_backend(0);
  struct Case {
    Conv2dParams p;
    bool in_place;
  };
  std::vector<Case> cases;
  cases.push_back({conv_params(9, 8, 3, 8, 3, 1, 1, 1, 1, 1, 1, 1), false});   // symmetric
  cases.push_back({conv_params(9, 8, 4, 6, 3, 2, 0, 0, 1, 1, 1, 1), false});   // TF SAME, s=2
  cases.push_back({conv_params(7, 10, 6, 6, 3, 1, 2, 1, 0, 2, 6, 1), false});  // depthwise
  cases.push_back({conv_params(8, 8, 4, 8, 3, 1, 2, 2, 2, 2, 2, 2), false});   // dilated, g=2
  Conv2dParams fused = conv_params(6, 7, 5, 8, 3, 2, 1, 0, 2, 1, 1, 1);
  fused.has_bias = true;
  fused.has_residual = true;
  fused.activation = Unary::LeakyRelu;
  fused.activation_alpha = 0.2f;
  cases.push_back({fused, false});
  cases.push_back({fused, true});  // residual is y itself
  uint32_t seed = 10;
  for (const Case& c : cases) {
    const Conv2dParams& p = c.p;
    const auto x = random_values(static_cast<size_t>(p.batch) * p.in_h * p.in_w * p.in_c, ++seed);
    const auto w = random_values(
        static_cast<size_t>(p.kernel_h) * p.kernel_w * (p.in_c / p.groups) * p.out_c, ++seed);
    const auto bias = random_values(static_cast<size_t>(p.out_c), ++seed);
    const auto residual =
        random_values(static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.out_c, ++seed);
    SCOPED_TRACE(testing::Message()
                 << "pads " << p.pad_top << "," << p.pad_left << "," << p.pad_bottom << ","
                 << p.pad_right << " groups " << p.groups << " in_place " << c.in_place);
    expect_close(run_conv2d(*gpu, p, x, w, bias, residual, c.in_place),
                 naive_conv2d(p, x, w, bias, residual), 1e-4f);
  }
}

#if defined(P3D_WITH_CUDA)
// The direct kernel only runs when cuDNN has no algorithm for a shape, so it is called
// here directly (on the legacy default stream, after the backend's stream has finished).
TEST(CudaBackend, DirectConvFallbackMatchesNaive) {
  SKIP_WITHOUT_CUDA();
  auto gpu = make_cuda_backend(0);
  std::vector<Conv2dParams> cases = {
      conv_params(7, 10, 6, 12, 3, 2, 0, 1, 1, 1, 6, 1),  // depthwise x2, asymmetric pads
      conv_params(9, 8, 4, 6, 3, 1, 2, 2, 2, 2, 2, 2),    // grouped, dilated
      conv_params(6, 7, 5, 8, 3, 2, 1, 0, 2, 1, 1, 1)};   // plain
  cases[2].has_bias = cases[2].has_residual = true;
  cases[2].activation = Unary::Relu;
  uint32_t seed = 300;
  for (const Conv2dParams& p : cases) {
    const Shape out_shape{p.batch, p.out_h, p.out_w, p.out_c};
    const auto x = random_values(static_cast<size_t>(p.batch) * p.in_h * p.in_w * p.in_c, ++seed);
    const auto w = random_values(
        static_cast<size_t>(p.kernel_h) * p.kernel_w * (p.in_c / p.groups) * p.out_c, ++seed);
    const auto bias = random_values(static_cast<size_t>(p.out_c), ++seed);
    const auto residual = random_values(static_cast<size_t>(out_shape.numel()), ++seed);
    Tensor dx = gpu->to_device(host_tensor(Shape{p.batch, p.in_h, p.in_w, p.in_c}, x));
    Tensor dw = gpu->pack_conv_filter(
        p, host_tensor(Shape{p.kernel_h, p.kernel_w, p.in_c / p.groups, p.out_c}, w));
    Tensor db = gpu->to_device(host_tensor(Shape{p.out_c}, bias));
    Tensor dres = gpu->to_device(host_tensor(out_shape, residual));
    Tensor dy = gpu->empty(out_shape, DType::F32);
    gpu->synchronize();
    cuda::direct_conv2d(p, dx.data<float>(), dw.data<float>(),
                        p.has_bias ? db.data<float>() : nullptr,
                        p.has_residual ? dres.data<float>() : nullptr, dy.data<float>(), nullptr);
    P3D_CUDA_CHECK(cudaDeviceSynchronize());
    SCOPED_TRACE(testing::Message() << "groups " << p.groups << " dilation " << p.dilation_h);
    expect_close(values_of(gpu->to_host(dy)), naive_conv2d(p, x, w, bias, residual), 1e-4f);
  }
}
#endif

// A transposed conv of two images, 7 -> 5 channels: the output size, kernel, stride and
// pads t,l,b,r; fused adds bias, residual and ReLU.
struct TransposeCase {
  int out_h, out_w, k, stride, top, left, bottom, right;
  bool fused;
};

ConvTranspose2dParams transpose_params(const TransposeCase& c) {
  ConvTranspose2dParams p{};
  p.batch = 2;
  p.out_h = c.out_h;
  p.out_w = c.out_w;
  p.out_c = 5;
  p.in_c = 7;
  p.kernel_h = p.kernel_w = c.k;
  p.stride_h = p.stride_w = c.stride;
  p.dilation_h = p.dilation_w = 1;
  p.pad_top = c.top;
  p.pad_left = c.left;
  p.pad_bottom = c.bottom;
  p.pad_right = c.right;
  p.groups = 1;
  p.in_h = conv_out_size(p.out_h, c.k, c.stride, 1, c.top, c.bottom);
  p.in_w = conv_out_size(p.out_w, c.k, c.stride, 1, c.left, c.right);
  p.has_bias = p.has_residual = c.fused;
  p.activation = c.fused ? Unary::Relu : Unary::Identity;
  return p;
}

// Random operands of one transposed conv, on the host for the reference and on `gpu` (the
// filter packed); y is the residual itself when in place, else a fresh tensor.
struct TransposeOperands {
  std::vector<float> x, w, bias, residual;
  Tensor dx, dw, db, dres, dy;

  TransposeOperands(Backend& gpu, const ConvTranspose2dParams& p, bool in_place, uint32_t& seed) {
    const Shape out_shape{p.batch, p.out_h, p.out_w, p.out_c};
    const int k = p.kernel_h;
    x = random_values(static_cast<size_t>(p.batch) * p.in_h * p.in_w * p.in_c, ++seed);
    w = random_values(static_cast<size_t>(k) * k * p.out_c * p.in_c, ++seed);
    bias = random_values(static_cast<size_t>(p.out_c), ++seed);
    residual = random_values(static_cast<size_t>(out_shape.numel()), ++seed);
    dx = gpu.to_device(host_tensor(Shape{p.batch, p.in_h, p.in_w, p.in_c}, x));
    dw = gpu.pack_conv_transpose_filter(p, host_tensor(Shape{k, k, p.out_c, p.in_c}, w));
    db = gpu.to_device(host_tensor(Shape{p.out_c}, bias));
    dres = gpu.to_device(host_tensor(out_shape, residual));
    dy = in_place ? dres : gpu.empty(out_shape, DType::F32);
  }
  const float* bias_or_null(const ConvTranspose2dParams& p) const {
    return p.has_bias ? db.data<float>() : nullptr;
  }
  const float* residual_or_null(const ConvTranspose2dParams& p) const {
    return p.has_residual ? dres.data<float>() : nullptr;
  }
  std::vector<float> expected(const ConvTranspose2dParams& p) const {
    return naive_conv_transpose2d(p, x, w, bias, residual);
  }
};

TEST(CudaBackend, ConvTranspose2dAsymmetricPaddingCrop) {
  SKIP_WITHOUT_CUDA();
  auto gpu = make_cuda_backend(0);
  // TF SAME (more padding at the end), the opposite asymmetry, symmetric, and no padding.
  const TransposeCase cases[] = {{8, 6, 3, 2, 0, 0, 1, 1, false},
                                 {8, 8, 4, 2, 1, 1, 1, 1, true},
                                 {7, 9, 3, 2, 1, 1, 1, 1, false},
                                 {7, 9, 2, 1, 0, 1, 0, 0, true},
                                 {6, 6, 3, 1, 2, 0, 0, 2, true}};
  uint32_t seed = 100;
  for (const TransposeCase& c : cases) {
    for (const bool in_place : {false, true}) {
      if (in_place && !c.fused) continue;
      const ConvTranspose2dParams p = transpose_params(c);
      TransposeOperands t(*gpu, p, in_place, seed);
      const size_t ws_bytes = gpu->conv_transpose2d_workspace(p);
      Tensor ws = gpu->empty(Shape{static_cast<int64_t>(ws_bytes)}, DType::U8);
      gpu->conv_transpose2d(p, t.dx.data<float>(), t.dw.data<float>(), t.bias_or_null(p),
                            t.residual_or_null(p), t.dy.data<float>(),
                            ws_bytes ? ws.raw() : nullptr);
      SCOPED_TRACE(testing::Message()
                   << "out " << c.out_h << "x" << c.out_w << " pads " << c.top << "," << c.left
                   << "," << c.bottom << "," << c.right << " in_place " << in_place);
      expect_close(values_of(gpu->to_host(t.dy)), t.expected(p), 1e-4f);
    }
  }
}

#if defined(P3D_WITH_CUDA)
// The transposed conv's direct fallback (no cuDNN plan ran), called directly as above:
// strides 1 and 2, asymmetric padding both ways, bias + residual + ReLU, in place.
TEST(CudaBackend, DirectConvTranspose2dMatchesNaive) {
  SKIP_WITHOUT_CUDA();
  auto gpu = make_cuda_backend(0);
  struct Case {
    TransposeCase geometry;
    bool in_place;
  };
  const Case cases[] = {{{8, 6, 3, 2, 0, 0, 1, 1, false}, false},
                        {{8, 8, 4, 2, 1, 1, 1, 1, true}, false},
                        {{7, 9, 3, 2, 1, 1, 1, 1, true}, true},
                        {{6, 6, 3, 1, 2, 0, 0, 2, true}, true}};
  uint32_t seed = 400;
  for (const Case& cs : cases) {
    const TransposeCase& c = cs.geometry;
    const ConvTranspose2dParams p = transpose_params(c);
    TransposeOperands t(*gpu, p, cs.in_place, seed);
    gpu->synchronize();
    cuda::direct_conv_transpose2d(p, t.dx.data<float>(), t.dw.data<float>(), t.bias_or_null(p),
                                  t.residual_or_null(p), t.dy.data<float>(), nullptr);
    P3D_CUDA_CHECK(cudaDeviceSynchronize());
    SCOPED_TRACE(testing::Message() << "out " << c.out_h << "x" << c.out_w << " stride " << c.stride
                                    << " in_place " << cs.in_place);
    expect_close(values_of(gpu->to_host(t.dy)), t.expected(p), 1e-4f);
  }
}
#endif

// Every convolution of a ResNet-50 (the R-Net's backbone, slim's explicit padding folded
// into the convs, so asymmetric pads included) must get a cuDNN plan: the direct kernel is
// a fallback for odd shapes, and a silent fall to it here would cost the network most of
// its speed. The plan kind is what `infer --profile` lists.
TEST(CudaBackend, ResnetShapedConvsUseCudnn) {
  SKIP_WITHOUT_CUDA();
  auto gpu = make_cuda_backend(0);
  Graph g;
  Value x = g.input("input_imgs", {2, 224, 224, 3});
  g.output(build_resnet50(g, x, Resnet50Options{}.width(0.25f).outputs(16)), "out");
  Executor executor(std::move(g), *gpu);
  executor.set_profiling(true);
  executor.run({{"input_imgs", Tensor::empty(Shape{2, 224, 224, 3}, DType::F32)}});
  int convs = 0;
  for (const NodeTiming& t : executor.timings()) {
    if (t.op != "Conv2d") continue;
    ++convs;
    EXPECT_EQ(t.kernel.rfind("cudnn", 0), 0u) << t.name << " runs on " << t.kernel;
  }
  EXPECT_EQ(convs, 53);
}

// From its second run a plan is one CUDA graph (ExecutorOptions::replay): a ResNet's
// cuDNN convs, cuBLAS matmul and our kernels must all be capturable, and replays of new
// inputs must give the one-launch-per-step results bit for bit.
TEST(CudaBackend, ExecutorReplaysItsStepsAsACudaGraph) {
  SKIP_WITHOUT_CUDA();
  auto gpu = make_cuda_backend(0);
  auto graph = [] {
    Graph g;
    Value x = g.input("input_imgs", {2, 96, 96, 3});
    g.output(build_resnet50(g, x, Resnet50Options{}.width(0.25f).outputs(16).random_seed(5)),
             "out");
    return g;
  };
  Executor replayed(graph(), *gpu);
  ExecutorOptions steps_only;
  steps_only.replay = false;
  Executor stepped(graph(), *gpu, steps_only);
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (int run = 0; run < 4; ++run) {
    Tensor x = Tensor::empty(Shape{2, 96, 96, 3}, DType::F32);
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = u(rng);
    const Tensor a = replayed.run({{"input_imgs", x}}).at("out");
    const Tensor b = stepped.run({{"input_imgs", x}}).at("out");
    ASSERT_EQ(a.numel(), b.numel());
    EXPECT_EQ(0, std::memcmp(a.raw(), b.raw(), a.bytes())) << "run " << run;
  }
  EXPECT_EQ(replayed.replay_count(), 3) << "the capture failed: every run launched its steps";
  EXPECT_EQ(stepped.replay_count(), 0);
}

TEST(CudaBackend, MatmulTransposesAndBias) {
  SKIP_WITHOUT_CUDA();
  auto gpu = make_cuda_backend(0);
  uint32_t seed = 200;
  for (const bool ta : {false, true}) {
    for (const bool tb : {false, true}) {
      MatmulParams p{};
      p.batch = 3;
      p.m = 5;
      p.n = 7;
      p.k = 4;
      p.transpose_a = ta;
      p.transpose_b = tb;
      p.has_bias = true;
      p.activation = Unary::Tanh;
      const auto a = random_values(static_cast<size_t>(p.batch) * p.m * p.k, ++seed);
      const auto b = random_values(static_cast<size_t>(p.batch) * p.k * p.n, ++seed);
      const auto bias = random_values(static_cast<size_t>(p.n), ++seed);
      std::vector<float> want(static_cast<size_t>(p.batch) * p.m * p.n);
      for (int s = 0; s < p.batch; ++s)
        for (int i = 0; i < p.m; ++i)
          for (int j = 0; j < p.n; ++j) {
            double acc = 0;
            for (int l = 0; l < p.k; ++l) {
              const float av = ta ? a[(static_cast<size_t>(s) * p.k + l) * p.m + i]
                                  : a[(static_cast<size_t>(s) * p.m + i) * p.k + l];
              const float bv = tb ? b[(static_cast<size_t>(s) * p.n + j) * p.k + l]
                                  : b[(static_cast<size_t>(s) * p.k + l) * p.n + j];
              acc += static_cast<double>(av) * bv;
            }
            want[(static_cast<size_t>(s) * p.m + i) * p.n + j] =
                std::tanh(static_cast<float>(acc) + bias[j]);
          }
      Tensor da = gpu->to_device(host_tensor(Shape{static_cast<int64_t>(a.size())}, a));
      Tensor dbm = gpu->to_device(host_tensor(Shape{static_cast<int64_t>(b.size())}, b));
      Tensor dbias = gpu->to_device(host_tensor(Shape{p.n}, bias));
      Tensor dc = gpu->empty(Shape{p.batch, p.m, p.n}, DType::F32);
      gpu->matmul(p, da.data<float>(), dbm.data<float>(), dbias.data<float>(), dc.data<float>());
      SCOPED_TRACE(testing::Message() << "transpose_a " << ta << " transpose_b " << tb);
      expect_close(values_of(gpu->to_host(dc)), want, 1e-5f);
    }
  }
}

}  // namespace
}  // namespace p3d
