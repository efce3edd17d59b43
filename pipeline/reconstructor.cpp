// Reconstructor (reconstructor.h): the stages in order, batch by batch, with one bad
// portrait isolated by rerunning its batch's stage item by item. On CUDA it holds the
// device's context (kernels/cuda/device_context.h) for its lifetime, so the engine's backend
// and every pipeline unit it calls share one stream, one set of handles and one set of
// reusable buffers: after the first batch at full size, a batch creates and allocates nothing.
#include "pipeline/reconstructor.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <exception>

#include "engine/backend.h"
#include "kernels/error.h"
#include "kernels/face3dmm.h"
#include "pipeline/depth_network.h"
#include "pipeline/face_network.h"

#if defined(P3D_WITH_CUDA)
#include "kernels/cuda/device_context.h"
#endif

namespace p3d {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Runs `stage` over the whole batch; if it throws, reruns each item alone so that only the
// bad ones fail, with "what: reason" recorded on their results.
template <typename In, typename Out, typename Stage>
std::vector<std::pair<size_t, Out>> run_isolated(const std::vector<In>& inputs,
                                                 const std::vector<PortraitResult*>& owners,
                                                 const char* what, Stage&& stage) {
  std::vector<std::pair<size_t, Out>> results;
  if (inputs.empty()) return results;
  try {
    std::vector<Out> all = stage(inputs);
    for (size_t k = 0; k < all.size(); ++k) results.emplace_back(k, std::move(all[k]));
    return results;
  } catch (const std::exception& e) {
    if (inputs.size() == 1) {
      owners[0]->error = std::string(what) + ": " + e.what();
      return results;
    }
  }
  for (size_t k = 0; k < inputs.size(); ++k) {
    try {
      std::vector<Out> one = stage(std::vector<In>{inputs[k]});
      results.emplace_back(k, std::move(one.at(0)));
    } catch (const std::exception& e) {
      owners[k]->error = std::string(what) + ": " + e.what();
    }
  }
  return results;
}

}  // namespace

struct Reconstructor::Impl {
  ReconstructorOptions options;
  FaceModel model;
  AlignmentReference reference;
#if defined(P3D_WITH_CUDA)
  // Declared before everything that uses it, so it goes last.
  std::shared_ptr<cuda::DeviceContext> device_context;
#endif
  std::unique_ptr<Backend> backend;
  std::unique_ptr<FaceNetwork> rnet;
  std::unique_ptr<DepthNetwork> depth_net;
  std::unique_ptr<FaceStage> face_stage;
  std::unique_ptr<HeadStage> head_stage;

  void run_batch(const std::vector<const PortraitInput*>& inputs,
                 std::vector<PortraitResult*>& results, ReconstructionTimings& t);
};

Reconstructor::Reconstructor(const ReconstructorOptions& o) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.options = o;
  P3D_CHECK(o.max_batch >= 1, "reconstructor: max_batch must be at least 1, got ", o.max_batch);
  if (o.device.kind == DeviceKind::CUDA) {
    std::string reason;
    if (!cuda_available(&reason)) P3D_THROW("reconstructor: CUDA requested but ", reason);
  }
  m.model = load_face_model(o.face_model_dir);
  m.reference = AlignmentReference::from_points(m.model.similarity_lm3d.data());
#if defined(P3D_WITH_CUDA)
  if (o.device.kind == DeviceKind::CUDA)
    m.device_context = cuda::acquire_device_context(o.device.index);
#endif
  m.backend = o.device.kind == DeviceKind::CUDA ? make_cuda_backend(o.device.index, o.precision)
                                                : make_cpu_backend(o.threads, o.precision);
  m.rnet = std::make_unique<FaceNetwork>(o.rnet_path, *m.backend, o.max_batch);
  m.face_stage = std::make_unique<FaceStage>(m.model, o.device, o.face_colors);
  if (!o.stop_after_face) {
    m.depth_net = std::make_unique<DepthNetwork>(o.depth_net_path, *m.backend, o.max_batch);
    m.head_stage =
        std::make_unique<HeadStage>(m.model, m.face_stage->triangles(), *m.depth_net, o.device);
  }
}

Reconstructor::~Reconstructor() = default;

void ReconstructionTimings::add(const ReconstructionTimings& o) {
  align_ms += o.align_ms;
  rnet_ms += o.rnet_ms;
  face_mesh_ms += o.face_mesh_ms;
  align_transfers += o.align_transfers;
  rnet_transfers += o.rnet_transfers;
  face_mesh_transfers += o.face_mesh_transfers;
  face.add(o.face);
  head.add(o.head);
}

namespace {

// The report's steps in order: the name and why the step touches the host on CUDA.
struct StepInfo {
  const char* name;
  const char* why;
};

constexpr StepInfo kSteps[] = {
    {"1 align (224 crops)",
     "photos arrive as host images and go up once; the crops stay on the device for the R-Net"},
    {"2 R-Net",
     "its input is the alignment's device buffer; the coefficients come down (sizes counted at "
     "the call): the host checks them and plans the head crops"},
    {"3 3DMM shape, pose, projection",
     "shape, projection and landmarks come back for the host's head-crop geometry"},
    {"4 head crop geometry + record",
     "POS moments and the crop projection come back: the crop geometry runs on the host"},
    {"4 head crop resampling",
     "the labels go up (the photos are the alignment's upload); the crops come back for the "
     "record"},
    {"5 render face depth + mask",
     "the face render comes back: the record and the head stage read it on the host"},
    {"6 masks", "labels and coverage go up; the planes come back for steps 7 and 8"},
    {"7 hair/ear triangulation",
     "output size is data-dependent: the counts come back to size it, then the grid mesh"},
    {"8 depth net (input + network)",
     "its input is assembled on the host; the engine copies it up and the depth down"},
    {"9 back-projection + colours",
     "per portrait: crop, depth and points go up; vertices and colours come back"},
    {"10 render head depth + mask",
     "per portrait: the head mesh is assembled on the host, uploaded, its render read back"},
    {"11 stitching", "the searches' results come back for the host's de-duplication and Delaunay"},
    {"12 mesh assembly", "runs on the host: concatenation of the parts, no copies"},
    {"face-only mesh", "face colours are sampled on the device; the mesh is built on the host"},
};
constexpr size_t kStepCount = sizeof(kSteps) / sizeof(kSteps[0]);

struct StepValues {
  double ms;
  HostTransferBytes transfers;
};

// The timings' values in kSteps order.
std::array<StepValues, kStepCount> step_values(const ReconstructionTimings& t) {
  return {{{t.align_ms, t.align_transfers},
           {t.rnet_ms, t.rnet_transfers},
           {t.face.reconstruct_ms, t.face.reconstruct_transfers},
           {t.face.crop_geometry_ms, t.face.crop_geometry_transfers},
           {t.face.crop_images_ms, t.face.crop_images_transfers},
           {t.face.render_ms, t.face.render_transfers},
           {t.head.masks_ms, t.head.masks_transfers},
           {t.head.triangulate_ms, t.head.triangulate_transfers},
           {t.head.depth_net_ms, t.head.depth_net_transfers},
           {t.head.geometry_ms, t.head.geometry_transfers},
           {t.head.render_ms, t.head.render_transfers},
           {t.head.stitch_ms, t.head.stitch_transfers},
           {t.head.mesh_ms, t.head.mesh_transfers},
           {t.face_mesh_ms, t.face_mesh_transfers}}};
}

}  // namespace

std::vector<std::pair<std::string, double>> ReconstructionTimings::rows() const {
  const std::array<StepValues, kStepCount> values = step_values(*this);
  std::vector<std::pair<std::string, double>> out;
  for (size_t i = 0; i < kStepCount; ++i) out.emplace_back(kSteps[i].name, values[i].ms);
  return out;
}

std::vector<HostTransferRow> ReconstructionTimings::host_transfer_rows() const {
  const std::array<StepValues, kStepCount> values = step_values(*this);
  std::vector<HostTransferRow> out;
  for (size_t i = 0; i < kStepCount; ++i) {
    if (!(values[i].ms > 0)) continue;  // the step did not run
    HostTransferRow row;
    row.step = kSteps[i].name;
    row.bytes = values[i].transfers;
    row.why = kSteps[i].why;
    out.push_back(row);
  }
  return out;
}

const FaceModel& Reconstructor::face_model() const { return impl_->model; }
const AlignmentReference& Reconstructor::alignment_reference() const { return impl_->reference; }
const std::vector<int32_t>& Reconstructor::face_triangles() const {
  return impl_->face_stage->triangles();
}
Device Reconstructor::device() const { return impl_->options.device; }

std::vector<PortraitResult> Reconstructor::reconstruct(const std::vector<PortraitInput>& portraits,
                                                       ReconstructionTimings* timings) {
  std::vector<PortraitResult> results(portraits.size());
  ReconstructionTimings t;
  const size_t batch = static_cast<size_t>(impl_->options.max_batch);
  for (size_t first = 0; first < portraits.size(); first += batch) {
    std::vector<const PortraitInput*> in;
    std::vector<PortraitResult*> out;
    for (size_t i = first; i < std::min(portraits.size(), first + batch); ++i) {
      results[i].name = portraits[i].name;
      in.push_back(&portraits[i]);
      out.push_back(&results[i]);
    }
    impl_->run_batch(in, out, t);
  }
  if (timings) *timings = t;
  return results;
}

void Reconstructor::Impl::run_batch(const std::vector<const PortraitInput*>& inputs,
                                    std::vector<PortraitResult*>& results,
                                    ReconstructionTimings& t) {
  // 1. Alignment plans: a bad photo or landmark set fails only its portrait.
  std::vector<FaceAlignment> plans;
  std::vector<const PortraitInput*> live;
  std::vector<PortraitResult*> live_results;
  std::vector<ImageU8> blank_labels(inputs.size());
  for (size_t k = 0; k < inputs.size(); ++k) {
    const PortraitInput& p = *inputs[k];
    PortraitResult& r = *results[k];
    try {
      P3D_CHECK(p.photo && !p.photo->empty() && p.photo->channels == 3, "no 3-channel photo given");
      P3D_CHECK(
          p.landmarks.image_width == p.photo->width && p.landmarks.image_height == p.photo->height,
          "the landmarks were read for a ", p.landmarks.image_width, "x", p.landmarks.image_height,
          " image but the photo is ", p.photo->width, "x", p.photo->height);
      if (p.labels) {
        P3D_CHECK(p.labels->width == p.photo->width && p.labels->height == p.photo->height &&
                      p.labels->channels == 1,
                  "the labels are ", p.labels->width, "x", p.labels->height, "x",
                  p.labels->channels, " but the photo is ", p.photo->width, "x", p.photo->height);
      } else {
        r.face_only = true;
      }
      plans.push_back(plan_alignment(p.landmarks, reference));
      live.push_back(&p);
      live_results.push_back(&r);
    } catch (const std::exception& e) {
      r.error = std::string("alignment: ") + e.what();
    }
  }
  if (live.empty()) return;

  Clock::time_point start = Clock::now();
  HostTransferMeter align_meter(options.device);
  std::vector<const ImageU8*> photos;
  for (const PortraitInput* p : live) photos.push_back(p->photo);
  const int count = static_cast<int>(live.size());
  const bool on_gpu = options.device.kind == DeviceKind::CUDA;
  // On a GPU the crops stay there for the R-Net (the padded batch, on the shared stream).
  std::vector<float> aligned;
  DeviceAlignment device_aligned;
  if (on_gpu)
    device_aligned = align_images_on_device(photos, plans, rnet->batch(), options.device);
  else
    aligned = align_images(photos, plans, options.device);
  t.align_ms += ms_since(start);
  t.align_transfers += align_meter.take();

  // 2. The R-Net.
  start = Clock::now();
  std::vector<float> coeffs = on_gpu
                                  ? rnet->run_on_device(device_aligned.crops, options.device, count)
                                  : rnet->run(aligned.data(), count);
  t.rnet_ms += ms_since(start);
  if (on_gpu)  // the engine's copies: the coefficients of the padded batch come down
    t.rnet_transfers += network_transfers(rnet->batch(), 0, coeffs.size() / count);
  if (options.coeff_scale != 1.f)
    for (float& c : coeffs) c *= options.coeff_scale;
  const int stride = rnet->coeff_count();

  // 3-5. The face stage.
  std::vector<FacePortrait> face_in;
  std::vector<PortraitResult*> face_owners;
  for (size_t k = 0; k < live.size(); ++k) {
    const float* row = coeffs.data() + k * stride;
    const int bad = first_nonfinite_coefficient(row, FaceCoeff::kCount);
    if (bad >= 0) {
      live_results[k]->error =
          "R-Net: a non-finite coefficient (index " + std::to_string(bad) + ")";
      continue;
    }
    const PortraitInput& p = *live[k];
    const ImageU8* labels = p.labels;
    if (!labels) {  // face-only: every pixel background
      ImageU8& blank = blank_labels[k];
      blank.width = p.photo->width;
      blank.height = p.photo->height;
      blank.channels = 1;
      blank.pixels.assign(static_cast<size_t>(blank.width) * blank.height, 0);
      labels = &blank;
    }
    FacePortrait in;
    in.coeffs = row;
    in.inv_scale = plans[k].inv_scale;
    in.inv_offset[0] = plans[k].inv_offset[0];
    in.inv_offset[1] = plans[k].inv_offset[1];
    in.photo = ImageU8View{p.photo->data(), p.photo->width, p.photo->height, p.photo->channels};
    in.labels = ImageU8View{labels->data(), labels->width, labels->height, 1};
    if (on_gpu) in.device_photo = device_aligned.photos[k];  // uploaded once, in step 1
    face_in.push_back(in);
    face_owners.push_back(live_results[k]);
  }
  auto records = run_isolated<FacePortrait, Step1Record>(face_in, face_owners, "face stage",
                                                         [&](const std::vector<FacePortrait>& in) {
                                                           FaceStageTimings ft;
                                                           auto r = face_stage->run(in, &ft);
                                                           t.face.add(ft);
                                                           return r;
                                                         });
  std::vector<const Step1Record*> head_in;
  std::vector<PortraitResult*> head_owners;
  for (auto& [k, record] : records) {
    PortraitResult& r = *face_owners[k];
    r.step1 = std::move(record);
    if (options.stop_after_face) continue;
    if (r.face_only) {
      start = Clock::now();
      HostTransferMeter face_mesh_meter(options.device);
      try {
        r.face = build_face_only(r.step1, options.device);
      } catch (const std::exception& e) {
        r.error = std::string("face mesh: ") + e.what();
      }
      t.face_mesh_ms += ms_since(start);
      t.face_mesh_transfers += face_mesh_meter.take();
      continue;
    }
    head_in.push_back(&r.step1);
    head_owners.push_back(&r);
  }
  if (head_in.empty()) return;

  // 6-12. The head stage.
  auto heads = run_isolated<const Step1Record*, HeadResult>(
      head_in, head_owners, "head stage", [&](const std::vector<const Step1Record*>& in) {
        HeadStageTimings ht;
        auto r = head_stage->run(in, &ht);
        t.head.add(ht);
        return r;
      });
  for (auto& [k, head] : heads) head_owners[k]->head = std::move(head);
}

}  // namespace p3d
