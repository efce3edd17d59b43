// `portrait3d run INPUT --models DIR --bfm DIR --out DIR`: the whole method, photo to head
// mesh, over one photo or a folder in the original's input convention (NAME.jpg|jpeg|png +
// NAME_landmark.txt or NAME_detection.txt + NAME.mat), batched:
//   load (decode, landmarks, labels) -> 1 align -> 2 R-Net -> 3-5 face stage (3DMM, head crop,
//   face render) -> 6-12 head stage (masks, hair/ear mesh, depth net, back-projection, head
//   render, stitching, mesh) -> write (apps/run_outputs.h).
// A bare photo (no landmark file) has its face detected and its 68 points found with dlib
// (pipeline/face_detection.h; the model loads once, only when some photo needs it), written
// to OUT/NAME_landmark.txt. A photo without NAME.mat is reconstructed face-only: steps 1-5
// with all-background labels, then the face mesh with its colours (pipeline/face_mesh.h)
// instead of steps 6-12, exported like a head and marked face-only in the output.
// A bad portrait (unreadable photo, missing landmark file, mask of the wrong size, non-finite
// coefficients, no face inside the crop) is reported by name with its reason and skipped; the
// rest completes. When a batch fails inside a stage, its portraits are rerun one by one so
// only the bad one is lost. The exit code is 0 when every portrait was written, 1 otherwise.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/portrait_inputs.h"
#include "apps/run_outputs.h"
#include "engine/backend.h"
#include "kernels/error.h"
#include "kernels/face3dmm.h"
#include "pipeline/alignment.h"
#include "pipeline/depth_network.h"
#include "pipeline/face_detection.h"
#include "pipeline/face_mesh.h"
#include "pipeline/face_model.h"
#include "pipeline/face_network.h"
#include "pipeline/face_stage.h"
#include "pipeline/head_stage.h"

namespace p3d::app {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kRnetFile = "model_mask3_white_light.pb";
constexpr const char* kDepthNetFile = "depth_net.pb";

struct RunOptions {
  std::string input;
  std::string models;
  std::string rnet, depth_net;  // override the files in --models
  std::string bfm;
  std::string out;
  std::string device = "auto";
  int batch = 8;
  std::string formats = "obj,ply,glb,png";
  bool save_stages = false;
  std::string stop_after = "head";
  std::string landmarks = "auto";
  std::string landmark_model = kDefaultLandmarkModel;
  std::string coeff_override = "none";
  int threads = 0;
};

// --coeff-override damped: a random-weight R-Net gives coefficients of order 10 (angles of
// several turns, the face behind the camera); scaled by this they pose and shape the face
// mildly, which keeps a stand-in network's faces in frame.
constexpr float kDampedScale = 0.02f;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Per-stage wall-clock totals over the run.
struct StageTimes {
  double load = 0, align = 0, rnet = 0, write = 0;
  double detect = 0, landmarks = 0, face_only = 0;  // inside load / in place of 6-12
  int detected = 0, face_only_count = 0;            // portraits they were run for
  FaceStageTimings face;
  HeadStageTimings head;
};

void add(FaceStageTimings& a, const FaceStageTimings& b) {
  a.reconstruct_ms += b.reconstruct_ms;
  a.crop_geometry_ms += b.crop_geometry_ms;
  a.crop_images_ms += b.crop_images_ms;
  a.render_ms += b.render_ms;
}

void print_timings(const StageTimes& t, int done, double total_ms, bool head) {
  struct Row {
    std::string name;
    double ms;
    int count = -1;     // portraits the row's ms/portrait divides by (-1: every one written)
    bool part = false;  // a part of the row above (kept out of the % sum)
  };
  std::vector<Row> rows = {{"load (decode, landmarks, labels)", t.load}};
  const auto photos = [](int n) { return std::to_string(n) + (n == 1 ? " photo" : " photos"); };
  if (t.detected > 0) {
    rows.push_back({"  face detection (" + photos(t.detected) + ")", t.detect, t.detected, true});
    rows.push_back({"  68 landmarks (" + photos(t.detected) + ")", t.landmarks, t.detected, true});
  }
  rows.insert(rows.end(), {{"1 align (224 crops)", t.align},
                           {"2 R-Net", t.rnet},
                           {"3 3DMM shape, pose, projection", t.face.reconstruct_ms},
                           {"4 head crop geometry + record", t.face.crop_geometry_ms},
                           {"4 head crop resampling", t.face.crop_images_ms},
                           {"5 render face depth + mask", t.face.render_ms}});
  if (head) {
    rows.insert(rows.end(), {{"6 masks", t.head.masks_ms},
                             {"7 hair/ear triangulation", t.head.triangulate_ms},
                             {"8 depth net (input + network)", t.head.depth_net_ms},
                             {"9 back-projection + colours", t.head.geometry_ms},
                             {"10 render head depth + mask", t.head.render_ms},
                             {"11 stitching", t.head.stitch_ms},
                             {"12 mesh assembly", t.head.mesh_ms}});
    // Steps 6-12 ran only for the heads: divide by those.
    if (t.face_only_count > 0)
      for (size_t i = rows.size() - 7; i < rows.size(); ++i)
        rows[i].count = std::max(0, done - t.face_only_count);
    if (t.face_only_count > 0)
      rows.push_back({"face-only mesh (" + std::to_string(t.face_only_count) + " portraits)",
                      t.face_only, t.face_only_count});
  }
  rows.push_back({"write outputs", t.write});
  std::printf("\nstage timings (wall clock, %d portraits):\n", done);
  std::printf("  %-36s %10s %12s %6s\n", "stage", "total ms", "ms/portrait", "%");
  double sum = 0;
  for (const Row& r : rows) sum += r.part ? 0 : r.ms;
  for (const Row& r : rows) {
    const int n = r.count >= 0 ? r.count : done;
    std::printf("  %-36s %10.1f %12.2f %6.1f\n", r.name.c_str(), r.ms, n ? r.ms / n : 0.0,
                sum > 0 ? 100 * r.ms / sum : 0.0);
  }
  std::printf("  %-36s %10.1f %12.2f\n", "total (incl. startup)", total_ms,
              done ? total_ms / done : 0.0);
}

std::string require_file(const std::string& path, const char* what) {
  P3D_CHECK(fs::is_regular_file(path), what, ": ", path, " is missing (or not a file)");
  return path;
}

Device pick_device(const std::string& option) {
  std::string reason;
  if (option == "auto") return cuda_available(&reason) ? Device{DeviceKind::CUDA, 0} : Device{};
  if (option == "cpu") return Device{};
  P3D_CHECK(option == "cuda", "--device must be auto, cpu or cuda, got '", option, "'");
  if (!cuda_available(&reason)) P3D_THROW("--device cuda: ", reason);
  return Device{DeviceKind::CUDA, 0};
}

// Runs `stage` on the whole batch; if it throws, reruns each item alone and records the
// failures on their portraits, so one bad portrait costs only itself.
template <typename In, typename Out, typename Stage>
std::vector<std::pair<size_t, Out>> run_isolated(const std::vector<In>& inputs,
                                                 const std::vector<Portrait*>& owners,
                                                 Stage&& stage) {
  std::vector<std::pair<size_t, Out>> results;
  try {
    std::vector<Out> all = stage(inputs);
    for (size_t k = 0; k < all.size(); ++k) results.emplace_back(k, std::move(all[k]));
    return results;
  } catch (const std::exception& e) {
    if (inputs.size() == 1) {  // the single item is the culprit
      owners[0]->error = e.what();
      return results;
    }
  }
  for (size_t k = 0; k < inputs.size(); ++k) {
    try {
      std::vector<Out> one = stage(std::vector<In>{inputs[k]});
      results.emplace_back(k, std::move(one.at(0)));
    } catch (const std::exception& e) {
      owners[k]->error = e.what();
    }
  }
  return results;
}

int run_portraits(const RunOptions& o) {
  const Clock::time_point run_start = Clock::now();
  P3D_CHECK(o.batch >= 1, "--batch must be at least 1");
  P3D_CHECK(o.stop_after == "face" || o.stop_after == "head",
            "--stop-after must be face or head, got '", o.stop_after, "'");
  const bool head = o.stop_after == "head";
  OutputOptions out;
  out.out = o.out;
  out.save_stages = o.save_stages;
  parse_formats(o.formats, out);
  const Device device = pick_device(o.device);

  P3D_CHECK(!o.models.empty() || (!o.rnet.empty() && (!head || !o.depth_net.empty())),
            "--models DIR (with ", kRnetFile, " and ", kDepthNetFile,
            ") is required unless --rnet and --depth-net name the files");
  const std::string rnet_path = require_file(
      o.rnet.empty() ? (fs::path(o.models) / kRnetFile).string() : o.rnet, "the R-Net");
  const std::string depth_path =
      head ? require_file(o.depth_net.empty() ? (fs::path(o.models) / kDepthNetFile).string()
                                              : o.depth_net,
                          "the depth net")
           : "";

  std::vector<Portrait> portraits = list_portraits(o.input);
  fs::create_directories(o.out);

  // The landmark model loads once, and only when some photo has no landmark file. When it
  // cannot load, only those photos fail (with the reason); the rest go on.
  std::unique_ptr<FaceLandmarker> landmarker;
  DetectionContext detection;
  detection.out = o.out;
  int bare = 0;
  for (const Portrait& p : portraits) bare += p.error.empty() && needs_detection(o.landmarks, p);
  if (bare > 0) {
    const Clock::time_point t0 = Clock::now();
    try {
      landmarker = std::make_unique<FaceLandmarker>(o.landmark_model);
      detection.landmarker = landmarker.get();
      std::printf(
          "face detection for %d photo%s: dlib's HOG detector on a %d px copy, the 68-point "
          "model %s (loaded in %.0f ms)\n",
          bare, bare == 1 ? "" : "s", landmarker->detect_long_side(), o.landmark_model.c_str(),
          ms_since(t0));
    } catch (const std::exception& e) {
      detection.unavailable = e.what();
      std::printf("face detection unavailable: %s\n", e.what());
    }
  }

  // Startup: the face model, the alignment reference, the networks.
  Clock::time_point start = Clock::now();
  const FaceModel model = load_face_model(o.bfm);
  const AlignmentReference reference =
      AlignmentReference::from_points(model.similarity_lm3d.data());
  std::unique_ptr<Backend> backend =
      device.kind == DeviceKind::CUDA ? make_cuda_backend(0) : make_cpu_backend(o.threads);
  const int batch = std::min<int>(o.batch, static_cast<int>(portraits.size()));
  FaceNetwork rnet(rnet_path, *backend, batch);
  std::unique_ptr<DepthNetwork> depth_net;
  if (head) depth_net = std::make_unique<DepthNetwork>(depth_path, *backend, batch);
  FaceStage face_stage(model, device, /*colors=*/out.png && !head);
  std::unique_ptr<HeadStage> head_stage;
  if (head) head_stage = std::make_unique<HeadStage>(model, face_stage.triangles(), *depth_net, device);
  std::printf("run: %zu portraits from %s, batch %d on %s, until the %s; startup %.0f ms\n",
              portraits.size(), o.input.c_str(), batch, device.str().c_str(),
              head ? "head mesh" : "face stage", ms_since(start));

  StageTimes times;
  int done = 0;
  const size_t n = portraits.size();
  const int batches = static_cast<int>((n + batch - 1) / batch);
  for (int bi = 0; bi < batches; ++bi) {
    const Clock::time_point batch_start = Clock::now();
    const size_t first = static_cast<size_t>(bi) * batch, last = std::min(n, first + batch);
    std::vector<Portrait*> live;
    start = Clock::now();
    for (size_t i = first; i < last; ++i) {
      Portrait& p = portraits[i];
      if (!p.error.empty()) continue;
      try {
        load_portrait(p, o.landmarks, reference, detection);
        live.push_back(&p);
      } catch (const std::exception& e) {
        p.error = e.what();
      }
      if (p.detected) {
        times.detect += p.detect_ms;
        times.landmarks += p.landmarks_ms;
        ++times.detected;
        std::printf(
            "  %s: %d face%s seen, the largest (%.0f px) used: 68 points -> %s "
            "(detection %.1f ms, landmarks %.1f ms)\n",
            p.name.c_str(), p.faces_seen, p.faces_seen == 1 ? "" : "s", p.face_box,
            p.landmark_file.string().c_str(), p.detect_ms, p.landmarks_ms);
      }
    }
    times.load += ms_since(start);

    std::vector<std::pair<Portrait*, Step1Record>> step1;
    if (!live.empty()) {
      // 1. Alignment and 2. the R-Net.
      start = Clock::now();
      std::vector<const ImageU8*> photos;
      std::vector<FaceAlignment> plans;
      for (Portrait* p : live) {
        photos.push_back(&p->photo);
        plans.push_back(p->alignment);
      }
      const std::vector<float> aligned = align_images(photos, plans, device);
      times.align += ms_since(start);
      start = Clock::now();
      std::vector<float> coeffs = rnet.run(aligned.data(), static_cast<int>(live.size()));
      times.rnet += ms_since(start);
      const int stride = rnet.coeff_count();
      if (o.coeff_override == "zero") std::fill(coeffs.begin(), coeffs.end(), 0.f);
      if (o.coeff_override == "damped")
        for (float& c : coeffs) c *= kDampedScale;

      // 3-5.
      std::vector<FacePortrait> inputs;
      std::vector<Portrait*> staged;
      for (size_t k = 0; k < live.size(); ++k) {
        const float* row = coeffs.data() + k * stride;
        const int bad = first_nonfinite_coefficient(row, FaceCoeff::kCount);
        if (bad >= 0) {
          live[k]->error =
              "the R-Net gave a non-finite coefficient (index " + std::to_string(bad) + ")";
          continue;
        }
        FacePortrait in;
        in.coeffs = row;
        in.inv_scale = live[k]->alignment.inv_scale;
        in.inv_offset[0] = live[k]->alignment.inv_offset[0];
        in.inv_offset[1] = live[k]->alignment.inv_offset[1];
        in.photo = ImageU8View{live[k]->photo.data(), live[k]->photo.width, live[k]->photo.height,
                               live[k]->photo.channels};
        in.labels =
            ImageU8View{live[k]->labels.data(), live[k]->labels.width, live[k]->labels.height, 1};
        inputs.push_back(in);
        staged.push_back(live[k]);
      }
      auto records = run_isolated<FacePortrait, Step1Record>(
          inputs, staged, [&](const std::vector<FacePortrait>& in) {
            FaceStageTimings t;
            auto r = face_stage.run(in, &t);
            add(times.face, t);
            return r;
          });
      for (auto& [k, r] : records) step1.emplace_back(staged[k], std::move(r));
    }

    // 6-12, or the face-only mesh for portraits without labels.
    std::vector<std::pair<Portrait*, HeadResult>> heads;
    std::vector<std::pair<Portrait*, FaceOnlyResult>> faces;
    if (head) {
      start = Clock::now();
      for (auto& [p, r] : step1) {
        if (!p->face_only) continue;
        try {
          faces.emplace_back(p, build_face_only(r, device.kind));
          ++times.face_only_count;
        } catch (const std::exception& e) {
          p->error = e.what();
        }
      }
      times.face_only += ms_since(start);
    }
    std::vector<const Step1Record*> head_in;
    std::vector<Portrait*> owners;
    if (head)
      for (auto& [p, r] : step1)
        if (!p->face_only) head_in.push_back(&r), owners.push_back(p);
    if (!head_in.empty()) {
      const std::vector<const Step1Record*>& in = head_in;
      auto results = run_isolated<const Step1Record*, HeadResult>(
          in, owners, [&](const std::vector<const Step1Record*>& records) {
            HeadStageTimings t;
            auto r = head_stage->run(records, &t);
            times.head.add(t);
            return r;
          });
      for (auto& [k, r] : results) heads.emplace_back(owners[k], std::move(r));
    }

    // Write, portrait by portrait (the writers and the preview renderer use the CPU pool
    // themselves); errors stay with their portrait.
    start = Clock::now();
    const auto record_of = [&](const Portrait* p) -> const Step1Record& {
      for (auto& s : step1)
        if (s.first == p) return s.second;
      P3D_THROW("no step-1 record for ", p->name);
    };
    const auto write_one = [&](Portrait* p, const auto& write) {
      try {
        write();
        ++done;
      } catch (const std::exception& e) {
        p->error = e.what();
      }
    };
    if (head) {
      for (auto& item : heads) {
        Portrait* p = item.first;
        write_one(p,
                  [&] { write_head_outputs(out, p->name, p->photo, record_of(p), item.second); });
      }
      for (auto& item : faces) {
        Portrait* p = item.first;
        write_one(p, [&] {
          write_face_only_outputs(out, p->name, p->photo, record_of(p), item.second);
          std::printf("  %s: face-only (no %s.mat): the face mesh without hair or ears\n",
                      p->name.c_str(), p->name.c_str());
        });
      }
    } else {
      for (auto& item : step1) {
        Portrait* p = item.first;
        write_one(p, [&] { write_face_outputs(out, p->name, item.second); });
      }
    }
    times.write += ms_since(start);

    int failed_here = 0;
    for (size_t i = first; i < last; ++i)
      if (!portraits[i].error.empty()) {
        ++failed_here;
        std::printf("  %s: FAILED: %s\n", portraits[i].name.c_str(), portraits[i].error.c_str());
      }
    std::printf("[batch %d/%d] %zu portraits, %zu written, %d failed, %.0f ms\n", bi + 1, batches,
                last - first, last - first - failed_here, failed_here, ms_since(batch_start));
    std::fflush(stdout);
    for (size_t i = first; i < last; ++i) {  // release this batch's pixels
      portraits[i].photo = ImageU8{};
      portraits[i].labels = ImageU8{};
    }
  }

  print_timings(times, done, ms_since(run_start), head);
  int failed = 0, face_only = 0, detected = 0;
  std::string face_only_names;
  for (const Portrait& p : portraits) {
    failed += !p.error.empty();
    detected += p.error.empty() && p.detected;
    if (head && p.error.empty() && p.face_only) {
      ++face_only;
      face_only_names += (face_only_names.empty() ? "" : ", ") + p.name;
    }
  }
  std::printf("\nsummary: %d of %zu portraits written to %s", done, portraits.size(),
              o.out.c_str());
  if (detected) std::printf(" (%d with detected landmarks)", detected);
  if (face_only)
    std::printf("\n  face-only (no NAME.mat, face mesh without hair or ears): %d: %s", face_only,
                face_only_names.c_str());
  if (failed) {
    std::printf(", %d failed:\n", failed);
    for (const Portrait& p : portraits)
      if (!p.error.empty()) std::printf("  %s: %s\n", p.name.c_str(), p.error.c_str());
  } else {
    std::printf("\n");
  }
  return failed ? 1 : 0;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Photo(s) to head meshes: align, R-Net, 3DMM face, head crop, masks, hair/ear mesh, "
             "depth net, stitching -> OUT/NAME.obj|ply|glb and PNGs");
  cmd->add_option("input", o->input,
                  "A photo NAME.jpg|jpeg|png, or a folder of them, each with NAME_landmark.txt "
                  "(or NAME_detection.txt; else the face is detected) and NAME.mat (else the "
                  "face only) beside it")
      ->required();
  cmd->add_option("--models", o->models,
                  std::string("Folder with ") + kRnetFile + " and " + kDepthNetFile);
  cmd->add_option("--rnet", o->rnet, "The R-Net file (overrides --models)");
  cmd->add_option("--depth-net", o->depth_net, "The depth net file (overrides --models)");
  cmd->add_option("--bfm", o->bfm,
                  "Face model folder (BFM_model_front.mat, similarity_Lm3D_all.mat, center.mat, "
                  "border_index.mat)")
      ->required();
  cmd->add_option("--out", o->out, "Output folder")->required();
  cmd->add_option("--device", o->device, "auto (cuda when a usable GPU is present), cpu or cuda")
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
