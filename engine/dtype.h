// Element types of tensors. Compute is f32; f16, i32 and u8 are storage types that Cast
// converts (images arrive as u8, shape arithmetic is i32, f16 is an opt-in precision).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/elementwise.h"

namespace p3d {

using DType = ScalarType;

inline size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32:
      return 4;
    case DType::F16:
      return 2;
    case DType::I32:
      return 4;
    case DType::U8:
      return 1;
  }
  return 0;
}

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32:
      return "f32";
    case DType::F16:
      return "f16";
    case DType::I32:
      return "i32";
    case DType::U8:
      return "u8";
  }
  return "?";
}

}  // namespace p3d
