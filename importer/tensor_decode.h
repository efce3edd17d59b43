// TensorProto -> host Tensor, and the TensorFlow dtypes we accept.
//
// Weights come either as raw little-endian bytes (tensor_content) or in the typed repeated
// field of their dtype (float_val, half_val, int_val, int64_val, bool_val), where fewer values
// than the shape needs means "repeat the last one" (TF writes tf.zeros([64]) as one value)
// and none means zeros. Imported dtypes: f32 and f16 become f32; i32, i64 and bool become i32
// (they only ever feed shape arithmetic; i64 values must fit in i32); u8 stays u8.
// Every problem is an Error prefixed by `where` ("tensorflow graph 'f.pb': node 'w' (Const)").
#pragma once

#include <cstdint>
#include <string>

#include "engine/tensor.h"
#include "importer/tensorflow_graph.pb.h"

namespace p3d::tfimport {

// "DT_FLOAT", or "DataType(77)" for numbers outside the enum.
std::string tf_dtype_name(int dtype);

// The engine dtype a TF dtype imports as; throws naming `where` and `what` when unsupported.
DType import_dtype(int tf_dtype, const std::string& where, const std::string& what);
bool is_importable_dtype(int tf_dtype);

// Dims of a concrete tensor shape: non-negative, element count and `elem_bytes`-byte size
// without overflow. Throws otherwise.
Shape decode_concrete_shape(const tf::TensorShapeProto& shape, size_t elem_bytes,
                            const std::string& where);

struct DecodeOptions {
  uint64_t max_tensor_bytes = uint64_t{2} << 30;
  bool reject_nonfinite = true;
};

Tensor decode_tensor(const tf::TensorProto& proto, const std::string& where,
                     const DecodeOptions& options);

// Element count and the bytes the file stores for a TensorProto, without decoding it (for
// parameter counts); -1 when the shape is unusable.
int64_t tensor_proto_elements(const tf::TensorProto& proto);

}  // namespace p3d::tfimport
