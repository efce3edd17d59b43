// Benchmarks of the dense kernels through the Backend interface: every distinct
// convolution shape of ResNet-50 (slim resnet_v1_50, 224x224 input, batch 1), plus a few
// transposed-convolution and matmul shapes. Each runs on the CPU backend and, when this
// build has CUDA and a GPU is present, on the CUDA backend too.
//
// Counters: GFLOP/s counts 2 * N*OH*OW*OC*KH*KW*IC/groups per run (the multiply-adds the
// convolution defines, not what a kernel happens to execute); GB/s counts every byte the
// op must read (input, filter, bias) and write (output) once.
//
//   build-dense/benchmarks/conv_bench --benchmark_filter=conv/cpu --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "benchmarks/support/cuda_skip.h"
#include "engine/backend.h"

namespace p3d {
namespace {

// One ResNet-50 convolution: square input `in` x `in` x in_c, k x k kernel, stride s,
// TensorFlow SAME padding (so out = ceil(in / s)).
struct ConvShape {
  const char* where;  // the first slim layer with this shape (documentation only)
  int in, in_c, out_c, k, s;
};

// slim resnet_v1_50: conv1, max pool, then blocks of [3, 4, 6, 3] bottleneck units
// (1x1 -> 3x3 -> 1x1, depth 4x the bottleneck width); the first unit of each block has a
// 1x1 projection shortcut; the last unit of blocks 1-3 strides its 3x3 conv (its shortcut
// is a 1x1 stride-2 subsampling, not a conv). Shapes repeated across units appear once.
constexpr ConvShape kResNet50[] = {
    {"conv1", 224, 3, 64, 7, 2},
    {"block1/unit_1/shortcut", 56, 64, 256, 1, 1},  // same shape as block1 conv3
    {"block1/unit_1/conv1", 56, 64, 64, 1, 1},
    {"block1/unit_1/conv2", 56, 64, 64, 3, 1},
    {"block1/unit_2/conv1", 56, 256, 64, 1, 1},
    {"block1/unit_3/conv2", 56, 64, 64, 3, 2},
    {"block1/unit_3/conv3", 28, 64, 256, 1, 1},
    {"block2/unit_1/shortcut", 28, 256, 512, 1, 1},
    {"block2/unit_1/conv1", 28, 256, 128, 1, 1},
    {"block2/unit_1/conv2", 28, 128, 128, 3, 1},
    {"block2/unit_1/conv3", 28, 128, 512, 1, 1},
    {"block2/unit_2/conv1", 28, 512, 128, 1, 1},
    {"block2/unit_4/conv2", 28, 128, 128, 3, 2},
    {"block2/unit_4/conv3", 14, 128, 512, 1, 1},
    {"block3/unit_1/shortcut", 14, 512, 1024, 1, 1},
    {"block3/unit_1/conv1", 14, 512, 256, 1, 1},
    {"block3/unit_1/conv2", 14, 256, 256, 3, 1},
    {"block3/unit_1/conv3", 14, 256, 1024, 1, 1},
    {"block3/unit_2/conv1", 14, 1024, 256, 1, 1},
    {"block3/unit_6/conv2", 14, 256, 256, 3, 2},
    {"block3/unit_6/conv3", 7, 256, 1024, 1, 1},
    {"block4/unit_1/shortcut", 7, 1024, 2048, 1, 1},
    {"block4/unit_1/conv1", 7, 1024, 512, 1, 1},
    {"block4/unit_1/conv2", 7, 512, 512, 3, 1},
    {"block4/unit_1/conv3", 7, 512, 2048, 1, 1},
    {"block4/unit_2/conv1", 7, 2048, 512, 1, 1},
    // The 1x1 stride-2 projection shortcuts of the ResNet variants that stride in the
    // first unit of blocks 2-4 (Keras / torchvision): the strided 1x1 path.
    {"v1.5 block2 shortcut", 56, 256, 512, 1, 2},
    {"v1.5 block3 shortcut", 28, 512, 1024, 1, 2},
    {"v1.5 block4 shortcut", 14, 1024, 2048, 1, 2},
};

// Decoder-style upsampling layers for conv_transpose2d: in x in x in_c -> 2in x 2in x out_c.
struct TransposeShape {
  int in, in_c, out_c, k;
};
constexpr TransposeShape kTransposes[] = {
    {14, 512, 256, 4}, {28, 256, 128, 4}, {56, 128, 64, 4}, {28, 256, 128, 3}, {64, 64, 32, 4},
};

struct MatmulShape {
  int batch, m, n, k;
  bool transpose_b;
};
constexpr MatmulShape kMatmuls[] = {
    {1, 1, 1000, 2048, false},  // ResNet-50 logits
    {1, 256, 512, 512, false},  // an MLP layer over 256 tokens
    {1, 1024, 1024, 1024, false},
    {8, 196, 196, 64, true},  // attention scores Q K^T, 8 heads
};

// TensorFlow SAME padding along one axis: out = ceil(in / s), the extra pad at the end.
void same_padding(int in, int k, int s, int32_t* out, int32_t* before, int32_t* after) {
  *out = (in + s - 1) / s;
  const int total = std::max((*out - 1) * s + k - in, 0);
  *before = total / 2;
  *after = total - total / 2;
}

Conv2dParams conv_params(const ConvShape& c) {
  Conv2dParams p{};
  p.batch = 1;
  p.in_h = p.in_w = c.in;
  p.in_c = c.in_c;
  p.out_c = c.out_c;
  p.kernel_h = p.kernel_w = c.k;
  p.stride_h = p.stride_w = c.s;
  p.dilation_h = p.dilation_w = 1;
  same_padding(c.in, c.k, c.s, &p.out_h, &p.pad_top, &p.pad_bottom);
  same_padding(c.in, c.k, c.s, &p.out_w, &p.pad_left, &p.pad_right);
  p.groups = 1;
  p.has_bias = true;  // batch norm folded into the conv, then ReLU, as at inference
  p.has_residual = false;
  p.activation = Unary::Relu;
  p.activation_alpha = 0.f;
  return p;
}

// conv2d_transpose with SAME padding and stride 2: the forward conv maps 2in -> in.
ConvTranspose2dParams transpose_params(const TransposeShape& t) {
  ConvTranspose2dParams p{};
  p.batch = 1;
  p.in_h = p.in_w = t.in;
  p.in_c = t.in_c;
  p.out_h = p.out_w = 2 * t.in;
  p.out_c = t.out_c;
  p.kernel_h = p.kernel_w = t.k;
  p.stride_h = p.stride_w = 2;
  p.dilation_h = p.dilation_w = 1;
  int32_t unused;
  same_padding(2 * t.in, t.k, 2, &unused, &p.pad_top, &p.pad_bottom);
  same_padding(2 * t.in, t.k, 2, &unused, &p.pad_left, &p.pad_right);
  p.groups = 1;
  p.has_bias = true;
  p.activation = Unary::Relu;
  return p;
}

// Backends are created once, on first use.
Backend& cpu_backend() {
  static std::unique_ptr<Backend> backend = make_cpu_backend();
  return *backend;
}
Backend& cuda_backend() {
  static std::unique_ptr<Backend> backend = make_cuda_backend();
  return *backend;
}

// A host tensor of uniform values in [-1, 1) from a fixed seed.
Tensor random_host(const Shape& shape, uint32_t seed) {
  Tensor t = Tensor::empty(shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  float* data = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) data[i] = dist(rng);
  return t;
}

void set_counters(benchmark::State& state, double flops, double bytes) {
  const double runs = static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(flops * runs / 1e9, benchmark::Counter::kIsRate);
  state.counters["GB/s"] = benchmark::Counter(bytes * runs / 1e9, benchmark::Counter::kIsRate);
}

void bench_conv(benchmark::State& state, Backend* backend, Conv2dParams p) {
  Backend& b = *backend;
  const Shape x_shape{p.batch, p.in_h, p.in_w, p.in_c};
  const Shape w_shape{p.kernel_h, p.kernel_w, p.in_c / p.groups, p.out_c};
  const Shape y_shape{p.batch, p.out_h, p.out_w, p.out_c};
  const Tensor x = b.to_device(random_host(x_shape, 1));
  const Tensor w = b.pack_conv_filter(p, random_host(w_shape, 2));
  const Tensor bias = b.to_device(random_host(Shape{p.out_c}, 3));
  Tensor y = b.empty(y_shape, DType::F32);
  const size_t ws_bytes = b.conv2d_workspace(p);
  Tensor ws = b.empty(Shape{static_cast<int64_t>(ws_bytes)}, DType::U8);
  for (auto _ : state) {
    b.conv2d(p, x.data<float>(), w.data<float>(), bias.data<float>(), nullptr, y.data<float>(),
             ws.raw());
    b.synchronize();
  }
  const double flops = 2.0 * y_shape.numel() * p.kernel_h * p.kernel_w * (p.in_c / p.groups);
  const double bytes = 4.0 * (x_shape.numel() + w_shape.numel() + p.out_c + y_shape.numel());
  set_counters(state, flops, bytes);
  state.counters["workspace_KiB"] = static_cast<double>(ws_bytes) / 1024.0;
}

void bench_transpose(benchmark::State& state, Backend* backend, ConvTranspose2dParams p) {
  Backend& b = *backend;
  const Shape x_shape{p.batch, p.in_h, p.in_w, p.in_c};
  const Shape w_shape{p.kernel_h, p.kernel_w, p.out_c, p.in_c};
  const Shape y_shape{p.batch, p.out_h, p.out_w, p.out_c};
  const Tensor x = b.to_device(random_host(x_shape, 4));
  const Tensor w = b.pack_conv_transpose_filter(p, random_host(w_shape, 5));
  const Tensor bias = b.to_device(random_host(Shape{p.out_c}, 6));
  Tensor y = b.empty(y_shape, DType::F32);
  const size_t ws_bytes = b.conv_transpose2d_workspace(p);
  Tensor ws = b.empty(Shape{static_cast<int64_t>(ws_bytes)}, DType::U8);
  for (auto _ : state) {
    b.conv_transpose2d(p, x.data<float>(), w.data<float>(), bias.data<float>(), nullptr,
                       y.data<float>(), ws.raw());
    b.synchronize();
  }
  // Every input pixel meets every tap once (the forward conv's count).
  const double flops = 2.0 * x_shape.numel() * p.kernel_h * p.kernel_w * p.out_c;
  const double bytes = 4.0 * (x_shape.numel() + w_shape.numel() + p.out_c + y_shape.numel());
  set_counters(state, flops, bytes);
  state.counters["workspace_KiB"] = static_cast<double>(ws_bytes) / 1024.0;
}

void bench_matmul(benchmark::State& state, Backend* backend, MatmulParams p) {
  Backend& b = *backend;
  const Tensor a = b.to_device(random_host(Shape{p.batch, p.m, p.k}, 7));
  const Tensor bm = b.to_device(
      random_host(p.transpose_b ? Shape{p.batch, p.n, p.k} : Shape{p.batch, p.k, p.n}, 8));
  const Tensor bias = b.to_device(random_host(Shape{p.n}, 9));
  Tensor c = b.empty(Shape{p.batch, p.m, p.n}, DType::F32);
  for (auto _ : state) {
    b.matmul(p, a.data<float>(), bm.data<float>(), bias.data<float>(), c.data<float>());
    b.synchronize();
  }
  const double flops = 2.0 * p.batch * p.m * p.n * double(p.k);
  const double bytes = 4.0 * p.batch * (double(p.m) * p.k + double(p.k) * p.n + double(p.m) * p.n);
  set_counters(state, flops, bytes);
}

std::string conv_name(const char* device, const Conv2dParams& p) {
  char name[160];
  std::snprintf(name, sizeof(name), "conv/%s/%dx%dx%d->%d k%ds%d", device, p.in_h, p.in_w, p.in_c,
                p.out_c, p.kernel_h, p.stride_h);
  return name;
}

void register_all(const char* device, Backend* (*get)()) {
  for (const ConvShape& c : kResNet50) {
    const Conv2dParams p = conv_params(c);
    benchmark::RegisterBenchmark(conv_name(device, p).c_str(),
                                 [get, p](benchmark::State& s) { bench_conv(s, get(), p); })
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
  for (const TransposeShape& t : kTransposes) {
    const ConvTranspose2dParams p = transpose_params(t);
    char name[160];
    std::snprintf(name, sizeof(name), "conv_transpose/%s/%dx%dx%d->%dx%dx%d k%ds2", device, p.in_h,
                  p.in_w, p.in_c, p.out_h, p.out_w, p.out_c, p.kernel_h);
    benchmark::RegisterBenchmark(name,
                                 [get, p](benchmark::State& s) { bench_transpose(s, get(), p); })
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
  for (const MatmulShape& m : kMatmuls) {
    MatmulParams p{};
    p.batch = m.batch;
    p.m = m.m;
    p.n = m.n;
    p.k = m.k;
    p.transpose_b = m.transpose_b;
    p.has_bias = true;
    p.activation = Unary::Identity;
    char name[160];
    std::snprintf(name, sizeof(name), "matmul/%s/%dx[%dx%d]x[%dx%d]%s", device, m.batch, m.m, m.k,
                  m.k, m.n, m.transpose_b ? " B^T" : "");
    benchmark::RegisterBenchmark(name, [get, p](benchmark::State& s) { bench_matmul(s, get(), p); })
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace
}  // namespace p3d

// Our own main so the CUDA cases are registered only when a GPU is there (the linked
// benchmark_main archive member is then not pulled in).
int main(int argc, char** argv) {
  p3d::register_all("cpu", [] { return &p3d::cpu_backend(); });
  std::string why;
  if (p3d::bench::cuda_ready(&why)) {
    p3d::register_all("cuda", [] { return &p3d::cuda_backend(); });
  } else {
    std::fprintf(stderr, "conv_bench: CUDA cases not registered (%s)\n", why.c_str());
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
