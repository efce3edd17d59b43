// The importer's driver: read -> validate structure -> pick outputs -> refuse unknown ops
// (all listed at once) -> lower each needed node in topological order -> mark outputs.
// Op semantics live in the lower_*.cpp families; this file only sequences them and makes
// sure every error names the file and the node.
#include "importer/tf_importer.h"

#include <cstring>

#include "importer/graph_def_reader.h"
#include "importer/import_context.h"
#include "importer/validation.h"

namespace p3d {
namespace {

using tfimport::GraphIndex;
using tfimport::TensorRef;
using tfimport::TfValue;

std::string prefix_of(const std::string& source) { return "tensorflow graph '" + source + "'"; }

bool is_float_dtype(int t) {
  return t == tf::DT_FLOAT || t == tf::DT_HALF || t == tf::DT_DOUBLE || t == tf::DT_BFLOAT16;
}

TfGraphInfo describe(const tf::GraphDef& def, const GraphIndex& index, const std::string& source,
                     const std::vector<TensorRef>& outputs) {
  TfGraphInfo info;
  info.source = source;
  info.producer = def.versions().producer();
  info.node_count = def.node_size();
  info.has_function_library = def.library().ByteSizeLong() > 0;
  for (const tf::NodeDef& n : def.node()) {
    ++info.op_histogram[n.op()];
    if (n.op() == "Placeholder") {
      TfPlaceholder p;
      p.name = n.name();
      auto dt = n.attr().find("dtype");
      p.dtype = dt != n.attr().end() ? tfimport::tf_dtype_name(dt->second.type()) : "?";
      auto sh = n.attr().find("shape");
      p.unknown_rank = sh == n.attr().end() || sh->second.shape().unknown_rank();
      if (sh != n.attr().end())
        for (const auto& d : sh->second.shape().dim()) p.dims.push_back(d.size());
      info.inputs.push_back(p);
    }
    if (n.op() == "Const") {
      auto v = n.attr().find("value");
      if (v == n.attr().end() || !is_float_dtype(v->second.tensor().dtype())) continue;
      const tf::TensorProto& t = v->second.tensor();
      const int64_t count = tfimport::tensor_proto_elements(t);
      if (count < 0) continue;
      info.parameter_count += count;
      info.parameter_bytes += t.tensor_content().empty()
                                  ? static_cast<int64_t>(t.ByteSizeLong())
                                  : static_cast<int64_t>(t.tensor_content().size());
    }
  }
  std::vector<int> all(static_cast<size_t>(def.node_size()));
  for (int i = 0; i < def.node_size(); ++i) all[static_cast<size_t>(i)] = i;
  info.unsupported = tfimport::find_unsupported(index, all);
  for (const TensorRef& o : outputs) info.outputs.push_back(tfimport::output_name(o));
  return info;
}

// Shape overrides must name placeholders (a typo would otherwise be silently ignored).
void check_shape_overrides(const GraphIndex& index, const TfImportOptions& options,
                           const std::string& prefix) {
  for (const auto& [key, shape] : options.input_shapes) {
    TensorRef ref;
    const bool ok = tfimport::parse_tensor_ref(key, ref) && !ref.control && ref.index == 0;
    auto it = ok ? index.by_name.find(ref.node) : index.by_name.end();
    if (it == index.by_name.end() || index.node(it->second).op() != "Placeholder") {
      std::string names;
      for (const tf::NodeDef& n : index.def->node())
        if (n.op() == "Placeholder") names += (names.empty() ? "'" : ", '") + n.name() + "'";
      P3D_THROW(prefix, ": input shape given for '", key,
                "', which is not a Placeholder (placeholders: ", names.empty() ? "none" : names,
                ")");
    }
  }
}

void lower_node(tfimport::ImportState& state, const tf::NodeDef& node) {
  tfimport::OpContext op(state, node);
  try {
    tfimport::find_op(node.op())->lower(op);
  } catch (const Error& e) {
    // Errors from the engine (shape inference) or host math lack the node: add it.
    const std::string where = op.where();
    if (std::strncmp(e.what(), where.c_str(), where.size()) == 0) throw;
    throw Error(where + ": " + e.what());
  }
}

void mark_outputs(tfimport::ImportState& state, const std::vector<TensorRef>& outputs) {
  for (const TensorRef& ref : outputs) {
    const std::string key = tfimport::tensor_key(ref.node, ref.index);
    const std::string name = tfimport::output_name(ref);
    auto it = state.tensors.find(key);
    if (it == state.tensors.end())
      P3D_THROW(state.prefix(), ": output '", name, "' has no value at inference (output ",
                ref.index, " of '", ref.node, "' is not computed)");
    const TfValue& v = it->second;
    Value value;
    if (v.kind == TfValue::Kind::Graph)
      value = v.value;
    else if (v.kind == TfValue::Kind::Host)
      value = state.materialise(v);
    else
      P3D_THROW(state.prefix(), ": output '", name,
                "' is inside a SpaceToBatchND/BatchToSpaceND dilated "
                "convolution; request the BatchToSpaceND output instead");
    state.graph().output(value, name);
    state.result.outputs[name] = key;
  }
}

}  // namespace

TfImportResult import_graph_def(const tf::GraphDef& def, const std::string& source,
                                const TfImportOptions& options) {
  const std::string prefix = prefix_of(source);
  const GraphIndex index = tfimport::index_graph(def, prefix);
  const std::vector<TensorRef> outputs = tfimport::select_outputs(index, options.outputs, prefix);
  tfimport::check_supported(index, tfimport::reachable_nodes(index, outputs), prefix);
  check_shape_overrides(index, options, prefix);
  const std::vector<int> order = tfimport::topological_order(index, outputs, prefix);

  TfImportResult result;
  result.info = describe(def, index, source, outputs);
  tfimport::ImportState state(source, options, result);
  for (int id : order) lower_node(state, def.node(id));
  mark_outputs(state, outputs);
  for (const auto& [key, v] : state.tensors) {
    if (v.kind == TfValue::Kind::Graph) result.tensor_nodes[key] = v.value.id;
    if (v.kind == TfValue::Kind::Host) result.folded[key] = v.host;
  }
  return result;
}

TfImportResult import_graph_def_bytes(const std::string& bytes, const std::string& source,
                                      const TfImportOptions& options) {
  return import_graph_def(tfimport::parse_graph_def(bytes, source, options.max_file_bytes), source,
                          options);
}

TfImportResult load_graph_def(const std::string& path, const TfImportOptions& options) {
  return import_graph_def_bytes(tfimport::read_graph_file(path, options.max_file_bytes), path,
                                options);
}

TfGraphInfo inspect_graph_def(const tf::GraphDef& def, const std::string& source,
                              const TfImportOptions& options) {
  const std::string prefix = prefix_of(source);
  const GraphIndex index = tfimport::index_graph(def, prefix);
  return describe(def, index, source, tfimport::select_outputs(index, options.outputs, prefix));
}

TfGraphInfo inspect_graph_def(const std::string& path, const TfImportOptions& options) {
  const std::string bytes = tfimport::read_graph_file(path, options.max_file_bytes);
  return inspect_graph_def(tfimport::parse_graph_def(bytes, path, options.max_file_bytes), path,
                           options);
}

}  // namespace p3d
