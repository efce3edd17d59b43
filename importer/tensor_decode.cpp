// TensorProto decoding (see tensor_decode.h). The file is untrusted: every size is checked
// before it is used to allocate or index.
#include "importer/tensor_decode.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/error.h"
#include "kernels/half.h"

namespace p3d::tfimport {
namespace {

// Bytes per element in tensor_content for the dtypes we import.
size_t content_element_size(int dtype) {
  switch (dtype) {
    case tf::DT_FLOAT:
      return 4;
    case tf::DT_HALF:
      return 2;
    case tf::DT_INT32:
      return 4;
    case tf::DT_INT64:
      return 8;
    case tf::DT_BOOL:
      return 1;
    case tf::DT_UINT8:
      return 1;
    default:
      return 0;
  }
}

// How many values the typed field for `dtype` holds, and how many every typed field holds.
int typed_count(const tf::TensorProto& p, int dtype) {
  switch (dtype) {
    case tf::DT_FLOAT:
      return p.float_val_size();
    case tf::DT_HALF:
      return p.half_val_size();
    case tf::DT_INT32:
    case tf::DT_UINT8:
      return p.int_val_size();
    case tf::DT_INT64:
      return p.int64_val_size();
    case tf::DT_BOOL:
      return p.bool_val_size();
    default:
      return 0;
  }
}

int all_typed_counts(const tf::TensorProto& p) {
  return p.float_val_size() + p.half_val_size() + p.int_val_size() + p.int64_val_size() +
         p.bool_val_size() + p.double_val_size() + p.string_val_size() + p.scomplex_val_size() +
         p.dcomplex_val_size() + p.uint32_val_size() + p.uint64_val_size();
}

// Element i of the source, as the wide type of its family (double for floats, int64 for ints).
struct Source {
  const tf::TensorProto& p;
  int dtype;
  bool raw;       // tensor_content
  int64_t count;  // values present (raw: the element count)

  int64_t index(int64_t i) const { return i < count ? i : count - 1; }  // splat: repeat the last

  template <typename T>
  T load(int64_t i) const {
    T v;
    std::memcpy(&v, p.tensor_content().data() + static_cast<size_t>(i) * sizeof(T), sizeof(T));
    return v;  // tensor_content is little-endian, as is every machine we build for
  }

  float as_float(int64_t i) const {
    i = index(i);
    if (dtype == tf::DT_FLOAT) return raw ? load<float>(i) : p.float_val(static_cast<int>(i));
    const uint16_t h =
        raw ? load<uint16_t>(i) : static_cast<uint16_t>(p.half_val(static_cast<int>(i)));
    return half_to_float(h);
  }

  int64_t as_int(int64_t i) const {
    i = index(i);
    switch (dtype) {
      case tf::DT_INT32:
        return raw ? load<int32_t>(i) : p.int_val(static_cast<int>(i));
      case tf::DT_INT64:
        return raw ? load<int64_t>(i) : p.int64_val(static_cast<int>(i));
      case tf::DT_BOOL:
        return raw ? (p.tensor_content()[static_cast<size_t>(i)] != 0)
                   : p.bool_val(static_cast<int>(i));
      case tf::DT_UINT8:
        return raw ? static_cast<uint8_t>(p.tensor_content()[static_cast<size_t>(i)])
                   : p.int_val(static_cast<int>(i));
      default:
        return 0;
    }
  }
};

}  // namespace

std::string tf_dtype_name(int dtype) {
  if (tf::DataType_IsValid(dtype)) return tf::DataType_Name(static_cast<tf::DataType>(dtype));
  return "DataType(" + std::to_string(dtype) + ")";
}

bool is_importable_dtype(int tf_dtype) { return content_element_size(tf_dtype) != 0; }

DType import_dtype(int tf_dtype, const std::string& where, const std::string& what) {
  switch (tf_dtype) {
    case tf::DT_FLOAT:
    case tf::DT_HALF:
      return DType::F32;
    case tf::DT_INT32:
    case tf::DT_INT64:
    case tf::DT_BOOL:
      return DType::I32;
    case tf::DT_UINT8:
      return DType::U8;
    default:
      P3D_THROW(where, ": ", what, " has unsupported dtype ", tf_dtype_name(tf_dtype),
                " (supported: DT_FLOAT, DT_HALF, DT_INT32, DT_INT64, DT_BOOL, DT_UINT8)");
  }
}

Shape decode_concrete_shape(const tf::TensorShapeProto& shape, size_t elem_bytes,
                            const std::string& where) {
  if (shape.unknown_rank()) P3D_THROW(where, ": tensor shape has unknown rank");
  std::vector<int64_t> dims;
  int64_t count = 1;
  for (int d = 0; d < shape.dim_size(); ++d) {
    const int64_t size = shape.dim(d).size();
    if (size < 0) P3D_THROW(where, ": tensor shape has negative dimension ", size, " at axis ", d);
    if (size != 0 && count > std::numeric_limits<int64_t>::max() / size)
      P3D_THROW(where,
                ": tensor shape's element count overflows int64 (dims so far: ", Shape(dims).str(),
                " then ", size, ")");
    count *= size;
    dims.push_back(size);
  }
  if (elem_bytes &&
      static_cast<uint64_t>(count) > std::numeric_limits<uint64_t>::max() / 2 / elem_bytes)
    P3D_THROW(where, ": tensor of shape ", Shape(dims).str(), " overflows in bytes (", count,
              " elements of ", elem_bytes, " bytes)");
  return Shape(dims);
}

int64_t tensor_proto_elements(const tf::TensorProto& proto) {
  int64_t count = 1;
  for (const auto& d : proto.tensor_shape().dim()) {
    if (d.size() < 0 || (d.size() != 0 && count > std::numeric_limits<int64_t>::max() / d.size()))
      return -1;
    count *= d.size();
  }
  return count;
}

Tensor decode_tensor(const tf::TensorProto& proto, const std::string& where,
                     const DecodeOptions& options) {
  const int dtype = proto.dtype();
  const DType to = import_dtype(dtype, where, "tensor");
  const size_t src_elem = content_element_size(dtype);
  const Shape shape =
      decode_concrete_shape(proto.tensor_shape(), std::max(src_elem, dtype_size(to)), where);
  const int64_t numel = shape.numel();
  const uint64_t out_bytes = static_cast<uint64_t>(numel) * dtype_size(to);
  if (out_bytes > options.max_tensor_bytes)
    P3D_THROW(where, ": tensor of shape ", shape.str(), " needs ", out_bytes,
              " bytes, over the cap of ", options.max_tensor_bytes,
              " bytes (TfImportOptions::max_tensor_bytes)");

  Source src{proto, dtype, !proto.tensor_content().empty(), 0};
  if (src.raw) {
    const uint64_t expected = static_cast<uint64_t>(numel) * src_elem;
    if (proto.tensor_content().size() != expected)
      P3D_THROW(where, ": tensor_content is ", proto.tensor_content().size(), " bytes, but shape ",
                shape.str(), " of ", tf_dtype_name(dtype), " needs ", expected);
    src.count = numel;
  } else {
    src.count = typed_count(proto, dtype);
    if (src.count == 0 && all_typed_counts(proto) > 0)
      P3D_THROW(where, ": tensor of dtype ", tf_dtype_name(dtype),
                " stores its values in a field of another dtype");
    if (src.count > numel)
      P3D_THROW(where, ": tensor has ", src.count, " values, but shape ", shape.str(), " holds ",
                numel);
  }

  Tensor out = Tensor::empty(shape, to);  // zero-filled: "no values" means zeros
  if (src.count == 0) return out;
  if (to == DType::F32) {
    float* dst = out.data<float>();
    for (int64_t i = 0; i < numel; ++i) {
      const float v = src.as_float(i);
      if (options.reject_nonfinite && !std::isfinite(v))
        P3D_THROW(where, ": tensor of shape ", shape.str(), " holds ", v, " at element ", i,
                  " (NaN / Inf weights: a corrupt or badly frozen file)");
      dst[i] = v;
    }
  } else if (to == DType::I32) {
    int32_t* dst = out.data<int32_t>();
    for (int64_t i = 0; i < numel; ++i) {
      const int64_t v = src.as_int(i);
      if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
        P3D_THROW(where, ": ", tf_dtype_name(dtype), " value ", v, " at element ", i,
                  " does not fit in int32 (64-bit integers are imported as int32)");
      dst[i] = static_cast<int32_t>(v);
    }
  } else {  // U8
    uint8_t* dst = out.data<uint8_t>();
    for (int64_t i = 0; i < numel; ++i) {
      const int64_t v = src.as_int(i);
      if (v < 0 || v > 255)
        P3D_THROW(where, ": uint8 value ", v, " at element ", i, " is out of range");
      dst[i] = static_cast<uint8_t>(v);
    }
  }
  return out;
}

}  // namespace p3d::tfimport
