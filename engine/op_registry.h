// The op table: one OpInfo per op kind, holding everything the engine does with a node of
// that kind (its name, shape rule, lowering to kernel params, backend call, FLOPs, readable
// attrs). The graph, the executor and the dumps look an op up here instead of switching on
// its kind, so adding an op is its entry (engine/op_table.cpp) and the functions it names,
// written in one file of engine/ops/ (docs/adding-an-op.md walks through one).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/graph.h"
#include "engine/lowering.h"

namespace p3d {

// What an op's run function gets: the node, its lowered params and every pointer resolved
// at plan time (inputs in the node's input order; a packed filter where the op packs one).
struct OpCall {
  const Node& node;
  const LoweredNode& lowered;
  const std::vector<const void*>& inputs;
  void* output;
  void* workspace;  // the backend's, sized by OpInfo::workspace (null when none)
  void* scratch;    // the engine's, sized by LoweredNode::scratch_bytes (null when none)

  template <typename P>
  const P& params() const {
    return lowered_params<P>(node, lowered);
  }
  const float* f32_input(size_t i) const { return static_cast<const float*>(inputs[i]); }
  float* f32_output() const { return static_cast<float*>(output); }
};

struct OpInfo {
  OpKind kind;
  const char* name;  // "Conv2d": dumps, errors, profiles, default node names
  // Sets node.shape and node.dtype from its attrs and its inputs' shapes; throws p3d::Error
  // naming the node when they do not fit.
  void (*infer)(const Graph& graph, Node& node);
  // The attrs in words for dumps and errors ("stride=2x2 pad=SAME"); may be empty.
  std::string (*describe)(const OpAttrs& attrs);
  // Node -> kernel params, and the backend call(s) that compute it. Both null for the ops
  // that need no call (Input, Constant, the views).
  void (*lower)(const Graph& graph, const Node& node, LoweredNode& out) = nullptr;
  void (*run)(Backend& backend, const OpCall& call) = nullptr;
  // Multiply-accumulate FLOPs (2 per MAC); null counts 0.
  int64_t (*flops)(const Graph& graph, const Node& node) = nullptr;
  // The output shares its input's bytes (Reshape, Squeeze, ExpandDims).
  bool is_view = false;
  // Convolutions: input 1 is a constant filter packed once at compile time into the
  // backend's layout; the call needs a backend workspace; the backend names its plan.
  Tensor (*pack_filter)(Backend& backend, const LoweredNode& lowered, const Tensor& host) = nullptr;
  size_t (*workspace)(Backend& backend, const LoweredNode& lowered) = nullptr;
  std::string (*kernel_plan)(Backend& backend, const LoweredNode& lowered) = nullptr;
};

// The entry of `kind` (throws p3d::Error for a kind outside the table).
const OpInfo& op_info(OpKind kind);

}  // namespace p3d
