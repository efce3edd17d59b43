// `portrait3d run INPUT --out DIR`: the whole method, photo to head mesh, through the C++ API
// (pipeline/reconstructor.h) over one photo, a folder in the original's input convention
// (NAME.jpg|jpeg|png + NAME_landmark.txt or NAME_detection.txt + NAME.mat), or a manifest
// (apps/run_manifest.h), batched. Per batch:
//   load (decode, landmarks, labels; a bare photo has its face and 68 points found with dlib,
//   pipeline/face_detection.h, written to OUT/NAME_landmark.txt) -> Reconstructor (steps 1-12,
//   or the face alone without NAME.mat) -> write (apps/run_outputs.h).
// Loading the next batch and writing the last one run on their own threads while a batch
// computes, so that on the CPU the networks, not the I/O, set the pace; the summary states how
// much of the writing was hidden.
// For runs split across machines: --shard i/n keeps every n-th portrait (in name order)
// starting at i; --skip-existing skips portraits whose outputs are already there.
// A bad portrait (unreadable photo, missing landmark file, mask of the wrong size, no face
// inside the crop) is reported by name with its reason and skipped; the rest completes. The
// exit code is 0 when every portrait was written (or skipped), 1 otherwise.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/host_transfer_table.h"
#include "apps/model_paths.h"
#include "apps/portrait_inputs.h"
#include "apps/progress.h"
#include "apps/run_outputs.h"
#include "apps/run_report.h"
#include "engine/backend.h"
#include "kernels/error.h"
#include "pipeline/face_detection.h"
#include "pipeline/reconstructor.h"

namespace p3d::app {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct RunOptions {
  std::string input;
  ModelPathOptions models;
  std::string out;
  std::string device = "auto";
  std::string precision = "fp32";
  int batch = 8;
  std::string formats = "obj,ply,glb,png";
  bool save_stages = false;
  std::string stop_after = "head";
  std::string landmarks = "auto";
  std::string landmark_model = kDefaultLandmarkModel;
  std::string coeff_override = "none";
  int threads = 0;
  std::string shard;
  bool skip_existing = false;
  std::string json;
};

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

Device pick_device(const std::string& option) {
  std::string reason;
  if (option == "auto") return cuda_available(&reason) ? Device{DeviceKind::CUDA, 0} : Device{};
  if (option == "cpu") return Device{};
  P3D_CHECK(option == "cuda", "--device must be auto, cpu or cuda, got '", option, "'");
  if (!cuda_available(&reason)) P3D_THROW("--device cuda: ", reason);
  return Device{DeviceKind::CUDA, 0};
}

// "i/n" -> (i, n) with 0 <= i < n.
std::pair<int, int> parse_shard(const std::string& s) {
  const size_t slash = s.find('/');
  int i = -1, n = 0;
  try {
    P3D_CHECK(slash != std::string::npos, "");
    i = std::stoi(s.substr(0, slash));
    n = std::stoi(s.substr(slash + 1));
  } catch (const std::exception&) {
    P3D_THROW("--shard must be i/n (e.g. 0/4), got '", s, "'");
  }
  P3D_CHECK(n >= 1 && i >= 0 && i < n, "--shard ", s, ": need 0 <= i < n");
  return {i, n};
}

// Per-stage wall-clock totals over the run, with what each portrait of a batch is charged.
struct StageTimes {
  double load = 0, detect = 0, landmarks = 0, write = 0, write_wait = 0;
  int detected = 0;
  ReconstructionTimings recon;
};

void print_timings(const StageTimes& t, int done, double total_ms) {
  std::vector<std::pair<std::string, double>> rows = {{"load (decode, landmarks, labels)", t.load}};
  if (t.detected) {
    const std::string n = std::to_string(t.detected) + (t.detected == 1 ? " photo)" : " photos)");
    rows.push_back({"  face detection (" + n, t.detect});
    rows.push_back({"  68 landmarks (" + n, t.landmarks});
  }
  for (const auto& r : t.recon.rows())
    if (r.second > 0) rows.push_back(r);
  rows.push_back({"write outputs (own thread)", t.write});
  std::printf("\nstage timings (wall clock, %d portraits):\n", done);
  std::printf("  %-38s %10s %12s\n", "stage", "total ms", "ms/portrait");
  for (const auto& r : rows)
    std::printf("  %-38s %10.1f %12.2f\n", r.first.c_str(), r.second, done ? r.second / done : 0.0);
  std::printf("  %-38s %10.1f %12.2f\n", "total (incl. startup)", total_ms,
              done ? total_ms / done : 0.0);
  if (t.write > 0)
    std::printf(
        "  writing overlapped with compute: %.0f%% hidden (%.0f ms of %.0f ms waited for)\n",
        100.0 * std::max(0.0, 1.0 - t.write_wait / t.write), t.write_wait, t.write);
}

// The file whose presence means a portrait is done (--skip-existing): the last one written.
fs::path done_marker(const OutputOptions& out, const std::string& name, bool head) {
  if (!head) return out.out / (name + ".mat");
  if (out.png) return out.out / (name + "_crop.png");
  if (out.glb) return out.out / (name + ".glb");
  if (out.ply) return out.out / (name + ".ply");
  return out.out / (name + ".obj");
}

int run_portraits(const RunOptions& o) {
  const Clock::time_point run_start = Clock::now();
  P3D_CHECK(o.batch >= 1, "--batch must be at least 1");
  const bool head = o.stop_after == "head";
  OutputOptions out;
  out.out = o.out;
  out.save_stages = o.save_stages;
  parse_formats(o.formats, out);
  const Device device = pick_device(o.device);
  const ModelPaths paths = resolve_model_paths(o.models, head);

  std::vector<Portrait> portraits = list_inputs(o.input);
  RunReport report;
  report.device = device.str();
  if (!o.shard.empty()) {
    const auto [i, n] = parse_shard(o.shard);
    std::vector<Portrait> mine;
    for (size_t k = 0; k < portraits.size(); ++k)
      if (static_cast<int>(k % n) == i) mine.push_back(std::move(portraits[k]));
    portraits = std::move(mine);
    report.shard = o.shard;
  }
  fs::create_directories(o.out);
  std::vector<PortraitReport> reports(portraits.size());
  std::vector<Portrait*> todo;
  int skipped = 0;
  for (size_t k = 0; k < portraits.size(); ++k) {
    reports[k].name = portraits[k].name;
    reports[k].photo = portraits[k].photo_path.string();
    if (o.skip_existing && portraits[k].error.empty() &&
        fs::exists(done_marker(out, portraits[k].name, head))) {
      reports[k].status = "skipped";
      ++skipped;
      continue;
    }
    todo.push_back(&portraits[k]);
  }

  // The landmark model loads once, and only when some photo has no landmark file; when it
  // cannot load, only those photos fail (with the reason).
  std::unique_ptr<FaceLandmarker> landmarker;
  DetectionContext detection;
  detection.out = o.out;
  int bare = 0;
  for (const Portrait* p : todo) bare += p->error.empty() && needs_detection(o.landmarks, *p);
  if (bare > 0) {
    try {
      landmarker = std::make_unique<FaceLandmarker>(o.landmark_model);
      detection.landmarker = landmarker.get();
      std::printf(
          "face detection for %d photo%s: dlib's HOG detector on a %d px copy, 68 points "
          "from %s\n",
          bare, bare == 1 ? "" : "s", landmarker->detect_long_side(), o.landmark_model.c_str());
    } catch (const std::exception& e) {
      detection.unavailable = e.what();
      std::printf("face detection unavailable: %s\n", e.what());
    }
  }

  Clock::time_point start = Clock::now();
  ReconstructorOptions ro;
  ro.rnet_path = paths.rnet;
  ro.depth_net_path = paths.depth_net;
  ro.face_model_dir = paths.face_model;
  ro.device = device;
  ro.max_batch =
      std::max(1, std::min<int>(o.batch, static_cast<int>(std::max<size_t>(1, todo.size()))));
  ro.threads = o.threads;
  ro.precision = parse_precision(o.precision);
  ro.stop_after_face = !head;
  if (o.coeff_override == "zero") ro.coeff_scale = 0.f;
  if (o.coeff_override == "damped") ro.coeff_scale = 0.02f;
  Reconstructor reconstructor(ro);
  report.batch = ro.max_batch;
  report.startup_ms = ms_since(start);
  std::printf(
      "run: %zu portraits from %s (%d skipped as done%s), batch %d on %s, until the %s; "
      "models from %s; startup %.0f ms\n",
      todo.size() + skipped, o.input.c_str(), skipped,
      o.shard.empty() ? "" : (", shard " + o.shard).c_str(), ro.max_batch, device.str().c_str(),
      head ? "head mesh" : "face stage", paths.where.c_str(), report.startup_ms);

  StageTimes times;
  std::mutex print_mutex;
  Progress progress(todo.size(), "portraits");
  size_t finished = 0, failed_so_far = 0;
  const size_t batch = static_cast<size_t>(ro.max_batch);
  const size_t batches = (todo.size() + batch - 1) / batch;

  // Loading one batch (on its own thread): decode, landmarks (perhaps detected), labels.
  const auto load_batch = [&](size_t b) {
    const Clock::time_point t0 = Clock::now();
    StageTimes t;
    for (size_t i = b * batch; i < std::min(todo.size(), (b + 1) * batch); ++i) {
      Portrait& p = *todo[i];
      if (!p.error.empty()) continue;
      try {
        load_portrait(p, o.landmarks, detection);
      } catch (const std::exception& e) {
        p.error = e.what();
      }
      if (p.detected) {
        t.detect += p.detect_ms;
        t.landmarks += p.landmarks_ms;
        ++t.detected;
      }
    }
    t.load = ms_since(t0);
    return t;
  };
  // Writing one batch (on its own thread); results are moved in.
  const auto write_batch = [&](std::vector<Portrait*> owners, std::vector<PortraitResult> results) {
    const Clock::time_point t0 = Clock::now();
    for (size_t k = 0; k < results.size(); ++k) {
      Portrait& p = *owners[k];
      const PortraitResult& r = results[k];
      PortraitReport& rep = reports[&p - portraits.data()];
      if (!r.ok()) {
        p.error = r.error;
      } else {
        try {
          if (!head)
            rep.outputs = write_face_outputs(out, p.name, r.step1);
          else if (r.face_only) {
            rep.outputs = write_face_only_outputs(out, p.name, p.photo, r.step1, r.face);
            std::lock_guard<std::mutex> lock(print_mutex);
            progress.note("  " + p.name + ": face-only (no " + p.name +
                          ".mat): the face mesh without hair or ears");
          } else
            rep.outputs = write_head_outputs(out, p.name, p.photo, r.step1, r.head);
        } catch (const std::exception& e) {
          p.error = e.what();
        }
      }
      p.photo = ImageU8{};  // release this portrait's pixels
      p.labels = ImageU8{};
    }
    return ms_since(t0);
  };

  std::future<StageTimes> loading;
  if (batches > 0) loading = std::async(std::launch::async, load_batch, 0);
  std::future<double> writing;
  std::vector<Portrait*> writing_owners;
  const auto finish_writing = [&]() {
    if (!writing.valid()) return;
    const Clock::time_point t0 = Clock::now();
    times.write += writing.get();
    times.write_wait += ms_since(t0);
    for (Portrait* p : writing_owners) {
      PortraitReport& rep = reports[p - portraits.data()];
      ++finished;
      if (!p->error.empty()) {
        rep.status = "failed";
        rep.error = p->error;
        ++failed_so_far;
        std::lock_guard<std::mutex> lock(print_mutex);
        progress.note("  " + p->name + ": FAILED: " + p->error);
      }
    }
    writing_owners.clear();
    std::lock_guard<std::mutex> lock(print_mutex);
    progress.update(finished, failed_so_far);
  };

  for (size_t b = 0; b < batches; ++b) {
    const StageTimes loaded = loading.get();
    times.load += loaded.load;
    times.detect += loaded.detect;
    times.landmarks += loaded.landmarks;
    times.detected += loaded.detected;
    if (b + 1 < batches) loading = std::async(std::launch::async, load_batch, b + 1);

    std::vector<Portrait*> owners, batch_all;
    std::vector<PortraitInput> inputs;
    for (size_t i = b * batch; i < std::min(todo.size(), (b + 1) * batch); ++i) {
      Portrait* p = todo[i];
      batch_all.push_back(p);
      if (p->detected) {
        std::lock_guard<std::mutex> lock(print_mutex);
        char line[512];
        std::snprintf(line, sizeof line, "  %s: %d face%s seen, the largest (%.0f px) used -> %s",
                      p->name.c_str(), p->faces_seen, p->faces_seen == 1 ? "" : "s", p->face_box,
                      p->landmark_file.string().c_str());
        progress.note(line);
      }
      if (!p->error.empty()) continue;
      PortraitInput in;
      in.name = p->name;
      in.photo = &p->photo;
      in.landmarks = p->landmarks;
      in.labels = p->face_only ? nullptr : &p->labels;
      inputs.push_back(in);
      owners.push_back(p);
    }
    ReconstructionTimings t;
    std::vector<PortraitResult> results = reconstructor.reconstruct(inputs, &t);
    times.recon.add(t);
    // Each portrait is charged its batch's stage times divided by the batch's size.
    for (Portrait* p : owners) {
      PortraitReport& rep = reports[p - portraits.data()];
      rep.face_only = p->face_only;
      rep.stage_ms.push_back({"load", loaded.load / std::max<size_t>(1, batch_all.size())});
      if (p->detected) {  // per photo, inside its load
        rep.stage_ms.push_back({"  face detection", p->detect_ms});
        rep.stage_ms.push_back({"  68 landmarks", p->landmarks_ms});
      }
      for (const auto& row : t.rows())
        if (row.second > 0) rep.stage_ms.push_back({row.first, row.second / owners.size()});
    }
    finish_writing();  // the previous batch
    // Portraits that failed to load have no result: count them with this batch's writes.
    writing_owners = batch_all;
    writing = std::async(std::launch::async, write_batch, owners, std::move(results));
  }
  finish_writing();
  progress.finish();

  int done = 0, failed = 0, face_only = 0, detected = 0;
  for (const Portrait* p : todo) {
    if (!p->error.empty()) {
      ++failed;
      continue;
    }
    ++done;
    face_only += head && p->face_only;
    detected += p->detected;
  }
  print_timings(times, done, ms_since(run_start));
  print_host_transfers(times.recon, done, device);
  std::printf("\nsummary: %d of %zu portraits written to %s", done, todo.size() + skipped,
              o.out.c_str());
  if (skipped) std::printf(" (%d skipped: already done)", skipped);
  if (detected) std::printf(" (%d with detected landmarks)", detected);
  if (face_only) {
    std::string names;
    for (const Portrait* p : todo)
      if (p->error.empty() && p->face_only && head) names += (names.empty() ? "" : ", ") + p->name;
    std::printf("\n  face-only (no NAME.mat, face mesh without hair or ears): %d: %s", face_only,
                names.c_str());
  }
  if (failed) {
    std::printf(", %d failed:\n", failed);
    for (const Portrait* p : todo)
      if (!p->error.empty()) std::printf("  %s: %s\n", p->name.c_str(), p->error.c_str());
  } else {
    std::printf("\n");
  }
  report.wall_ms = ms_since(run_start);
  report.portraits = std::move(reports);
  if (!o.json.empty()) {
    write_run_report(o.json, report);
    std::printf("report: %s\n", o.json.c_str());
  }
  return failed ? 1 : 0;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Photo(s) to head meshes: align, R-Net, 3DMM face, head crop, masks, hair/ear mesh, "
      "depth net, stitching -> OUT/NAME.obj|ply|glb and PNGs");
  cmd->add_option("input", o->input,
                  "A photo NAME.jpg|jpeg|png, a folder of them (NAME_landmark.txt or "
                  "NAME_detection.txt beside each, else the face is detected; NAME.mat, else the "
                  "face only), or a manifest: a text file, one PHOTO [LANDMARKS [MASK]] per line")
      ->required();
  add_model_path_options(*cmd, o->models);
  cmd->add_option("--out", o->out, "Output folder")->required();
  cmd->add_option("--device", o->device, "auto (cuda when a usable GPU is present), cpu or cuda")
      ->capture_default_str();
  cmd->add_option("--precision", o->precision,
                  "Conv / matmul precision of both networks: fp32 (reference), tf32 or fp16 "
                  "(tensor cores on CUDA, emulated rounding on the CPU; docs/precision.md)")
      ->check(CLI::IsMember({"fp32", "tf32", "fp16"}))
      ->capture_default_str();
  cmd->add_option("--batch", o->batch, "Portraits per batch")->capture_default_str();
  cmd->add_option("--formats", o->formats, "Outputs: any of obj,ply,glb,png")
      ->capture_default_str();
  cmd->add_flag("--save-stages", o->save_stages,
                "Also write the original's step-1/2/3 .mat records to OUT/stages/");
  cmd->add_option("--stop-after", o->stop_after,
                  "face: stop after step 5 and write OUT/NAME.mat + OUT/vis/ as the original's "
                  "step 1; head: the whole method")
      ->check(CLI::IsMember({"face", "head"}))
      ->capture_default_str();
  cmd->add_option("--shard", o->shard,
                  "i/n: only every n-th portrait in name order, starting at i (one shard per "
                  "machine or array task)");
  cmd->add_flag("--skip-existing", o->skip_existing,
                "Skip portraits whose outputs are already in OUT (resuming a run)");
  cmd->add_option("--json", o->json,
                  "Also write a report: per portrait status, error, stage times, outputs; totals "
                  "with p50/p90/p99");
  cmd->add_option("--landmarks", o->landmarks,
                  "auto (NAME_landmark.txt if present, else NAME_detection.txt, else detect the "
                  "face and its 68 points), yup68, topleft68, detection5 or detect (always)")
      ->check(CLI::IsMember({"auto", "yup68", "topleft68", "detection5", "detect"}))
      ->capture_default_str();
  cmd->add_option("--landmark-model", o->landmark_model,
                  "dlib's 68-point shape predictor for photos without landmark files (Debian "
                  "libdlib-data)")
      ->capture_default_str();
  cmd->add_option("--coeff-override", o->coeff_override,
                  "Debugging: 'zero' replaces the R-Net's coefficients by zeros (the mean face, "
                  "frontal); 'damped' scales them by 0.02 (keeps a random-weight stand-in's faces "
                  "in frame)")
      ->check(CLI::IsMember({"none", "zero", "damped"}))
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0: all)")->capture_default_str();
  return Command{cmd, [o]() { return run_portraits(*o); }};
}

}  // namespace p3d::app
