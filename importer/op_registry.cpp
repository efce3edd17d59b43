// The table of TF ops the importer lowers, assembled from the op families once.
#include "importer/import_context.h"
#include "importer/tf_importer.h"

namespace p3d::tfimport {

const OpTable& op_table() {
  static const OpTable table = [] {
    OpTable t;
    add_basic_ops(t);
    add_conv_ops(t);
    add_nn_ops(t);
    add_math_ops(t);
    add_array_ops(t);
    add_shape_ops(t);
    return t;
  }();
  return table;
}

const OpSpec* find_op(const std::string& op) {
  const OpTable& table = op_table();
  auto it = table.find(op);
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace p3d::tfimport

namespace p3d {

std::vector<std::string> supported_tf_ops() {
  std::vector<std::string> ops;
  for (const auto& [name, spec] : tfimport::op_table()) ops.push_back(name);
  return ops;
}

}  // namespace p3d
