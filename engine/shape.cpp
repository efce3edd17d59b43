#include "engine/shape.h"

#include <limits>

#include "kernels/error.h"

namespace p3d {

int64_t Shape::product(int begin, int end) const {
  int64_t result = 1;
  for (int d = begin; d < end; ++d) {
    const int64_t dim = dims_[static_cast<size_t>(d)];
    P3D_CHECK(dim >= 0, "negative dimension in shape ", str());
    if (dim != 0 && result > std::numeric_limits<int64_t>::max() / dim)
      P3D_THROW("element count of shape ", str(), " overflows int64");
    result *= dim;
  }
  return result;
}

int64_t Shape::numel() const { return product(0, rank()); }

int Shape::normalize_axis(int axis) const {
  const int r = rank();
  if (axis < -r || axis >= r) P3D_THROW("axis ", axis, " out of range for shape ", str());
  return axis < 0 ? axis + r : axis;
}

std::string Shape::str() const {
  std::string s = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(dims_[i]);
  }
  return s + "]";
}

}  // namespace p3d
