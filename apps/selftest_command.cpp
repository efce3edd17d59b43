// `portrait3d selftest`: the engine's self-check. Builds a ResNet-50 with the layer-graph
// API (seeded weights), runs it on the CPU and, when a GPU is present, on CUDA; checks the
// outputs are finite and that CUDA agrees with the CPU; prints timings. Exit code 0 = pass.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "engine/backend.h"
#include "engine/executor.h"
#include "engine/resnet50.h"

namespace p3d::app {
namespace {

struct SelftestOptions {
  std::string device = "auto";  // auto: CPU, plus CUDA when available
  int batch = 1;
  int size = 224;
  double width = 1.0;
  int repeat = 5;
  int threads = 0;
};

struct RunResult {
  Tensor output;
  double median_ms = 0;
  size_t arena_bytes = 0;
  int convolutions = 0;
};

Tensor make_input(const SelftestOptions& o) {
  Tensor t = Tensor::empty({o.batch, o.size, o.size, 3});
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> pixel(0.f, 255.f);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = pixel(rng);
  return t;
}

Graph make_network(const SelftestOptions& o) {
  Graph g;
  Value x = g.input("input_imgs", {o.batch, o.size, o.size, 3});
  Resnet50Options net;
  net.width_multiplier = o.width;
  net.num_outputs = 257;
  net.seed = 7;
  g.output(build_resnet50(g, x, net), "coeff");
  return g;
}

RunResult run_on(Backend& backend, const SelftestOptions& o, const Tensor& input) {
  Executor executor(make_network(o), backend);
  RunResult r;
  r.convolutions = executor.graph().count(OpKind::Conv2d);
  TensorMap inputs{{"input_imgs", input}};
  r.output = executor.run(inputs).at("coeff");  // plans memory, warms caches
  std::vector<double> ms;
  for (int i = 0; i < o.repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    executor.run(inputs);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  r.median_ms = ms.empty() ? 0 : ms[ms.size() / 2];
  r.arena_bytes = executor.arena_bytes();
  return r;
}

bool all_finite(const Tensor& t) {
  const float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i)
    if (!std::isfinite(p[i])) return false;
  return true;
}

// Normalised mean squared error of `got` against `want`.
double nmse(const Tensor& got, const Tensor& want) {
  double err = 0, ref = 0;
  const float* a = got.data<float>();
  const float* b = want.data<float>();
  for (int64_t i = 0; i < want.numel(); ++i) {
    err += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    ref += double(b[i]) * b[i];
  }
  return ref > 0 ? err / ref : err;
}

int run_selftest(const SelftestOptions& o) {
  const bool want_cpu = o.device == "auto" || o.device == "cpu";
  std::string reason;
  const bool have_cuda = cuda_available(&reason);
  const bool want_cuda = o.device == "cuda" || (o.device == "auto" && have_cuda);
  if (o.device == "cuda" && !have_cuda) {
    std::fprintf(stderr, "portrait3d selftest: --device cuda, but %s\n", reason.c_str());
    return 1;
  }
  if (o.device == "auto" && !have_cuda) std::printf("CUDA: skipped (%s)\n", reason.c_str());

  const Tensor input = make_input(o);
  const double gflop = [&] {
    Graph g = make_network(o);
    return graph_flops(g) * 1e-9;
  }();
  std::printf(
      "network: ResNet-50 (width x%.3g) + 257-output head, input [%d,%d,%d,3], %.2f GFLOP per "
      "run\n",
      o.width, o.batch, o.size, o.size, gflop);

  bool ok = true;
  Tensor cpu_output;
  auto report = [&](const char* name, const RunResult& r) {
    const bool finite = all_finite(r.output);
    ok = ok && finite;
    std::printf(
        "%-5s %2d convolutions after fusion, arena %.1f MiB, median %.3f ms over %d runs "
        "(%.1f GFLOP/s), outputs %s\n",
        name, r.convolutions, r.arena_bytes / 1048576.0, r.median_ms, o.repeat,
        r.median_ms > 0 ? gflop / (r.median_ms * 1e-3) : 0.0, finite ? "finite" : "NOT FINITE");
  };
  if (want_cpu) {
    auto cpu = make_cpu_backend(o.threads);
    RunResult r = run_on(*cpu, o, input);
    report("cpu", r);
    cpu_output = r.output;
  }
  if (want_cuda) {
    auto gpu = make_cuda_backend(0);
    RunResult r = run_on(*gpu, o, input);
    report("cuda", r);
    if (cpu_output.defined()) {
      // FP32 on both sides; only the order of summation differs.
      const double e = nmse(r.output, cpu_output);
      const bool agree = e < 1e-6;
      ok = ok && agree;
      std::printf("cuda vs cpu: NMSE %.3g (limit 1e-6) %s\n", e, agree ? "ok" : "MISMATCH");
    }
  }
  std::printf("selftest: %s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace

Command add_selftest_command(CLI::App& app) {
  auto options = std::make_shared<SelftestOptions>();
  CLI::App* cmd = app.add_subcommand(
      "selftest", "Build and run a ResNet-50 on the CPU (and CUDA), check and time it");
  cmd->add_option("--device", options->device, "auto (CPU, and CUDA when present), cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_option("--batch", options->batch, "batch size")->check(CLI::Range(1, 4096));
  cmd->add_option("--size", options->size, "input height and width")->check(CLI::Range(32, 1024));
  cmd->add_option("--width", options->width, "channel width multiplier (1 = the real ResNet-50)")
      ->check(CLI::Range(0.01, 4.0));
  cmd->add_option("--repeat", options->repeat, "timed runs after one warm-up")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--threads", options->threads, "CPU threads (0 = all)")
      ->check(CLI::Range(0, 1024));
  return {cmd, [options] { return run_selftest(*options); }};
}

}  // namespace p3d::app
