// Building GraphDefs in C++: small graphs for tests (including deliberately broken ones) and
// for tools that synthesise a graph, without TensorFlow. Nodes are appended in call order;
// the attr setters write exactly what TensorFlow would (lists for strides, bytes for
// strings), and nothing is validated here: that is the importer's job.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "importer/tensorflow_graph.pb.h"

namespace p3d::tfimport {

class GraphDefBuilder {
 public:
  tf::NodeDef& node(const std::string& name, const std::string& op,
                    const std::vector<std::string>& inputs = {});
  // A Placeholder with the given dims (-1 = unknown).
  tf::NodeDef& placeholder(const std::string& name, const std::vector<int64_t>& dims,
                           int dtype = tf::DT_FLOAT);
  // A Const holding `value` (f32, i32 or u8) as tensor_content.
  tf::NodeDef& constant(const std::string& name, const Tensor& value);
  tf::NodeDef& floats(const std::string& name, const std::vector<int64_t>& dims,
                      const std::vector<float>& values);
  tf::NodeDef& ints(const std::string& name, const std::vector<int64_t>& dims,
                    const std::vector<int32_t>& values);

  static void set_int(tf::NodeDef& n, const std::string& attr, int64_t v);
  static void set_float(tf::NodeDef& n, const std::string& attr, float v);
  static void set_bool(tf::NodeDef& n, const std::string& attr, bool v);
  static void set_string(tf::NodeDef& n, const std::string& attr, const std::string& v);
  static void set_type(tf::NodeDef& n, const std::string& attr, int dtype);
  static void set_ints(tf::NodeDef& n, const std::string& attr, const std::vector<int64_t>& v);
  static void set_shape(tf::NodeDef& n, const std::string& attr, const std::vector<int64_t>& dims);
  // The tensor_shape of a TensorProto.
  static void set_dims(tf::TensorProto& t, const std::vector<int64_t>& dims);

  tf::GraphDef& def() { return def_; }
  const tf::GraphDef& def() const { return def_; }
  std::string serialize() const;

 private:
  tf::GraphDef def_;
};

}  // namespace p3d::tfimport
