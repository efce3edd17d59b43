// `portrait3d inspect FILE.pb`: what a frozen TensorFlow graph holds and what the engine makes
// of it — inputs and outputs, the op histogram, the ops the importer cannot lower (all of
// them, so one look says how far a model is from running), parameters, FLOPs for concrete
// input shapes, and the layers that run after fusion. The graph is lowered and compiled for
// the CPU backend (packing weights) only when every op is supported. Exit code 0 when the
// graph can run, 2 when ops are unsupported (after printing everything), 1 on other errors.
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/model_cli.h"
#include "engine/backend.h"
#include "engine/executor.h"
#include "importer/tf_importer.h"
#include "kernels/error.h"

namespace p3d::app {
namespace {

struct InspectOptions {
  std::string file;
  std::vector<std::string> inputs;   // NAME=N,H,W,C
  std::vector<std::string> outputs;  // NAME or NAME:k
  int64_t batch = 1;
  bool layers = true;
};

void print_inputs(const TfGraphInfo& info, const Graph* graph) {
  std::printf("\ninputs (%zu)\n", info.inputs.size());
  size_t name_width = 4, dtype_width = 5;
  for (const TfPlaceholder& p : info.inputs) {
    name_width = std::max(name_width, p.name.size());
    dtype_width = std::max(dtype_width, p.dtype.size());
  }
  std::printf("  %s  %s  %-16s  %s\n", pad_right("name", name_width).c_str(),
              pad_right("dtype", dtype_width).c_str(), "declared shape", "shape used here");
  for (const TfPlaceholder& p : info.inputs) {
    std::string used = "-";
    if (graph) {
      const Value v = graph->find(p.name);
      used = v.valid() ? graph->shape(v).str() : "(not used by the outputs)";
    }
    std::printf("  %s  %s  %-16s  %s\n", pad_right(p.name, name_width).c_str(),
                pad_right(p.dtype, dtype_width).c_str(), declared_shape_str(p).c_str(),
                used.c_str());
  }
}

void print_outputs(const TfGraphInfo& info, const TfImportResult* imported) {
  std::printf("\noutputs (%zu)\n", info.outputs.size());
  for (const std::string& name : info.outputs) {
    std::string shape;
    if (imported) {
      const std::string graph_name = strip_output_zero(name);
      for (const GraphOutput& o : imported->graph.outputs())
        if (o.name == graph_name) {
          const Node& n = imported->graph.node(o.node);
          shape = std::string(dtype_name(n.dtype)) + n.shape.str();
        }
    }
    std::printf("  %s%s%s\n", name.c_str(), shape.empty() ? "" : "  ", shape.c_str());
  }
}

void print_histogram(const TfGraphInfo& info) {
  std::vector<std::pair<std::string, int>> rows(info.op_histogram.begin(), info.op_histogram.end());
  // Most frequent first; ties by name so the listing is stable.
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::map<std::string, bool> unsupported;
  for (const TfUnsupportedOp& u : info.unsupported) unsupported[u.op] = true;
  size_t width = 2;
  for (const auto& r : rows) width = std::max(width, r.first.size());
  std::printf("\nops (%zu kinds, %d nodes)\n", rows.size(), info.node_count);
  for (const auto& r : rows)
    std::printf("  %s  %6d%s\n", pad_right(r.first, width).c_str(), r.second,
                unsupported.count(r.first) ? "  UNSUPPORTED" : "");
}

void print_unsupported(const TfGraphInfo& info) {
  if (info.unsupported.empty() && !info.has_function_library) {
    std::printf("\nunsupported ops: none\n");
    return;
  }
  int nodes = 0;
  size_t width = 2;
  for (const TfUnsupportedOp& u : info.unsupported) {
    nodes += u.count;
    width = std::max(width, u.op.size());
  }
  std::printf("\nunsupported ops (%zu kinds, %d nodes)\n", info.unsupported.size(), nodes);
  if (!info.unsupported.empty())
    std::printf("  %s  %6s  %s\n", pad_right("op", width).c_str(), "nodes", "first nodes");
  for (const TfUnsupportedOp& u : info.unsupported) {
    std::string first;
    for (size_t i = 0; i < u.nodes.size(); ++i) first += (i ? ", " : "") + u.nodes[i];
    if (u.count > static_cast<int>(u.nodes.size())) first += ", ...";
    std::printf("  %s  %6d  %s\n", pad_right(u.op, width).c_str(), u.count, first.c_str());
  }
  if (info.has_function_library)
    std::printf("  the graph has a function library (functions are not supported)\n");
}

// True when only --input can give the placeholder's shape (the batch dim has a default).
bool has_unknown_non_batch_dim(const TfPlaceholder& p) {
  if (p.unknown_rank) return true;
  for (size_t i = 1; i < p.dims.size(); ++i)
    if (p.dims[i] < 0) return true;
  return false;
}

std::string shapes_used(const Graph& graph) {
  std::string out;
  for (int id : graph.inputs()) {
    const Node& n = graph.node(id);
    out += (out.empty() ? "" : ", ") + n.name + " " + n.shape.str();
  }
  return out;
}

int run_inspect(const InspectOptions& o) {
  TfImportOptions import_options;
  import_options.default_batch = o.batch;
  import_options.outputs = o.outputs;
  const LoadedGraphDef loaded = read_graph_def_file(o.file, import_options);
  check_output_names(loaded, import_options);
  const TfGraphInfo info = inspect_graph_def(loaded.def, o.file, import_options);

  for (const std::string& arg : o.inputs) {
    const auto [name, dims] = split_assignment(arg, "--input");
    const TfPlaceholder& p = find_placeholder(info, name);
    import_options.input_shapes[p.name] = parse_dims(dims, "--input " + name);
  }

  std::printf("file    %s (%s)\n", o.file.c_str(),
              format_bytes(static_cast<double>(loaded.file_bytes)).c_str());
  std::printf("graph   %d nodes, GraphDef producer %d\n", info.node_count, info.producer);
  std::printf("params  %s floating-point constants, %s as stored\n",
              group_digits(info.parameter_count).c_str(),
              format_bytes(static_cast<double>(info.parameter_bytes)).c_str());

  const bool runnable = info.unsupported.empty() && !info.has_function_library;
  if (!runnable) {
    print_inputs(info, nullptr);
    print_outputs(info, nullptr);
    print_histogram(info);
    print_unsupported(info);
    std::printf("\nFLOPs and layers: not available until the unsupported ops are (see above)\n");
    return 2;
  }

  TfImportResult imported;
  try {
    imported = import_graph_def(loaded.def, o.file, import_options);
  } catch (const Error& e) {
    // Still show what the file holds; the error says what stopped the lowering.
    print_inputs(info, nullptr);
    print_outputs(info, nullptr);
    print_histogram(info);
    print_unsupported(info);
    std::printf("\nlowering failed: %s\n", e.what());
    for (const TfPlaceholder& p : info.inputs)
      if (!import_options.input_shapes.count(p.name) && has_unknown_non_batch_dim(p))
        std::printf(
            "  hint: placeholder '%s' is declared %s: give its shape with --input %s=N,H,W,C\n",
            p.name.c_str(), declared_shape_str(p).c_str(), p.name.c_str());
    return 1;
  }
  print_inputs(info, &imported.graph);
  print_outputs(info, &imported);
  print_histogram(info);
  print_unsupported(info);
  std::printf("\nFLOPs   %s per run at %s (conv and matmul, 2 per multiply-add)\n",
              format_flops(static_cast<double>(graph_flops(imported.graph))).c_str(),
              shapes_used(imported.graph).c_str());
  if (!o.layers) return 0;

  auto backend = make_cpu_backend(1);
  Executor executor(std::move(imported.graph), *backend);
  const std::vector<LayerInfo> layers = executor.layers();
  std::printf("\nlayers after fusion (%zu; %s, %s of weights packed, activation arena %s)\n",
              layers.size(), backend->name().c_str(),
              format_bytes(static_cast<double>(executor.weight_bytes())).c_str(),
              format_bytes(static_cast<double>(executor.arena_bytes())).c_str());
  std::fputs(executor.layer_listing().c_str(), stdout);
  return 0;
}

}  // namespace

Command add_inspect_command(CLI::App& app) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "Describe a frozen TensorFlow graph (.pb): inputs, outputs, ops, unsupported ops, "
      "parameters, FLOPs and the layers that run after fusion");
  cmd->add_option("file", options->file, "frozen GraphDef (.pb)")->required();
  cmd->add_option("--input", options->inputs,
                  "NAME=N,H,W,C: the shape to assume for a placeholder (repeatable); unknown batch "
                  "dims default to --batch")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--output", options->outputs,
                  "tensors to treat as outputs, comma-separated (default: the graph's sinks)")
      ->delimiter(',');
  cmd->add_option("--batch", options->batch,
                  "batch size for placeholders declared with an unknown batch")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_flag("!--no-layers", options->layers,
                "skip compiling for the CPU backend and listing the layers");
  return {cmd, [options] { return run_inspect(*options); }};
}

}  // namespace p3d::app
