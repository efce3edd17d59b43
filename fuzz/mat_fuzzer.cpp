// libFuzzer target for the .mat reader every mask and face-model file goes through: arbitrary
// bytes through validate_mat_bytes (the structure walk), and, when the walk accepts them,
// through MatReader (matio) reading every top-level variable and converting it as the
// pipeline does (to_floats, to_indices). The walk must never accept what matio then reads
// differently, so MatReader cross-checks the dims it gets against the walk's.
//
// p3d::Error is the documented refusal and is swallowed; anything else (a crash, an ASan or
// UBSan report, another exception type, a leak, a timeout, an allocation past the limit) is a
// finding. Build and run with tools/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "kernels/error.h"
#include "pipeline/mat_file.h"
#include "pipeline/mat_validate.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  p3d::fuzz::set_fuzz_limits();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  p3d::MatFileInfo info;
  try {
    info = p3d::validate_mat_bytes(data, size, "fuzz");
  } catch (const p3d::Error&) {
    return 0;
  }
  if (info.hdf5) return 0;  // left to matio's HDF5 reader, outside our code
  static p3d::fuzz::MemoryFile file;
  if (!file.assign(data, size)) return 0;
  try {
    p3d::MatReader reader(file.path());
    for (const p3d::MatVariableInfo& v : info.variables) {
      try {
        if (!reader.has(v.name)) continue;
        const p3d::MatArray a = reader.read(v.name);
        (void)a.to_doubles();
        (void)a.to_indices(1, 1 << 20);
      } catch (const p3d::Error&) {
      }
    }
  } catch (const p3d::Error&) {
  }
  return 0;
}
