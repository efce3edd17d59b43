// Host<->device traffic of the pipeline on CUDA, per step. The pipeline is not yet
// device-resident between stages: each unit takes host arrays, uploads them, runs its kernels
// and downloads its results. The units issue those copies through the device context
// (kernels/cuda/device_context.h upload / download), which counts the bytes; a step's share
// is what the counter moved while the step ran (HostTransferMeter). The networks' inputs and
// outputs are copied by the engine's backend instead, so the stages that run them add those
// sizes themselves (network_transfers). `portrait3d run` and `bench` print the result with
// --device cuda (docs/pipeline.md, "Host transfers on CUDA").
#pragma once

#include <cstdint>
#include <functional>

#include "engine/tensor.h"

namespace p3d {

struct HostTransferBytes {
  uint64_t up = 0;    // host to device
  uint64_t down = 0;  // device to host
  HostTransferBytes& operator+=(const HostTransferBytes& o) {
    up += o.up;
    down += o.down;
    return *this;
  }
  bool operator==(const HostTransferBytes& o) const { return up == o.up && down == o.down; }
  bool operator!=(const HostTransferBytes& o) const { return !(*this == o); }
};

// What a counter moved between an earlier and a later reading of it.
HostTransferBytes transfers_since(const HostTransferBytes& later, const HostTransferBytes& earlier);

// The bytes counted so far by the context of `device` that someone holds (the Reconstructor
// does for its lifetime). Zeros on the CPU, in a build without CUDA, and when no context is
// held: looking never creates one.
HostTransferBytes counted_host_transfers(const Device& device);

// A network run by the engine on `batch` slots (the padded batch BatchedNetwork copies):
// `input_floats` and `output_floats` per slot, 4 bytes each, up and down once.
HostTransferBytes network_transfers(int batch, size_t input_floats, size_t output_floats);

// Measures steps: take() returns what the counter moved since construction or the last
// take(), and restarts. The counter is read through `read`, so the bookkeeping is the same
// for the device context (the Device constructor) and for a test's fake.
class HostTransferMeter {
 public:
  explicit HostTransferMeter(Device device);
  explicit HostTransferMeter(std::function<HostTransferBytes()> read);
  HostTransferBytes take();

 private:
  std::function<HostTransferBytes()> read_;
  HostTransferBytes start_;
};

}  // namespace p3d
