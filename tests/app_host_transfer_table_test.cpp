// The "host transfers" table of `run` and `bench` (apps/host_transfer_table.h): byte
// formatting, printed on CUDA only, every step with its bytes and a total.
#include <gtest/gtest.h>

#include <string>

#include "apps/host_transfer_table.h"

namespace p3d::app {
namespace {

TEST(HostTransferTable, FormatsBytes) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1024), "1.00 KiB");
  EXPECT_EQ(format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(format_bytes(uint64_t{256} * 256 * 4 * 8), "2.00 MiB");
  EXPECT_EQ(format_bytes(uint64_t{300} << 20), "300.0 MiB");
  EXPECT_EQ(format_bytes(uint64_t{3} << 30), "3.00 GiB");
}

ReconstructionTimings sample() {
  ReconstructionTimings t;
  t.align_ms = 1;
  t.rnet_ms = 1;
  t.rnet_transfers = {uint64_t{2} * 224 * 224 * 3 * 4, 2 * 258 * 4};
  t.head.masks_ms = 1;
  t.head.masks_transfers = {2 * 65536 * 2, 4 * 2 * 65536};
  return t;
}

TEST(HostTransferTable, PrintedOnCudaOnly) {
  testing::internal::CaptureStdout();
  print_host_transfers(sample(), 2, Device{DeviceKind::CPU, 0});
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "");

  testing::internal::CaptureStdout();
  print_host_transfers(sample(), 2, Device{DeviceKind::CUDA, 0});
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("host transfers (cuda:0, 2 portraits"), std::string::npos) << out;
  EXPECT_NE(out.find("2 R-Net"), std::string::npos) << out;
  EXPECT_NE(out.find("1.15 MiB"), std::string::npos) << out;  // the R-Net's input batch
  EXPECT_NE(out.find("6 masks"), std::string::npos) << out;
  EXPECT_NE(out.find("1 align"), std::string::npos) << out;  // ran, moved nothing here
  EXPECT_NE(out.find("total "), std::string::npos) << out;
  EXPECT_EQ(out.find("3DMM"), std::string::npos) << "steps that did not run are left out";
}

}  // namespace
}  // namespace p3d::app
