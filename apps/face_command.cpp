// `portrait3d face --images DIR --rnet R.pb --bfm BFM_DIR --out OUT_DIR`: stage 1 of the
// original (step1_recon_3d_face.py) over a folder, batched: for each photo NAME.jpg|jpeg|png
// with its landmarks (NAME_landmark.txt, or NAME_detection.txt for the 5-point path) and
// face-parsing labels (NAME.mat 'mask'), align (step 1), run the R-Net (2), reconstruct the
// face (3), cut the head crop and make the face3d record (4), render the face's depth map and
// mask (5), and write OUT/NAME.mat in the original's layout plus previews in OUT/vis/.
//
// A bad portrait (missing landmark file, unreadable photo, labels of the wrong size,
// non-finite coefficients, a degenerate head crop) is reported with its reason and skipped;
// the rest of the folder is processed. The exit code is 1 when any portrait failed.
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
#include "engine/backend.h"
#include "kernels/error.h"
#include "importer/npy.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/face3dmm.h"
#include "pipeline/alignment.h"
#include "pipeline/face_model.h"
#include "pipeline/face_network.h"
#include "pipeline/face_stage.h"
#include "pipeline/image_io.h"
#include "pipeline/landmarks.h"
#include "pipeline/mat_file.h"
#include "pipeline/step1_record.h"

namespace p3d::app {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct FaceOptions {
  std::string images;
  std::string rnet;
  std::string bfm;
  std::string out;
  std::string device = "cpu";
  int batch = 8;
  std::string landmarks = "auto";
  std::string coeff_override = "none";
  int threads = 0;
  bool previews = true;
  bool save_decoded = false;
};

// --coeff-override damped: a random-weight R-Net gives coefficients of order 10 (angles of
// several turns, the face behind the camera); scaled by this they pose and shape the face
// mildly, which makes the geometry visible in the previews.
constexpr float kDampedScale = 0.02f;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// One portrait of the folder and what became of it.
struct Portrait {
  std::string name;
  fs::path photo_path;
  std::string error;  // empty while fine
  // Loaded inputs.
  ImageU8 photo;
  ImageU8 labels;
  FaceAlignment alignment;
};

// The original's listing: files ending in png, jpg or jpeg; NAME = up to the first '.'.
std::vector<Portrait> list_portraits(const fs::path& dir) {
  P3D_CHECK(fs::is_directory(dir), "--images: ", dir.string(), " is not a folder");
  std::vector<Portrait> out;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string file = e.path().filename().string();
    const auto ends_with = [&](const char* suffix) {
      const std::string s(suffix);
      return file.size() >= s.size() && file.compare(file.size() - s.size(), s.size(), s) == 0;
    };
    if (!ends_with("png") && !ends_with("jpg") && !ends_with("jpeg")) continue;
    Portrait p;
    p.name = file.substr(0, file.find('.'));
    p.photo_path = e.path();
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const Portrait& a, const Portrait& b) {
    return a.name != b.name ? a.name < b.name : a.photo_path < b.photo_path;
  });
  // Two photos with one NAME (a.jpg, a.png) would write the same OUT/NAME.mat.
  for (size_t i = 1; i < out.size(); ++i)
    if (out[i].name == out[i - 1].name)
      out[i].error = "another photo (" + out[i - 1].photo_path.filename().string() +
                     ") has the same name; its output would be overwritten";
  return out;
}

LandmarkConvention pick_convention(const FaceOptions& o, const Portrait& p) {
  if (o.landmarks == "yup68") return LandmarkConvention::YUp68;
  if (o.landmarks == "topleft68") return LandmarkConvention::TopLeft68;
  if (o.landmarks == "detection5") return LandmarkConvention::Detection5;
  // auto: the 68-point file when present (the original's default), else the detections.
  const std::string photo = p.photo_path.string();
  if (fs::exists(landmark_path_for(photo, LandmarkConvention::YUp68)))
    return LandmarkConvention::YUp68;
  if (fs::exists(landmark_path_for(photo, LandmarkConvention::Detection5)))
    return LandmarkConvention::Detection5;
  P3D_THROW("no landmark file: expected ",
            fs::path(landmark_path_for(photo, LandmarkConvention::YUp68)).filename().string(),
            " or ",
            fs::path(landmark_path_for(photo, LandmarkConvention::Detection5)).filename().string());
}

// NAME.mat 'mask': int32 labels of the photo's size, each in 0..255 (the original's
// astype(np.uint8) would wrap anything else silently).
ImageU8 read_labels(const fs::path& path, int32_t width, int32_t height) {
  if (!fs::exists(path)) P3D_THROW("missing label file ", path.filename().string());
  MatReader reader(path.string());
  const MatArray mask = reader.read("mask");
  if (mask.rows != static_cast<size_t>(height) || mask.cols != static_cast<size_t>(width))
    P3D_THROW(path.filename().string(), ": mask is ", mask.cols, "x", mask.rows,
              " (width x height) but the photo is ", width, "x", height);
  ImageU8 labels;
  labels.width = width;
  labels.height = height;
  labels.channels = 1;
  labels.pixels.resize(mask.values.size());
  for (size_t i = 0; i < mask.values.size(); ++i) {
    const double v = mask.values[i];
    if (!(std::isfinite(v) && v >= 0 && v <= 255 && v == std::floor(v)))
      P3D_THROW(path.filename().string(), ": mask value ", v, " at row ", i / width, ", column ",
                i % width, " is not a label in 0..255");
    labels.pixels[i] = static_cast<uint8_t>(v);
  }
  return labels;
}

// Per-stage wall-clock totals over the run.
struct StageTimes {
  double load = 0, align = 0, rnet = 0, reconstruct = 0, crop_geometry = 0, crop_images = 0,
         render = 0, write = 0;
};

void print_timings(const StageTimes& t, int done, double total_ms) {
  const struct {
    const char* name;
    double ms;
  } rows[] = {{"load (decode, landmarks, labels, plan)", t.load},
              {"1 align (224 crops)", t.align},
              {"2 R-Net", t.rnet},
              {"3 3DMM shape, pose, projection", t.reconstruct},
              {"4 head crop geometry + record", t.crop_geometry},
              {"4 head crop resampling", t.crop_images},
              {"5 render depth + mask", t.render},
              {"write .mat + previews", t.write}};
  std::printf("\nstage timings (wall clock, %d portraits):\n", done);
  std::printf("  %-40s %10s %12s %6s\n", "stage", "total ms", "ms/portrait", "%");
  double sum = 0;
  for (const auto& r : rows) sum += r.ms;
  for (const auto& r : rows)
    std::printf("  %-40s %10.1f %12.2f %6.1f\n", r.name, r.ms, done ? r.ms / done : 0.0,
                sum > 0 ? 100 * r.ms / sum : 0.0);
  std::printf("  %-40s %10.1f %12.2f\n", "total (incl. startup)", total_ms,
              done ? total_ms / done : 0.0);
}

int run_face(const FaceOptions& o) {
  const Clock::time_point run_start = Clock::now();
  P3D_CHECK(o.batch >= 1, "--batch must be at least 1");
  P3D_CHECK(o.device == "cpu" || o.device == "cuda", "--device must be cpu or cuda, got '",
            o.device, "'");
  const Device device = o.device == "cuda" ? Device{DeviceKind::CUDA, 0} : Device{};
  std::string reason;
  if (device.kind == DeviceKind::CUDA && !cuda_available(&reason))
    P3D_THROW("--device cuda: ", reason);

  std::vector<Portrait> portraits = list_portraits(o.images);
  P3D_CHECK(!portraits.empty(), "--images: no .png, .jpg or .jpeg files in ", o.images);
  fs::create_directories(o.out);
  if (o.previews) fs::create_directories(fs::path(o.out) / "vis");

  // Startup: the face model, the alignment reference, the R-Net.
  Clock::time_point start = Clock::now();
  const FaceModel model = load_face_model(o.bfm);
  const AlignmentReference reference =
      AlignmentReference::from_points(model.similarity_lm3d.data());
  std::unique_ptr<Backend> backend =
      device.kind == DeviceKind::CUDA ? make_cuda_backend(0) : make_cpu_backend(o.threads);
  const int batch = std::min<int>(o.batch, static_cast<int>(portraits.size()));
  FaceNetwork rnet(o.rnet, *backend, batch);
  FaceStage stage(model, device, /*colors=*/o.previews);
  std::printf("face: %zu portraits in %s, batch %d on %s; model %d vertices; startup %.0f ms\n",
              portraits.size(), o.images.c_str(), batch, device.str().c_str(), model.vertex_count,
              ms_since(start));

  StageTimes times;
  int done = 0;
  const int batches = static_cast<int>((portraits.size() + batch - 1) / batch);
  for (int bi = 0; bi < batches; ++bi) {
    const Clock::time_point batch_start = Clock::now();
    std::vector<Portrait*> live;
    // Load and plan: errors here concern one portrait only.
    start = Clock::now();
    for (size_t i = bi * static_cast<size_t>(batch);
         i < std::min(portraits.size(), (bi + 1) * static_cast<size_t>(batch)); ++i) {
      Portrait& p = portraits[i];
      if (!p.error.empty()) continue;
      try {
        p.photo = read_image(p.photo_path.string());
        const LandmarkConvention convention = pick_convention(o, p);
        const Landmarks lm = read_landmarks(landmark_path_for(p.photo_path.string(), convention),
                                            convention, p.photo.width, p.photo.height);
        p.labels = read_labels(p.photo_path.parent_path() / (p.name + ".mat"), p.photo.width,
                               p.photo.height);
        p.alignment = plan_alignment(lm, reference);
        live.push_back(&p);
      } catch (const std::exception& e) {
        p.error = e.what();
      }
    }
    times.load += ms_since(start);

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

      // Screen the coefficients; build the stage's inputs.
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

      // 3-5; when the batch fails, run its portraits one by one to find the bad one(s).
      std::vector<Step1Record> records;
      std::vector<Portrait*> recorded;
      FaceStageTimings st;
      try {
        records = stage.run(inputs, &st);
        recorded = staged;
      } catch (const std::exception&) {
        for (size_t k = 0; k < inputs.size(); ++k) {
          try {
            FaceStageTimings one;
            std::vector<Step1Record> r = stage.run({inputs[k]}, &one);
            records.push_back(std::move(r[0]));
            recorded.push_back(staged[k]);
            st.reconstruct_ms += one.reconstruct_ms;
            st.crop_geometry_ms += one.crop_geometry_ms;
            st.crop_images_ms += one.crop_images_ms;
            st.render_ms += one.render_ms;
          } catch (const std::exception& e) {
            staged[k]->error = e.what();
          }
        }
      }
      times.reconstruct += st.reconstruct_ms;
      times.crop_geometry += st.crop_geometry_ms;
      times.crop_images += st.crop_images_ms;
      times.render += st.render_ms;

      // Write: one task per portrait (zlib and PNG compression dominate; files are
      // independent). Errors stay with their portrait.
      start = Clock::now();
      std::vector<char> written(records.size(), 0);
      cpu::ThreadPool::global().parallel_for(
          static_cast<int64_t>(records.size()), 1, [&](int64_t begin, int64_t end, int) {
            for (int64_t k = begin; k < end; ++k) {
              Portrait& p = *recorded[k];
              try {
                write_step1_mat(records[k], (fs::path(o.out) / (p.name + ".mat")).string());
                if (o.previews)
                  write_step1_previews(records[k], (fs::path(o.out) / "vis" / p.name).string());
                if (o.save_decoded)
                  write_npy((fs::path(o.out) / (p.name + ".decoded.npy")).string(),
                            Tensor::view(p.photo.data(),
                                         Shape{p.photo.height, p.photo.width, p.photo.channels},
                                         DType::U8));
                written[k] = 1;
              } catch (const std::exception& e) {
                p.error = e.what();
              }
            }
          });
      for (char w : written) done += w;
      times.write += ms_since(start);
    }

    // Progress: one line per batch, one per failure.
    int failed_here = 0;
    for (size_t i = bi * static_cast<size_t>(batch);
         i < std::min(portraits.size(), (bi + 1) * static_cast<size_t>(batch)); ++i)
      if (!portraits[i].error.empty()) {
        ++failed_here;
        std::printf("  %s: FAILED: %s\n", portraits[i].name.c_str(), portraits[i].error.c_str());
      }
    std::printf("[batch %d/%d] %zu portraits, %d written, %d failed, %.0f ms\n", bi + 1, batches,
                std::min(portraits.size(), (bi + 1) * static_cast<size_t>(batch)) -
                    bi * static_cast<size_t>(batch),
                static_cast<int>(std::min(portraits.size(), (bi + 1) * static_cast<size_t>(batch)) -
                                 bi * static_cast<size_t>(batch)) -
                    failed_here,
                failed_here, ms_since(batch_start));
    std::fflush(stdout);
    // Release this batch's pixels.
    for (size_t i = bi * static_cast<size_t>(batch);
         i < std::min(portraits.size(), (bi + 1) * static_cast<size_t>(batch)); ++i) {
      portraits[i].photo = ImageU8{};
      portraits[i].labels = ImageU8{};
    }
  }

  print_timings(times, done, ms_since(run_start));
  int failed = 0;
  for (const Portrait& p : portraits) failed += !p.error.empty();
  std::printf("\nsummary: %d of %zu portraits written to %s", done, portraits.size(),
              o.out.c_str());
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

Command add_face_command(CLI::App& app) {
  auto o = std::make_shared<FaceOptions>();
  CLI::App* cmd = app.add_subcommand(
      "face",
      "Stage 1 over a folder: align, R-Net, 3DMM face, head crop, face depth map -> OUT/NAME.mat");
  cmd->add_option(
         "--images", o->images,
         "Folder of NAME.jpg|jpeg|png with NAME_landmark.txt or NAME_detection.txt and NAME.mat")
      ->required();
  cmd->add_option("--rnet", o->rnet, "The R-Net frozen graph (model_mask3_white_light.pb)")
      ->required();
  cmd->add_option("--bfm", o->bfm,
                  "Face model folder (BFM_model_front.mat, similarity_Lm3D_all.mat, center.mat, "
                  "border_index.mat)")
      ->required();
  cmd->add_option("--out", o->out, "Output folder (NAME.mat; previews in vis/)")->required();
  cmd->add_option("--device", o->device, "cpu or cuda")->capture_default_str();
  cmd->add_option("--batch", o->batch, "Portraits per batch")->capture_default_str();
  cmd->add_option("--landmarks", o->landmarks,
                  "auto (NAME_landmark.txt if present, else NAME_detection.txt), yup68, topleft68 "
                  "or detection5")
      ->check(CLI::IsMember({"auto", "yup68", "topleft68", "detection5"}))
      ->capture_default_str();
  cmd->add_option("--coeff-override", o->coeff_override,
                  "Debugging: 'zero' replaces the R-Net's coefficients by zeros (the mean face, "
                  "frontal, at the "
                  "origin); 'damped' scales them by 0.02 (a random-weight R-Net's output becomes a "
                  "mildly posed, "
                  "mildly shaped face)")
      ->check(CLI::IsMember({"none", "zero", "damped"}))
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0: all)")->capture_default_str();
  cmd->add_flag("!--no-previews", o->previews, "Do not write the PNG previews");
  cmd->add_flag("--save-decoded", o->save_decoded,
                "Also write each decoded photo as OUT/NAME.decoded.npy (for checks)");
  return Command{cmd, [o]() { return run_face(*o); }};
}

}  // namespace p3d::app
