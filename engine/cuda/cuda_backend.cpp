// The CUDA backend: device memory, cuDNN for convolutions (planned by engine/cuda/
// cudnn_conv.h, with our direct kernels as the fallback), cuBLAS for matmuls and the custom
// kernels of kernels/cuda/ for everything else. The stream, the cuBLAS / cuDNN handles and
// the scratch buffers are the device's context (kernels/cuda/device_context.h), shared with
// the pipeline's CUDA units. This file only routes each Backend call to the unit that does
// the work.
//
// Numerics (engine/precision.h): under FP32 (the default) no TF32 anywhere (cuDNN
// descriptors use CUDNN_FMA_MATH, cuBLAS CUBLAS_COMPUTE_32F), so results agree with the CPU
// backend up to summation order; TF32 and FP16 run convs and matmuls on tensor cores.
// Every public entry makes the backend's device current first, so a caller that switched
// devices in between (another backend, a pipeline unit on another GPU) cannot send our work
// or allocations to the wrong one.
// Not thread-safe: one backend is driven by one host thread at a time.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/backend.h"
#include "engine/cuda/cuda_graph_recording.h"
#include "engine/cuda/cudnn_conv.h"
#include "engine/cuda/device_probe.h"
#include "engine/op_attrs.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/conv2d.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/device_context.h"
#include "kernels/cuda/owners.h"

namespace p3d {
namespace {

using cuda::DeviceContext;
using cuda_backend::CudnnConv;

// The cuBLAS compute type of a precision: FP32 exact, TF32 or half-converted inputs on
// tensor cores, float accumulation and result in all three.
cublasComputeType_t gemm_compute_type(Precision precision) {
  switch (precision) {
    case Precision::TF32:
      return CUBLAS_COMPUTE_32F_FAST_TF32;
    case Precision::FP16:
      return CUBLAS_COMPUTE_32F_FAST_16F;
    case Precision::FP32:
      break;
  }
  return CUBLAS_COMPUTE_32F;
}

// The fields a filter's packing depends on.
void check_filter_params(const Conv2dParams& p, const char* op) {
  P3D_CHECK(p.in_c > 0 && p.out_c > 0 && p.kernel_h > 0 && p.kernel_w > 0 && p.groups > 0, op,
            ": kernel size, channels and groups must be positive (in_c ", p.in_c, ", out_c ",
            p.out_c, ", kernel ", p.kernel_h, "x", p.kernel_w, ", groups ", p.groups, ")");
  P3D_CHECK(p.in_c % p.groups == 0 && p.out_c % p.groups == 0, op, ": channels (", p.in_c, ", ",
            p.out_c, ") not divisible by groups ", p.groups);
}

class CudaBackend final : public Backend {
 public:
  CudaBackend(std::shared_ptr<DeviceContext> context, Precision precision)
      : index_(context->device()),
        name_(describe_device(index_, precision)),
        precision_(precision),
        context_(std::move(context)),
        conv_(context_->cudnn(), context_->stream(), precision) {}

  ~CudaBackend() override {
    // Let queued work finish before the plans go (the context outlives us if shared).
    P3D_CUDA_CHECK_NOTHROW(cudaSetDevice(index_));
    P3D_CUDA_CHECK_NOTHROW(cudaStreamSynchronize(context_->stream()));
  }

  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  Device device() const override { return Device{DeviceKind::CUDA, index_}; }
  std::string name() const override { return name_; }

  // ---- memory --------------------------------------------------------------------------
  void* allocate(size_t bytes) override {
    current();
    void* ptr = nullptr;
    const cudaError_t status = cudaMalloc(&ptr, bytes == 0 ? 1 : bytes);  // 256-byte aligned
    if (status == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // not sticky: clear it so later calls are unaffected
      size_t free_bytes = 0, total_bytes = 0;
      (void)cudaMemGetInfo(&free_bytes, &total_bytes);
      P3D_THROW("out of GPU memory on ", device().str(), ": cudaMalloc of ", bytes,
                " bytes failed (", free_bytes, " of ", total_bytes, " bytes free)");
    }
    P3D_CUDA_CHECK(status);
    return ptr;
  }

  void deallocate(void* ptr) noexcept override {
    if (!ptr) return;
    P3D_CUDA_CHECK_NOTHROW(cudaSetDevice(index_));
    P3D_CUDA_CHECK_NOTHROW(cudaFree(ptr));
  }

  // Host buffers are pageable: an H2D cudaMemcpyAsync returns once the source has been
  // staged, so the caller may reuse it; D2H must wait for the stream before returning.
  void upload(void* dst, const void* host_src, size_t bytes) override {
    if (bytes == 0) return;
    current();
    P3D_CUDA_CHECK(cudaMemcpyAsync(dst, host_src, bytes, cudaMemcpyHostToDevice, stream()));
  }
  void download(void* host_dst, const void* src, size_t bytes) override {
    if (bytes == 0) return;
    current();
    P3D_CUDA_CHECK(cudaMemcpyAsync(host_dst, src, bytes, cudaMemcpyDeviceToHost, stream()));
    P3D_CUDA_CHECK(cudaStreamSynchronize(stream()));
  }
  void copy(void* dst, const void* src, size_t bytes) override {
    if (bytes == 0 || dst == src) return;
    current();
    P3D_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()));
  }
  void fill_zero(void* dst, size_t bytes) override {
    if (bytes == 0) return;
    current();
    P3D_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, stream()));
  }
  void synchronize() override {
    current();
    P3D_CUDA_CHECK(cudaStreamSynchronize(stream()));
  }

  // ---- weights -------------------------------------------------------------------------
  Tensor pack_conv_filter(const Conv2dParams& p, const Tensor& host_filter) override {
    check_filter_params(p, "conv2d");
    const int32_t group_in_c = p.in_c / p.groups;
    check_host_filter(host_filter, Shape{p.kernel_h, p.kernel_w, group_in_c, p.out_c}, "HWIO");
    return pack_filter(host_filter, p.kernel_h, p.kernel_w, group_in_c, p.out_c);
  }

  Tensor pack_conv_transpose_filter(const ConvTranspose2dParams& p,
                                    const Tensor& host_filter) override {
    check_filter_params(p, "conv_transpose2d");
    P3D_CHECK(p.groups == 1, "conv_transpose2d: only groups = 1 is supported, got ", p.groups);
    // HWOI [kh, kw, out_c, in_c] is the forward conv's HWIO with I = out_c, O = in_c; the
    // forward conv's KRSC filter is then [in_c, kh, kw, out_c].
    check_host_filter(host_filter, Shape{p.kernel_h, p.kernel_w, p.out_c, p.in_c}, "HWOI");
    return pack_filter(host_filter, p.kernel_h, p.kernel_w, p.out_c, p.in_c);
  }

  // ---- convolutions --------------------------------------------------------------------
  size_t conv2d_workspace(const Conv2dParams& p) override {
    current();
    return conv_.conv2d_workspace(p);
  }
  size_t conv_transpose2d_workspace(const ConvTranspose2dParams& p) override {
    current();
    return conv_.conv_transpose2d_workspace(p);
  }
  std::string conv2d_plan(const Conv2dParams& p) override {
    current();
    return conv_.conv2d_plan(p);
  }
  std::string conv_transpose2d_plan(const ConvTranspose2dParams& p) override {
    current();
    return conv_.conv_transpose2d_plan(p);
  }
  void conv2d(const Conv2dParams& p, const float* x, const float* filter, const float* bias,
              const float* residual, float* y, void* workspace) override {
    check_conv2d_params(p);
    current();
    conv_.conv2d(p, x, filter, bias, residual, y, workspace);
  }
  void conv_transpose2d(const ConvTranspose2dParams& p, const float* x, const float* filter,
                        const float* bias, const float* residual, float* y,
                        void* workspace) override {
    check_conv_transpose2d_params(p);
    current();
    conv_.conv_transpose2d(p, x, filter, bias, residual, y, workspace);
  }

  // ---- matmul --------------------------------------------------------------------------
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: the buffers are passed
  // to cuBLAS swapped, each with the transpose flag it already has.
  void matmul(const MatmulParams& p, const float* a, const float* b, const float* bias,
              float* c) override {
    check_matmul_params(p);
    current();
    P3D_CHECK(!p.has_bias || bias, "matmul: has_bias but bias is null");
    if (p.batch == 0 || p.m == 0 || p.n == 0) return;
    const int64_t c_count = static_cast<int64_t>(p.batch) * p.m * p.n;
    if (p.k == 0) {
      // An empty sum: C is zero (then bias and activation).
      P3D_CUDA_CHECK(cudaMemsetAsync(c, 0, c_count * sizeof(float), stream()));
    } else {
      const float alpha = 1.f;
      const float beta = 0.f;
      const cublasOperation_t op_b = p.transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N;
      const cublasOperation_t op_a = p.transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
      const int ldb = p.transpose_b ? p.k : p.n;
      const int lda = p.transpose_a ? p.m : p.k;
      // The compute type carries the precision per call; the shared handle keeps
      // CUBLAS_DEFAULT_MATH for the pipeline's exact FP32 GEMMs.
      P3D_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
          context_->cublas(), op_b, op_a, p.n, p.m, p.k, &alpha, b, CUDA_R_32F, ldb,
          static_cast<long long>(p.k) * p.n, a, CUDA_R_32F, lda, static_cast<long long>(p.m) * p.k,
          &beta, c, CUDA_R_32F, p.n, static_cast<long long>(p.m) * p.n, p.batch,
          gemm_compute_type(precision_), CUBLAS_GEMM_DEFAULT));
    }
    cuda::conv_epilogue(static_cast<int64_t>(p.batch) * p.m, p.n, p.has_bias ? bias : nullptr,
                        nullptr, p.activation, p.activation_alpha, c, stream());
  }

  // ---- the custom kernels --------------------------------------------------------------
  void pool2d(const Pool2dParams& p, const float* x, float* y) override {
    current();
    cuda::pool2d(p, x, y, stream());
  }
  void reduce(const ReduceParams& p, const float* x, float* y) override {
    current();
    cuda::reduce(p, x, y, stream());
  }
  void batch_norm(const BatchNormParams& p, const float* x, const float* gamma, const float* beta,
                  const float* mean, const float* variance, float* y) override {
    current();
    cuda::batch_norm(p, x, gamma, beta, mean, variance, y, stream());
  }
  void unary(const UnaryParams& p, const float* x, float* y) override {
    current();
    cuda::unary(p, x, y, stream());
  }
  void binary(const BinaryParams& p, const float* a, const float* b, float* y) override {
    current();
    cuda::binary(p, a, b, y, stream());
  }
  void cast(const CastParams& p, const void* x, void* y) override {
    current();
    cuda::cast(p, x, y, stream());
  }
  void concat_copy(const ConcatCopyParams& p, const void* x, void* y) override {
    current();
    cuda::concat_copy(p, x, y, stream());
  }
  void pad(const PadParams& p, const float* x, float* y) override {
    current();
    cuda::pad(p, x, y, stream());
  }
  void transpose(const TransposeParams& p, const void* x, void* y) override {
    current();
    cuda::transpose(p, x, y, stream());
  }
  void slice(const SliceParams& p, const void* x, void* y) override {
    current();
    cuda::slice(p, x, y, stream());
  }
  void resize(const ResizeParams& p, const float* x, float* y) override {
    current();
    cuda::resize(p, x, y, stream());
  }
  void custom(const CustomAttrs& op, const CustomCall& call) override {
    if (!op.cuda)
      P3D_THROW("custom op '", op.op_name,
                "' has no CUDA implementation (CustomAttrs::on_cuda); run it on the CPU backend "
                "or give it a CUDA kernel");
    current();
    CustomCall on_stream = call;
    on_stream.stream = stream();
    op.cuda(on_stream);
    P3D_CUDA_CHECK(cudaGetLastError());  // a launch the callback did not check
  }

  // The executor's steady state as one CUDA graph (engine/cuda/cuda_graph_recording.h).
  std::unique_ptr<LaunchRecording> record(const std::function<void()>& launches) override {
    current();
    return cuda::record_cuda_graph(stream(), launches);
  }

 private:
  // Makes this backend's device current (cheap when it already is).
  void current() const { P3D_CUDA_CHECK(cudaSetDevice(index_)); }

  static std::string describe_device(int index, Precision precision) {
    cudaDeviceProp prop{};
    P3D_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
    std::string text =
        detail::concat("cuda:", index, " (", prop.name, ", sm_", prop.major, prop.minor);
    if (precision != Precision::FP32) text += detail::concat(", ", precision_name(precision));
    return text + ")";
  }

  cudaStream_t stream() const { return context_->stream(); }

  static void check_host_filter(const Tensor& f, const Shape& expected, const char* layout) {
    P3D_CHECK(f.device().kind == DeviceKind::CPU, "pack: the filter must be a host tensor, got ",
              f.str());
    P3D_CHECK(f.dtype() == DType::F32, "pack: the filter must be f32, got ", f.str());
    P3D_CHECK(f.shape() == expected, "pack: filter ", f.str(), " is not the ", layout, " shape ",
              expected.str());
  }

  // Uploads a host HWIO filter and reorders it on the GPU into a new KRSC tensor.
  Tensor pack_filter(const Tensor& host, int32_t kh, int32_t kw, int32_t in_c, int32_t out_c) {
    current();
    // Under FP16 the allocation also holds the half copy cuDNN reads, right after the floats
    // the direct fallback reads (CudnnConv::half_filter).
    const size_t float_bytes = host.bytes();
    const size_t bytes = float_bytes + CudnnConv::half_filter_bytes(precision_, host.numel());
    void* raw = allocate(bytes == 0 ? 1 : bytes);
    std::shared_ptr<void> storage(raw, [this](void* q) { deallocate(q); });
    Tensor packed =
        Tensor::adopt(std::move(storage), Shape{out_c, kh, kw, in_c}, DType::F32, device());
    // Staging in the context's reusable buffers: compile-time only, grown to the largest filter.
    void* staging = context_->buffer("engine.filter_staging", float_bytes);
    upload(staging, host.raw(), float_bytes);
    cuda::hwio_to_ohwi(kh, kw, in_c, out_c, static_cast<const float*>(staging),
                       packed.data<float>(), stream());
    conv_.make_half_filter(packed.data<float>(), host.numel());
    synchronize();  // the staging buffer is reused by the next pack
    return packed;
  }

  // Declaration order is construction order: the context (device, stream, handles) comes
  // before the conv plans that use it, and outlives them.
  int index_;
  std::string name_;
  Precision precision_;
  std::shared_ptr<DeviceContext> context_;
  CudnnConv conv_;
};

// Why cudaGetDeviceCount failed, in words a user can act on.
std::string no_device_reason(cudaError_t status) {
  std::string reason =
      detail::concat("no usable CUDA device: cudaGetDeviceCount() failed with ",
                     cudaGetErrorName(status), " (", cudaGetErrorString(status), ")");
  if (status == cudaErrorInsufficientDriver || status == cudaErrorNoDevice)
    reason += "; is an NVIDIA GPU present, with a driver recent enough for CUDA 13?";
  return reason;
}

}  // namespace

bool cuda_available(std::string* reason) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();  // leave no error behind for the caller's next CUDA call
    if (reason) *reason = no_device_reason(status);
    return false;
  }
  if (count <= 0) {
    if (reason) *reason = "no CUDA device: the driver reports 0 GPUs";
    return false;
  }
  // Probe device 0 without changing the caller's current device.
  int previous = 0;
  const bool had_current = cudaGetDevice(&previous) == cudaSuccess;
  const bool runnable = cuda_backend::device_code_runnable(0, reason);
  if (had_current) (void)cudaSetDevice(previous);
  (void)cudaGetLastError();
  if (runnable && reason) reason->clear();
  return runnable;
}

std::unique_ptr<Backend> make_cuda_backend(int index, Precision precision) {
  std::string reason;
  if (!cuda_available(&reason)) P3D_THROW("the CUDA backend is not available: ", reason);
  int count = 0;
  P3D_CUDA_CHECK(cudaGetDeviceCount(&count));
  P3D_CHECK(index >= 0 && index < count, "CUDA device index ", index, " out of range (", count,
            " devices)");
  if (!cuda_backend::device_code_runnable(index, &reason)) P3D_THROW(reason);
  return std::make_unique<CudaBackend>(cuda::acquire_device_context(index), precision);
}

}  // namespace p3d
