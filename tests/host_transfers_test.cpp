// The host-transfer bookkeeping (pipeline/host_transfers.h, ReconstructionTimings): the byte
// pair's arithmetic, the meter's step deltas over a fake counter, the networks' padded-batch
// sizes, the timings' sums and the report's rows. On the host: what the device context
// counts on a GPU is checked in reconstructor_steady_state_test.cpp.
#include "pipeline/host_transfers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernels/error.h"
#include "pipeline/reconstructor.h"

namespace p3d {
namespace {

TEST(HostTransferBytes, AddsAndSubtractsReadings) {
  HostTransferBytes a{10, 20};
  a += HostTransferBytes{1, 2};
  EXPECT_EQ(a, (HostTransferBytes{11, 22}));
  EXPECT_EQ(transfers_since(HostTransferBytes{15, 30}, a), (HostTransferBytes{4, 8}));
  EXPECT_EQ(transfers_since(a, a), HostTransferBytes{});
  // A later reading below an earlier one means two counters were mixed up.
  EXPECT_THROW(transfers_since(HostTransferBytes{10, 40}, a), Error);
  EXPECT_THROW(transfers_since(HostTransferBytes{40, 10}, a), Error);
}

TEST(HostTransferMeter, TakesEachStepsShareAndRestarts) {
  HostTransferBytes counter{100, 7};  // a counter that already moved before the meter
  HostTransferMeter meter([&] { return counter; });
  counter += HostTransferBytes{50, 5};
  EXPECT_EQ(meter.take(), (HostTransferBytes{50, 5}));
  EXPECT_EQ(meter.take(), HostTransferBytes{}) << "take() restarts the step";
  counter += HostTransferBytes{1, 0};
  counter += HostTransferBytes{0, 3};
  EXPECT_EQ(meter.take(), (HostTransferBytes{1, 3}));
}

TEST(HostTransferMeter, CountsNothingOnTheCpu) {
  HostTransferMeter meter(Device{DeviceKind::CPU, 0});
  EXPECT_EQ(meter.take(), HostTransferBytes{});
  EXPECT_EQ(counted_host_transfers(Device{DeviceKind::CPU, 0}), HostTransferBytes{});
}

TEST(HostTransferMeter, NetworkCopiesAreThePaddedBatch) {
  // BatchedNetwork copies every slot of its batch, however many portraits fill it.
  EXPECT_EQ(network_transfers(8, 224 * 224 * 3, 258),
            (HostTransferBytes{uint64_t{8} * 224 * 224 * 3 * 4, uint64_t{8} * 258 * 4}));
  EXPECT_EQ(network_transfers(0, 10, 10), HostTransferBytes{});
}

ReconstructionTimings sample_timings() {
  ReconstructionTimings t;
  t.align_ms = 1;
  t.align_transfers = {3, 4};
  t.rnet_ms = 2;
  t.rnet_transfers = {100, 10};
  t.face.render_ms = 1;
  t.face.render_transfers = {5, 6};
  t.head.masks_ms = 1;
  t.head.masks_transfers = {7, 8};
  t.head.mesh_ms = 1;  // runs, on the host
  return t;
}

TEST(ReconstructionTimingsTransfers, AddSumsEveryStep) {
  ReconstructionTimings sum = sample_timings();
  sum.add(sample_timings());
  EXPECT_EQ(sum.align_transfers, (HostTransferBytes{6, 8}));
  EXPECT_EQ(sum.rnet_transfers, (HostTransferBytes{200, 20}));
  EXPECT_EQ(sum.face.render_transfers, (HostTransferBytes{10, 12}));
  EXPECT_EQ(sum.head.masks_transfers, (HostTransferBytes{14, 16}));
  EXPECT_EQ(sum.head.mesh_transfers, HostTransferBytes{});
  ReconstructionTimings head;
  head.head.stitch_transfers = {1, 2};
  head.head.geometry_transfers = {3, 4};
  head.face_mesh_transfers = {5, 6};
  sum.add(head);
  EXPECT_EQ(sum.head.stitch_transfers, (HostTransferBytes{1, 2}));
  EXPECT_EQ(sum.head.geometry_transfers, (HostTransferBytes{3, 4}));
  EXPECT_EQ(sum.face_mesh_transfers, (HostTransferBytes{5, 6}));
}

TEST(ReconstructionTimingsTransfers, RowsAreTheStepsThatRanInTimingOrder) {
  const ReconstructionTimings t = sample_timings();
  const std::vector<HostTransferRow> rows = t.host_transfer_rows();
  std::vector<std::string> ran;
  for (const auto& [name, ms] : t.rows())
    if (ms > 0) ran.push_back(name);
  ASSERT_EQ(rows.size(), ran.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].step, ran[i]);
    EXPECT_FALSE(rows[i].why.empty()) << rows[i].step;
  }
  EXPECT_EQ(rows[0].bytes, (HostTransferBytes{3, 4}));  // 1 align
  EXPECT_EQ(rows[1].bytes, (HostTransferBytes{100, 10}));
  EXPECT_EQ(rows.back().step, "12 mesh assembly");
  EXPECT_EQ(rows.back().bytes, HostTransferBytes{});
  EXPECT_TRUE(ReconstructionTimings{}.host_transfer_rows().empty());
}

}  // namespace
}  // namespace p3d
