// The executor: weights once, a memory plan per input-shape set, then a flat loop of backend
// calls with every pointer resolved at plan time (see executor.h).
#include "engine/executor.h"

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <sstream>

#include "engine/lowering.h"
#include "engine/memory_planner.h"
#include "engine/op_registry.h"
#include "engine/pass.h"
#include "kernels/error.h"

namespace p3d {

namespace {

constexpr size_t kArenaAlignment =
    256;  // the Backend's allocation alignment, kept inside the arena

// One backend allocation, released on destruction.
class BackendBuffer {
 public:
  BackendBuffer(Backend& backend, size_t bytes)
      : backend_(backend), ptr_(backend.allocate(bytes)) {}
  ~BackendBuffer() { backend_.deallocate(ptr_); }
  BackendBuffer(const BackendBuffer&) = delete;
  BackendBuffer& operator=(const BackendBuffer&) = delete;
  char* data() const { return static_cast<char*>(ptr_); }

 private:
  Backend& backend_;
  void* ptr_;
};

// One node's backend call(s) with every pointer resolved.
struct Step {
  int node = -1;
  LoweredNode lowered;
  std::vector<const void*> inputs;  // in node input order; a conv's filter is the packed one
  void* output = nullptr;
  void* workspace = nullptr;  // backend workspace (conv)
  void* scratch = nullptr;    // engine scratch (reduce transpose)
  bool empty = false;         // zero-element output: nothing to do
};

struct Plan {
  std::unique_ptr<BackendBuffer> arena;
  size_t arena_bytes = 0;
  std::vector<Step> steps;
  std::vector<void*> value_ptr;  // per node id: where its value lives on the backend
  std::vector<Shape> shapes;     // per node id, for this input-shape set
  // The steps recorded for replay (Backend::record) from the plan's second run on; the
  // first run builds what the kernels build lazily (cuDNN plans, scratch buffers).
  int runs = 0;
  std::unique_ptr<LaunchRecording> recording;
  bool unrecordable = false;  // the backend declined or failed: run the steps each time
};

using PlanKey = std::vector<std::vector<int64_t>>;

// The op packs its input 1 (a constant filter) into the backend's layout at compile time.
bool packs_filter(OpKind k) { return op_info(k).pack_filter != nullptr; }

// A conv that is the last reader of its residual writes its output over it: the residual
// is then read from, and the output written to, the same cache lines, instead of the
// output's lines being fetched only to be overwritten (a ResNet's shortcut outputs are
// megabytes, from L3). Every conv kernel allows y == residual (each residual element is
// read before its output element is written; the agreement table's aliasing cases).
// Before planning: the output's request takes no bytes and the residual's buffer lives on
// as the output's. root[] maps a value to the node owning its bytes, buffer_of[] a root to
// its request; conv outputs are their own roots, so only buffer_of changes.
void write_residuals_in_place(const Graph& graph, const std::vector<int>& order,
                              const std::vector<int>& root, std::vector<int>& buffer_of,
                              std::vector<BufferRequest>& requests) {
  auto buffer = [&](int value) {
    return buffer_of[static_cast<size_t>(root[static_cast<size_t>(value)])];
  };
  for (size_t step = 0; step < order.size(); ++step) {
    const Node& n = graph.node(order[step]);
    const int residual = conv_residual_input(n);
    if (residual < 0) continue;
    const int from = buffer(residual), to = buffer(n.id);
    if (from < 0 || to < 0 || from == to) continue;
    BufferRequest& r = requests[static_cast<size_t>(from)];
    BufferRequest& out = requests[static_cast<size_t>(to)];
    // Read by nothing after this step (graph outputs live to the end), the same size, and
    // not also one of the conv's other inputs, which it reads while it writes.
    if (r.last_use != static_cast<int>(step) || r.bytes != out.bytes) continue;
    bool read_elsewhere = false;  // the residual is the conv's last input
    for (size_t slot = 0; slot + 1 < n.inputs.size(); ++slot)
      if (buffer(n.inputs[slot]) == from) read_elsewhere = true;
    if (read_elsewhere) continue;
    r.last_use = out.last_use;
    out.bytes = 0;
    buffer_of[static_cast<size_t>(n.id)] = from;
  }
}

}  // namespace

struct Executor::Impl {
  Impl(Graph g, Backend& b, ExecutorOptions o)
      : backend(b), options(std::move(o)), graph(std::move(g)) {}

  void compile();
  Plan& plan_for(const TensorMap& inputs);
  std::unique_ptr<Plan> make_plan();
  void execute(const Step& s);
  void run_steps(const Plan& plan);
  bool recordable() const;
  void run_steps_profiled(const Plan& plan);
  TensorMap run(const TensorMap& inputs);

  Backend& backend;
  ExecutorOptions options;
  Graph graph;
  std::vector<int> input_ids;
  std::map<int, Tensor> constants;       // constant node id -> its bytes on the backend
  std::map<int, Tensor> packed_filters;  // conv node id -> its packed filter
  std::map<PlanKey, std::unique_ptr<Plan>> plans;
  Plan* current = nullptr;
  std::vector<NodeTiming> timings;
  int replays = 0;
};

// ---- compile: passes, weights, the first plan ---------------------------------------------

void Executor::Impl::compile() {
  if (graph.outputs().empty()) P3D_THROW("executor: the graph has no outputs (call Graph::output)");
  if (options.optimize) {
    PassPipeline pipeline = default_pipeline();
    if (options.log) pipeline.set_log(options.log);
    pipeline.run(graph);
  }
  input_ids = graph.inputs();

  // Constants read as conv filters are packed per conv (the backend's layout); every other
  // reader gets the constant uploaded as is. Both happen once, here.
  const std::vector<std::vector<int>> readers = graph.consumers();
  for (int id : graph.topological_order()) {
    const Node& n = graph.node(id);
    if (packs_filter(n.kind())) {
      const Node& filter = graph.node(n.inputs[1]);
      if (filter.kind() != OpKind::Constant)
        P3D_THROW("node '", n.name, "' (", op_name(n.kind()), "): filter '", filter.name, "' is a ",
                  op_name(filter.kind()),
                  ", but filters must be constants (packed once at compile time); enable the "
                  "optimizer to fold constant subgraphs");
      packed_filters[id] = op_info(n.kind()).pack_filter(backend, lower_node(graph, n),
                                                         filter.as<ConstantAttrs>().value);
    }
    if (n.kind() != OpKind::Constant) continue;
    bool needs_upload = graph.is_output(id);
    for (int reader : readers[static_cast<size_t>(id)]) {
      const Node& r = graph.node(reader);
      for (size_t slot = 0; slot < r.inputs.size(); ++slot)
        if (r.inputs[slot] == id && !(packs_filter(r.kind()) && slot == 1)) needs_upload = true;
    }
    if (needs_upload) constants[id] = backend.to_device(n.as<ConstantAttrs>().value);
  }

  // Plan for the declared shapes now, so errors surface early and the first run allocates
  // nothing.
  PlanKey key;
  for (int id : input_ids) key.push_back(graph.node(id).shape.dims());
  current = (plans[key] = make_plan()).get();
}

std::unique_ptr<Plan> Executor::Impl::make_plan() {
  auto plan = std::make_unique<Plan>();
  const std::vector<int> order = graph.topological_order();
  const size_t slots = static_cast<size_t>(graph.node_capacity());
  const int end_step = static_cast<int>(order.size());

  plan->shapes.resize(slots);
  plan->value_ptr.assign(slots, nullptr);
  std::vector<int> root(slots, -1);       // the node owning the bytes a value lives in
  std::vector<int> buffer_of(slots, -1);  // root node -> index into `requests`
  std::vector<BufferRequest> requests;

  // Pass 1: who owns which bytes, and when they are written.
  for (int step = 0; step < end_step; ++step) {
    const Node& n = graph.node(order[static_cast<size_t>(step)]);
    plan->shapes[static_cast<size_t>(n.id)] = n.shape;
    if (is_view_op(n.kind())) {
      root[static_cast<size_t>(n.id)] = root[static_cast<size_t>(n.inputs[0])];
      continue;
    }
    root[static_cast<size_t>(n.id)] = n.id;
    if (n.kind() == OpKind::Constant) continue;
    buffer_of[static_cast<size_t>(n.id)] = static_cast<int>(requests.size());
    const size_t bytes = static_cast<size_t>(n.shape.numel()) * dtype_size(n.dtype);
    // Inputs are written before the first step.
    requests.push_back(BufferRequest{bytes, n.kind() == OpKind::Input ? 0 : step, step});
  }
  // Pass 2: how long they are read (through views too); outputs live to the end.
  auto extend = [&](int value, int step) {
    const int b = buffer_of[static_cast<size_t>(root[static_cast<size_t>(value)])];
    if (b >= 0)
      requests[static_cast<size_t>(b)].last_use =
          std::max(requests[static_cast<size_t>(b)].last_use, step);
  };
  for (int step = 0; step < end_step; ++step)
    for (int in : graph.node(order[static_cast<size_t>(step)]).inputs) extend(in, step);
  for (const GraphOutput& o : graph.outputs()) extend(o.node, end_step);
  write_residuals_in_place(graph, order, root, buffer_of, requests);

  // Pass 3: lower every node; workspace and scratch are buffers live for one step.
  struct Temp {
    size_t step_index;
    int workspace = -1, scratch = -1;
  };
  std::vector<Temp> temps;
  for (int step = 0; step < end_step; ++step) {
    const Node& n = graph.node(order[static_cast<size_t>(step)]);
    const OpInfo& info = op_info(n.kind());
    if (n.kind() == OpKind::Input || n.kind() == OpKind::Constant || info.is_view) continue;
    if (!info.run)
      P3D_THROW("node '", n.name, "' (", info.name,
                "): the op table gives this op no backend call");
    Step s;
    s.node = n.id;
    s.lowered = lower_node(graph, n);
    s.empty = n.shape.numel() == 0;
    Temp t{plan->steps.size()};
    const size_t workspace = info.workspace ? info.workspace(backend, s.lowered) : 0;
    if (workspace) {
      t.workspace = static_cast<int>(requests.size());
      requests.push_back(BufferRequest{workspace, step, step});
    }
    if (s.lowered.scratch_bytes) {
      t.scratch = static_cast<int>(requests.size());
      requests.push_back(BufferRequest{s.lowered.scratch_bytes, step, step});
    }
    temps.push_back(t);
    plan->steps.push_back(std::move(s));
  }

  // One arena for everything, allocated once for this plan.
  const MemoryPlan memory = plan_memory(requests, kArenaAlignment);
  plan->arena_bytes = memory.total_bytes;
  plan->arena = std::make_unique<BackendBuffer>(backend, std::max<size_t>(memory.total_bytes, 1));
  char* base = plan->arena->data();

  // Resolve every pointer now so a run only calls kernels.
  for (int id : order) {
    const size_t i = static_cast<size_t>(id);
    const int r = root[i];
    if (graph.node(r).kind() == OpKind::Constant) {
      auto it = constants.find(r);
      plan->value_ptr[i] = it == constants.end() ? nullptr : it->second.raw();
    } else {
      plan->value_ptr[i] =
          base + memory.offsets[static_cast<size_t>(buffer_of[static_cast<size_t>(r)])];
    }
  }
  for (size_t k = 0; k < plan->steps.size(); ++k) {
    Step& s = plan->steps[k];
    const Node& n = graph.node(s.node);
    for (size_t slot = 0; slot < n.inputs.size(); ++slot) {
      const void* p = plan->value_ptr[static_cast<size_t>(n.inputs[slot])];
      if (packs_filter(n.kind()) && slot == 1) p = packed_filters.at(n.id).raw();
      s.inputs.push_back(p);
    }
    s.output = plan->value_ptr[static_cast<size_t>(n.id)];
    if (temps[k].workspace >= 0)
      s.workspace = base + memory.offsets[static_cast<size_t>(temps[k].workspace)];
    if (temps[k].scratch >= 0)
      s.scratch = base + memory.offsets[static_cast<size_t>(temps[k].scratch)];
  }
  return plan;
}

// ---- run ----------------------------------------------------------------------------------

Plan& Executor::Impl::plan_for(const TensorMap& inputs) {
  // Only error messages need the list of input names.
  auto names = [&] {
    std::string list;
    for (int id : input_ids) list += (list.empty() ? "'" : ", '") + graph.node(id).name + "'";
    return list;
  };
  for (const auto& [name, tensor] : inputs) {
    const Value v = graph.find(name);
    if (!v.valid() || graph.node(v).kind() != OpKind::Input)
      P3D_THROW("run: '", name, "' is not an input of the graph (inputs: ", names(), ")");
  }
  PlanKey key;
  std::map<std::string, Shape> shapes;
  for (int id : input_ids) {
    const Node& n = graph.node(id);
    const InputAttrs& declared = n.as<InputAttrs>();
    auto it = inputs.find(n.name);
    if (it == inputs.end())
      P3D_THROW("run: input '", n.name, "' is missing (expects ", dtype_name(declared.dtype),
                declared.shape.str(), "; inputs: ", names(), ")");
    const Tensor& t = it->second;
    if (t.dtype() != declared.dtype)
      P3D_THROW("run: input '", n.name, "' is ", t.str(), ", expected dtype ",
                dtype_name(declared.dtype));
    if (t.shape().rank() != declared.shape.rank())
      P3D_THROW("run: input '", n.name, "' has shape ", t.shape().str(), " of rank ",
                t.shape().rank(), ", expected rank ", declared.shape.rank(), " (like ",
                declared.shape.str(), ")");
    if (t.device().kind != DeviceKind::CPU && t.device() != backend.device())
      P3D_THROW("run: input '", n.name, "' is on ", t.device().str(), ", the backend is ",
                backend.device().str());
    if (t.numel() > 0 && t.raw() == nullptr) P3D_THROW("run: input '", n.name, "' holds no data");
    key.push_back(t.shape().dims());
    shapes[n.name] = t.shape();
  }
  auto found = plans.find(key);
  if (found != plans.end()) return *found->second;
  graph.set_input_shapes(shapes);  // throws naming the first node the new shapes do not fit
  return *(plans[key] = make_plan());
}

void Executor::Impl::execute(const Step& s) {
  const Node& n = graph.node(s.node);
  const OpInfo& info = op_info(s.lowered.op);
  if (!info.run) P3D_THROW("node '", n.name, "' (", info.name, "): no backend call for this op");
  info.run(backend, OpCall{n, s.lowered, s.inputs, s.output, s.workspace, s.scratch});
}

void Executor::Impl::run_steps(const Plan& plan) {
  for (const Step& s : plan.steps)
    if (!s.empty) execute(s);
}

void Executor::Impl::run_steps_profiled(const Plan& plan) {
  using Clock = std::chrono::steady_clock;
  timings.clear();
  backend.synchronize();
  for (const Step& s : plan.steps) {
    if (s.empty) continue;
    const auto start = Clock::now();
    execute(s);
    backend.synchronize();
    const Node& n = graph.node(s.node);
    const OpInfo& info = op_info(s.lowered.op);
    std::string kernel = info.kernel_plan ? info.kernel_plan(backend, s.lowered) : std::string();
    timings.push_back(
        NodeTiming{n.name, op_name(n.kind()),
                   std::chrono::duration<double, std::micro>(Clock::now() - start).count(),
                   std::move(kernel)});
  }
}

// A user op's kernel may do host work a recording would leave out: graphs with one are
// never recorded.
bool Executor::Impl::recordable() const { return graph.count(OpKind::Custom) == 0; }

TensorMap Executor::Impl::run(const TensorMap& inputs) {
  Plan& plan = plan_for(inputs);
  current = &plan;
  for (int id : input_ids) {
    const Tensor& t = inputs.at(graph.node(id).name);
    void* dst = plan.value_ptr[static_cast<size_t>(id)];
    if (t.bytes() == 0) continue;
    // Host tensors are uploaded, device ones copied: either way into this plan's arena slot.
    if (t.device().kind == DeviceKind::CPU)
      backend.upload(dst, t.raw(), t.bytes());
    else
      backend.copy(dst, t.raw(), t.bytes());
  }

  if (options.profile) {
    run_steps_profiled(plan);  // timed node by node: never replayed
  } else if (plan.recording) {
    plan.recording->replay();
    ++replays;
  } else if (plan.runs >= 1 && !plan.unrecordable && options.replay && recordable()) {
    plan.recording = backend.record([&] { run_steps(plan); });
    if (plan.recording) {
      plan.recording->replay();
      ++replays;
    } else {
      plan.unrecordable = true;
      run_steps(plan);
    }
  } else {
    run_steps(plan);
  }
  ++plan.runs;

  TensorMap outputs;
  for (const GraphOutput& o : graph.outputs()) {
    const Node& n = graph.node(o.node);
    const Shape& shape = plan.shapes[static_cast<size_t>(o.node)];
    void* src = plan.value_ptr[static_cast<size_t>(o.node)];
    if (options.outputs_on_device) {
      outputs[o.name] = Tensor::view(src, shape, n.dtype, backend.device());
      continue;
    }
    Tensor host = Tensor::empty(shape, n.dtype);
    if (host.bytes()) backend.download(host.raw(), src, host.bytes());
    outputs[o.name] = host;
  }
  if (!options.outputs_on_device) backend.synchronize();  // surface asynchronous errors here
  return outputs;
}

// ---- Executor -----------------------------------------------------------------------------

Executor::Executor(Graph graph, Backend& backend, ExecutorOptions options)
    : impl_(std::make_unique<Impl>(std::move(graph), backend, std::move(options))) {
  impl_->compile();
}

Executor::~Executor() = default;

TensorMap Executor::run(const TensorMap& inputs) { return impl_->run(inputs); }
const std::vector<NodeTiming>& Executor::timings() const { return impl_->timings; }
void Executor::set_profiling(bool on) { impl_->options.profile = on; }
const Graph& Executor::graph() const { return impl_->graph; }
size_t Executor::arena_bytes() const { return impl_->current ? impl_->current->arena_bytes : 0; }
int Executor::replay_count() const { return impl_->replays; }
int Executor::plan_count() const { return static_cast<int>(impl_->plans.size()); }
Backend& Executor::backend() const { return impl_->backend; }

size_t Executor::weight_bytes() const {
  size_t total = 0;
  for (const auto& [id, t] : impl_->constants) total += t.bytes();
  for (const auto& [id, t] : impl_->packed_filters) total += t.bytes();
  return total;
}

std::vector<LayerInfo> Executor::layers() const {
  const Graph& g = impl_->graph;
  std::vector<LayerInfo> result;
  for (int id : g.topological_order()) {
    const Node& n = g.node(id);
    if (n.kind() == OpKind::Input || n.kind() == OpKind::Constant) continue;
    LayerInfo info;
    info.name = n.name;
    info.op = op_name(n.kind());
    info.attrs = attrs_str(n.attrs);
    for (int in : n.inputs) {
      const Node& src = g.node(in);
      if (src.kind() == OpKind::Constant)
        info.weight_bytes += src.as<ConstantAttrs>().value.bytes();
      else
        info.inputs.push_back(src.name);
    }
    info.shape = n.shape;
    info.dtype = n.dtype;
    info.flops = node_flops(g, n);
    result.push_back(std::move(info));
  }
  return result;
}

std::string Executor::layer_listing() const {
  const std::vector<LayerInfo> rows = layers();
  size_t name_width = 4, op_width = 2;
  for (const LayerInfo& r : rows) {
    name_width = std::max(name_width, r.name.size());
    op_width = std::max(op_width, r.op.size());
  }
  std::ostringstream out;
  out << std::left << std::setw(static_cast<int>(name_width)) << "name"
      << "  " << std::setw(static_cast<int>(op_width)) << "op"
      << "  " << std::setw(20) << "output" << std::right << std::setw(10) << "MFLOP"
      << std::setw(10) << "weights"
      << "  attrs\n";
  int64_t flops = 0;
  size_t weights = 0;
  for (const LayerInfo& r : rows) {
    out << std::left << std::setw(static_cast<int>(name_width)) << r.name << "  "
        << std::setw(static_cast<int>(op_width)) << r.op << "  " << std::setw(20)
        << (dtype_name(r.dtype) + r.shape.str()) << std::right << std::setw(10) << std::fixed
        << std::setprecision(1) << static_cast<double>(r.flops) / 1e6 << std::setw(9)
        << (r.weight_bytes + 1023) / 1024 << "K  " << r.attrs << "\n";
    flops += r.flops;
    weights += r.weight_bytes;
  }
  out << rows.size() << " layers, " << std::fixed << std::setprecision(3)
      << static_cast<double>(flops) / 1e9 << " GFLOP, " << std::setprecision(1)
      << static_cast<double>(weights) / (1 << 20) << " MiB of weights\n";
  return out.str();
}

// ---- constant folding support -------------------------------------------------------------

Tensor evaluate_constant_node(const Graph& graph, int node_id) {
  const Node& n = graph.node(node_id);
  Graph mini;
  std::vector<Value> inputs;
  for (size_t i = 0; i < n.inputs.size(); ++i)
    inputs.push_back(mini.constant(graph.constant_value(n.inputs[i]), "input" + std::to_string(i)));
  const Value out = mini.add_node(n.attrs, inputs, "value");
  mini.output(out, "value");
  // One process-wide CPU backend (on the global thread pool) serves every folding.
  static const std::unique_ptr<Backend> cpu = make_cpu_backend();
  ExecutorOptions options;
  options.optimize = false;
  Executor executor(std::move(mini), *cpu, options);
  return executor.run({}).at("value");
}

}  // namespace p3d
