// libFuzzer target for the TensorFlow importer: arbitrary bytes as a frozen GraphDef, through
// inspect_graph_def and import_graph_def_bytes with small caps (1 MiB file, 1 MiB per decoded
// tensor) so a "splat" tensor or a huge shape cannot make the run about memory.
//
// p3d::Error is the importer's documented way to refuse input, so it is expected and swallowed.
// Anything else is a finding: another exception type escapes and aborts the run (libFuzzer
// reports an uncaught exception as a crash), as do crashes, ASan / UBSan reports, leaks,
// timeouts and out-of-memory.
//
// Build and run with tools/fuzz.sh (clang, -DP3D_FUZZ=ON).
#include <cstddef>
#include <cstdint>
#include <string>

#if __has_include(<google/protobuf/stubs/logging.h>)
#include <google/protobuf/stubs/common.h>
#include <google/protobuf/stubs/logging.h>
#define P3D_PROTOBUF_LOG_HANDLER 1
#endif

#include "importer/graph_def_reader.h"
#include "importer/tf_importer.h"
#include "kernels/error.h"

namespace {

p3d::TfImportOptions fuzz_options() {
  p3d::TfImportOptions options;
  options.max_file_bytes = uint64_t{1} << 20;
  options.max_tensor_bytes = uint64_t{1} << 20;
  return options;
}

}  // namespace

// Protobuf logs every malformed string field to stderr; at thousands of inputs a second
// that drowns libFuzzer's own output. (Protobuf 22+ logs through abseil and has no hook.)
extern "C" int LLVMFuzzerInitialize(int*, char***) {
#if defined(P3D_PROTOBUF_LOG_HANDLER) && GOOGLE_PROTOBUF_VERSION < 4022000
  google::protobuf::SetLogHandler(nullptr);
#endif
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const p3d::TfImportOptions options = fuzz_options();
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  // inspect: structure checks only, unknown ops listed rather than thrown.
  try {
    const p3d::tf::GraphDef def =
        p3d::tfimport::parse_graph_def(bytes, "fuzz", options.max_file_bytes);
    p3d::inspect_graph_def(def, "fuzz", options);
  } catch (const p3d::Error&) {
  }
  // import: validation, weight decoding, import-time folding and lowering into a graph.
  try {
    p3d::import_graph_def_bytes(bytes, "fuzz", options);
  } catch (const p3d::Error&) {
  }
  return 0;
}
