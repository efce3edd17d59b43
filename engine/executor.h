// The executor: compiles a Graph for one Backend and runs it.
//
// Compile (constructor): optimise the graph with the default pass pipeline (optional),
// upload the constants and pack the conv filters once, and plan memory for the graph's
// declared input shapes. A plan (execution order, kernel params with padding resolved,
// one arena holding every activation, per-node workspace and scratch) is made once per set
// of input shapes and cached: running with new shapes re-infers the graph and plans again,
// running with seen shapes allocates nothing on the backend. View ops (Reshape, Squeeze,
// ExpandDims) share their source's bytes; the source then lives until the view's last use.
//
// Not thread-safe: one run at a time per Executor (runs share the plan's arena).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/graph.h"

namespace p3d {

using TensorMap = std::map<std::string, Tensor>;

struct ExecutorOptions {
  // Run default_pipeline() (engine/pass.h) before planning; off runs the graph as built.
  bool optimize = true;
  // Return outputs as device tensors that view the arena (valid until the next run and no
  // copy) instead of host copies.
  bool outputs_on_device = false;
  // Time every node (synchronising the backend after each one); see Executor::timings().
  bool profile = false;
  // From a plan's second run on, launch its steps as one recording (Backend::record: a CUDA
  // graph on CUDA) instead of one call per step. Backends that do not record (the CPU), a
  // profiled run and graphs with custom ops run the steps one by one either way.
  bool replay = true;
  // Receives one line per pass application when optimising (see PassPipeline).
  std::function<void(const std::string&)> log;
};

struct NodeTiming {
  std::string name;
  std::string op;
  double microseconds = 0;
  std::string kernel;  // what ran, when the backend says (a conv's plan: Backend::conv2d_plan)
};

// One row of the compiled network, for `portrait3d inspect`.
struct LayerInfo {
  std::string name;
  std::string op;                   // "Conv2d", "Pool2d", ...
  std::string attrs;                // attrs_str of the node, fused epilogue included
  std::vector<std::string> inputs;  // non-constant inputs by name
  Shape shape;
  DType dtype = DType::F32;
  int64_t flops = 0;
  size_t weight_bytes = 0;  // bytes of the constants it reads
};

class Executor {
 public:
  Executor(Graph graph, Backend& backend, ExecutorOptions options = {});
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs the graph. Every graph input must be given, by name, as a host tensor or a tensor
  // on this backend's device, with the input's dtype and rank (other dims may differ: a new
  // shape set is planned on first sight). Returns every graph output by name.
  TensorMap run(const TensorMap& inputs);

  // Per-node timings of the last run made with profiling on (execution order).
  const std::vector<NodeTiming>& timings() const;
  void set_profiling(bool on);

  // The optimised graph (its shapes are those of the last planned input shapes).
  const Graph& graph() const;
  // The layers that run, in execution order, after fusion.
  std::vector<LayerInfo> layers() const;
  // layers() as an aligned text table.
  std::string layer_listing() const;

  // Arena bytes of the plan the last run used (or of the declared shapes before any run).
  size_t arena_bytes() const;
  // Bytes of constants and packed filters held on the backend.
  size_t weight_bytes() const;
  // How many input shape sets have been planned.
  int plan_count() const;
  // How many runs launched a recording instead of their steps (see ExecutorOptions::replay).
  int replay_count() const;
  Backend& backend() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Evaluates one node of `graph` whose inputs are all Constants on the CPU backend and
// returns its value as a host tensor (constant folding uses this).
Tensor evaluate_constant_node(const Graph& graph, int node_id);

}  // namespace p3d
