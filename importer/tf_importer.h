// The TensorFlow frozen-graph (.pb) importer's public API: a GraphDef file in, a layer graph
// (engine/graph.h) out, ready for the Executor (whose default pass pipeline then folds batch
// norms, merges slim's explicit pads into convs and fuses bias / activation / residual adds).
//
// What the importer does itself: parses the file (our own protobuf description of GraphDef,
// no TensorFlow needed), validates it (every problem is a p3d::Error naming the file, the node,
// its op and what is wrong; unknown ops are listed all at once), decodes the weights, and
// evaluates at import time everything that depends only on constants and on the input shapes
// (Shape -> StridedSlice -> Mul -> Pack chains that compute resize sizes and
// conv2d_transpose output shapes, Fill, Range, ...). The resulting graph is therefore
// specialised to the input shapes given here: import again for other shapes.
//
// Recognised patterns: Identity / StopGradient chains vanish; SpaceToBatchND -> Conv2D
// (or DepthwiseConv2dNative) -> BatchToSpaceND becomes one dilated convolution.
//
// Names: every TF node that becomes a graph value keeps its TF name; helper nodes the importer
// adds carry a '#' (which TF names cannot contain). Graph inputs are named after their
// Placeholder; outputs after the requested tensor, without a ":0" suffix.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/graph.h"

namespace p3d {

namespace tf {
class GraphDef;  // generated from importer/tensorflow_graph.proto
}

struct TfImportOptions {
  // Shapes of placeholders by node name ("input_imgs" or "input_imgs:0"). Each must have the
  // declared rank and agree with the declared dims that are known (-1 dims are free).
  std::map<std::string, Shape> input_shapes;
  // Replace the declared dims of the placeholders in input_shapes instead of checking them
  // (only the rank must match), as tf.import_graph_def(input_map=...) does: the original
  // feeds both of its networks through new placeholders that way ([None, 224, 224, 3] and
  // [None, 256, 256, 5]), whatever the frozen file declares.
  bool replace_declared_shapes = false;
  // Tensors to return: node names ("coeff", meaning output 0) or "name:k". Empty: every
  // output that no node reads, except those of Const, NoOp and Placeholder nodes.
  std::vector<std::string> outputs;
  // Unknown batch dims (dim 0 of a placeholder declared with -1 there) become this when no
  // shape is given; any other unknown dim must be given in input_shapes.
  int64_t default_batch = 1;
  // Files larger than this are refused before being read (protobuf's own limit is 2 GiB - 1).
  uint64_t max_file_bytes = (uint64_t{2} << 30) - 1;
  // A single decoded tensor larger than this is refused: a "splat" TensorProto (one value
  // filling its shape) can otherwise claim terabytes in a few bytes of file.
  uint64_t max_tensor_bytes = uint64_t{2} << 30;
  // Refuse NaN or Inf in floating-point Const tensors (a corrupt or badly frozen file).
  bool reject_nonfinite_weights = true;
};

struct TfPlaceholder {
  std::string name;
  std::string dtype;          // TensorFlow's name: "DT_FLOAT", "DT_INT32", ...
  std::vector<int64_t> dims;  // as declared; -1 = unknown
  bool unknown_rank = false;  // no shape declared at all
};

struct TfUnsupportedOp {
  std::string op;
  int count = 0;
  std::vector<std::string> nodes;  // the first few nodes using it
};

// What a GraphDef contains, without lowering it (for `portrait3d inspect`).
struct TfGraphInfo {
  std::string source;  // the file (or the name given for in-memory bytes)
  int producer = 0;    // GraphDef version of the writer (TF 1.x: two digits; TF 2.21: 2474)
  int node_count = 0;
  std::vector<TfPlaceholder> inputs;         // every Placeholder, in file order
  std::vector<std::string> outputs;          // the requested outputs, else the graph's sinks
  std::map<std::string, int> op_histogram;   // TF op -> node count
  std::vector<TfUnsupportedOp> unsupported;  // ops the importer cannot lower, by op name
  int64_t parameter_count = 0;               // elements of floating-point Const tensors
  int64_t parameter_bytes = 0;               // their bytes as stored in the file
  bool has_function_library = false;         // a non-empty library (functions are not supported)
};

struct TfImportResult {
  Graph graph;
  TfGraphInfo info;
  // Graph output name -> the TF tensor it is ("coeff" -> "coeff:0").
  std::map<std::string, std::string> outputs;
  // TF tensor name ("name:0") -> graph node id, for every TF tensor that became a graph value.
  std::map<std::string, int> tensor_nodes;
  // TF tensor name -> host value, for every tensor known at import time (Const nodes and
  // everything folded from them and from the input shapes). Lets tests compare shape
  // arithmetic with TensorFlow's.
  std::map<std::string, Tensor> folded;
};

// Reads, validates and lowers a frozen GraphDef file.
TfImportResult load_graph_def(const std::string& path, const TfImportOptions& options = {});
// The same from serialized bytes; `source` names them in errors.
TfImportResult import_graph_def_bytes(const std::string& bytes, const std::string& source,
                                      const TfImportOptions& options = {});
// The same from a parsed GraphDef (tests build broken graphs with the generated classes).
TfImportResult import_graph_def(const tf::GraphDef& def, const std::string& source,
                                const TfImportOptions& options = {});

// Parses and checks the graph's structure (names, edges, cycles) without lowering it:
// unknown ops are listed in the result instead of thrown. Throws for an unreadable or
// structurally broken file.
TfGraphInfo inspect_graph_def(const std::string& path, const TfImportOptions& options = {});
TfGraphInfo inspect_graph_def(const tf::GraphDef& def, const std::string& source,
                              const TfImportOptions& options = {});

// The TF ops the importer lowers (sorted), for help texts.
std::vector<std::string> supported_tf_ops();

}  // namespace p3d
