// The TensorFlow golden fixtures (tests/fixtures/tf/<name>/, made by tools/tf_fixtures):
// a frozen graph.pb, the inputs TensorFlow was fed, its outputs and intermediate activations
// as .npy files, indexed by meta.json. Loading them here lets the golden tests and the CLI's
// `infer --check` compare our results with TensorFlow's by tensor name.
#pragma once

#include <string>
#include <vector>

#include "engine/shape.h"

namespace p3d {

struct TfFixtureTensor {
  std::string tensor;  // TF tensor name, "node:0"
  std::string path;    // the .npy file (absolute, or relative to the working directory)
  std::string dtype;   // numpy's name: "float32", "int32"
  Shape shape;
  std::vector<int64_t> placeholder_shape;  // inputs only: declared dims, -1 unknown
  std::string op;                          // activations only: the TF op that produced it
};

struct TfFixture {
  std::string name;
  std::string dir;
  std::string description;
  std::string graph_path;  // <dir>/graph.pb
  std::vector<TfFixtureTensor> inputs, outputs, activations;
};

// Reads <dir>/meta.json; throws p3d::Error naming the file when it is missing or malformed.
TfFixture load_tf_fixture(const std::string& dir);
// The fixture directories under `root` (those holding a meta.json), sorted by name.
std::vector<std::string> list_tf_fixtures(const std::string& root);

}  // namespace p3d
