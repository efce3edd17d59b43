// TensorFlow's StridedSlice semantics (begin/end/strides with begin_mask, end_mask,
// ellipsis_mask, new_axis_mask and shrink_axis_mask) resolved against a concrete input shape
// into one Python-style slice per input dim plus the final shape. Both the import-time
// evaluation (host tensors) and the lowering to the layer graph's Slice + Reshape use it.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/graph.h"

namespace p3d::tfimport {

struct StridedSliceSpec {
  std::vector<int64_t> begin, end, strides;  // the "sparse" spec, one entry per index
  int64_t begin_mask = 0, end_mask = 0, ellipsis_mask = 0, new_axis_mask = 0, shrink_axis_mask = 0;
};

struct ResolvedStridedSlice {
  SliceAttrs slice;            // one dim per input dim (Python semantics, SliceAttrs sentinels)
  std::vector<SliceDim> dims;  // the same resolved against the input shape
  std::vector<int64_t> final_shape;  // after shrink_axis (dims dropped) and new_axis (1s inserted)
};

// Throws p3d::Error (without node context) for an inconsistent spec or an out-of-range
// shrink index.
ResolvedStridedSlice resolve_strided_slice(const Shape& input, const StridedSliceSpec& spec);

}  // namespace p3d::tfimport
