// Fixture loading (see tf_fixture.h).
#include "importer/tf_fixture.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "importer/json_reader.h"
#include "kernels/error.h"

namespace p3d {
namespace {

std::vector<TfFixtureTensor> tensors(const JsonValue& meta, const char* key,
                                     const std::string& dir) {
  std::vector<TfFixtureTensor> out;
  if (!meta.has(key)) return out;
  for (const JsonValue& e : meta.at(key).as_array()) {
    TfFixtureTensor t;
    t.tensor = e.at("tensor").as_string();
    t.path = (std::filesystem::path(dir) / e.at("file").as_string()).string();
    t.dtype = e.at("dtype").as_string();
    std::vector<int64_t> dims;
    for (const JsonValue& d : e.at("shape").as_array()) dims.push_back(d.as_int());
    t.shape = Shape(dims);
    if (e.has("placeholder_shape"))
      for (const JsonValue& d : e.at("placeholder_shape").as_array())
        t.placeholder_shape.push_back(d.as_int());
    if (e.has("op")) t.op = e.at("op").as_string();
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

TfFixture load_tf_fixture(const std::string& dir) {
  const std::string meta_path = (std::filesystem::path(dir) / "meta.json").string();
  std::ifstream in(meta_path);
  if (!in) P3D_THROW("fixture '", dir, "': cannot open ", meta_path);
  std::ostringstream text;
  text << in.rdbuf();
  try {
    const JsonValue meta = JsonValue::parse(text.str(), meta_path);
    TfFixture f;
    f.dir = dir;
    f.name = meta.at("name").as_string();
    if (meta.has("description")) f.description = meta.at("description").as_string();
    f.graph_path = (std::filesystem::path(dir) / meta.at("graph").as_string()).string();
    f.inputs = tensors(meta, "inputs", dir);
    f.outputs = tensors(meta, "outputs", dir);
    f.activations = tensors(meta, "activations", dir);
    return f;
  } catch (const Error& e) {
    P3D_THROW("fixture '", dir, "': ", e.what());
  }
}

std::vector<std::string> list_tf_fixtures(const std::string& root) {
  std::error_code ec;
  std::vector<std::string> dirs;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec))
    if (entry.is_directory() && std::filesystem::exists(entry.path() / "meta.json"))
      dirs.push_back(entry.path().string());
  if (ec) P3D_THROW("fixtures: cannot list '", root, "': ", ec.message());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

}  // namespace p3d
