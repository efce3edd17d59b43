// Builders for the photo resampling kernels: the head crops (kernels/crop_resample.h) and
// the face alignment (kernels/alignment.h). Each case is one batched call over photos of
// different sizes packed into one source buffer, with per-item params as a byte input
// (the CUDA launchers read them from device memory, the CPU loops from host memory).
#include <algorithm>
#include <string>

#include "kernels/cpu/alignment.h"
#include "kernels/cpu/crop_resample.h"
#include "tests/support/kernel_launch.h"
#include "tests/support/op_case_builders.h"

#if defined(P3D_WITH_CUDA)
#include "kernels/cuda/alignment.h"
#include "kernels/cuda/crop_resample.h"
#endif

namespace p3d::test::cases {
namespace {

const uint8_t* u8(const void* p) { return static_cast<const uint8_t*>(p); }

struct PhotoSize {
  int32_t w, h;
};

// Offsets of photos of these sizes packed one after another, and the total bytes.
std::vector<int64_t> packed_offsets(const std::vector<PhotoSize>& sizes, int32_t channels,
                                    int64_t* total) {
  std::vector<int64_t> offsets;
  *total = 0;
  for (const PhotoSize& s : sizes) {
    offsets.push_back(*total);
    *total += int64_t{s.w} * s.h * channels;
  }
  return offsets;
}

}  // namespace

OpCase crop_resample_case(bool cubic) {
  // cut_head_crops' two calls: cubic on the RGB photo, nearest on the 1-channel labels,
  // with windows reaching past every edge of the resized photo.
  const int32_t channels = cubic ? 3 : 1, crop = 256;
  const std::vector<PhotoSize> sizes = {{640, 480}, {333, 517}, {96, 128}};
  int64_t total = 0;
  const std::vector<int64_t> offsets = packed_offsets(sizes, channels, &total);
  std::vector<CropResampleParams> items;
  for (size_t b = 0; b < sizes.size(); ++b) {
    const int32_t k = static_cast<int32_t>(b), w = sizes[b].w, h = sizes[b].h;
    const int32_t sw = w * 3 / (k + 2), sh = h * 3 / (k + 2);
    items.push_back({offsets[b], w, h, sw, sh, sw / 2 - 128 + 7 * k, sh / 2 - 128 - 5 * k});
  }
  const CropBatchParams p{static_cast<int32_t>(items.size()), crop, crop, channels};
  OpCase c;
  c.op = cubic ? "crop_resample_cubic" : "crop_resample_nearest";
  c.name = std::string("crop_resample ") + (cubic ? "cubic" : "nearest") + " n" +
           std::to_string(p.batch) + " c" + std::to_string(channels) + " 640x480 333x517 96x128";
  c.inputs.push_back(
      input("src", Shape{total}, cubic ? uniform(0, 255) : uniform(0, 5), DType::U8));
  c.inputs.push_back(input("items", Shape{int64_t(items.size() * sizeof(CropResampleParams))},
                           contents(as_bytes(items)), DType::U8));
  c.out_shape = Shape{p.batch, crop, crop, channels};
  c.out_dtype = DType::U8;
  c.vs_cpu = Tolerance::identical();  // integer weights and exactly rounded coordinates
  c.bytes = byte_count(c);
  c.launch = [p, cubic](Backend& b, const LaunchArgs& a) {
    const auto* items = static_cast<const CropResampleParams*>(a.inputs[1]);
    auto* out = static_cast<uint8_t*>(a.output);
    run_kernel(
        b,
        [&] {
          if (cubic)
            cpu::crop_resample_cubic(p, items, u8(a.inputs[0]), out);
          else
            cpu::crop_resample_nearest(p, items, u8(a.inputs[0]), out);
        },
        [&](DeviceStream stream) {
#if defined(P3D_WITH_CUDA)
          const auto s = static_cast<cudaStream_t>(stream);
          if (cubic)
            cuda::crop_resample_cubic(p, items, u8(a.inputs[0]), out, s);
          else
            cuda::crop_resample_nearest(p, items, u8(a.inputs[0]), out, s);
#endif
        });
  };
  return c;
}

OpCase align_faces_case() {
  // Both resamplers, shrinking and enlarging, fractional and whole shifts, windows inside
  // and past the edges of the resized photo.
  const std::vector<PhotoSize> sizes = {{833, 1202}, {500, 600}};
  const int32_t channels = 3;
  int64_t total = 0;
  const std::vector<int64_t> offsets = packed_offsets(sizes, channels, &total);
  auto item = [&](int photo, AlignResampler r, int32_t sw, int32_t sh, int32_t left, int32_t up) {
    AlignItemParams it{};
    it.src_offset = offsets[static_cast<size_t>(photo)];
    it.src_w = sizes[static_cast<size_t>(photo)].w;
    it.src_h = sizes[static_cast<size_t>(photo)].h;
    it.resampler = r;
    it.scaled_w = sw;
    it.scaled_h = sh;
    it.left = left;
    it.up = up;
    return it;
  };
  std::vector<AlignItemParams> items;
  items.push_back(item(0, AlignResampler::kOpenCv, 291, 420, 36, 94));
  items.back().shift_ix = -3;
  items.back().shift_iy = 5;
  items.back().shift_fx = 7;
  items.back().shift_fy = 19;
  items.push_back(item(1, AlignResampler::kOpenCv, 250, 300, -5, 30));
  items.back().shift_ix = 10;
  items.back().shift_iy = -6;
  items.back().shift_fy = 31;
  items.push_back(item(1, AlignResampler::kOpenCv, 700, 840, 200, 300));  // enlarged
  items.push_back(item(0, AlignResampler::kPillow, 225, 325, 0, 50));
  items.back().pil_dx = 2.37;
  items.back().pil_dy = -4.61;
  items.push_back(item(1, AlignResampler::kPillow, 250, 300, 13, 40));
  items.back().pil_dx = -0.5;
  items.back().pil_dy = 0.25;
  items.push_back(item(1, AlignResampler::kPillow, 610, 730, 190, 250));  // enlarged
  const AlignBatchParams p{static_cast<int32_t>(items.size()), kAlignCropSize, channels};
  OpCase c;
  c.op = "align_faces";
  c.name = "align_faces n" + std::to_string(p.batch) + " opencv+pillow 833x1202 500x600";
  c.inputs.push_back(input("src", Shape{total}, uniform(0, 255), DType::U8));
  c.inputs.push_back(input("items", Shape{int64_t(items.size() * sizeof(AlignItemParams))},
                           contents(as_bytes(items)), DType::U8));
  c.out_shape = Shape{p.batch, p.crop, p.crop, channels};
  c.vs_cpu = Tolerance::identical();  // integer weights and exactly rounded coordinates
  c.bytes = byte_count(c);
  c.launch = [p, items](Backend& b, const LaunchArgs& a) {
    const auto* device_items = static_cast<const AlignItemParams*>(a.inputs[1]);
    run_kernel(
        b, [&] { cpu::align_faces(p, device_items, u8(a.inputs[0]), f32(a.output)); },
        [&](DeviceStream stream) {
#if defined(P3D_WITH_CUDA)
          cuda::align_faces(p, items.data(), device_items, u8(a.inputs[0]), f32(a.output),
                            static_cast<cudaStream_t>(stream));
#endif
        });
  };
  return c;
}

}  // namespace p3d::test::cases
