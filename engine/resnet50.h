// A ResNet-50 (TF-slim resnet_v1_50) built with the graph builder and seeded random weights:
// the R-Net's backbone at its real size, for tests and benchmarks that cannot ship weights.
//
// Structure (slim nets/resnet_v1.py): conv1 7x7/2 + BN + ReLU, max_pool 3x3/2 SAME, blocks of
// [3, 4, 6, 3] bottleneck units (1x1, 3x3, 1x1 with 4x expansion, BN after each; ReLU after
// the first two), a 1x1 conv + BN projection shortcut on each block's first unit, residual
// add + ReLU; the stride-2 of blocks 1-3 sits in the 3x3 conv of their LAST unit, whose
// shortcut is then a 1x1 max-pool of stride 2. Then a global mean and a dense head.
// 53 convolutions; at full width 3.5 G multiply-adds (7.0 GFLOP) per 224x224 image: less
// than torchvision's 4.1 G because slim strides at the end of a block, not the start.
#pragma once

#include <cstdint>

#include "engine/graph.h"

namespace p3d {

struct Resnet50Options {
  float width_multiplier = 1.f;  // 1.0 = the real widths (64 ... 2048 channels)
  int num_outputs = 1000;        // size of the dense head
  uint32_t seed = 1;             // weights are drawn from std::mt19937(seed)
  // slim's conv2d_same: a strided conv pads explicitly (k-1 split evenly) then runs VALID,
  // as in real exported graphs (the pad_into_conv pass folds it back). false: plain SAME.
  bool slim_padding = true;

  Resnet50Options& width(float w) {
    width_multiplier = w;
    return *this;
  }
  Resnet50Options& outputs(int n) {
    num_outputs = n;
    return *this;
  }
  Resnet50Options& random_seed(uint32_t s) {
    seed = s;
    return *this;
  }
  Resnet50Options& explicit_pads(bool on) {
    slim_padding = on;
    return *this;
  }
};

// Appends ResNet-50 to `g` reading `input` (NHWC, f32, 3 or more channels) and returns the
// head's output [N, num_outputs]. Node names follow slim ("resnet_v1_50/block1/unit_1/...").
Value build_resnet50(Graph& g, Value input, const Resnet50Options& options = {});

}  // namespace p3d
