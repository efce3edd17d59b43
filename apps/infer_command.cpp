// `portrait3d infer FILE.pb --input NAME=IN.npy ... --save DIR`: runs a frozen TensorFlow
// graph on inputs read from .npy files and writes every output as DIR/<name>.npy (trtexec's
// --loadInputs / --exportOutput, for our engine). The input shapes come from the files, so
// the graph is imported for exactly them. Prints import and compile time, the first run,
// then median / min / max of --repeat timed runs with throughput in items per second (the
// batch dim of the first input), and with --profile the layers that took the longest.
//
// Everything a user can get wrong is checked before the graph is lowered, with a message
// naming the problem: a missing file, an input name the graph lacks (listing the real ones),
// a placeholder left without input, an .npy whose dtype or rank does not fit the
// placeholder, an unknown output, --device cuda without a usable GPU.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/model_cli.h"
#include "engine/backend.h"
#include "engine/executor.h"
#include "importer/npy.h"
#include "importer/tf_importer.h"
#include "kernels/error.h"

namespace p3d::app {
namespace {

struct InferOptions {
  std::string file;
  std::vector<std::string> inputs;   // NAME=IN.npy
  std::vector<std::string> outputs;  // NAME or NAME:k
  std::string save_dir;
  std::string device = "cpu";
  std::string precision = "fp32";
  int repeat = 10;
  bool profile = false;
  int top = 15;
  int threads = 0;
};

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Reads every --input file and checks it against its placeholder; keyed by placeholder name.
TensorMap read_inputs(const InferOptions& o, const TfGraphInfo& info) {
  TensorMap inputs;
  for (const std::string& arg : o.inputs) {
    const auto [name, path] = split_assignment(arg, "--input");
    const TfPlaceholder& p = find_placeholder(info, name);
    if (inputs.count(p.name)) P3D_THROW("input '", p.name, "' given twice");
    require_regular_file(path, "input file for '" + p.name + "'");
    Tensor t = read_npy(path);
    DType want = DType::F32;
    if (!dtype_from_tf(p.dtype, want))
      P3D_THROW("input '", p.name, "' is ", p.dtype, ", a type the engine does not support");
    if (t.dtype() != want)
      P3D_THROW("input '", p.name, "': ", path, " holds ", dtype_name(t.dtype()),
                " but the placeholder is ", p.dtype, " (", dtype_name(want), ")");
    if (!p.unknown_rank) {
      if (t.shape().rank() != static_cast<int>(p.dims.size()))
        P3D_THROW("input '", p.name, "': ", path, " has shape ", t.shape().str(), " (rank ",
                  t.shape().rank(), ") but the placeholder is declared ", declared_shape_str(p),
                  " (rank ", p.dims.size(), ")");
      for (size_t i = 0; i < p.dims.size(); ++i)
        if (p.dims[i] >= 0 && p.dims[i] != t.shape()[static_cast<int>(i)])
          P3D_THROW("input '", p.name, "': ", path, " has shape ", t.shape().str(),
                    " but the placeholder is declared ", declared_shape_str(p), " (dim ", i,
                    " differs)");
    }
    inputs[p.name] = std::move(t);
  }
  return inputs;
}

std::unique_ptr<Backend> make_backend(const InferOptions& o) {
  const Precision precision = parse_precision(o.precision);
  if (o.device == "cpu") return make_cpu_backend(o.threads, precision);
  std::string reason;
  if (!cuda_available(&reason)) P3D_THROW("--device cuda: CUDA is not available here: ", reason);
  return make_cuda_backend(0, precision);
}

struct Stats {
  double median = 0, min = 0, max = 0;
};

Stats summarize(std::vector<double> ms) {
  Stats s;
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  const size_t n = ms.size();
  s.median = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
  s.min = ms.front();
  s.max = ms.back();
  return s;
}

void print_output_summary(const std::string& name, const Tensor& t, const std::string& saved) {
  std::string range;
  if (t.dtype() == DType::F32 && t.numel() > 0) {
    const float* p = t.data<float>();
    double lo = p[0], hi = p[0], sum = 0;
    int64_t nonfinite = 0;
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (!std::isfinite(p[i])) {
        ++nonfinite;
        continue;
      }
      lo = std::min<double>(lo, p[i]);
      hi = std::max<double>(hi, p[i]);
      sum += p[i];
    }
    char buf[160];
    std::snprintf(buf, sizeof buf, "  min %.6g max %.6g mean %.6g", lo, hi,
                  sum / static_cast<double>(t.numel()));
    range = buf;
    if (nonfinite) range += "  NON-FINITE VALUES: " + std::to_string(nonfinite);
  }
  std::printf("  %s  %s%s%s%s\n", name.c_str(),
              (std::string(dtype_name(t.dtype())) + t.shape().str()).c_str(), range.c_str(),
              saved.empty() ? "" : "  -> ", saved.c_str());
}

// Mean time per layer over the profiled runs, slowest first, with a per-op summary.
void print_profile(const std::vector<std::vector<NodeTiming>>& runs, int top) {
  if (runs.empty() || runs[0].empty()) return;
  const std::vector<NodeTiming>& first = runs[0];
  std::vector<double> mean(first.size(), 0.0);
  for (const auto& run : runs)
    for (size_t i = 0; i < run.size() && i < mean.size(); ++i)
      mean[i] += run[i].microseconds / runs.size();
  double total = 0;
  for (double m : mean) total += m;
  std::vector<size_t> order(first.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return mean[a] > mean[b]; });

  size_t name_width = 5, op_width = 2;
  for (const NodeTiming& t : first) {
    name_width = std::max(name_width, t.name.size());
    op_width = std::max(op_width, t.op.size());
  }
  const size_t shown = std::min(order.size(), static_cast<size_t>(std::max(top, 0)));
  std::printf(
      "\nprofile: %zu layers, %.3f ms per run summed over layers (mean of %zu profiled runs; each "
      "layer timed to completion)\n",
      first.size(), total * 1e-3, runs.size());
  // The kernel column (a conv's plan: cuDNN algorithm, explicit padding or the direct
  // fallback) shows which convs missed cuDNN.
  std::printf("  %4s  %s  %s  %10s  %6s  %6s  %s\n", "rank", pad_right("layer", name_width).c_str(),
              pad_right("op", op_width).c_str(), "ms", "%", "cum %", "kernel");
  double cumulative = 0;
  for (size_t r = 0; r < shown; ++r) {
    const size_t i = order[r];
    cumulative += mean[i];
    std::printf("  %4zu  %s  %s  %10.3f  %6.2f  %6.2f  %s\n", r + 1,
                pad_right(first[i].name, name_width).c_str(),
                pad_right(first[i].op, op_width).c_str(), mean[i] * 1e-3, 100.0 * mean[i] / total,
                100.0 * cumulative / total, first[i].kernel.c_str());
  }
  if (shown < order.size())
    std::printf("  ... %zu more layers (--top N shows more)\n", order.size() - shown);

  std::map<std::string, std::pair<double, int>> by_op;
  for (size_t i = 0; i < first.size(); ++i) {
    by_op[first[i].op].first += mean[i];
    by_op[first[i].op].second += 1;
  }
  std::vector<std::pair<std::string, std::pair<double, int>>> ops(by_op.begin(), by_op.end());
  std::sort(ops.begin(), ops.end(),
            [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  std::printf("\n  by op:\n");
  for (const auto& [op, v] : ops)
    std::printf("  %s  %4d layers  %10.3f ms  %6.2f %%\n", pad_right(op, op_width).c_str(),
                v.second, v.first * 1e-3, 100.0 * v.first / total);
}

int run_infer(const InferOptions& o) {
  TfImportOptions import_options;
  import_options.outputs = o.outputs;

  // Check everything the user gave before the (slow) lowering.
  const LoadedGraphDef loaded = read_graph_def_file(o.file, import_options);
  check_output_names(loaded, import_options);
  const TfGraphInfo info = inspect_graph_def(loaded.def, o.file, import_options);
  if (!info.unsupported.empty()) {
    std::string list;
    for (const TfUnsupportedOp& u : info.unsupported)
      list += (list.empty() ? "" : ", ") + u.op + " (" + std::to_string(u.count) + ")";
    P3D_THROW("graph '", o.file, "' uses ops the importer cannot lower: ", list,
              " (portrait3d inspect lists the nodes)");
  }
  TensorMap inputs = read_inputs(o, info);
  for (const auto& [name, tensor] : inputs) import_options.input_shapes[name] = tensor.shape();
  std::unique_ptr<Backend> backend = make_backend(o);

  const Clock::time_point import_start = Clock::now();
  TfImportResult imported = import_graph_def(loaded.def, o.file, import_options);
  const double import_ms = ms_since(import_start);
  {
    // A placeholder the requested outputs read but no --input fed.
    std::vector<std::string> missing;
    for (int id : imported.graph.inputs()) {
      const std::string& name = imported.graph.node(id).name;
      if (!inputs.count(name)) missing.push_back(name);
    }
    if (!missing.empty()) {
      std::string list;
      for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
      P3D_THROW("no --input given for ", list, " (give --input NAME=FILE.npy for each)");
    }
  }
  const int64_t flops = graph_flops(imported.graph);

  ExecutorOptions exec_options;
  const Clock::time_point compile_start = Clock::now();
  Executor executor(std::move(imported.graph), *backend, exec_options);
  const double compile_ms = ms_since(compile_start);

  std::string input_desc;
  for (const auto& [name, tensor] : inputs)
    input_desc += (input_desc.empty() ? "" : ", ") + name + " " + tensor.shape().str();
  std::printf("graph    %s (%s, %zu layers after fusion, %s per run)\n", o.file.c_str(),
              format_bytes(static_cast<double>(loaded.file_bytes)).c_str(),
              executor.layers().size(), format_flops(static_cast<double>(flops)).c_str());
  std::printf("device   %s, inputs %s\n", backend->name().c_str(), input_desc.c_str());
  std::printf("load     %.1f ms: read+parse %.1f ms, import %.1f ms, compile %.1f ms\n",
              loaded.read_parse_ms + import_ms + compile_ms, loaded.read_parse_ms, import_ms,
              compile_ms);

  Clock::time_point start = Clock::now();
  TensorMap outputs = executor.run(inputs);
  backend->synchronize();
  const double first_ms = ms_since(start);
  std::printf("first    %.3f ms (plans memory, arena %s)\n", first_ms,
              format_bytes(static_cast<double>(executor.arena_bytes())).c_str());

  // Items per second count along dim 0 of the first --input.
  const Tensor& first_input =
      inputs.at(find_placeholder(info, split_assignment(o.inputs.front(), "--input").first).name);
  const int64_t batch = first_input.shape().rank() > 0 ? first_input.shape()[0] : 1;
  if (o.repeat > 0) {
    std::vector<double> ms;
    for (int i = 0; i < o.repeat; ++i) {
      start = Clock::now();
      executor.run(inputs);
      backend->synchronize();
      ms.push_back(ms_since(start));
    }
    const Stats s = summarize(ms);
    std::printf(
        "timing   median %.3f ms, min %.3f ms, max %.3f ms over %d runs; %.2f items/s (batch %lld)",
        s.median, s.min, s.max, o.repeat, s.median > 0 ? batch * 1e3 / s.median : 0.0,
        static_cast<long long>(batch));
    if (s.median > 0 && flops > 0)
      std::printf(", %.2f GFLOP/s", static_cast<double>(flops) / (s.median * 1e6));
    std::printf("\n");
  }

  if (o.profile) {
    executor.set_profiling(true);
    std::vector<std::vector<NodeTiming>> runs;
    for (int i = 0; i < std::max(o.repeat, 1); ++i) {
      executor.run(inputs);
      runs.push_back(executor.timings());
    }
    executor.set_profiling(false);
    print_profile(runs, o.top);
  }

  if (!o.save_dir.empty()) std::filesystem::create_directories(o.save_dir);
  std::printf("\noutputs (%zu)\n", outputs.size());
  for (const auto& [name, tensor] : outputs) {
    std::string saved;
    if (!o.save_dir.empty()) {
      saved = (std::filesystem::path(o.save_dir) / (sanitize_file_name(name) + ".npy")).string();
      write_npy(saved, tensor);
    }
    print_output_summary(name, tensor, saved);
  }
  return 0;
}

}  // namespace

Command add_infer_command(CLI::App& app) {
  auto options = std::make_shared<InferOptions>();
  CLI::App* cmd = app.add_subcommand(
      "infer",
      "Run a frozen TensorFlow graph (.pb) on .npy inputs, save the outputs as .npy, time it");
  cmd->add_option("file", options->file, "frozen GraphDef (.pb)")->required();
  cmd->add_option("--input", options->inputs,
                  "NAME=FILE.npy for each placeholder (repeatable); the shape comes from the file")
      ->required()
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--output", options->outputs,
                  "tensors to compute, comma-separated (default: the graph's sinks)")
      ->delimiter(',');
  cmd->add_option("--save", options->save_dir,
                  "directory to write each output to as <name>.npy (created)");
  cmd->add_option("--device", options->device, "cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--precision", options->precision,
                  "conv / matmul precision: fp32, tf32 or fp16 (tensor cores on CUDA, emulated "
                  "rounding on the CPU)")
      ->check(CLI::IsMember({"fp32", "tf32", "fp16"}));
  cmd->add_option("--repeat", options->repeat, "timed runs after the first (0: none)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_flag("--profile", options->profile,
                "time every layer (extra runs) and list the slowest");
  cmd->add_option("--top", options->top, "layers listed by --profile")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--threads", options->threads, "CPU threads (0 = all)")
      ->check(CLI::Range(0, 1024));
  return {cmd, [options] { return run_infer(*options); }};
}

}  // namespace p3d::app
