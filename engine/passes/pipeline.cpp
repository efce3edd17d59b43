// The pass pipeline: passes in order, rounds until nothing changes, with a log line per
// change that says what the pass did to the op counts.
#include <map>
#include <sstream>

#include "engine/pass.h"
#include "kernels/error.h"

namespace p3d {
namespace {

std::map<OpKind, int> op_histogram(const Graph& g) {
  std::map<OpKind, int> h;
  for (int id = 0; id < g.node_capacity(); ++id)
    if (g.node(id).alive) ++h[g.node(id).kind()];
  return h;
}

std::string describe_change(const std::map<OpKind, int>& before,
                            const std::map<OpKind, int>& after) {
  std::ostringstream out;
  bool first = true;
  std::map<OpKind, int> delta;
  for (const auto& [k, n] : before) delta[k] -= n;
  for (const auto& [k, n] : after) delta[k] += n;
  for (const auto& [k, d] : delta) {
    if (d == 0) continue;
    out << (first ? "" : ", ") << op_name(k) << (d > 0 ? " +" : " ") << d;
    first = false;
  }
  return first ? "attrs or inputs only" : out.str();
}

class FunctionPass final : public Pass {
 public:
  FunctionPass(std::string name, std::function<bool(Graph&)> run)
      : name_(std::move(name)), run_(std::move(run)) {}
  std::string name() const override { return name_; }
  bool run(Graph& graph) override { return run_(graph); }

 private:
  std::string name_;
  std::function<bool(Graph&)> run_;
};

}  // namespace

std::unique_ptr<Pass> make_pass(std::string name, std::function<bool(Graph&)> run) {
  P3D_CHECK(run != nullptr, "pass '" + name + "' has no function");
  return std::make_unique<FunctionPass>(std::move(name), std::move(run));
}

PassPipeline& PassPipeline::add(std::unique_ptr<Pass> pass) {
  P3D_CHECK(pass != nullptr, "adding a null pass");
  passes_.push_back(std::move(pass));
  return *this;
}

PassPipeline& PassPipeline::set_log(std::function<void(const std::string&)> log) {
  log_ = std::move(log);
  return *this;
}

PassPipeline& PassPipeline::set_max_rounds(int rounds) {
  P3D_CHECK(rounds >= 1, "max rounds must be at least 1, is ", rounds);
  max_rounds_ = rounds;
  return *this;
}

int PassPipeline::run(Graph& graph) const {
  for (int round = 1; round <= max_rounds_; ++round) {
    bool changed = false;
    for (const auto& pass : passes_) {
      const std::map<OpKind, int> before = log_ ? op_histogram(graph) : std::map<OpKind, int>{};
      const int nodes_before = graph.node_count();
      if (!pass->run(graph)) continue;
      changed = true;
      // Re-infer everything: cheap, and a pass that left an inconsistent graph fails here,
      // naming the node, rather than at run time.
      graph.infer_shapes();
      if (log_) {
        std::ostringstream line;
        line << "round " << round << ": " << pass->name() << ": " << nodes_before << " -> "
             << graph.node_count() << " nodes (" << describe_change(before, op_histogram(graph))
             << ")";
        log_(line.str());
      }
    }
    if (!changed) return round;
  }
  return max_rounds_;
}

PassPipeline default_pipeline() {
  PassPipeline p;
  p.add(make_constant_folding_pass())
      .add(make_reshape_chain_pass())
      .add(make_pad_into_conv_pass())
      .add(make_batch_norm_folding_pass())
      .add(make_conv_bias_fusion_pass())
      .add(make_conv_residual_fusion_pass())
      .add(make_conv_activation_fusion_pass())
      .add(make_dead_node_removal_pass());
  return p;
}

}  // namespace p3d
