// Benchmarks of the networks as they arrive: the full-size R-Net (slim resnet_v1_50 + heads,
// 96 MB frozen graph) and depth net imported from TensorFlow .pb files, on the CPU backend
// and on CUDA when this build and machine have it. Unlike network_bench (a ResNet-50 built
// with the graph API), these run exactly what the importer produces, so they track the
// importer's lowering and the passes' fusion on real graphs.
//
//   <net>/<backend>/batch:N  one forward pass; counters GFLOP (conv + matmul, as a rate) and
//                            img (items per second). Input and outputs stay on the backend.
//   <net>/import             read + parse + lower the .pb and compile for the CPU backend
//                            (weight packing included): what a program pays at start-up.
//
// The graphs are made by `tools/make_tf_fixtures.sh --full` into build-fixtures/tf/ (not
// committed: ~105 MB). When absent, each case is skipped with a message saying so.
// P3D_FIXTURES_DIR overrides where they are looked for.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "benchmarks/support/cuda_skip.h"
#include "benchmarks/support/forward_timing.h"
#include "engine/backend.h"
#include "engine/executor.h"
#include "importer/npy.h"
#include "importer/tf_importer.h"

namespace {

using namespace p3d;

struct NetSpec {
  const char* dir;     // under build-fixtures/tf/
  const char* input;   // placeholder
  const char* output;  // output tensor
};

constexpr NetSpec kRnet{"rnet_full", "input_imgs", "coeff"};
constexpr NetSpec kDepthNet{"depth_net_full", "inputs", "depth_map"};

std::filesystem::path fixtures_root() {
  if (const char* dir = std::getenv("P3D_FIXTURES_DIR")) return dir;
  const char* source = std::getenv("P3D_SOURCE_DIR");
  return std::filesystem::path(source ? source : P3D_DEFAULT_SOURCE_DIR) / "build-fixtures/tf";
}

std::filesystem::path graph_path(const NetSpec& net) {
  return fixtures_root() / net.dir / "graph.pb";
}

// The fixture's input (batch 1) repeated `batch` times along dim 0.
Tensor batched_input(const NetSpec& net, int batch) {
  const Tensor one =
      read_npy((fixtures_root() / net.dir / ("input_" + std::string(net.input) + ".npy")).string());
  std::vector<int64_t> dims = one.shape().dims();
  dims[0] *= batch;
  Tensor t = Tensor::empty(Shape(dims), one.dtype());
  for (int b = 0; b < batch; ++b)
    std::memcpy(static_cast<char*>(t.raw()) + b * one.bytes(), one.raw(), one.bytes());
  return t;
}

TfImportResult import(const NetSpec& net, const Shape& input_shape) {
  TfImportOptions options;
  options.input_shapes[net.input] = input_shape;
  options.outputs = {net.output};
  return load_graph_def(graph_path(net).string(), options);
}

// One compiled network per (net, backend), built on first use and kept for the whole run.
struct Compiled {
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Executor> executor;
  int64_t flops_per_item = 0;
  std::map<int, Tensor> inputs;  // batch -> input on the backend
};

Compiled& compiled(const NetSpec& net, bool cuda) {
  static std::map<std::pair<std::string, bool>, std::unique_ptr<Compiled>> cache;
  auto& slot = cache[{net.dir, cuda}];
  if (slot) return *slot;
  auto c = std::make_unique<Compiled>();
  c->backend = cuda ? make_cuda_backend(0) : make_cpu_backend();
  TfImportResult imported = import(net, batched_input(net, 1).shape());
  c->flops_per_item = graph_flops(imported.graph);
  ExecutorOptions options;
  options.outputs_on_device = true;
  c->executor = std::make_unique<Executor>(std::move(imported.graph), *c->backend, options);
  std::fprintf(stderr, "%s on %s: %.3f GFLOP per item, %zu layers, %.1f MiB of weights\n", net.dir,
               c->backend->name().c_str(), static_cast<double>(c->flops_per_item) * 1e-9,
               c->executor->layers().size(),
               static_cast<double>(c->executor->weight_bytes()) / (1 << 20));
  slot = std::move(c);
  return *slot;
}

// Skips (with the reason) when the graph or the backend is missing; true when runnable.
bool available(benchmark::State& state, const NetSpec& net, bool cuda) {
  if (!std::filesystem::exists(graph_path(net))) {
    const std::string message =
        graph_path(net).string() + " is absent: make it with tools/make_tf_fixtures.sh --full";
    state.SkipWithError(message.c_str());
    return false;
  }
  if (cuda && !bench::cuda_or_skip(state)) return false;
  return true;
}

void bench_forward(benchmark::State& state, const NetSpec& net, bool cuda) {
  if (!available(state, net, cuda)) return;
  Compiled& c = compiled(net, cuda);
  const int batch = static_cast<int>(state.range(0));
  auto found = c.inputs.find(batch);
  if (found == c.inputs.end())
    found = c.inputs.emplace(batch, c.backend->to_device(batched_input(net, batch))).first;
  bench::time_forward(state, *c.executor, *c.backend, {{net.input, found->second}},
                      c.flops_per_item, batch);
}

void bench_import(benchmark::State& state, const NetSpec& net) {
  if (!available(state, net, false)) return;
  const Shape shape = batched_input(net, 1).shape();
  auto backend = make_cpu_backend();
  for (auto _ : state) {
    TfImportResult imported = import(net, shape);
    Executor executor(std::move(imported.graph), *backend);
    benchmark::DoNotOptimize(executor.weight_bytes());
  }
  state.counters["MB_per_s"] =
      benchmark::Counter(static_cast<double>(std::filesystem::file_size(graph_path(net))) * 1e-6,
                         benchmark::Counter::kIsIterationInvariantRate);
}

void rnet_cpu(benchmark::State& s) { bench_forward(s, kRnet, false); }
void rnet_cuda(benchmark::State& s) { bench_forward(s, kRnet, true); }
void depth_cpu(benchmark::State& s) { bench_forward(s, kDepthNet, false); }
void depth_cuda(benchmark::State& s) { bench_forward(s, kDepthNet, true); }
void rnet_import(benchmark::State& s) { bench_import(s, kRnet); }
void depth_import(benchmark::State& s) { bench_import(s, kDepthNet); }

BENCHMARK(rnet_cpu)
    ->Name("rnet_full/cpu")
    ->ArgName("batch")
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(depth_cpu)
    ->Name("depth_net_full/cpu")
    ->ArgName("batch")
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(rnet_cuda)
    ->Name("rnet_full/cuda")
    ->ArgName("batch")
    ->Arg(1)
    ->Arg(8)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(depth_cuda)
    ->Name("depth_net_full/cuda")
    ->ArgName("batch")
    ->Arg(1)
    ->Arg(8)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(rnet_import)->Name("rnet_full/import")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(depth_import)
    ->Name("depth_net_full/import")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
