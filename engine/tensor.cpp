#include "engine/tensor.h"

#include <cstdlib>

namespace p3d {

namespace {
std::shared_ptr<void> allocate_host(size_t bytes) {
  // 64-byte alignment: full AVX-512 vectors and no false sharing between tensors.
  const size_t rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  if (!p) P3D_THROW("out of host memory allocating ", bytes, " bytes");
  std::memset(p, 0, rounded == 0 ? 64 : rounded);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}
}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  Tensor t;
  t.shape_ = shape;
  t.dtype_ = dtype;
  t.storage_ = allocate_host(t.bytes());
  t.data_ = t.storage_.get();
  return t;
}

Tensor Tensor::from_data(const Shape& shape, const float* values, size_t count) {
  P3D_CHECK(static_cast<int64_t>(count) == shape.numel(), count, " values for shape ", shape.str());
  Tensor t = empty(shape, DType::F32);
  if (count) std::memcpy(t.data_, values, count * sizeof(float));
  return t;
}

Tensor Tensor::view(void* data, const Shape& shape, DType dtype, Device device) {
  Tensor t;
  t.data_ = data;
  t.shape_ = shape;
  t.dtype_ = dtype;
  t.device_ = device;
  return t;
}

Tensor Tensor::adopt(std::shared_ptr<void> storage, const Shape& shape, DType dtype,
                     Device device) {
  Tensor t;
  t.storage_ = std::move(storage);
  t.data_ = t.storage_.get();
  t.shape_ = shape;
  t.dtype_ = dtype;
  t.device_ = device;
  return t;
}

Tensor Tensor::reshaped(const Shape& shape) const {
  P3D_CHECK(shape.numel() == numel(), "cannot reshape ", str(), " to ", shape.str());
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

Tensor Tensor::clone() const {
  P3D_CHECK(device_.kind == DeviceKind::CPU, "clone() of device tensor ", str());
  Tensor t = empty(shape_, dtype_);
  if (bytes()) std::memcpy(t.data_, data_, bytes());
  return t;
}

std::string Tensor::str() const {
  return std::string(dtype_name(dtype_)) + shape_.str() + "@" + device_.str();
}

}  // namespace p3d
