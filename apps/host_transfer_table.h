// The "host transfers" table `run` and `bench` print after their timings on CUDA: per step,
// the bytes it copied host -> device and device -> host and why it touches the host at all
// (ReconstructionTimings::host_transfer_rows, docs/pipeline.md "Host transfers on CUDA").
#pragma once

#include <cstdint>
#include <string>

#include "engine/tensor.h"
#include "pipeline/reconstructor.h"

namespace p3d::app {

// "0 B", "512 B", "12.0 KiB", "3.25 MiB", "1.50 GiB".
std::string format_bytes(uint64_t bytes);

// Prints the table for `portraits` portraits run on `device`; nothing on the CPU. `label`
// names the run in the heading (default: the device).
void print_host_transfers(const ReconstructionTimings& timings, int portraits, const Device& device,
                          const std::string& label = "");

}  // namespace p3d::app
