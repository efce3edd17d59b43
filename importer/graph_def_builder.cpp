// GraphDef construction helpers (see graph_def_builder.h).
#include "importer/graph_def_builder.h"

#include "kernels/error.h"

namespace p3d::tfimport {

tf::NodeDef& GraphDefBuilder::node(const std::string& name, const std::string& op,
                                   const std::vector<std::string>& inputs) {
  tf::NodeDef* n = def_.add_node();
  n->set_name(name);
  n->set_op(op);
  for (const std::string& in : inputs) n->add_input(in);
  return *n;
}

tf::NodeDef& GraphDefBuilder::placeholder(const std::string& name, const std::vector<int64_t>& dims,
                                          int dtype) {
  tf::NodeDef& n = node(name, "Placeholder");
  set_type(n, "dtype", dtype);
  set_shape(n, "shape", dims);
  return n;
}

tf::NodeDef& GraphDefBuilder::constant(const std::string& name, const Tensor& value) {
  tf::NodeDef& n = node(name, "Const");
  int dtype = tf::DT_FLOAT;
  switch (value.dtype()) {
    case DType::F32:
      dtype = tf::DT_FLOAT;
      break;
    case DType::I32:
      dtype = tf::DT_INT32;
      break;
    case DType::U8:
      dtype = tf::DT_UINT8;
      break;
    case DType::F16:
      dtype = tf::DT_HALF;
      break;
  }
  set_type(n, "dtype", dtype);
  tf::TensorProto& t = *(*n.mutable_attr())["value"].mutable_tensor();
  t.set_dtype(static_cast<tf::DataType>(dtype));
  set_dims(t, value.shape().dims());
  t.set_tensor_content(std::string(static_cast<const char*>(value.raw()), value.bytes()));
  return n;
}

tf::NodeDef& GraphDefBuilder::floats(const std::string& name, const std::vector<int64_t>& dims,
                                     const std::vector<float>& values) {
  const Shape shape(dims);
  P3D_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), "floats('", name,
            "'): ", values.size(), " values for shape ", shape.str());
  return constant(name, Tensor::from_data(shape, values.data(), values.size()));
}

tf::NodeDef& GraphDefBuilder::ints(const std::string& name, const std::vector<int64_t>& dims,
                                   const std::vector<int32_t>& values) {
  const Shape shape(dims);
  P3D_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), "ints('", name,
            "'): ", values.size(), " values for shape ", shape.str());
  Tensor t = Tensor::empty(shape, DType::I32);
  for (size_t i = 0; i < values.size(); ++i) t.data<int32_t>()[i] = values[i];
  return constant(name, t);
}

void GraphDefBuilder::set_int(tf::NodeDef& n, const std::string& attr, int64_t v) {
  (*n.mutable_attr())[attr].set_i(v);
}
void GraphDefBuilder::set_float(tf::NodeDef& n, const std::string& attr, float v) {
  (*n.mutable_attr())[attr].set_f(v);
}
void GraphDefBuilder::set_bool(tf::NodeDef& n, const std::string& attr, bool v) {
  (*n.mutable_attr())[attr].set_b(v);
}

void GraphDefBuilder::set_string(tf::NodeDef& n, const std::string& attr, const std::string& v) {
  (*n.mutable_attr())[attr].set_s(v);
}

void GraphDefBuilder::set_type(tf::NodeDef& n, const std::string& attr, int dtype) {
  (*n.mutable_attr())[attr].set_type(static_cast<tf::DataType>(dtype));
}

void GraphDefBuilder::set_ints(tf::NodeDef& n, const std::string& attr,
                               const std::vector<int64_t>& v) {
  tf::AttrValue::ListValue* list = (*n.mutable_attr())[attr].mutable_list();
  list->clear_i();
  for (int64_t x : v) list->add_i(x);
}

void GraphDefBuilder::set_shape(tf::NodeDef& n, const std::string& attr,
                                const std::vector<int64_t>& dims) {
  tf::TensorShapeProto* s = (*n.mutable_attr())[attr].mutable_shape();
  s->clear_dim();
  for (int64_t d : dims) s->add_dim()->set_size(d);
}

void GraphDefBuilder::set_dims(tf::TensorProto& t, const std::vector<int64_t>& dims) {
  t.mutable_tensor_shape()->clear_dim();
  for (int64_t d : dims) t.mutable_tensor_shape()->add_dim()->set_size(d);
}

std::string GraphDefBuilder::serialize() const { return def_.SerializeAsString(); }

}  // namespace p3d::tfimport
