// `portrait3d bench INPUT`: throughput and latency of the whole method (photo decoded, mesh in
// memory: decoding and file writing excluded), per device and batch size, with warm-up,
// repeats and percentiles, and the per-stage split — a table on the terminal and `--json`.
// trtexec and llama-bench are the models: one command, the numbers a user quotes.
//
//   portrait3d bench ../shared/seed-examples --models DIR --bfm DIR --batch 1,8 --repeat 5
// (without --models / --bfm: the demo's stand-ins, as for run).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/host_transfer_table.h"
#include "apps/model_paths.h"
#include "apps/portrait_inputs.h"
#include "apps/run_report.h"
#include "engine/backend.h"
#include "kernels/error.h"
#include "pipeline/atomic_file.h"
#include "pipeline/face_detection.h"
#include "pipeline/reconstructor.h"

namespace p3d::app {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct BenchOptions {
  std::string input;
  ModelPathOptions models;
  std::string batches = "1,8";
  std::string devices = "auto";
  std::string precisions = "fp32";
  int warmup = 1;
  int repeat = 5;
  std::string json;
  std::string coeff_override = "none";
  int threads = 0;
};

std::vector<int> parse_ints(const std::string& list, const char* what) {
  std::vector<int> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    P3D_CHECK(!item.empty() && item.find_first_not_of("0123456789") == std::string::npos, what,
              ": '", item, "' is not a positive integer");
    out.push_back(std::stoi(item));
    P3D_CHECK(out.back() >= 1, what, ": ", out.back(), " must be at least 1");
  }
  P3D_CHECK(!out.empty(), what, ": give at least one value");
  return out;
}

// --precision: a comma-separated list of fp32, tf32, fp16 (engine/precision.h).
std::vector<Precision> parse_precisions(const std::string& list) {
  std::vector<Precision> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(parse_precision(item));
  P3D_CHECK(!out.empty(), "--precision: give at least one of fp32, tf32, fp16");
  return out;
}

std::vector<Device> parse_devices(const std::string& list) {
  std::vector<Device> out;
  std::string reason;
  const bool gpu = cuda_available(&reason);
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item == "auto") {
      out.push_back(Device{});
      if (gpu) out.push_back(Device{DeviceKind::CUDA, 0});
    } else if (item == "cpu") {
      out.push_back(Device{});
    } else if (item == "cuda") {
      if (!gpu) P3D_THROW("--device cuda: ", reason);
      out.push_back(Device{DeviceKind::CUDA, 0});
    } else {
      P3D_THROW("--device: '", item, "' is not auto, cpu or cuda");
    }
  }
  return out;
}

// Photos, landmarks and labels, read once through run's loader (so a bare photo has its face
// detected and its 68 points found, timed apart: that work is per photo, not per batch).
struct Inputs {
  std::vector<Portrait> portraits;  // owns the pixels
  std::vector<PortraitInput> inputs;
  int detected = 0;
  double detect_ms = 0, landmarks_ms = 0;
};

Inputs load_inputs(const std::string& input, const std::string& landmark_dir) {
  Inputs in;
  in.portraits = list_portraits(input);
  std::unique_ptr<FaceLandmarker> landmarker;
  DetectionContext detection;
  detection.out = landmark_dir;
  for (Portrait& p : in.portraits) {
    if (!p.error.empty()) continue;
    try {
      if (needs_detection("auto", p) && !landmarker) {
        landmarker = std::make_unique<FaceLandmarker>();
        detection.landmarker = landmarker.get();
      }
      load_portrait(p, "auto", detection);
    } catch (const std::exception& e) {
      p.error = e.what();
      std::printf("bench: skipping %s: %s\n", p.name.c_str(), e.what());
      continue;
    }
    if (p.detected) {
      ++in.detected;
      in.detect_ms += p.detect_ms;
      in.landmarks_ms += p.landmarks_ms;
    }
  }
  for (Portrait& p : in.portraits) {
    if (!p.error.empty()) continue;
    PortraitInput pi;
    pi.name = p.name;
    pi.photo = &p.photo;
    pi.landmarks = p.landmarks;
    pi.labels = p.face_only ? nullptr : &p.labels;
    in.inputs.push_back(pi);
  }
  P3D_CHECK(!in.inputs.empty(), input, ": no usable portrait to benchmark");
  return in;
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct Row {
  std::string device;  // "cpu", "cuda:0", with the precision when not FP32: "cuda:0/fp16"
  std::string precision;
  int batch = 0;
  double p50 = 0, p90 = 0, p99 = 0, mean = 0;  // ms per batch
  double portraits_per_s = 0;
  std::vector<std::pair<std::string, double>> stages;  // ms per portrait
  // For the host transfers table (CUDA rows): the run's device and its summed timings.
  Device run_device;
  ReconstructionTimings sum;
  int portraits = 0;
};

int run_bench(const BenchOptions& o) {
  P3D_CHECK(o.repeat >= 1 && o.warmup >= 0, "--repeat must be >= 1 and --warmup >= 0");
  const std::vector<int> batches = parse_ints(o.batches, "--batch");
  const std::vector<Device> devices = parse_devices(o.devices);
  const std::vector<Precision> precisions = parse_precisions(o.precisions);
  const ModelPaths paths = resolve_model_paths(o.models, /*need_depth_net=*/true);
  const fs::path landmark_dir = fs::temp_directory_path() / "portrait3d-bench-landmarks";
  fs::create_directories(landmark_dir);
  const Inputs inputs = load_inputs(o.input, landmark_dir.string());
  std::printf("bench: %zu portraits from %s; warm-up %d, %d timed repeats per row\n",
              inputs.inputs.size(), o.input.c_str(), o.warmup, o.repeat);
  if (inputs.detected)
    std::printf(
        "bench: %d bare photos: face detection %.1f ms and 68 landmarks %.1f ms per photo "
        "(once, before timing; CPU)\n",
        inputs.detected, inputs.detect_ms / inputs.detected, inputs.landmarks_ms / inputs.detected);

  std::vector<Row> rows;
  for (const Device& device : devices) {
    for (const Precision precision : precisions) {
      for (int batch : batches) {
        ReconstructorOptions ro;
        ro.rnet_path = paths.rnet;
        ro.depth_net_path = paths.depth_net;
        ro.face_model_dir = paths.face_model;
        ro.device = device;
        ro.max_batch = batch;
        ro.threads = o.threads;
        ro.precision = precision;
        if (o.coeff_override == "zero") ro.coeff_scale = 0.f;
        if (o.coeff_override == "damped") ro.coeff_scale = 0.02f;
        Reconstructor r(ro);
        // One batch of `batch` portraits, cycling through the inputs.
        std::vector<PortraitInput> one_batch;
        for (int i = 0; i < batch; ++i)
          one_batch.push_back(inputs.inputs[i % inputs.inputs.size()]);
        for (int i = 0; i < o.warmup; ++i) r.reconstruct(one_batch);
        std::vector<double> times;
        ReconstructionTimings sum;
        int failed = 0;
        for (int i = 0; i < o.repeat; ++i) {
          ReconstructionTimings t;
          const Clock::time_point start = Clock::now();
          const std::vector<PortraitResult> out = r.reconstruct(one_batch, &t);
          times.push_back(ms_between(start, Clock::now()));
          for (const PortraitResult& res : out) failed += !res.ok();
          sum.add(t);
        }
        if (failed)
          std::printf("bench: %d portrait runs failed on %s at batch %d (their time is included)\n",
                      failed, device.str().c_str(), batch);
        Row row;
        row.device = device.str();
        if (precision != Precision::FP32)
          row.device += std::string("/") + precision_name(precision);
        row.precision = precision_name(precision);
        row.batch = batch;
        row.p50 = percentile(times, 50);
        row.p90 = percentile(times, 90);
        row.p99 = percentile(times, 99);
        for (double t : times) row.mean += t / times.size();
        row.portraits_per_s = row.mean > 0 ? 1000.0 * batch / row.mean : 0;
        for (auto& [name, ms] : sum.rows())
          row.stages.emplace_back(name, ms / (static_cast<double>(o.repeat) * batch));
        row.run_device = device;
        row.sum = sum;
        row.portraits = o.repeat * batch;
        rows.push_back(row);
      }
    }
  }

  std::printf("\n%-11s %5s %10s %10s %10s %12s\n", "device", "batch", "p50 ms", "p90 ms", "p99 ms",
              "portraits/s");
  for (const Row& r : rows)
    std::printf("%-11s %5d %10.2f %10.2f %10.2f %12.2f\n", r.device.c_str(), r.batch, r.p50, r.p90,
                r.p99, r.portraits_per_s);
  std::printf("\nper-stage ms per portrait (mean over the repeats):\n%-32s", "stage");
  for (const Row& r : rows) std::printf(" %8s/%-3d", r.device.c_str(), r.batch);
  std::printf("\n");
  for (size_t s = 0; s < rows.front().stages.size(); ++s) {
    std::printf("%-32s", rows.front().stages[s].first.c_str());
    for (const Row& r : rows) std::printf(" %12.2f", r.stages[s].second);
    std::printf("\n");
  }
  for (const Row& r : rows)
    print_host_transfers(r.sum, r.portraits, r.run_device,
                         r.device + " batch " + std::to_string(r.batch) + ", the timed repeats");
  if (!o.json.empty()) {
    std::string j = "{\n  \"portraits\": " + std::to_string(inputs.inputs.size()) +
                    ",\n  \"detect_ms_per_photo\": " +
                    std::to_string(inputs.detected ? inputs.detect_ms / inputs.detected : 0.0) +
                    ",\n  \"landmarks_ms_per_photo\": " +
                    std::to_string(inputs.detected ? inputs.landmarks_ms / inputs.detected : 0.0) +
                    ",\n  \"repeat\": " + std::to_string(o.repeat) + ",\n  \"rows\": [\n";
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    "    {\"device\": \"%s\", \"precision\": \"%s\", \"batch\": %d, "
                    "\"p50_ms\": %.3f, \"p90_ms\": %.3f, "
                    "\"p99_ms\": %.3f, \"portraits_per_s\": %.3f, \"stage_ms\": {",
                    r.device.c_str(), r.precision.c_str(), r.batch, r.p50, r.p90, r.p99,
                    r.portraits_per_s);
      j += buf;
      for (size_t s = 0; s < r.stages.size(); ++s) {
        std::snprintf(buf, sizeof buf, "%s\"%s\": %.4f", s ? ", " : "", r.stages[s].first.c_str(),
                      r.stages[s].second);
        j += buf;
      }
      j += i + 1 < rows.size() ? "}},\n" : "}}\n";
    }
    j += "  ]\n}\n";
    write_file_atomic(o.json, j.data(), j.size());
    std::printf("\nwrote %s\n", o.json.c_str());
  }
  return 0;
}

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* cmd =
      app.add_subcommand("bench",
                         "Throughput and latency of the whole method per device and batch size "
                         "(decoding and writing excluded), with the per-stage split");
  cmd->add_option("input", o->input, "A photo or a folder in run's input convention")->required();
  add_model_path_options(*cmd, o->models);
  cmd->add_option("--batch", o->batches, "Batch sizes, comma-separated")->capture_default_str();
  cmd->add_option("--device", o->devices,
                  "auto (cpu, and cuda when usable), cpu, cuda; comma-separated")
      ->capture_default_str();
  cmd->add_option("--precision", o->precisions,
                  "Conv / matmul precision of both networks, comma-separated: fp32, tf32, fp16 "
                  "(tensor cores on CUDA, emulated rounding on the CPU)")
      ->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "Untimed runs per row")->capture_default_str();
  cmd->add_option("--repeat", o->repeat, "Timed runs per row")->capture_default_str();
  cmd->add_option("--json", o->json, "Also write the table as JSON");
  cmd->add_option("--coeff-override", o->coeff_override,
                  "none, zero or damped (for random-weight stand-in networks; see run)")
      ->check(CLI::IsMember({"none", "zero", "damped"}))
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0: all)")->capture_default_str();
  return Command{cmd, [o]() { return run_bench(*o); }};
}

}  // namespace p3d::app
