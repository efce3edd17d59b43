// A tensor: shape, dtype, the device its bytes live on, and shared ownership of them.
// Host tensors are created here; device tensors come from a Backend (engine/backend.h).
// A tensor may also be a non-owning view of memory someone else owns (an arena slot).
#pragma once

#include <cstring>
#include <memory>
#include <string>

#include "engine/dtype.h"
#include "engine/shape.h"
#include "kernels/error.h"

namespace p3d {

enum class DeviceKind : int32_t { CPU, CUDA };

// A device: its kind and, for CUDA, which GPU. A bare kind converts to device 0 of that kind,
// so `DeviceKind::CUDA` can be passed where one GPU is all there is.
struct Device {
  DeviceKind kind = DeviceKind::CPU;
  int index = 0;
  Device(DeviceKind device_kind = DeviceKind::CPU, int device_index = 0)  // NOLINT: implicit
      : kind(device_kind), index(device_index) {}
  bool operator==(const Device& o) const { return kind == o.kind && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  // Comparing with a bare kind would also compare the index with 0: compare `.kind` instead.
  bool operator==(DeviceKind) const = delete;
  bool operator!=(DeviceKind) const = delete;
  std::string str() const {
    return kind == DeviceKind::CPU ? "cpu" : "cuda:" + std::to_string(index);
  }
};

class Tensor {
 public:
  Tensor() = default;

  // A new host tensor, 64-byte aligned, zero-filled.
  static Tensor empty(const Shape& shape, DType dtype = DType::F32);
  // A host tensor holding a copy of `count` values; count must equal shape.numel().
  static Tensor from_data(const Shape& shape, const float* values, size_t count);
  // A non-owning view: the caller keeps `data` alive for as long as the tensor is used.
  static Tensor view(void* data, const Shape& shape, DType dtype, Device device = {});
  // Takes ownership of `storage` (released by its deleter) holding this tensor's bytes.
  static Tensor adopt(std::shared_ptr<void> storage, const Shape& shape, DType dtype,
                      Device device);

  bool defined() const { return data_ != nullptr || shape_.rank() > 0; }
  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  int64_t numel() const { return shape_.numel(); }
  size_t bytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  // Typed access; throws if the dtype does not match T.
  template <typename T>
  T* data();
  template <typename T>
  const T* data() const;

  // Same bytes, another shape with the same element count.
  Tensor reshaped(const Shape& shape) const;
  // A deep host copy (only for host tensors; device copies go through the Backend).
  Tensor clone() const;

  std::string str() const;  // "f32[1,224,224,3]@cpu"

 private:
  std::shared_ptr<void> storage_;
  void* data_ = nullptr;
  Shape shape_;
  DType dtype_ = DType::F32;
  Device device_;
};

namespace detail {
template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::F32;
}
template <>
constexpr DType dtype_of<int32_t>() {
  return DType::I32;
}
template <>
constexpr DType dtype_of<uint8_t>() {
  return DType::U8;
}
template <>
constexpr DType dtype_of<uint16_t>() {
  return DType::F16;
}  // raw half bits
}  // namespace detail

template <typename T>
T* Tensor::data() {
  P3D_CHECK(dtype_ == detail::dtype_of<T>(), "tensor ", str(), " accessed as ",
            dtype_name(detail::dtype_of<T>()));
  return static_cast<T*>(data_);
}
template <typename T>
const T* Tensor::data() const {
  return const_cast<Tensor*>(this)->data<T>();
}

}  // namespace p3d
