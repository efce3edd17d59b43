// compute_head_masks and stitch_ring_from_facemask: check the host inputs, turn the float
// render coverage into 0/1 bytes, then run the same four passes on either backend —
// split (kernels/*/head_masks.h), small-component removal of the stitch mask (T = 20),
// dilation ring of facemask_withouthair, small-component removal of the ring (T = 200) —
// and hand back per-portrait host arrays. The CUDA path is in head_masks_cuda.cpp (the
// device context's stream and reusable buffers), with one upload and one download per plane
// for the whole batch.
#include "pipeline/head_masks.h"

#include <cstdint>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "kernels/connected_components.h"
#include "kernels/cpu/connected_components.h"
#include "kernels/cpu/head_masks.h"
#include "kernels/error.h"
#include "kernels/head_masks.h"

namespace p3d {

#if defined(P3D_WITH_CUDA)
void head_masks_cuda(const uint8_t* labels, const uint8_t* coverage, int32_t batch,
                     std::vector<uint8_t>& hair_ear, std::vector<uint8_t>& stitch,
                     std::vector<uint8_t>& face_without_hair, std::vector<uint8_t>& ring,
                     int device_index);
void stitch_ring_cuda(const std::vector<uint8_t>& face_without_hair, int32_t batch,
                      std::vector<uint8_t>& ring, int device_index);
#endif

namespace {

constexpr size_t kPlane = static_cast<size_t>(kHeadMaskSize) * kHeadMaskSize;
#if defined(P3D_WITH_CUDA)
#endif

// The host-side planes of a batch, [N, 256, 256] each, 0/1.
struct Planes {
  std::vector<uint8_t> hair_ear, stitch, face_without_hair, ring;
};

void check_batch(const char* what, size_t values, int32_t batch, const char* name) {
  P3D_CHECK(batch >= 0, what, ": batch ", batch, " is negative");
  const size_t expected = static_cast<size_t>(batch) * kPlane;
  if (values != expected)
    P3D_THROW(what, ": ", name, " has ", values, " values, expected ", batch, " x ", kHeadMaskSize,
              " x ", kHeadMaskSize, " = ", expected);
}

// 0/1 floats to bytes; any other value (NaN included) is an error naming where it is.
std::vector<uint8_t> coverage_bytes(const char* what, const char* name,
                                    const std::vector<float>& values) {
  std::vector<uint8_t> bytes(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const float v = values[i];
    if (v == 0.f) {
      bytes[i] = 0;
    } else if (v == 1.f) {
      bytes[i] = 1;
    } else {
      const size_t local = i % kPlane;
      P3D_THROW(what, ": ", name, " of portrait ", i / kPlane, " at pixel (row ",
                local / kHeadMaskSize, ", col ", local % kHeadMaskSize, ") is ", v,
                "; it must be 0 or 1");
    }
  }
  return bytes;
}

void check_labels(const std::vector<uint8_t>& labels, const HeadMaskOptions& options) {
  if (options.unknown_labels_as_background) return;  // split_segmask: neither face nor hair
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] <= kLabelMax) continue;
    const size_t local = i % kPlane;
    P3D_THROW("compute_head_masks: label ", static_cast<int>(labels[i]), " of portrait ",
              i / kPlane, " at pixel (row ", local / kHeadMaskSize, ", col ", local % kHeadMaskSize,
              ") is not a face-parsing class (0 background, 1 face, 2 hair, 3 left ear, 4 right "
              "ear, 5 inner mouth); set HeadMaskOptions::unknown_labels_as_background to treat "
              "such labels as background like the original");
  }
}

HeadMaskParams mask_params(int32_t batch) { return {batch, kHeadMaskSize, kHeadMaskSize}; }

SmallComponentParams component_params(int32_t batch, int32_t min_size) {
  return {batch, kHeadMaskSize, kHeadMaskSize, min_size};
}

// ---- CPU ------------------------------------------------------------------------------------

void remove_small_cpu(int32_t batch, int32_t min_size, std::vector<uint8_t>& mask) {
  const SmallComponentParams p = component_params(batch, min_size);
  std::vector<int32_t> workspace(small_component_workspace_bytes(p) / sizeof(int32_t));
  SmallComponentBuffers b;
  b.mask = mask.data();
  b.kept = mask.data();  // in place: the kernel reads the mask before it writes
  cpu::remove_small_components(cpu::ThreadPool::global(), p, b, workspace.data());
}

void ring_cpu(int32_t batch, Planes& planes) {
  planes.ring.resize(planes.face_without_hair.size());
  cpu::dilation_ring(cpu::ThreadPool::global(), mask_params(batch), planes.face_without_hair.data(),
                     planes.ring.data());
  remove_small_cpu(batch, kStitchRingMinPixels, planes.ring);
}

void masks_cpu(const uint8_t* labels, const uint8_t* coverage, int32_t batch, Planes& planes) {
  const size_t pixels = static_cast<size_t>(batch) * kPlane;
  planes.hair_ear.resize(pixels);
  planes.stitch.resize(pixels);
  planes.face_without_hair.resize(pixels);
  HeadMaskOutputs out;
  out.hair_ear = planes.hair_ear.data();
  out.stitch = planes.stitch.data();
  out.face_without_hair = planes.face_without_hair.data();
  cpu::head_mask_split(cpu::ThreadPool::global(), mask_params(batch), {labels, coverage}, out);
  remove_small_cpu(batch, kStitchMinPixels, planes.stitch);
  ring_cpu(batch, planes);
}

// Throws when CUDA was asked for and cannot run; true when the CUDA path should be taken.
bool use_cuda(const char* what, Device device) {
  if (device.kind != DeviceKind::CUDA) return false;
  std::string reason;
  if (!cuda_available(&reason)) P3D_THROW(what, " on CUDA: ", reason);
  return true;
}

std::vector<uint8_t> plane_of(const std::vector<uint8_t>& all, int32_t n) {
  return std::vector<uint8_t>(all.begin() + n * kPlane, all.begin() + (n + 1) * kPlane);
}

}  // namespace

std::vector<HeadMasks> compute_head_masks(const std::vector<uint8_t>& labels,
                                          const std::vector<float>& render_mask, int32_t batch,
                                          Device device, const HeadMaskOptions& options) {
  const char* what = "compute_head_masks";
  check_batch(what, labels.size(), batch, "labels");
  check_batch(what, render_mask.size(), batch, "render_mask");
  check_labels(labels, options);
  const std::vector<uint8_t> coverage = coverage_bytes(what, "render_mask", render_mask);
  Planes planes;
  if (batch > 0) {
    if (use_cuda(what, device)) {
#if defined(P3D_WITH_CUDA)
      head_masks_cuda(labels.data(), coverage.data(), batch, planes.hair_ear, planes.stitch,
                      planes.face_without_hair, planes.ring, device.index);
#endif
    } else {
      masks_cpu(labels.data(), coverage.data(), batch, planes);
    }
  }
  std::vector<HeadMasks> result(batch);
  for (int32_t n = 0; n < batch; ++n) {
    HeadMasks& m = result[n];
    m.stitch_mask = plane_of(planes.stitch, n);
    m.hair_ear_mask = plane_of(planes.hair_ear, n);
    m.stitch_ring = plane_of(planes.ring, n);
    m.facemask_withouthair.resize(kPlane);
    for (size_t i = 0; i < kPlane; ++i)
      m.facemask_withouthair[i] = planes.face_without_hair[n * kPlane + i] ? 1.f : 0.f;
  }
  return result;
}

std::vector<uint8_t> stitch_ring_from_facemask(const std::vector<float>& facemask_withouthair,
                                               int32_t batch, Device device) {
  const char* what = "stitch_ring_from_facemask";
  check_batch(what, facemask_withouthair.size(), batch, "facemask_withouthair");
  Planes planes;
  planes.face_without_hair = coverage_bytes(what, "facemask_withouthair", facemask_withouthair);
  if (batch == 0) return {};
  if (use_cuda(what, device)) {
#if defined(P3D_WITH_CUDA)
    stitch_ring_cuda(planes.face_without_hair, batch, planes.ring, device.index);
#endif
  } else {
    ring_cpu(batch, planes);
  }
  return planes.ring;
}

}  // namespace p3d
