// The CUDA backend: device memory, one non-blocking stream, cuDNN for convolutions, cuBLAS
// for matmuls and the custom kernels of kernels/cuda/ for everything else.
//
// Numerics: FP32 throughout, no TF32 (cuDNN descriptors use CUDNN_FMA_MATH, cuBLAS
// CUBLAS_DEFAULT_MATH), so results agree with the CPU backend up to summation order.
// Convolutions: cuDNN's legacy API on NHWC tensors with KRSC filters (packed once from
// TensorFlow's layouts). A plan per distinct shape holds the descriptors and the algorithm
// chosen by cuDNN's heuristics; it is built when the executor asks for the workspace size
// at plan time, so the run itself only launches work and never allocates.
// cuDNN only pads symmetrically; an asymmetric conv pads its input explicitly into the
// workspace, an asymmetric transposed conv computes a larger result there and crops it
// (and should cuDNN reject some padding outright, all of it is done that way). A conv2d
// shape cuDNN has no FP32 algorithm for at all runs on a direct kernel (direct_conv.h).
// Not thread-safe: one backend is driven by one host thread at a time.
#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "kernels/cuda/check.h"
#include "engine/cuda/cuda_owners.h"
#include "engine/cuda/cudnn_descriptors.h"
#include "engine/cuda/device_probe.h"
#include "engine/cuda/direct_conv.h"
#include "kernels/cuda/cuda_kernels.h"

namespace p3d {
namespace {

using cuda_backend::ConvolutionDescriptor;
using cuda_backend::CublasHandle;
using cuda_backend::CudnnHandle;
using cuda_backend::DeviceBuffer;
using cuda_backend::FilterDescriptor;
using cuda_backend::Stream;
using cuda_backend::TensorDescriptor;

constexpr size_t kAlignment = 256;                        // allocations and workspace sections
constexpr size_t kMaxCudnnWorkspace = size_t{256} << 20;  // algorithms needing more are skipped
constexpr size_t kCublasWorkspace = size_t{32} << 20;     // NVIDIA's recommendation for Hopper

size_t align_up(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

// The first kAlignment-aligned address at or after `ptr`.
char* align_pointer(void* ptr) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(ptr);
  return static_cast<char*>(ptr) + (align_up(address) - address);
}

// Padding along one axis split into the symmetric part cuDNN applies and the extra zeros
// the backend adds itself.
struct PadSplit {
  int32_t symmetric;
  int32_t extra_before;
  int32_t extra_after;
  bool has_extra() const { return extra_before != 0 || extra_after != 0; }
};

// How a plan pads. Normally cuDNN takes min(before, after) and the backend only adds the
// difference (at most one side per axis). Should cuDNN offer no algorithm for that padding
// (e.g. padding as large as the kernel), the plan is rebuilt with all padding explicit.
enum class Padding { kSymmetricInCudnn, kAllExplicit };

PadSplit split_padding(int32_t before, int32_t after, Padding mode) {
  if (mode == Padding::kAllExplicit) return PadSplit{0, before, after};
  const int32_t common = std::min(before, after);
  return PadSplit{common, before - common, after - common};
}

bool any_padding(const Conv2dParams& p) {
  return p.pad_top != 0 || p.pad_left != 0 || p.pad_bottom != 0 || p.pad_right != 0;
}

std::string describe(const char* op, const Conv2dParams& p) {
  return detail::concat(
      op, " N=", p.batch, " in=", p.in_h, "x", p.in_w, "x", p.in_c, " out=", p.out_h, "x", p.out_w,
      "x", p.out_c, " kernel=", p.kernel_h, "x", p.kernel_w, " stride=", p.stride_h, "x",
      p.stride_w, " dilation=", p.dilation_h, "x", p.dilation_w, " pad(t,l,b,r)=(", p.pad_top, ",",
      p.pad_left, ",", p.pad_bottom, ",", p.pad_right, ") groups=", p.groups);
}

// Every field of Conv2dParams that changes descriptors, algorithm or workspace: all but
// the bias and activation of the epilogue. has_residual matters to a transposed conv with
// asymmetric padding, whose workspace then also holds a copy of the residual.
using ConvKey = std::array<int32_t, 19>;

ConvKey conv_key(const Conv2dParams& p) {
  return ConvKey{p.batch,
                 p.in_h,
                 p.in_w,
                 p.in_c,
                 p.out_h,
                 p.out_w,
                 p.out_c,
                 p.kernel_h,
                 p.kernel_w,
                 p.stride_h,
                 p.stride_w,
                 p.dilation_h,
                 p.dilation_w,
                 p.pad_top,
                 p.pad_left,
                 p.pad_bottom,
                 p.pad_right,
                 p.groups,
                 p.has_residual ? 1 : 0};
}

// Everything a convolution of one shape needs at run time.
struct ConvPlan {
  // conv2d: input = x (padded if need be), output = y.
  // conv_transpose2d: input = dy = the transposed conv's x, output = dx = its y (uncropped).
  TensorDescriptor input;
  FilterDescriptor filter;
  ConvolutionDescriptor conv;
  TensorDescriptor output;
  // conv2d only: cuDNN had no algorithm for this shape, the direct kernel runs it instead.
  bool direct = false;
  cudnnConvolutionFwdAlgo_t forward_algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  cudnnConvolutionBwdDataAlgo_t backward_data_algo = CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
  PadSplit pad_h{};
  PadSplit pad_w{};
  // Workspace sections, each kAlignment-aligned from an aligned base:
  //   staging: the zero-padded input (conv2d) or the uncropped result (transpose);
  //   residual copy (transpose only, asymmetric with a residual): the residual saved
  //     before the crop overwrites it when residual and y are the same buffer;
  //   cuDNN's own workspace.
  size_t staging_bytes = 0;
  size_t residual_copy_bytes = 0;
  size_t cudnn_bytes = 0;
  size_t workspace_bytes = 0;  // what *_workspace() reports (includes alignment slack)
};

void finish_workspace(ConvPlan& plan) {
  const size_t sections =
      align_up(plan.staging_bytes) + align_up(plan.residual_copy_bytes) + plan.cudnn_bytes;
  // kAlignment of slack lets the sections start aligned whatever the caller's pointer is.
  plan.workspace_bytes = sections == 0 ? 0 : sections + kAlignment;
}

// Pointers to the sections of a plan's workspace.
struct WorkspaceSections {
  float* staging = nullptr;
  float* residual_copy = nullptr;
  void* cudnn = nullptr;
};

WorkspaceSections split_workspace(const ConvPlan& plan, void* workspace, const char* op) {
  WorkspaceSections s;
  if (plan.workspace_bytes == 0) return s;
  P3D_CHECK(workspace != nullptr, op, " needs ", plan.workspace_bytes,
            " bytes of workspace but got none");
  char* at = align_pointer(workspace);
  if (plan.staging_bytes) s.staging = reinterpret_cast<float*>(at);
  at += align_up(plan.staging_bytes);
  if (plan.residual_copy_bytes) s.residual_copy = reinterpret_cast<float*>(at);
  at += align_up(plan.residual_copy_bytes);
  if (plan.cudnn_bytes) s.cudnn = at;
  return s;
}

bool is_tensor_op_math(cudnnMathType_t math) {
  return math == CUDNN_TENSOR_OP_MATH || math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

// Picks the first algorithm in cuDNN's heuristic ranking (fastest expected first) that
// succeeded, is not a tensor-op (TF32) variant, and whose workspace - asked again with the
// final FMA-only descriptor, which also rejects combinations it cannot run - fits the cap.
// Deterministic algorithms are preferred; a non-deterministic one is only a fallback.
// Perf is cudnnConvolutionFwdAlgoPerf_t or cudnnConvolutionBwdDataAlgoPerf_t.
template <typename Perf, typename WorkspaceQuery>
bool choose_algorithm(const std::vector<Perf>& ranked, WorkspaceQuery workspace_of,
                      decltype(Perf::algo)* algo, size_t* workspace) {
  for (const bool need_deterministic : {true, false}) {
    for (const Perf& perf : ranked) {
      if (perf.status != CUDNN_STATUS_SUCCESS || is_tensor_op_math(perf.mathType)) continue;
      if (need_deterministic && perf.determinism != CUDNN_DETERMINISTIC) continue;
      size_t bytes = 0;
      if (workspace_of(perf.algo, &bytes) != CUDNN_STATUS_SUCCESS) continue;
      if (bytes > kMaxCudnnWorkspace) continue;
      *algo = perf.algo;
      *workspace = bytes;
      return true;
    }
  }
  return false;
}

// The fields a filter's packing depends on.
void check_filter_params(const Conv2dParams& p, const char* op) {
  P3D_CHECK(p.in_c > 0 && p.out_c > 0 && p.kernel_h > 0 && p.kernel_w > 0 && p.groups > 0,
            describe(op, p), ": kernel size, channels and groups must be positive");
  P3D_CHECK(p.in_c % p.groups == 0 && p.out_c % p.groups == 0, describe(op, p),
            ": channels not divisible by groups");
}

void check_conv_params(const Conv2dParams& p, const char* op) {
  P3D_CHECK(p.batch > 0 && p.in_h > 0 && p.in_w > 0 && p.in_c > 0 && p.out_h > 0 && p.out_w > 0 &&
                p.out_c > 0,
            describe(op, p), ": sizes must be positive");
  P3D_CHECK(p.kernel_h > 0 && p.kernel_w > 0 && p.stride_h > 0 && p.stride_w > 0 &&
                p.dilation_h > 0 && p.dilation_w > 0 && p.groups > 0,
            describe(op, p), ": kernel, stride, dilation and groups must be positive");
  P3D_CHECK(p.pad_top >= 0 && p.pad_left >= 0 && p.pad_bottom >= 0 && p.pad_right >= 0,
            describe(op, p), ": negative padding");
}

bool empty_output(const Conv2dParams& p) {
  return p.batch == 0 || p.out_h == 0 || p.out_w == 0 || p.out_c == 0;
}

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int index)
      : index_(activate(index)),
        name_(describe_device(index)),
        cudnn_(stream_.get()),
        cublas_workspace_(kCublasWorkspace),
        cublas_(stream_.get(), cublas_workspace_.get(), cublas_workspace_.bytes()) {}

  ~CudaBackend() override {
    // Let queued work finish before the handles, plans and stream go away.
    P3D_CUDA_CHECK_NOTHROW(cudaSetDevice(index_));
    P3D_CUDA_CHECK_NOTHROW(cudaStreamSynchronize(stream_.get()));
  }

  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  Device device() const override { return Device{DeviceKind::CUDA, index_}; }
  std::string name() const override { return name_; }

  // ---- memory --------------------------------------------------------------------------
  void* allocate(size_t bytes) override {
    P3D_CUDA_CHECK(cudaSetDevice(index_));
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
    if (ptr) P3D_CUDA_CHECK_NOTHROW(cudaFree(ptr));
  }

  // Host buffers are pageable: an H2D cudaMemcpyAsync returns once the source has been
  // staged, so the caller may reuse it; D2H must wait for the stream before returning.
  void upload(void* dst, const void* host_src, size_t bytes) override {
    if (bytes == 0) return;
    P3D_CUDA_CHECK(cudaMemcpyAsync(dst, host_src, bytes, cudaMemcpyHostToDevice, stream()));
  }
  void download(void* host_dst, const void* src, size_t bytes) override {
    if (bytes == 0) return;
    P3D_CUDA_CHECK(cudaMemcpyAsync(host_dst, src, bytes, cudaMemcpyDeviceToHost, stream()));
    P3D_CUDA_CHECK(cudaStreamSynchronize(stream()));
  }
  void copy(void* dst, const void* src, size_t bytes) override {
    if (bytes == 0 || dst == src) return;
    P3D_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()));
  }
  void fill_zero(void* dst, size_t bytes) override {
    if (bytes == 0) return;
    P3D_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, stream()));
  }
  void synchronize() override { P3D_CUDA_CHECK(cudaStreamSynchronize(stream())); }

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
    P3D_CHECK(p.groups == 1, describe("conv_transpose2d", p), ": only groups = 1 is supported");
    // HWOI [kh, kw, out_c, in_c] is the forward conv's HWIO with I = out_c, O = in_c; the
    // forward conv's KRSC filter is then [in_c, kh, kw, out_c].
    check_host_filter(host_filter, Shape{p.kernel_h, p.kernel_w, p.out_c, p.in_c}, "HWOI");
    return pack_filter(host_filter, p.kernel_h, p.kernel_w, p.out_c, p.in_c);
  }

  // ---- convolutions --------------------------------------------------------------------
  size_t conv2d_workspace(const Conv2dParams& p) override {
    if (empty_output(p)) return 0;
    return conv_plan(p).workspace_bytes;
  }
  size_t conv_transpose2d_workspace(const ConvTranspose2dParams& p) override {
    if (empty_output(p)) return 0;
    return conv_transpose_plan(p).workspace_bytes;
  }

  void conv2d(const Conv2dParams& p, const float* x, const float* filter, const float* bias,
              const float* residual, float* y, void* workspace) override {
    if (empty_output(p)) return;
    check_epilogue_inputs(p, bias, residual, "conv2d");
    const ConvPlan& plan = conv_plan(p);
    if (plan.direct) {
      cuda_backend::direct_conv2d(p, x, filter, p.has_bias ? bias : nullptr,
                                  p.has_residual ? residual : nullptr, y, stream());
      return;
    }
    const WorkspaceSections ws = split_workspace(plan, workspace, "conv2d");
    try {
      const float* input = x;
      if (plan.staging_bytes) {
        // Zero-pad the extra rows / columns cuDNN's symmetric padding does not cover.
        PadParams pad{};
        pad.rank = 4;
        const int64_t in_dims[4] = {p.batch, p.in_h, p.in_w, p.in_c};
        const int64_t before[4] = {0, plan.pad_h.extra_before, plan.pad_w.extra_before, 0};
        const int64_t after[4] = {0, plan.pad_h.extra_after, plan.pad_w.extra_after, 0};
        std::copy(in_dims, in_dims + 4, pad.in_dims);
        std::copy(before, before + 4, pad.before);
        std::copy(after, after + 4, pad.after);
        pad.mode = PadMode::Constant;
        pad.value = 0.f;
        cuda::pad(pad, x, ws.staging, stream());
        input = ws.staging;
      }
      // A residual living in y itself (an in-place add) is accumulated by cuDNN (beta = 1)
      // since writing y would destroy it before the epilogue could read it.
      const float* fused_residual = p.has_residual ? residual : nullptr;
      const bool accumulate = fused_residual != nullptr && fused_residual == y;
      const float alpha = 1.f;
      const float beta = accumulate ? 1.f : 0.f;
      P3D_CUDNN_CHECK(cudnnConvolutionForward(
          cudnn_.get(), &alpha, plan.input.get(), input, plan.filter.get(), filter, plan.conv.get(),
          plan.forward_algo, ws.cudnn, plan.cudnn_bytes, &beta, plan.output.get(), y));
      run_epilogue(p, bias, accumulate ? nullptr : fused_residual, y);
    } catch (const Error& e) {
      P3D_THROW(describe("conv2d", p), " (cuDNN forward algo ", static_cast<int>(plan.forward_algo),
                "): ", e.what());
    }
  }

  void conv_transpose2d(const ConvTranspose2dParams& p, const float* x, const float* filter,
                        const float* bias, const float* residual, float* y,
                        void* workspace) override {
    if (empty_output(p)) return;
    check_epilogue_inputs(p, bias, residual, "conv_transpose2d");
    const ConvPlan& plan = conv_transpose_plan(p);
    const WorkspaceSections ws = split_workspace(plan, workspace, "conv_transpose2d");
    try {
      const float* fused_residual = p.has_residual ? residual : nullptr;
      const int64_t out_count = static_cast<int64_t>(p.batch) * p.out_h * p.out_w * p.out_c;
      if (plan.staging_bytes == 0) {
        // cuDNN writes y directly; an in-place residual is accumulated (beta = 1).
        const bool accumulate = fused_residual != nullptr && fused_residual == y;
        const float alpha = 1.f;
        const float beta = accumulate ? 1.f : 0.f;
        P3D_CUDNN_CHECK(cudnnConvolutionBackwardData(
            cudnn_.get(), &alpha, plan.filter.get(), filter, plan.input.get(), x, plan.conv.get(),
            plan.backward_data_algo, ws.cudnn, plan.cudnn_bytes, &beta, plan.output.get(), y));
        run_epilogue(p, bias, accumulate ? nullptr : fused_residual, y);
        return;
      }
      // Asymmetric padding: the larger result goes to the workspace and its window at
      // (extra top, extra left) is cropped into y.
      if (fused_residual != nullptr && fused_residual == y) {
        // The crop overwrites y: keep the in-place residual in the workspace first.
        P3D_CUDA_CHECK(cudaMemcpyAsync(ws.residual_copy, y, out_count * sizeof(float),
                                       cudaMemcpyDeviceToDevice, stream()));
        fused_residual = ws.residual_copy;
      }
      const float alpha = 1.f;
      const float beta = 0.f;
      P3D_CUDNN_CHECK(cudnnConvolutionBackwardData(
          cudnn_.get(), &alpha, plan.filter.get(), filter, plan.input.get(), x, plan.conv.get(),
          plan.backward_data_algo, ws.cudnn, plan.cudnn_bytes, &beta, plan.output.get(),
          ws.staging));
      SliceParams crop{};
      crop.rank = 4;
      const int64_t in_dims[4] = {
          p.batch, p.out_h + plan.pad_h.extra_before + plan.pad_h.extra_after,
          p.out_w + plan.pad_w.extra_before + plan.pad_w.extra_after, p.out_c};
      const int64_t out_dims[4] = {p.batch, p.out_h, p.out_w, p.out_c};
      const int64_t begin[4] = {0, plan.pad_h.extra_before, plan.pad_w.extra_before, 0};
      std::copy(in_dims, in_dims + 4, crop.in_dims);
      std::copy(out_dims, out_dims + 4, crop.out_dims);
      std::copy(begin, begin + 4, crop.begin);
      std::fill(crop.step, crop.step + 4, int64_t{1});
      crop.element_size = sizeof(float);
      cuda::slice(crop, ws.staging, y, stream());
      run_epilogue(p, bias, fused_residual, y);
    } catch (const Error& e) {
      P3D_THROW(describe("conv_transpose2d", p), " (cuDNN backward-data algo ",
                static_cast<int>(plan.backward_data_algo), "): ", e.what());
    }
  }

  // ---- matmul --------------------------------------------------------------------------
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: the buffers are passed
  // to cuBLAS swapped, each with the transpose flag it already has.
  void matmul(const MatmulParams& p, const float* a, const float* b, const float* bias,
              float* c) override {
    P3D_CHECK(p.batch >= 0 && p.m >= 0 && p.n >= 0 && p.k >= 0, "matmul: negative size (batch ",
              p.batch, ", m ", p.m, ", n ", p.n, ", k ", p.k, ")");
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
      P3D_CUBLAS_CHECK(cublasSgemmStridedBatched(cublas_.get(), op_b, op_a, p.n, p.m, p.k, &alpha,
                                                 b, ldb, static_cast<long long>(p.k) * p.n, a, lda,
                                                 static_cast<long long>(p.m) * p.k, &beta, c, p.n,
                                                 static_cast<long long>(p.m) * p.n, p.batch));
    }
    cuda::conv_epilogue(static_cast<int64_t>(p.batch) * p.m, p.n, p.has_bias ? bias : nullptr,
                        nullptr, p.activation, p.activation_alpha, c, stream());
  }

  // ---- the custom kernels --------------------------------------------------------------
  void pool2d(const Pool2dParams& p, const float* x, float* y) override {
    cuda::pool2d(p, x, y, stream());
  }
  void reduce(const ReduceParams& p, const float* x, float* y) override {
    cuda::reduce(p, x, y, stream());
  }
  void batch_norm(const BatchNormParams& p, const float* x, const float* gamma, const float* beta,
                  const float* mean, const float* variance, float* y) override {
    cuda::batch_norm(p, x, gamma, beta, mean, variance, y, stream());
  }
  void unary(const UnaryParams& p, const float* x, float* y) override {
    cuda::unary(p, x, y, stream());
  }
  void binary(const BinaryParams& p, const float* a, const float* b, float* y) override {
    cuda::binary(p, a, b, y, stream());
  }
  void cast(const CastParams& p, const void* x, void* y) override { cuda::cast(p, x, y, stream()); }
  void concat_copy(const ConcatCopyParams& p, const void* x, void* y) override {
    cuda::concat_copy(p, x, y, stream());
  }
  void pad(const PadParams& p, const float* x, float* y) override { cuda::pad(p, x, y, stream()); }
  void transpose(const TransposeParams& p, const void* x, void* y) override {
    cuda::transpose(p, x, y, stream());
  }
  void slice(const SliceParams& p, const void* x, void* y) override {
    cuda::slice(p, x, y, stream());
  }
  void resize(const ResizeParams& p, const float* x, float* y) override {
    cuda::resize(p, x, y, stream());
  }

 private:
  static int activate(int index) {
    P3D_CUDA_CHECK(cudaSetDevice(index));
    return index;
  }

  static std::string describe_device(int index) {
    cudaDeviceProp prop{};
    P3D_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
    return detail::concat("cuda:", index, " (", prop.name, ", sm_", prop.major, prop.minor, ")");
  }

  cudaStream_t stream() const { return stream_.get(); }

  static void check_host_filter(const Tensor& f, const Shape& expected, const char* layout) {
    P3D_CHECK(f.device().kind == DeviceKind::CPU, "pack: the filter must be a host tensor, got ",
              f.str());
    P3D_CHECK(f.dtype() == DType::F32, "pack: the filter must be f32, got ", f.str());
    P3D_CHECK(f.shape() == expected, "pack: filter ", f.str(), " is not the ", layout, " shape ",
              expected.str());
  }

  // Uploads a host HWIO filter and reorders it on the GPU into a new KRSC tensor.
  Tensor pack_filter(const Tensor& host, int32_t kh, int32_t kw, int32_t in_c, int32_t out_c) {
    Tensor packed = empty(Shape{out_c, kh, kw, in_c}, DType::F32);
    DeviceBuffer staging(host.bytes());
    upload(staging.get(), host.raw(), host.bytes());
    cuda::hwio_to_ohwi(kh, kw, in_c, out_c, static_cast<const float*>(staging.get()),
                       packed.data<float>(), stream());
    synchronize();  // the staging buffer is freed on return
    return packed;
  }

  static void check_epilogue_inputs(const Conv2dParams& p, const float* bias, const float* residual,
                                    const char* op) {
    P3D_CHECK(!p.has_bias || bias, op, ": has_bias but bias is null");
    P3D_CHECK(!p.has_residual || residual, op, ": has_residual but residual is null");
  }

  void run_epilogue(const Conv2dParams& p, const float* bias, const float* residual, float* y) {
    const int64_t rows = static_cast<int64_t>(p.batch) * p.out_h * p.out_w;
    cuda::conv_epilogue(rows, p.out_c, p.has_bias ? bias : nullptr, residual, p.activation,
                        p.activation_alpha, y, stream());
  }

  // The cached plan of a conv2d shape, built on first use.
  const ConvPlan& conv_plan(const Conv2dParams& p) {
    const ConvKey key = conv_key(p);
    const auto found = conv_plans_.find(key);
    if (found != conv_plans_.end()) return *found->second;
    check_conv_params(p, "conv2d");
    std::unique_ptr<ConvPlan> plan = build_conv_plan(p, Padding::kSymmetricInCudnn);
    if (!plan && any_padding(p)) plan = build_conv_plan(p, Padding::kAllExplicit);
    if (!plan) {
      // No FP32 (non-TF32) cuDNN algorithm within kMaxCudnnWorkspace: the direct kernel.
      plan = std::make_unique<ConvPlan>();
      plan->direct = true;
    }
    return *conv_plans_.emplace(key, std::move(plan)).first->second;
  }

  const ConvPlan& conv_transpose_plan(const ConvTranspose2dParams& p) {
    const ConvKey key = conv_key(p);
    const auto found = conv_transpose_plans_.find(key);
    if (found != conv_transpose_plans_.end()) return *found->second;
    check_conv_params(p, "conv_transpose2d");
    std::unique_ptr<ConvPlan> plan = build_conv_transpose_plan(p, Padding::kSymmetricInCudnn);
    if (!plan && any_padding(p)) plan = build_conv_transpose_plan(p, Padding::kAllExplicit);
    P3D_CHECK(plan != nullptr, describe("conv_transpose2d", p),
              ": cuDNN offers no FP32 (non-TF32) backward-data algorithm within ",
              kMaxCudnnWorkspace, " bytes of workspace");
    return *conv_transpose_plans_.emplace(key, std::move(plan)).first->second;
  }

  // The plan of a conv2d with the given padding strategy, or null when cuDNN has no
  // suitable algorithm for it.
  std::unique_ptr<ConvPlan> build_conv_plan(const Conv2dParams& p, Padding padding) {
    P3D_CHECK(p.in_c % p.groups == 0 && p.out_c % p.groups == 0, describe("conv2d", p),
              ": channels not divisible by groups");
    P3D_CHECK(conv_out_size(p.in_h, p.kernel_h, p.stride_h, p.dilation_h, p.pad_top,
                            p.pad_bottom) == p.out_h &&
                  conv_out_size(p.in_w, p.kernel_w, p.stride_w, p.dilation_w, p.pad_left,
                                p.pad_right) == p.out_w,
              describe("conv2d", p), ": output size does not follow from input, kernel, ",
              "stride, dilation and padding");
    auto plan = std::make_unique<ConvPlan>();
    plan->pad_h = split_padding(p.pad_top, p.pad_bottom, padding);
    plan->pad_w = split_padding(p.pad_left, p.pad_right, padding);
    const int32_t padded_h = p.in_h + plan->pad_h.extra_before + plan->pad_h.extra_after;
    const int32_t padded_w = p.in_w + plan->pad_w.extra_before + plan->pad_w.extra_after;
    if (plan->pad_h.has_extra() || plan->pad_w.has_extra()) {
      plan->staging_bytes =
          static_cast<size_t>(p.batch) * padded_h * padded_w * p.in_c * sizeof(float);
    }
    plan->input.set_nhwc(p.batch, padded_h, padded_w, p.in_c);
    plan->filter.set_krsc(p.out_c, p.kernel_h, p.kernel_w, p.in_c / p.groups);
    plan->conv.set(plan->pad_h.symmetric, plan->pad_w.symmetric, p.stride_h, p.stride_w,
                   p.dilation_h, p.dilation_w, p.groups);
    plan->output.set_nhwc(p.batch, p.out_h, p.out_w, p.out_c);

    int n = 0, c = 0, h = 0, w = 0;
    P3D_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(plan->conv.get(), plan->input.get(),
                                                          plan->filter.get(), &n, &c, &h, &w));
    P3D_CHECK(n == p.batch && c == p.out_c && h == p.out_h && w == p.out_w, describe("conv2d", p),
              ": cuDNN computes an output of ", n, "x", h, "x", w, "x", c);

    int max_count = 0;
    P3D_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(cudnn_.get(), &max_count));
    std::vector<cudnnConvolutionFwdAlgoPerf_t> ranked(static_cast<size_t>(std::max(max_count, 1)));
    int returned = 0;
    P3D_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(
        cudnn_.get(), plan->input.get(), plan->filter.get(), plan->conv.get(), plan->output.get(),
        static_cast<int>(ranked.size()), &returned, ranked.data()));
    ranked.resize(static_cast<size_t>(std::max(returned, 0)));
    const auto workspace_of = [&](cudnnConvolutionFwdAlgo_t algo, size_t* bytes) {
      return cudnnGetConvolutionForwardWorkspaceSize(cudnn_.get(), plan->input.get(),
                                                     plan->filter.get(), plan->conv.get(),
                                                     plan->output.get(), algo, bytes);
    };
    if (!choose_algorithm(ranked, workspace_of, &plan->forward_algo, &plan->cudnn_bytes))
      return nullptr;
    finish_workspace(*plan);
    return plan;
  }

  // A transposed conv is the backward-data pass of the forward conv that maps its output
  // (dx: out_h x out_w x out_c) to its input (dy: in_h x in_w x in_c) with the same kernel,
  // stride and padding. The filter is the forward conv's: K = in_c, C = out_c.
  // Null when cuDNN has no suitable algorithm for this padding strategy.
  std::unique_ptr<ConvPlan> build_conv_transpose_plan(const ConvTranspose2dParams& p,
                                                      Padding padding) {
    P3D_CHECK(p.groups == 1 && p.dilation_h == 1 && p.dilation_w == 1,
              describe("conv_transpose2d", p), ": only groups = 1 and dilation = 1 are supported");
    P3D_CHECK(
        conv_out_size(p.out_h, p.kernel_h, p.stride_h, 1, p.pad_top, p.pad_bottom) == p.in_h &&
            conv_out_size(p.out_w, p.kernel_w, p.stride_w, 1, p.pad_left, p.pad_right) == p.in_w,
        describe("conv_transpose2d", p), ": the forward conv of the output size does not ",
        "give the input size");
    auto plan = std::make_unique<ConvPlan>();
    plan->pad_h = split_padding(p.pad_top, p.pad_bottom, padding);
    plan->pad_w = split_padding(p.pad_left, p.pad_right, padding);
    const int32_t full_h = p.out_h + plan->pad_h.extra_before + plan->pad_h.extra_after;
    const int32_t full_w = p.out_w + plan->pad_w.extra_before + plan->pad_w.extra_after;
    if (plan->pad_h.has_extra() || plan->pad_w.has_extra()) {
      plan->staging_bytes =
          static_cast<size_t>(p.batch) * full_h * full_w * p.out_c * sizeof(float);
      if (p.has_residual) {
        plan->residual_copy_bytes =
            static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.out_c * sizeof(float);
      }
    }
    plan->input.set_nhwc(p.batch, p.in_h, p.in_w, p.in_c);           // dy
    plan->filter.set_krsc(p.in_c, p.kernel_h, p.kernel_w, p.out_c);  // forward K = in_c
    plan->conv.set(plan->pad_h.symmetric, plan->pad_w.symmetric, p.stride_h, p.stride_w, 1, 1, 1);
    plan->output.set_nhwc(p.batch, full_h, full_w, p.out_c);  // dx (uncropped)

    // The forward conv of dx must reproduce dy's shape, or cuDNN rejects the pair.
    int n = 0, c = 0, h = 0, w = 0;
    P3D_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(plan->conv.get(), plan->output.get(),
                                                          plan->filter.get(), &n, &c, &h, &w));
    P3D_CHECK(n == p.batch && c == p.in_c && h == p.in_h && w == p.in_w,
              describe("conv_transpose2d", p), ": cuDNN's forward conv of the output gives ", n,
              "x", h, "x", w, "x", c);

    int max_count = 0;
    P3D_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(cudnn_.get(), &max_count));
    std::vector<cudnnConvolutionBwdDataAlgoPerf_t> ranked(
        static_cast<size_t>(std::max(max_count, 1)));
    int returned = 0;
    P3D_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
        cudnn_.get(), plan->filter.get(), plan->input.get(), plan->conv.get(), plan->output.get(),
        static_cast<int>(ranked.size()), &returned, ranked.data()));
    ranked.resize(static_cast<size_t>(std::max(returned, 0)));
    const auto workspace_of = [&](cudnnConvolutionBwdDataAlgo_t algo, size_t* bytes) {
      return cudnnGetConvolutionBackwardDataWorkspaceSize(cudnn_.get(), plan->filter.get(),
                                                          plan->input.get(), plan->conv.get(),
                                                          plan->output.get(), algo, bytes);
    };
    if (!choose_algorithm(ranked, workspace_of, &plan->backward_data_algo, &plan->cudnn_bytes))
      return nullptr;
    finish_workspace(*plan);
    return plan;
  }

  // Declaration order is construction order: the device is selected before the stream and
  // handles are created, and they are destroyed (in reverse) before the stream.
  int index_;
  std::string name_;
  Stream stream_;
  CudnnHandle cudnn_;
  DeviceBuffer cublas_workspace_;
  CublasHandle cublas_;
  std::map<ConvKey, std::unique_ptr<ConvPlan>> conv_plans_;
  std::map<ConvKey, std::unique_ptr<ConvPlan>> conv_transpose_plans_;
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

std::unique_ptr<Backend> make_cuda_backend(int index) {
  std::string reason;
  if (!cuda_available(&reason)) P3D_THROW("the CUDA backend is not available: ", reason);
  int count = 0;
  P3D_CUDA_CHECK(cudaGetDeviceCount(&count));
  P3D_CHECK(index >= 0 && index < count, "CUDA device index ", index, " out of range (", count,
            " devices)");
  if (!cuda_backend::device_code_runnable(index, &reason)) P3D_THROW(reason);
  return std::make_unique<CudaBackend>(index);
}

}  // namespace p3d
