// Network benchmarks: ResNet-50 (slim resnet_v1_50, full width, seeded weights, 224x224)
// through the executor with the default passes, at batch 1 and 8, on the CPU backend and on
// CUDA when this build and machine have it. Each reports milliseconds per forward pass and
//   GFLOP  conv + matmul arithmetic counted from the graph (2 per multiply-add), as a rate;
//   img    images per second.
// Inputs are on the backend already and outputs stay there (device views), so the figures
// are the network alone: no host transfers. Timing is wall clock around run + synchronize.
//
// --benchmark_filter=cpu or =cuda picks a backend. The CPU batch-8 case is slow on small
// machines (~60 GFLOP per pass).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "benchmarks/support/cuda_skip.h"
#include "benchmarks/support/forward_timing.h"
#include "engine/backend.h"
#include "engine/executor.h"
#include "engine/resnet50.h"

namespace {

using namespace p3d;

constexpr int kImageSize = 224;

// One compiled ResNet-50 per backend, built on first use and kept for the whole run.
struct Network {
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Executor> executor;
  int64_t flops_per_image = 0;
  std::map<int, Tensor> inputs;  // batch -> device input
};

Tensor host_images(int batch) {
  Tensor t = Tensor::empty({batch, kImageSize, kImageSize, 3}, DType::F32);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> pixel(0.f, 255.f);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = pixel(rng);
  return t;
}

Network& network(bool cuda) {
  static std::map<bool, std::unique_ptr<Network>> cache;
  auto& slot = cache[cuda];
  if (slot) return *slot;
  slot = std::make_unique<Network>();
  slot->backend = cuda ? make_cuda_backend(0) : make_cpu_backend();
  Graph g;
  Value x = g.input("input_imgs", {1, kImageSize, kImageSize, 3});
  g.output(build_resnet50(g, x, Resnet50Options{}.outputs(257)), "coeff");
  ExecutorOptions options;
  options.outputs_on_device = true;
  slot->executor = std::make_unique<Executor>(std::move(g), *slot->backend, options);
  slot->flops_per_image = graph_flops(slot->executor->graph());
  std::fprintf(stderr, "resnet50 on %s: %.3f GFLOP per image, %d layers, %.1f MiB of weights\n",
               slot->backend->name().c_str(), static_cast<double>(slot->flops_per_image) * 1e-9,
               static_cast<int>(slot->executor->layers().size()),
               static_cast<double>(slot->executor->weight_bytes()) / (1 << 20));
  return *slot;
}

void bench_resnet50(benchmark::State& state, bool cuda) {
  if (cuda) {
    if (!bench::cuda_or_skip(state)) return;
  }
  Network& net = network(cuda);
  const int batch = static_cast<int>(state.range(0));
  auto found = net.inputs.find(batch);
  if (found == net.inputs.end())
    found = net.inputs.emplace(batch, net.backend->to_device(host_images(batch))).first;
  bench::time_forward(state, *net.executor, *net.backend, {{"input_imgs", found->second}},
                      net.flops_per_image, batch);
}

void bench_cpu(benchmark::State& state) { bench_resnet50(state, false); }
void bench_cuda(benchmark::State& state) { bench_resnet50(state, true); }

BENCHMARK(bench_cpu)
    ->Name("resnet50/cpu")
    ->Arg(1)
    ->Arg(8)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bench_cuda)
    ->Name("resnet50/cuda")
    ->Arg(1)
    ->Arg(8)
    ->Arg(64)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
