// A small reader and writer of NumPy .npy files (format 1.0-3.0): the form the TensorFlow
// fixtures store inputs and expected outputs in, and what the CLI reads inputs from and
// writes results to. Only what our tensors can hold: little-endian float32, float16, int32
// and uint8 ('<f4', '<f2', '<i4', '|u1'), C order. Anything else (big-endian data, Fortran
// order, other dtypes, a truncated file) is refused with an error naming the file.
#pragma once

#include <string>

#include "engine/tensor.h"

namespace p3d {

// Reads a .npy file into a new host tensor.
Tensor read_npy(const std::string& path);
// Parses the bytes of a .npy file; `what` names it in errors.
Tensor parse_npy(const std::string& bytes, const std::string& what);

// Writes a host tensor as a .npy file (format 1.0, header padded to 64 bytes).
void write_npy(const std::string& path, const Tensor& tensor);
// The bytes write_npy would write.
std::string serialize_npy(const Tensor& tensor);

}  // namespace p3d
