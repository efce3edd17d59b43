// What the tests that run TensorFlow's golden fixtures (tests/fixtures/tf/) share: importing
// a fixture with its own input shapes and outputs, feeding it its recorded inputs, and running
// one imported layer alone, fed TensorFlow's values of its inputs, so that a layer's error is
// its own and not the accumulated error of the layers before it.
//
// Header-only: only the importer tests include it, and they alone link the importer.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/executor.h"
#include "engine/graph.h"
#include "importer/npy.h"
#include "importer/tf_fixture.h"
#include "importer/tf_importer.h"

namespace p3d::test {

// "x:0" -> "x": the graph input / output name of a TF tensor (only ":0" is dropped).
inline std::string tf_node_name(const std::string& tensor) {
  return tensor.size() > 2 && tensor.compare(tensor.size() - 2, 2, ":0") == 0
             ? tensor.substr(0, tensor.size() - 2)
             : tensor;
}

// "x" -> "x:0": how TfImportResult::tensor_nodes names a tensor.
inline std::string tf_tensor_key(const std::string& tensor) {
  return tensor.find(':') == std::string::npos ? tensor + ":0" : tensor;
}

// The fixture's graph imported with its inputs' shapes and its outputs.
inline TfImportResult import_tf_fixture(const TfFixture& f) {
  TfImportOptions o;
  for (const TfFixtureTensor& in : f.inputs) o.input_shapes[tf_node_name(in.tensor)] = in.shape;
  for (const TfFixtureTensor& out : f.outputs) o.outputs.push_back(out.tensor);
  return load_graph_def(f.graph_path, o);
}

// The inputs TensorFlow was fed, by graph input name.
inline TensorMap tf_fixture_inputs(const TfFixture& f) {
  TensorMap m;
  for (const TfFixtureTensor& in : f.inputs) m[tf_node_name(in.tensor)] = read_npy(in.path);
  return m;
}

// Graph node -> a tensor of the fixture (input, activation or output) holding its value.
using TfValues = std::map<int, const TfFixtureTensor*>;

inline TfValues tf_values_by_node(const TfFixture& f, const TfImportResult& imported) {
  TfValues values;
  for (const auto* list : {&f.inputs, &f.activations, &f.outputs})
    for (const TfFixtureTensor& t : *list) {
      auto it = imported.tensor_nodes.find(tf_tensor_key(t.tensor));
      if (it != imported.tensor_nodes.end()) values.emplace(it->second, &t);
    }
  return values;
}

// Calls visit(tensor, node) for every activation and output of the fixture that became a
// node of the imported graph, activations first, in the fixture's order.
inline void for_each_tf_layer(
    const TfFixture& f, const TfImportResult& imported,
    const std::function<void(const TfFixtureTensor&, const Node&)>& visit) {
  for (const auto* list : {&f.activations, &f.outputs})
    for (const TfFixtureTensor& a : *list) {
      auto it = imported.tensor_nodes.find(tf_tensor_key(a.tensor));
      if (it != imported.tensor_nodes.end()) visit(a, imported.graph.node(it->second));
    }
}

// One node in a graph of its own (output "y"): its Constant inputs copied, every other input
// a graph input fed TensorFlow's recorded value.
struct IsolatedLayer {
  Graph graph;
  TensorMap feeds;
};

// Node `n` of `graph` isolated; nullopt when one of its inputs has no recorded TF value (an
// importer helper node TensorFlow never computed).
inline std::optional<IsolatedLayer> isolate_layer(const Graph& graph, const Node& n,
                                                  const TfValues& tf_value) {
  IsolatedLayer layer;
  std::vector<Value> ins;
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    const Node& in = graph.node(n.inputs[k]);
    if (in.kind() == OpKind::Constant) {
      ins.push_back(layer.graph.constant(in.as<ConstantAttrs>().value, in.name));
    } else if (tf_value.count(in.id)) {
      const std::string name = "input" + std::to_string(k);
      ins.push_back(layer.graph.input(name, in.shape, in.dtype));
      layer.feeds[name] = read_npy(tf_value.at(in.id)->path);
    } else {
      return std::nullopt;
    }
  }
  layer.graph.output(layer.graph.add_node(n.attrs, ins, n.name), "y");
  return layer;
}

}  // namespace p3d::test
