// The CPU backend: host memory and the kernels of kernels/cpu/, run on a thread pool.
// It is the reference the CUDA backend is checked against, and the fallback.
#include <cstdlib>
#include <cstring>

#include "engine/backend.h"
#include "kernels/cpu/cpu_kernels.h"

namespace p3d {
namespace {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int threads)
      : owned_pool_(threads > 0 ? std::make_unique<cpu::ThreadPool>(threads) : nullptr),
        pool_(owned_pool_ ? *owned_pool_ : cpu::ThreadPool::global()) {}

  Device device() const override { return Device{DeviceKind::CPU, 0}; }
  std::string name() const override { return "cpu(" + std::to_string(pool_.size()) + " threads)"; }

  void* allocate(size_t bytes) override {
    const size_t rounded = (bytes + 255) / 256 * 256;
    void* p = std::aligned_alloc(256, rounded == 0 ? 256 : rounded);
    if (!p) P3D_THROW("out of host memory allocating ", bytes, " bytes");
    return p;
  }
  void deallocate(void* ptr) noexcept override { std::free(ptr); }
  void upload(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void download(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy(void* dst, const void* src, size_t bytes) override { std::memmove(dst, src, bytes); }
  void fill_zero(void* dst, size_t bytes) override { std::memset(dst, 0, bytes); }
  void synchronize() override {}

  // The CPU kernels read TensorFlow's layouts directly.
  Tensor pack_conv_filter(const Conv2dParams&, const Tensor& f) override { return f.clone(); }
  Tensor pack_conv_transpose_filter(const ConvTranspose2dParams&, const Tensor& f) override {
    return f.clone();
  }

  size_t conv2d_workspace(const Conv2dParams& p) override {
    return cpu::conv2d_workspace_bytes(p, pool_.size());
  }
  size_t conv_transpose2d_workspace(const ConvTranspose2dParams& p) override {
    return cpu::conv_transpose2d_workspace_bytes(p, pool_.size());
  }
  void conv2d(const Conv2dParams& p, const float* x, const float* w, const float* bias,
              const float* residual, float* y, void* ws) override {
    cpu::conv2d(pool_, p, x, w, bias, residual, y, ws);
  }
  void conv_transpose2d(const ConvTranspose2dParams& p, const float* x, const float* w,
                        const float* bias, const float* residual, float* y, void* ws) override {
    cpu::conv_transpose2d(pool_, p, x, w, bias, residual, y, ws);
  }
  void matmul(const MatmulParams& p, const float* a, const float* b, const float* bias,
              float* c) override {
    cpu::matmul(pool_, p, a, b, bias, c);
  }
  void pool2d(const Pool2dParams& p, const float* x, float* y) override {
    cpu::pool2d(pool_, p, x, y);
  }
  void reduce(const ReduceParams& p, const float* x, float* y) override {
    cpu::reduce(pool_, p, x, y);
  }
  void batch_norm(const BatchNormParams& p, const float* x, const float* gamma, const float* beta,
                  const float* mean, const float* variance, float* y) override {
    cpu::batch_norm(pool_, p, x, gamma, beta, mean, variance, y);
  }
  void unary(const UnaryParams& p, const float* x, float* y) override {
    cpu::unary(pool_, p, x, y);
  }
  void binary(const BinaryParams& p, const float* a, const float* b, float* y) override {
    cpu::binary(pool_, p, a, b, y);
  }
  void cast(const CastParams& p, const void* x, void* y) override { cpu::cast(pool_, p, x, y); }
  void concat_copy(const ConcatCopyParams& p, const void* x, void* y) override {
    cpu::concat_copy(pool_, p, x, y);
  }
  void pad(const PadParams& p, const float* x, float* y) override { cpu::pad(pool_, p, x, y); }
  void transpose(const TransposeParams& p, const void* x, void* y) override {
    cpu::transpose(pool_, p, x, y);
  }
  void slice(const SliceParams& p, const void* x, void* y) override { cpu::slice(pool_, p, x, y); }
  void resize(const ResizeParams& p, const float* x, float* y) override {
    cpu::resize(pool_, p, x, y);
  }

 private:
  std::unique_ptr<cpu::ThreadPool> owned_pool_;
  cpu::ThreadPool& pool_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads) {
  return std::make_unique<CpuBackend>(threads);
}

}  // namespace p3d
