// The whole Reconstructor on CUDA, twice on the same batch: the second run creates no stream
// or handle and allocates nothing on the device context that the engine's backend and every
// pipeline unit share (kernels/cuda/device_context.h), and the host transfers it reports
// (pipeline/host_transfers.h) are those of the first run, attributed step by step to what the
// context's counter moved. The engine's own arenas and weights are allocated when the
// networks are compiled, before the first run. Uses the demo's stand-in networks and
// synthetic portrait (generated once into a temporary cache). CUDA only: skips without a
// GPU (fails under P3D_REQUIRE_CUDA=1).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/reconstructor.h"
#include "pipeline/standin_cache.h"
#include "pipeline/synthetic_portrait.h"
#include "tests/support/require_cuda.h"

#if defined(P3D_WITH_CUDA)
#include "kernels/cuda/device_context.h"
#endif

namespace p3d {
namespace {

#if defined(P3D_WITH_CUDA)

// What the device context has counted and made so far.
struct ContextReading {
  size_t allocations = 0, creations = 0;
  HostTransferBytes transfers;
};

ContextReading read(const cuda::DeviceContext& c) {
  return {c.allocations(), c.stream_and_handle_creations(),
          HostTransferBytes{c.bytes_uploaded(), c.bytes_downloaded()}};
}

// The rows' bytes, leaving out the networks' steps: the engine makes those copies, outside
// the context's counter, and the stages add their sizes themselves.
HostTransferBytes counter_share(const std::vector<HostTransferRow>& rows) {
  HostTransferBytes sum;
  for (const HostTransferRow& r : rows)
    if (r.step != "2 R-Net" && r.step != "8 depth net (input + network)") sum += r.bytes;
  return sum;
}

TEST(ReconstructorSteadyState, SecondRunOnCudaCreatesAndAllocatesNothing) {
  P3D_SKIP_WITHOUT_CUDA();
  const std::filesystem::path cache =
      std::filesystem::temp_directory_path() / "portrait3d-steady-state-test";
  const StandinAssets assets = ensure_standin_assets(cache.string());
  ReconstructorOptions o;
  o.rnet_path = assets.rnet_path;
  o.depth_net_path = assets.depth_net_path;
  o.face_model_dir = assets.face_model_dir;
  o.device = Device{DeviceKind::CUDA, 0};
  o.max_batch = 2;
  Reconstructor reconstructor(o);
  const std::shared_ptr<cuda::DeviceContext> context = cuda::held_device_context(0);
  ASSERT_NE(context, nullptr) << "the Reconstructor holds the device's context";

  // Two portraits in one batch (the same synthetic one twice), with labels: the head path.
  const SyntheticPortrait portrait = make_synthetic_portrait(reconstructor.face_model());
  std::vector<PortraitInput> batch(2);
  for (size_t i = 0; i < batch.size(); ++i) {
    PortraitInput& in = batch[i];
    in.name = "portrait" + std::to_string(i);
    in.photo = &portrait.photo;
    in.labels = &portrait.labels;
    in.landmarks.convention = LandmarkConvention::YUp68;
    in.landmarks.image_width = portrait.photo.width;
    in.landmarks.image_height = portrait.photo.height;
    in.landmarks.points = portrait.landmarks;
  }

  ReconstructionTimings first_timings;
  const std::vector<PortraitResult> first = reconstructor.reconstruct(batch, &first_timings);
  for (const PortraitResult& r : first) ASSERT_TRUE(r.ok()) << r.name << ": " << r.error;
  const ContextReading before = read(*context);

  ReconstructionTimings second_timings;
  const std::vector<PortraitResult> second = reconstructor.reconstruct(batch, &second_timings);
  for (const PortraitResult& r : second) ASSERT_TRUE(r.ok()) << r.name << ": " << r.error;
  const ContextReading after = read(*context);

  EXPECT_EQ(after.allocations, before.allocations) << "the second run allocated device memory";
  EXPECT_EQ(after.creations, before.creations) << "the second run created a stream or handle";
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(second[i].mesh().positions.size(), first[i].mesh().positions.size());
    EXPECT_GT(second[i].head.mesh.hair_ear_vertex_count, 0);
  }

  // The report: every step that ran, the same bytes both runs, and the counter's movement
  // during the second run exactly the sum of its steps' counted shares.
  const std::vector<HostTransferRow> rows = second_timings.host_transfer_rows();
  const std::vector<HostTransferRow> first_rows = first_timings.host_transfer_rows();
  ASSERT_EQ(rows.size(), first_rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].step, first_rows[i].step);
    EXPECT_EQ(rows[i].bytes, first_rows[i].bytes) << rows[i].step;
    EXPECT_FALSE(rows[i].why.empty()) << rows[i].step;
    std::printf("  %-32s up %12llu down %12llu\n", rows[i].step.c_str(),
                static_cast<unsigned long long>(rows[i].bytes.up),
                static_cast<unsigned long long>(rows[i].bytes.down));
  }
  EXPECT_EQ(transfers_since(after.transfers, before.transfers), counter_share(rows));
  // The head stage's units go through the counter: each moves bytes both ways.
  for (const HostTransferBytes& step :
       {second_timings.head.masks_transfers, second_timings.head.triangulate_transfers,
        second_timings.head.depth_net_transfers, second_timings.head.geometry_transfers,
        second_timings.head.stitch_transfers}) {
    EXPECT_GT(step.up, 0u);
    EXPECT_GT(step.down, 0u);
  }
  EXPECT_EQ(second_timings.head.mesh_transfers, HostTransferBytes{}) << "step 12 is host-only";
  // The R-Net reads the alignment's device buffer: its crops neither come down nor go up;
  // only the photos go up, and the padded batch's coefficients come down.
  EXPECT_EQ(second_timings.align_transfers.down, 0u);
  EXPECT_GT(second_timings.align_transfers.up, 0u);
  EXPECT_EQ(second_timings.rnet_transfers.up, 0u);
  EXPECT_GT(second_timings.rnet_transfers.down, 0u);
}

#else

TEST(ReconstructorSteadyState, NeedsACudaBuild) { P3D_CUDA_SKIP("this build has no CUDA backend"); }

#endif

}  // namespace
}  // namespace p3d
