// See host_transfer_table.h.
#include "apps/host_transfer_table.h"

#include <cstdio>
#include <vector>

namespace p3d::app {

std::string format_bytes(uint64_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < sizeof(kUnits) / sizeof(kUnits[0])) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, value < 100 ? "%.2f %s" : "%.1f %s", value, kUnits[unit]);
  return text;
}

void print_host_transfers(const ReconstructionTimings& timings, int portraits, const Device& device,
                          const std::string& label) {
  if (device.kind != DeviceKind::CUDA) return;
  const std::vector<HostTransferRow> rows = timings.host_transfer_rows();
  if (rows.empty()) return;
  std::printf("\nhost transfers (%s, %d portraits; each stage takes and returns host arrays):\n",
              (label.empty() ? device.str() : label).c_str(), portraits);
  std::printf("  %-32s %11s %11s  %s\n", "step", "up", "down", "why");
  HostTransferBytes total;
  for (const HostTransferRow& r : rows) {
    std::printf("  %-32s %11s %11s  %s\n", r.step.c_str(), format_bytes(r.bytes.up).c_str(),
                format_bytes(r.bytes.down).c_str(), r.why.c_str());
    total += r.bytes;
  }
  std::printf("  %-32s %11s %11s\n", "total", format_bytes(total.up).c_str(),
              format_bytes(total.down).c_str());
}

}  // namespace p3d::app
