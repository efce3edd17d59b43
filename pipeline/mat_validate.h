// Structural validation of a MATLAB v5 .mat file before matio reads it. matio trusts what it
// is given: a compressed variable whose zlib stream breaks off is returned as whatever it
// inflated before the break (a truncated face-parsing mask reads as all zeros, without a
// word), and an element whose data is shorter than its dims is filled in silently. So every
// .mat goes through this walk first (MatReader does it; so does the step-1 record reader):
//  - the 128-byte header: version 0x0100 and an endian indicator ('IM' or 'MI');
//  - every top-level data element: its tag's size must fit in the file;
//  - miCOMPRESSED: the zlib stream is inflated and must end (Z_STREAM_END, which includes
//    zlib's adler32 check) exactly at the element's last byte, and inflate to exactly the
//    miMATRIX its first tag declares (the declared size is checked against the input cap
//    before the buffer is allocated);
//  - miMATRIX, recursively through cells and structs: array flags, dims, name, and for
//    numeric and char arrays a data element holding exactly prod(dims) elements (real and,
//    when flagged complex, imaginary part); prod(dims) widened to double must fit the cap.
// Every failure throws p3d::Error naming the file, the variable (or its byte offset when the
// name itself is unreadable) and what is wrong. v7.3 files (HDF5) are passed through
// unvalidated (hdf5 = true): the original never writes them, and HDF5 carries its own checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/input_limits.h"

namespace p3d {

// One top-level variable as its tags describe it.
struct MatVariableInfo {
  std::string name;
  int mx_class = 0;            // MATLAB class id (6 double, 7 single, 9 uint8, 1 cell, ...)
  bool complex = false;        // the array flags' complex bit
  std::vector<uint64_t> dims;  // as stored (MATLAB order: rows, cols, ...)
  bool compressed = false;     // stored in an miCOMPRESSED element
};

struct MatFileInfo {
  bool hdf5 = false;  // a v7.3 file: not walked, `variables` empty
  std::vector<MatVariableInfo> variables;
};

// Validates the bytes of a whole .mat file; `what` names it in errors.
MatFileInfo validate_mat_bytes(const uint8_t* data, size_t size, const std::string& what,
                               const InputLimits& limits = input_limits());

// Validates a file on disk (mapped read-only, so an uncompressed 127 MB face model costs only
// the pages its tags lie on).
MatFileInfo validate_mat_file(const std::string& path, const InputLimits& limits = input_limits());

}  // namespace p3d
