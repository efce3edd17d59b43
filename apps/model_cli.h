// What `portrait3d inspect` and `portrait3d infer` share: reading a frozen graph once (so its
// placeholders can be checked before it is lowered), parsing NAME=VALUE arguments, matching
// user-given tensor names against the graph's, and formatting counts, bytes and shapes for
// aligned tables. Errors are p3d::Error with a message meant for the command line.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/dtype.h"
#include "engine/shape.h"
#include "importer/tensorflow_graph.pb.h"
#include "importer/tf_importer.h"

namespace p3d::app {

// A frozen graph read and parsed, with what it took.
struct LoadedGraphDef {
  std::string path;
  uint64_t file_bytes = 0;
  tf::GraphDef def;
  double read_parse_ms = 0;
};

// Throws a clear error when `path` is missing or not a regular file; `what` names it.
void require_regular_file(const std::string& path, const std::string& what);

// Reads and parses a GraphDef file under the importer's size cap.
LoadedGraphDef read_graph_def_file(const std::string& path, const TfImportOptions& options);

// Splits "NAME=VALUE" at its last '=' (TF names cannot hold '='); `option` names the flag in
// the error for a malformed argument.
std::pair<std::string, std::string> split_assignment(const std::string& arg,
                                                     const std::string& option);

// "1,224,224,3" (also with 'x' separators) -> dims; each dim must be a positive integer.
Shape parse_dims(const std::string& text, const std::string& what);

// "input_imgs:0" -> "input_imgs"; other output indices are kept ("split:1").
std::string strip_output_zero(const std::string& tensor);

// The placeholder named `name` (with or without ":0"); throws listing the real placeholders.
const TfPlaceholder& find_placeholder(const TfGraphInfo& info, const std::string& name);

// Throws when an output in options.outputs names no node of the graph (or has a bad ":k"),
// listing the graph's default outputs (its sinks). Call before inspect_graph_def with those
// outputs, which would refuse them with a terser message.
void check_output_names(const LoadedGraphDef& graph, const TfImportOptions& options);

// TensorFlow's dtype name -> ours; false when the engine has no such type.
bool dtype_from_tf(const std::string& tf_dtype, DType& out);

// "[?,224,224,3]" (unknown dims as '?'), or "unknown rank".
std::string declared_shape_str(const TfPlaceholder& p);
// The placeholder's dims with unknown batch dims set to `batch` (other unknowns stay -1).
Shape default_shape(const TfPlaceholder& p, int64_t batch);

// A file name for a tensor name: '/' and ':' become '.', other unusual characters '_'
// (the fixtures' convention: "a/b:1" -> "a.b.1").
std::string sanitize_file_name(const std::string& tensor);

// 23528522 -> "23,528,522".
std::string group_digits(int64_t value);
// 98.4 MiB, 12.0 KiB, 512 B.
std::string format_bytes(double bytes);
// 8.21 GFLOP, 512.0 MFLOP.
std::string format_flops(double flops);
// Left-pads or right-pads to `width` characters.
std::string pad_right(const std::string& s, size_t width);
std::string pad_left(const std::string& s, size_t width);

}  // namespace p3d::app
