// Tensor shapes: a list of non-negative dimensions, row-major (the last dim is contiguous).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace p3d {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t operator[](int axis) const { return dims_[static_cast<size_t>(axis)]; }
  int64_t& operator[](int axis) { return dims_[static_cast<size_t>(axis)]; }
  const std::vector<int64_t>& dims() const { return dims_; }

  // Number of elements; throws p3d::Error on a negative dim or int64 overflow.
  int64_t numel() const;
  // Product of dims in [begin, end).
  int64_t product(int begin, int end) const;
  // Axis in [0, rank) from a possibly negative one (-1 is the last); throws when out of range.
  int normalize_axis(int axis) const;

  bool operator==(const Shape& other) const { return dims_ == other.dims_; }
  bool operator!=(const Shape& other) const { return dims_ != other.dims_; }
  std::string str() const;  // "[1,224,224,3]"

 private:
  std::vector<int64_t> dims_;
};

}  // namespace p3d
