// The bookkeeping of pipeline/host_transfers.h; reading the device context's counter is in
// host_transfers_cuda.cpp (CUDA builds) or below (builds without CUDA: nothing to count).
#include "pipeline/host_transfers.h"

#include <utility>

#include "kernels/error.h"

namespace p3d {

HostTransferBytes transfers_since(const HostTransferBytes& later,
                                  const HostTransferBytes& earlier) {
  // The counters only grow: a later reading below an earlier one means two counters were mixed.
  P3D_CHECK(later.up >= earlier.up && later.down >= earlier.down,
            "host transfers: a later reading (", later.up, " up, ", later.down,
            " down) is below an earlier one (", earlier.up, " up, ", earlier.down, " down)");
  return {later.up - earlier.up, later.down - earlier.down};
}

HostTransferBytes network_transfers(int batch, size_t input_floats, size_t output_floats) {
  const uint64_t slots = batch > 0 ? static_cast<uint64_t>(batch) : 0;
  return {slots * input_floats * sizeof(float), slots * output_floats * sizeof(float)};
}

#if !defined(P3D_WITH_CUDA)
HostTransferBytes counted_host_transfers(const Device&) { return {}; }
#endif

HostTransferMeter::HostTransferMeter(Device device)
    : HostTransferMeter([device] { return counted_host_transfers(device); }) {}

HostTransferMeter::HostTransferMeter(std::function<HostTransferBytes()> read)
    : read_(std::move(read)), start_(read_()) {}

HostTransferBytes HostTransferMeter::take() {
  const HostTransferBytes now = read_();
  const HostTransferBytes step = transfers_since(now, start_);
  start_ = now;
  return step;
}

}  // namespace p3d
