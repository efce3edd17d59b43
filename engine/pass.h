// Graph-rewriting passes and the pipeline that runs them to a fixed point.
//
// A pass edits the graph in place and says whether it changed anything. Passes keep the
// graph's shapes valid (they re-infer the nodes they touch) and never modify a constant's
// tensor in place (graph copies share constant storage): they add new constants instead.
// Each pass lives in its own file under engine/passes/.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/graph.h"

namespace p3d {

class Pass {
 public:
  virtual ~Pass() = default;
  virtual std::string name() const = 0;
  // Returns true when the graph changed.
  virtual bool run(Graph& graph) = 0;
};

// A pass made of its name and a function: the passes keep no state between runs, so each
// is a function `bool rewrite(Graph&)` (true when the graph changed) with a name.
std::unique_ptr<Pass> make_pass(std::string name, std::function<bool(Graph&)> run);

class PassPipeline {
 public:
  PassPipeline& add(std::unique_ptr<Pass> pass);
  // Receives one line per pass application that changed the graph, e.g.
  // "round 1: fold_batch_norm: 312 -> 206 nodes (BatchNorm -53, Constant -53)".
  PassPipeline& set_log(std::function<void(const std::string&)> log);
  PassPipeline& set_max_rounds(int rounds);

  // Runs every pass in order, round after round, until a round changes nothing (or the
  // round limit is hit). Returns the number of rounds run.
  int run(Graph& graph) const;

  const std::vector<std::unique_ptr<Pass>>& passes() const { return passes_; }

 private:
  std::vector<std::unique_ptr<Pass>> passes_;
  std::function<void(const std::string&)> log_;
  int max_rounds_ = 16;
};

// ---- the passes ----------------------------------------------------------------------------

// Evaluates nodes whose inputs are all constants (on the CPU backend) and replaces them by
// Constants, unless the result would exceed `max_output_bytes` (folding a broadcast could
// otherwise turn a scalar into megabytes of weights).
std::unique_ptr<Pass> make_constant_folding_pass(size_t max_output_bytes = size_t{16} << 20);
// Removes nodes that no graph output depends on (inputs always stay: they are the interface).
std::unique_ptr<Pass> make_dead_node_removal_pass();
// BatchNorm (or Mul by a per-channel constant) after a Conv2d / ConvTranspose2d with a
// constant filter: scales the filter per output channel and folds the shift into the bias.
std::unique_ptr<Pass> make_batch_norm_folding_pass();
// A constant-zero Pad of H and W feeding a VALID or explicit-padding Conv2d becomes the
// conv's explicit padding (slim's conv2d_same: pad then VALID).
std::unique_ptr<Pass> make_pad_into_conv_pass();
// Add (or Sub) of a constant per-channel vector after a conv / matmul becomes its bias.
std::unique_ptr<Pass> make_conv_bias_fusion_pass();
// Relu / Relu6 / LeakyRelu / Elu / Sigmoid / Tanh after a conv / matmul becomes its epilogue.
std::unique_ptr<Pass> make_conv_activation_fusion_pass();
// Add of a conv's output and another tensor of the same shape becomes the conv's residual
// input (the conv must have no other reader and no activation yet).
std::unique_ptr<Pass> make_conv_residual_fusion_pass();
// Chains of view ops collapse into one Reshape, and no-ops (identity Reshape / Transpose /
// Cast / Unary Identity / zero Pad / one-input Concat) disappear.
std::unique_ptr<Pass> make_reshape_chain_pass();

// The executor's default: folding, cleanup and the fusions, in an order where each fusion
// sees the pattern the previous one leaves (BN folding before bias, residual before
// activation: conv -> BN -> add -> relu becomes one conv with bias, residual and relu).
PassPipeline default_pipeline();

}  // namespace p3d
