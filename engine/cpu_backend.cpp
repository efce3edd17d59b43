// The CPU backend: host memory and the kernels of kernels/cpu/, run on a thread pool.
// It is the reference the CUDA backend is checked against, and the fallback. With a
// precision other than FP32 its convs and matmuls emulate the GPU's roundings
// (kernels/cpu/precision_emulation.h) so their error can be measured without a GPU.
#include <cstdlib>
#include <cstring>
#include <optional>

#include "engine/backend.h"
#include "engine/op_attrs.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/precision_emulation.h"
#include "kernels/error.h"

namespace p3d {
namespace {

class CpuBackend final : public Backend {
 public:
  CpuBackend(int threads, Precision precision)
      : owned_pool_(threads > 0 ? std::make_unique<cpu::ThreadPool>(threads) : nullptr),
        pool_(owned_pool_ ? *owned_pool_ : cpu::ThreadPool::global()) {
    if (precision == Precision::TF32) emulation_.emplace(cpu::Rounding::Tf32);
    if (precision == Precision::FP16) emulation_.emplace(cpu::Rounding::Half);
  }

  Device device() const override { return Device{DeviceKind::CPU, 0}; }
  std::string name() const override {
    std::string text = "cpu(" + std::to_string(pool_.size()) + " threads, " + cpu::gemm_isa();
    if (emulation_) text += emulation_->rounding() == cpu::Rounding::Tf32 ? ", tf32" : ", fp16";
    return text + ")";
  }

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

  // Filters are packed once into the GEMM's column panels for the instruction set chosen
  // at start-up (kernels/cpu/gemm.h); the kernels read only the packed form.
  Tensor pack_conv_filter(const Conv2dParams& p, const Tensor& host_filter) override {
    const Tensor f = emulated_filter(host_filter);
    Tensor packed = Tensor::empty(Shape{static_cast<int64_t>(cpu::conv2d_packed_filter_floats(p))});
    cpu::conv2d_pack_filter(p, f.data<float>(), packed.data<float>());
    return packed;
  }
  Tensor pack_conv_transpose_filter(const ConvTranspose2dParams& p,
                                    const Tensor& host_filter) override {
    const Tensor f = emulated_filter(host_filter);
    Tensor packed =
        Tensor::empty(Shape{static_cast<int64_t>(cpu::conv_transpose2d_packed_filter_floats(p))});
    cpu::conv_transpose2d_pack_filter(p, f.data<float>(), packed.data<float>());
    return packed;
  }

  size_t conv2d_workspace(const Conv2dParams& p) override {
    return cpu::conv2d_workspace_bytes(p, pool_.size());
  }
  // The path and the instruction set, e.g. "winograd F(2x2,3x3), avx512": what the profile's
  // kernel column shows (for a run at the shape the filter was packed for).
  std::string conv2d_plan(const Conv2dParams& p) override {
    return std::string(cpu::conv2d_path_name(p)) + ", " + cpu::gemm_isa();
  }
  size_t conv_transpose2d_workspace(const ConvTranspose2dParams& p) override {
    return cpu::conv_transpose2d_workspace_bytes(p, pool_.size());
  }
  void conv2d(const Conv2dParams& p, const float* x, const float* w, const float* bias,
              const float* residual, float* y, void* ws) override {
    if (emulation_) return emulation_->conv2d(pool_, p, x, w, bias, residual, y, ws);
    cpu::conv2d(pool_, p, x, w, bias, residual, y, ws);
  }
  void conv_transpose2d(const ConvTranspose2dParams& p, const float* x, const float* w,
                        const float* bias, const float* residual, float* y, void* ws) override {
    if (emulation_) return emulation_->conv_transpose2d(pool_, p, x, w, bias, residual, y, ws);
    cpu::conv_transpose2d(pool_, p, x, w, bias, residual, y, ws);
  }
  void matmul(const MatmulParams& p, const float* a, const float* b, const float* bias,
              float* c) override {
    if (emulation_) return emulation_->matmul(pool_, p, a, b, bias, c);
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
  void custom(const CustomAttrs& op, const CustomCall& call) override {
    P3D_CHECK(op.cpu, "custom op '", op.op_name, "' has no CPU kernel (CustomAttrs::on_cpu)");
    op.cpu(call);  // call.stream stays null: there is none on the CPU
  }

 private:
  // The host filter as the emulated precision stores it (the filter itself under FP32).
  Tensor emulated_filter(const Tensor& f) const {
    if (!emulation_) return f;
    Tensor rounded = f.clone();
    cpu::round_in_place(emulation_->rounding(), rounded.data<float>(),
                        static_cast<size_t>(rounded.numel()));
    return rounded;
  }

  std::unique_ptr<cpu::ThreadPool> owned_pool_;
  cpu::ThreadPool& pool_;
  std::optional<cpu::PrecisionEmulation> emulation_;  // empty under FP32
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads, Precision precision) {
  return std::make_unique<CpuBackend>(threads, precision);
}

}  // namespace p3d
