// StridedSlice resolution (see strided_slice.h). Follows TensorFlow's "sparse to dense"
// construction: an ellipsis (explicit, or implied after the last index) expands to as many
// whole dims as the indices leave over; new axes consume no input dim; a shrink index takes
// exactly one element at `begin` and drops the dim.
#include "importer/strided_slice.h"

#include "kernels/error.h"

namespace p3d::tfimport {
namespace {

bool bit(int64_t mask, size_t i) { return i < 63 && ((mask >> i) & 1) != 0; }

}  // namespace

ResolvedStridedSlice resolve_strided_slice(const Shape& input, const StridedSliceSpec& spec) {
  const size_t n = spec.begin.size();
  if (spec.end.size() != n || spec.strides.size() != n)
    P3D_THROW("StridedSlice begin, end and strides have different lengths (", spec.begin.size(),
              ", ", spec.end.size(), ", ", spec.strides.size(), ")");
  if (n > 62) P3D_THROW("StridedSlice has ", n, " indices");
  size_t ellipses = 0;
  for (size_t i = 0; i < n; ++i) ellipses += bit(spec.ellipsis_mask, i);
  if (ellipses > 1) P3D_THROW("StridedSlice has more than one ellipsis");
  // Without an explicit ellipsis TF implies one after the last index.
  const size_t count = ellipses ? n : n + 1;
  const size_t ellipsis_at = [&] {
    for (size_t i = 0; i < n; ++i)
      if (bit(spec.ellipsis_mask, i)) return i;
    return n;
  }();
  size_t new_after_ellipsis = 0;
  for (size_t i = ellipsis_at + 1; i < n; ++i)
    new_after_ellipsis += bit(spec.new_axis_mask, i) ? 1 : 0;

  const int rank = input.rank();
  ResolvedStridedSlice r;
  r.slice.begin.assign(static_cast<size_t>(rank), SliceAttrs::kSliceStart);
  r.slice.end.assign(static_cast<size_t>(rank), SliceAttrs::kSliceEnd);
  r.slice.step.assign(static_cast<size_t>(rank), 1);
  // Final shape, built as: >= 0 keep that input dim's count, -1 a new axis of size 1.
  std::vector<int> final_from;
  int full = 0;
  for (size_t i = 0; i < count; ++i) {
    if (i == ellipsis_at) {
      const int64_t next =
          std::min<int64_t>(static_cast<int64_t>(rank) - static_cast<int64_t>(count - i) + 1 +
                                static_cast<int64_t>(new_after_ellipsis),
                            rank);
      if (next < full)
        P3D_THROW("StridedSlice has more indices than the input ", input.str(), " has dims");
      for (; full < next; ++full) final_from.push_back(full);
      continue;
    }
    if (bit(spec.new_axis_mask, i)) {
      final_from.push_back(-1);
      continue;
    }
    if (full >= rank) P3D_THROW("StridedSlice indexes ", full + 1, " dims of input ", input.str());
    const size_t d = static_cast<size_t>(full);
    const int64_t dim = input[full];
    const int64_t stride = spec.strides[i];
    if (bit(spec.shrink_axis_mask, i)) {
      const int64_t index = spec.begin[i] < 0 ? spec.begin[i] + dim : spec.begin[i];
      if (index < 0 || index >= dim)
        P3D_THROW("StridedSlice index ", spec.begin[i], " is out of range for dim ", full,
                  " of input ", input.str());
      r.slice.begin[d] = index;
      r.slice.end[d] = index + 1;
      r.slice.step[d] = 1;
    } else {
      if (stride == 0) P3D_THROW("StridedSlice stride of index ", i, " is 0");
      r.slice.begin[d] = bit(spec.begin_mask, i) ? SliceAttrs::kSliceStart : spec.begin[i];
      r.slice.end[d] = bit(spec.end_mask, i) ? SliceAttrs::kSliceEnd : spec.end[i];
      r.slice.step[d] = stride;
      final_from.push_back(full);
    }
    ++full;
  }
  for (int d = 0; d < rank; ++d) {
    const size_t k = static_cast<size_t>(d);
    r.dims.push_back(
        resolve_slice_dim(input[d], r.slice.begin[k], r.slice.end[k], r.slice.step[k]));
  }
  for (int from : final_from)
    r.final_shape.push_back(from < 0 ? 1 : r.dims[static_cast<size_t>(from)].count);
  return r;
}

}  // namespace p3d::tfimport
