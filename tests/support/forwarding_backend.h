// A Backend that passes every call on to another backend: tests derive from it to count or
// break one thing (allocations, a faulty kernel) and inherit the rest unchanged.
//
// The *_plan methods are not forwarded: they keep Backend's "single implementation"
// answer, as a wrapper that only watches or breaks calls has no plan of its own to name.
#pragma once

#include <string>

#include "engine/backend.h"

namespace p3d::test {

class ForwardingBackend : public Backend {
 public:
  explicit ForwardingBackend(Backend& inner) : inner_(inner) {}
  Device device() const override { return inner_.device(); }
  std::string name() const override { return inner_.name(); }
  void* allocate(size_t bytes) override { return inner_.allocate(bytes); }
  void deallocate(void* p) noexcept override { inner_.deallocate(p); }
  void upload(void* d, const void* s, size_t n) override { inner_.upload(d, s, n); }
  void download(void* d, const void* s, size_t n) override { inner_.download(d, s, n); }
  void copy(void* d, const void* s, size_t n) override { inner_.copy(d, s, n); }
  void fill_zero(void* d, size_t n) override { inner_.fill_zero(d, n); }
  void synchronize() override { inner_.synchronize(); }
  Tensor pack_conv_filter(const Conv2dParams& p, const Tensor& f) override {
    return inner_.pack_conv_filter(p, f);
  }
  Tensor pack_conv_transpose_filter(const ConvTranspose2dParams& p, const Tensor& f) override {
    return inner_.pack_conv_transpose_filter(p, f);
  }
  size_t conv2d_workspace(const Conv2dParams& p) override { return inner_.conv2d_workspace(p); }
  size_t conv_transpose2d_workspace(const ConvTranspose2dParams& p) override {
    return inner_.conv_transpose2d_workspace(p);
  }
  void conv2d(const Conv2dParams& p, const float* x, const float* w, const float* b, const float* r,
              float* y, void* ws) override {
    inner_.conv2d(p, x, w, b, r, y, ws);
  }
  void conv_transpose2d(const ConvTranspose2dParams& p, const float* x, const float* w,
                        const float* b, const float* r, float* y, void* ws) override {
    inner_.conv_transpose2d(p, x, w, b, r, y, ws);
  }
  void matmul(const MatmulParams& p, const float* a, const float* b, const float* bias,
              float* c) override {
    inner_.matmul(p, a, b, bias, c);
  }
  void pool2d(const Pool2dParams& p, const float* x, float* y) override { inner_.pool2d(p, x, y); }
  void reduce(const ReduceParams& p, const float* x, float* y) override { inner_.reduce(p, x, y); }
  void batch_norm(const BatchNormParams& p, const float* x, const float* g, const float* b,
                  const float* m, const float* v, float* y) override {
    inner_.batch_norm(p, x, g, b, m, v, y);
  }
  void unary(const UnaryParams& p, const float* x, float* y) override { inner_.unary(p, x, y); }
  void binary(const BinaryParams& p, const float* a, const float* b, float* y) override {
    inner_.binary(p, a, b, y);
  }
  void cast(const CastParams& p, const void* x, void* y) override { inner_.cast(p, x, y); }
  void concat_copy(const ConcatCopyParams& p, const void* x, void* y) override {
    inner_.concat_copy(p, x, y);
  }
  void pad(const PadParams& p, const float* x, float* y) override { inner_.pad(p, x, y); }
  void transpose(const TransposeParams& p, const void* x, void* y) override {
    inner_.transpose(p, x, y);
  }
  void slice(const SliceParams& p, const void* x, void* y) override { inner_.slice(p, x, y); }
  void resize(const ResizeParams& p, const float* x, float* y) override { inner_.resize(p, x, y); }
  void custom(const CustomAttrs& op, const CustomCall& call) override { inner_.custom(op, call); }
  std::unique_ptr<LaunchRecording> record(const std::function<void()>& launches) override {
    return inner_.record(launches);
  }

 private:
  Backend& inner_;
};

}  // namespace p3d::test
