// libFuzzer target for the .npy reader (importer/npy.h parse_npy), which the CLI's `infer`
// reads user inputs with: arbitrary bytes as a .npy file. An accepted file must describe its
// own bytes: the tensor's byte size is what the header's shape and dtype need, and writing it
// back and parsing again gives the same shape.
//
// p3d::Error is the documented refusal; anything else is a finding (see mat_fuzzer.cpp).
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/tensor.h"
#include "importer/npy.h"
#include "kernels/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const p3d::Tensor t = p3d::parse_npy(bytes, "fuzz");
    const p3d::Tensor again = p3d::parse_npy(p3d::serialize_npy(t), "fuzz round trip");
    if (again.shape() != t.shape()) __builtin_trap();
  } catch (const p3d::Error&) {
  }
  return 0;
}
