// Import-time evaluation of the ops that frozen graphs apply to constants and shapes: the
// Shape -> StridedSlice -> Mul -> Pack arithmetic behind run-time resize sizes, the f32
// arithmetic of an unfused batch norm's constants, Fill, Range. Plain loops over host
// tensors (these tensors are small); f32 math matches TensorFlow's (IEEE single precision,
// the engine's apply_unary formulas), i32 math is checked for overflow and division by zero.
// Errors carry no node context: the caller's loop prefixes it.
#pragma once

#include <vector>

#include "engine/graph.h"

namespace p3d::tfimport {

enum class HostBinary { Add, Sub, Mul, RealDiv, FloorDiv, Maximum, Minimum };

// NumPy broadcasting of two shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b);

// Element-wise with broadcasting; both f32 or both i32.
Tensor host_binary(HostBinary op, const Tensor& a, const Tensor& b);
// f32 through apply_unary; i32 supports Square, Neg and Abs.
Tensor host_unary(Unary op, const Tensor& x, float alpha);
// Between f32, i32 and u8 (f32 -> integers truncates toward zero, as TF's Cast).
Tensor host_cast(const Tensor& x, DType to);
// f32 rounded through float16 and back (a Cast to half inside an f32 graph).
Tensor host_round_to_half(const Tensor& x);
// x[start + i*step] per dim; any dtype.
Tensor host_slice(const Tensor& x, const std::vector<SliceDim>& dims);
// Along `axis` (already normalised); same dtype and other dims.
Tensor host_concat(const std::vector<Tensor>& xs, int axis);
// Same elements, new shape (no copy).
Tensor host_reshape(const Tensor& x, const Shape& shape);

}  // namespace p3d::tfimport
