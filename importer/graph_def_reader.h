// Reading a frozen GraphDef: the file size cap, then protobuf parsing. Nothing here looks
// at the graph's meaning; validation.h checks structure and the lowering checks ops.
#pragma once

#include <cstdint>
#include <string>

#include "importer/tensorflow_graph.pb.h"

namespace p3d::tfimport {

// Protobuf cannot parse a message of 2 GiB or more, whatever cap the caller sets.
constexpr uint64_t kProtobufMaxBytes = (uint64_t{1} << 31) - 1;

// Reads `path` whole, refusing files larger than `max_bytes` before reading them.
std::string read_graph_file(const std::string& path, uint64_t max_bytes);

// Parses serialized GraphDef bytes; `source` names the file in errors. Refuses input over
// `max_bytes` and anything protobuf cannot parse (truncated or not a GraphDef).
tf::GraphDef parse_graph_def(const std::string& bytes, const std::string& source,
                             uint64_t max_bytes);

}  // namespace p3d::tfimport
