// See cudnn_conv.h. cuDNN's legacy API on NHWC tensors with KRSC filters. cuDNN only pads
// symmetrically: an asymmetric conv pads its input explicitly into the workspace, an
// asymmetric transposed conv computes a larger result there and crops it.
#include "engine/cuda/cudnn_conv.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "engine/cuda/cudnn_descriptors.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/conv2d.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/owners.h"
#include "kernels/error.h"

namespace p3d::cuda_backend {

using cuda::DeviceBuffer;

constexpr size_t kAlignment = 256;                        // workspace sections
constexpr size_t kMaxCudnnWorkspace = size_t{256} << 20;  // algorithms needing more are skipped

namespace {

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

// How a cuDNN plan pads: cuDNN takes min(before, after) and the backend adds the difference,
// or (should cuDNN reject that) the backend adds all of it.
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

const char* algo_name(cudnnConvolutionFwdAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM:
      return "IMPLICIT_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM:
      return "IMPLICIT_PRECOMP_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM:
      return "GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT:
      return "DIRECT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT:
      return "FFT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING:
      return "FFT_TILING";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD:
      return "WINOGRAD";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED:
      return "WINOGRAD_NONFUSED";
    default:
      return "FWD_?";
  }
}

const char* algo_name(cudnnConvolutionBwdDataAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_0:
      return "BWD_DATA_ALGO_0";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_1:
      return "BWD_DATA_ALGO_1";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT:
      return "BWD_DATA_FFT";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING:
      return "BWD_DATA_FFT_TILING";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD:
      return "BWD_DATA_WINOGRAD";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED:
      return "BWD_DATA_WINOGRAD_NONFUSED";
    default:
      return "BWD_DATA_?";
  }
}

bool is_tensor_op_math(cudnnMathType_t math) {
  return math == CUDNN_TENSOR_OP_MATH || math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

// Descriptor settings of a precision: the tensors' storage type and the conv's math type.
cudnnDataType_t storage_type(Precision precision) {
  return precision == Precision::FP16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
}
cudnnMathType_t math_type(Precision precision) {
  return precision == Precision::FP32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH;
}
constexpr size_t kHalfBytes = 2;

size_t elements(const Conv2dParams& p, bool input) {
  return input ? static_cast<size_t>(p.batch) * p.in_h * p.in_w * p.in_c
               : static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.out_c;
}

void cast_on(cudaStream_t stream, const void* from, ScalarType from_type, void* to,
             ScalarType to_type, size_t count) {
  cuda::cast(CastParams{static_cast<int64_t>(count), from_type, to_type}, from, to, stream);
}

bool empty_output(const Conv2dParams& p) {
  return p.batch == 0 || p.out_h == 0 || p.out_w == 0 || p.out_c == 0;
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
  P3D_CHECK(p.in_c % p.groups == 0 && p.out_c % p.groups == 0, describe(op, p),
            ": channels not divisible by groups");
}

// Every field of Conv2dParams that changes descriptors, algorithm or workspace: all but
// the bias and activation of the epilogue. has_residual matters to a transposed conv with
// asymmetric padding, whose workspace then also holds a copy of the residual; the padding
// fill decides whether cuDNN may pad at all.
std::array<int32_t, 20> conv_key(const Conv2dParams& p) {
  return {p.batch,
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
          p.has_residual ? 1 : 0,
          static_cast<int32_t>(p.padding_fill)};
}

}  // namespace

// Everything a convolution of one shape needs at run time.
struct ConvPlan {
  // conv2d: input = x (padded if need be), output = y.
  // conv_transpose2d: input = dy = the transposed conv's x, output = dx = its y (uncropped).
  TensorDescriptor input;
  FilterDescriptor filter;
  ConvolutionDescriptor conv;
  TensorDescriptor output;
  // No cuDNN algorithm ran for this shape: our direct kernel runs it (no workspace).
  bool direct = false;
  Precision precision = Precision::FP32;  // of the cuDNN plan (the direct kernel is FP32)
  std::string why_direct;  // the last cuDNN failure seen while planning, for the listing
  cudnnConvolutionFwdAlgo_t forward_algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  cudnnConvolutionBwdDataAlgo_t backward_data_algo = CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
  PadSplit pad_h{};
  PadSplit pad_w{};
  // Workspace sections, each kAlignment-aligned from an aligned base:
  //   staging: the zero-padded input (conv2d) or the uncropped result (transpose);
  //   residual copy (transpose only, asymmetric with a residual): the residual saved
  //     before the crop overwrites it when residual and y are the same buffer;
  //   FP16 only: the half input, the half result, the half crop of an asymmetric
  //     transposed conv (the residual copy is then kept for any residual, since the
  //     half-to-float conversion overwrites y before the epilogue reads it);
  //   cuDNN's own workspace.
  size_t staging_bytes = 0;
  size_t residual_copy_bytes = 0;
  size_t half_input_bytes = 0;
  size_t half_output_bytes = 0;
  size_t half_cropped_bytes = 0;
  size_t cudnn_bytes = 0;
  size_t workspace_bytes = 0;  // what *_workspace() reports (includes alignment slack)

  void finish_workspace() {
    const size_t sections = align_up(staging_bytes) + align_up(residual_copy_bytes) +
                            align_up(half_input_bytes) + align_up(half_output_bytes) +
                            align_up(half_cropped_bytes) + cudnn_bytes;
    // kAlignment of slack lets the sections start aligned whatever the caller's pointer is.
    workspace_bytes = sections == 0 ? 0 : sections + kAlignment;
  }
};

// Pointers to the sections of a plan's workspace.
struct WorkspaceSections {
  float* staging = nullptr;
  float* residual_copy = nullptr;
  void* half_input = nullptr;
  void* half_output = nullptr;
  void* half_cropped = nullptr;
  void* cudnn = nullptr;
};

namespace {

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
  if (plan.half_input_bytes) s.half_input = at;
  at += align_up(plan.half_input_bytes);
  if (plan.half_output_bytes) s.half_output = at;
  at += align_up(plan.half_output_bytes);
  if (plan.half_cropped_bytes) s.half_cropped = at;
  at += align_up(plan.half_cropped_bytes);
  if (plan.cudnn_bytes) s.cudnn = at;
  return s;
}

// Zeroed device buffers of a plan's cuDNN input, filter and output, for trial runs.
struct TrialBuffers {
  DeviceBuffer input, filter, output;
  TrialBuffers(size_t input_bytes, size_t filter_bytes, size_t output_bytes, cudaStream_t s)
      : input(input_bytes), filter(filter_bytes), output(output_bytes) {
    P3D_CUDA_CHECK(cudaMemsetAsync(input.get(), 0, input_bytes, s));
    P3D_CUDA_CHECK(cudaMemsetAsync(filter.get(), 0, filter_bytes, s));
    P3D_CUDA_CHECK(cudaMemsetAsync(output.get(), 0, output_bytes, s));
  }
};

// Whether a trial launch worked: its own status and whatever the stream reports after it.
// A failure that is not sticky is cleared so planning can go on; a sticky one (the context
// is lost) is rethrown, since nothing after it could run either.
bool trial_succeeded(cudnnStatus_t launched, cudaStream_t stream, std::string* why) {
  const cudaError_t finished = cudaStreamSynchronize(stream);
  if (launched == CUDNN_STATUS_SUCCESS && finished == cudaSuccess) return true;
  (void)cudaGetLastError();  // clear a non-sticky error
  if (finished != cudaSuccess && cudaStreamSynchronize(stream) != cudaSuccess)
    P3D_CUDA_CHECK(finished);  // still failing: sticky, rethrow the original error
  *why = launched != CUDNN_STATUS_SUCCESS
             ? detail::concat("trial run failed: ", cudnnGetErrorString(launched))
             : detail::concat("trial run failed: ", cudaGetErrorName(finished));
  return false;
}

// Walks cuDNN's heuristic ranking and returns the first candidate that passes every filter
// and runs: succeeded in the heuristics, not a tensor-op variant unless `tensor_ops` (TF32,
// FP16), workspace query succeeds (asked again with the final descriptor, which also rejects
// combinations it cannot run) within the cap, and a trial launch on scratch buffers works.
// Deterministic algorithms are preferred; a non-deterministic one is only a fallback.
// Perf is cudnnConvolutionFwdAlgoPerf_t or cudnnConvolutionBwdDataAlgoPerf_t.
template <typename Perf, typename WorkspaceQuery, typename Trial>
bool choose_algorithm(const std::vector<Perf>& ranked, bool tensor_ops, WorkspaceQuery workspace_of,
                      Trial trial, decltype(Perf::algo)* algo, size_t* workspace,
                      std::string* why) {
  for (const bool need_deterministic : {true, false}) {
    for (const Perf& perf : ranked) {
      if (perf.status != CUDNN_STATUS_SUCCESS) continue;
      if (!tensor_ops && is_tensor_op_math(perf.mathType)) continue;
      if ((perf.determinism == CUDNN_DETERMINISTIC) != need_deterministic) continue;
      size_t bytes = 0;
      const cudnnStatus_t queried = workspace_of(perf.algo, &bytes);
      if (queried != CUDNN_STATUS_SUCCESS) {
        *why = detail::concat("workspace query failed: ", cudnnGetErrorString(queried));
        continue;
      }
      if (bytes > kMaxCudnnWorkspace) {
        *why = detail::concat("workspace ", bytes, " bytes over the cap");
        continue;
      }
      if (!trial(perf.algo, bytes, why)) continue;
      *algo = perf.algo;
      *workspace = bytes;
      return true;
    }
  }
  if (why->empty())
    *why = tensor_ops ? "no algorithm in the heuristics"
                      : "no FP32 (non-TF32) algorithm in the heuristics";
  return false;
}

// The descriptors and algorithm of a conv2d with the given padding strategy, or null when
// no cuDNN algorithm works for it (the reason in *why).
std::unique_ptr<ConvPlan> build_forward(cudnnHandle_t handle, cudaStream_t stream,
                                        const Conv2dParams& p, Padding padding, Precision precision,
                                        std::string* why) {
  auto plan = std::make_unique<ConvPlan>();
  plan->precision = precision;
  const cudnnDataType_t type = storage_type(precision);
  plan->pad_h = split_padding(p.pad_top, p.pad_bottom, padding);
  plan->pad_w = split_padding(p.pad_left, p.pad_right, padding);
  const int32_t padded_h = p.in_h + plan->pad_h.extra_before + plan->pad_h.extra_after;
  const int32_t padded_w = p.in_w + plan->pad_w.extra_before + plan->pad_w.extra_after;
  const size_t input_bytes =
      static_cast<size_t>(p.batch) * padded_h * padded_w * p.in_c * sizeof(float);
  if (plan->pad_h.has_extra() || plan->pad_w.has_extra()) plan->staging_bytes = input_bytes;
  if (precision == Precision::FP16) {
    plan->half_input_bytes = input_bytes / sizeof(float) * kHalfBytes;
    plan->half_output_bytes = elements(p, false) * kHalfBytes;
    if (p.has_residual) plan->residual_copy_bytes = elements(p, false) * sizeof(float);
  }
  try {
    plan->input.set_nhwc(p.batch, padded_h, padded_w, p.in_c, type);
    plan->filter.set_krsc(p.out_c, p.kernel_h, p.kernel_w, p.in_c / p.groups, type);
    plan->conv.set(plan->pad_h.symmetric, plan->pad_w.symmetric, p.stride_h, p.stride_w,
                   p.dilation_h, p.dilation_w, p.groups, math_type(precision));
    plan->output.set_nhwc(p.batch, p.out_h, p.out_w, p.out_c, type);
  } catch (const Error& e) {
    *why = detail::concat("descriptors rejected: ", e.what());
    return nullptr;
  }
  int n = 0, c = 0, h = 0, w = 0;
  const cudnnStatus_t dims = cudnnGetConvolution2dForwardOutputDim(
      plan->conv.get(), plan->input.get(), plan->filter.get(), &n, &c, &h, &w);
  if (dims != CUDNN_STATUS_SUCCESS) {
    *why = detail::concat("output-size query failed: ", cudnnGetErrorString(dims));
    return nullptr;
  }
  if (n != p.batch || c != p.out_c || h != p.out_h || w != p.out_w) {
    *why = detail::concat("cuDNN computes an output of ", n, "x", h, "x", w, "x", c);
    return nullptr;
  }
  int max_count = 0;
  cudnnStatus_t status = cudnnGetConvolutionForwardAlgorithmMaxCount(handle, &max_count);
  std::vector<cudnnConvolutionFwdAlgoPerf_t> ranked(static_cast<size_t>(std::max(max_count, 1)));
  int returned = 0;
  if (status == CUDNN_STATUS_SUCCESS)
    status = cudnnGetConvolutionForwardAlgorithm_v7(
        handle, plan->input.get(), plan->filter.get(), plan->conv.get(), plan->output.get(),
        static_cast<int>(ranked.size()), &returned, ranked.data());
  if (status != CUDNN_STATUS_SUCCESS) {
    *why = detail::concat("heuristics failed: ", cudnnGetErrorString(status));
    return nullptr;
  }
  ranked.resize(static_cast<size_t>(std::max(returned, 0)));
  const auto workspace_of = [&](cudnnConvolutionFwdAlgo_t algo, size_t* bytes) {
    return cudnnGetConvolutionForwardWorkspaceSize(handle, plan->input.get(), plan->filter.get(),
                                                   plan->conv.get(), plan->output.get(), algo,
                                                   bytes);
  };
  const size_t filter_bytes =
      static_cast<size_t>(p.out_c) * p.kernel_h * p.kernel_w * (p.in_c / p.groups) * sizeof(float);
  const size_t output_bytes =
      static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.out_c * sizeof(float);
  std::unique_ptr<TrialBuffers> buffers;
  const auto trial = [&](cudnnConvolutionFwdAlgo_t algo, size_t bytes, std::string* reason) {
    if (!buffers)
      buffers = std::make_unique<TrialBuffers>(input_bytes, filter_bytes, output_bytes, stream);
    DeviceBuffer workspace(bytes);
    const float alpha = 1.f, beta = 0.f;
    const cudnnStatus_t launched = cudnnConvolutionForward(
        handle, &alpha, plan->input.get(), buffers->input.get(), plan->filter.get(),
        buffers->filter.get(), plan->conv.get(), algo, workspace.get(), bytes, &beta,
        plan->output.get(), buffers->output.get());
    return trial_succeeded(launched, stream, reason);
  };
  if (!choose_algorithm(ranked, precision != Precision::FP32, workspace_of, trial,
                        &plan->forward_algo, &plan->cudnn_bytes, why))
    return nullptr;
  plan->finish_workspace();
  return plan;
}

// A transposed conv is the backward-data pass of the forward conv that maps its output
// (dx: out_h x out_w x out_c) to its input (dy: in_h x in_w x in_c) with the same kernel,
// stride and padding. The filter is the forward conv's: K = in_c, C = out_c.
std::unique_ptr<ConvPlan> build_transpose(cudnnHandle_t handle, cudaStream_t stream,
                                          const ConvTranspose2dParams& p, Padding padding,
                                          Precision precision, std::string* why) {
  auto plan = std::make_unique<ConvPlan>();
  plan->precision = precision;
  const cudnnDataType_t type = storage_type(precision);
  plan->pad_h = split_padding(p.pad_top, p.pad_bottom, padding);
  plan->pad_w = split_padding(p.pad_left, p.pad_right, padding);
  const int32_t full_h = p.out_h + plan->pad_h.extra_before + plan->pad_h.extra_after;
  const int32_t full_w = p.out_w + plan->pad_w.extra_before + plan->pad_w.extra_after;
  const size_t full_bytes =
      static_cast<size_t>(p.batch) * full_h * full_w * p.out_c * sizeof(float);
  const bool asymmetric = plan->pad_h.has_extra() || plan->pad_w.has_extra();
  if (precision == Precision::FP16) {
    // The uncropped result is half: no float staging; its crop is half too.
    plan->half_input_bytes = elements(p, true) * kHalfBytes;
    plan->half_output_bytes = full_bytes / sizeof(float) * kHalfBytes;
    if (asymmetric) plan->half_cropped_bytes = elements(p, false) * kHalfBytes;
    if (p.has_residual) plan->residual_copy_bytes = elements(p, false) * sizeof(float);
  } else if (asymmetric) {
    plan->staging_bytes = full_bytes;
    if (p.has_residual) plan->residual_copy_bytes = elements(p, false) * sizeof(float);
  }
  try {
    plan->input.set_nhwc(p.batch, p.in_h, p.in_w, p.in_c, type);           // dy
    plan->filter.set_krsc(p.in_c, p.kernel_h, p.kernel_w, p.out_c, type);  // forward K = in_c
    plan->conv.set(plan->pad_h.symmetric, plan->pad_w.symmetric, p.stride_h, p.stride_w, 1, 1, 1,
                   math_type(precision));
    plan->output.set_nhwc(p.batch, full_h, full_w, p.out_c, type);  // dx (uncropped)
  } catch (const Error& e) {
    *why = detail::concat("descriptors rejected: ", e.what());
    return nullptr;
  }
  // The forward conv of dx must reproduce dy's shape, or cuDNN rejects the pair.
  int n = 0, c = 0, h = 0, w = 0;
  const cudnnStatus_t dims = cudnnGetConvolution2dForwardOutputDim(
      plan->conv.get(), plan->output.get(), plan->filter.get(), &n, &c, &h, &w);
  if (dims != CUDNN_STATUS_SUCCESS) {
    *why = detail::concat("output-size query failed: ", cudnnGetErrorString(dims));
    return nullptr;
  }
  if (n != p.batch || c != p.in_c || h != p.in_h || w != p.in_w) {
    *why = detail::concat("cuDNN's forward conv of the output gives ", n, "x", h, "x", w, "x", c);
    return nullptr;
  }
  int max_count = 0;
  cudnnStatus_t status = cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, &max_count);
  std::vector<cudnnConvolutionBwdDataAlgoPerf_t> ranked(
      static_cast<size_t>(std::max(max_count, 1)));
  int returned = 0;
  if (status == CUDNN_STATUS_SUCCESS)
    status = cudnnGetConvolutionBackwardDataAlgorithm_v7(
        handle, plan->filter.get(), plan->input.get(), plan->conv.get(), plan->output.get(),
        static_cast<int>(ranked.size()), &returned, ranked.data());
  if (status != CUDNN_STATUS_SUCCESS) {
    *why = detail::concat("heuristics failed: ", cudnnGetErrorString(status));
    return nullptr;
  }
  ranked.resize(static_cast<size_t>(std::max(returned, 0)));
  const auto workspace_of = [&](cudnnConvolutionBwdDataAlgo_t algo, size_t* bytes) {
    return cudnnGetConvolutionBackwardDataWorkspaceSize(handle, plan->filter.get(),
                                                        plan->input.get(), plan->conv.get(),
                                                        plan->output.get(), algo, bytes);
  };
  const size_t input_bytes =
      static_cast<size_t>(p.batch) * p.in_h * p.in_w * p.in_c * sizeof(float);
  const size_t filter_bytes =
      static_cast<size_t>(p.in_c) * p.kernel_h * p.kernel_w * p.out_c * sizeof(float);
  std::unique_ptr<TrialBuffers> buffers;
  const auto trial = [&](cudnnConvolutionBwdDataAlgo_t algo, size_t bytes, std::string* reason) {
    if (!buffers)
      buffers = std::make_unique<TrialBuffers>(input_bytes, filter_bytes, full_bytes, stream);
    DeviceBuffer workspace(bytes);
    const float alpha = 1.f, beta = 0.f;
    const cudnnStatus_t launched = cudnnConvolutionBackwardData(
        handle, &alpha, plan->filter.get(), buffers->filter.get(), plan->input.get(),
        buffers->input.get(), plan->conv.get(), algo, workspace.get(), bytes, &beta,
        plan->output.get(), buffers->output.get());
    return trial_succeeded(launched, stream, reason);
  };
  if (!choose_algorithm(ranked, precision != Precision::FP32, workspace_of, trial,
                        &plan->backward_data_algo, &plan->cudnn_bytes, why))
    return nullptr;
  plan->finish_workspace();
  return plan;
}

std::unique_ptr<ConvPlan> direct_plan(std::string why) {
  auto plan = std::make_unique<ConvPlan>();
  plan->direct = true;
  plan->why_direct = std::move(why);
  return plan;
}

std::string plan_text(const ConvPlan& plan, const char* algo) {
  if (plan.direct) return "direct (cuDNN: " + plan.why_direct + ")";
  std::string text = std::string("cudnn ") + algo;
  if (plan.staging_bytes || plan.half_cropped_bytes) text += " +explicit pad";
  if (plan.precision != Precision::FP32) text += std::string(" ") + precision_name(plan.precision);
  return text;
}

}  // namespace

CudnnConv::CudnnConv(cudnnHandle_t handle, cudaStream_t stream, Precision precision)
    : handle_(handle), stream_(stream), precision_(precision) {}
CudnnConv::~CudnnConv() = default;

size_t CudnnConv::half_filter_bytes(Precision precision, int64_t count) {
  if (precision != Precision::FP16) return 0;
  const size_t floats = static_cast<size_t>(count) * sizeof(float);
  return align_up(floats) - floats + static_cast<size_t>(count) * kHalfBytes;
}

const void* CudnnConv::half_filter(const float* packed, int64_t count) {
  return reinterpret_cast<const char*>(packed) +
         align_up(static_cast<size_t>(count) * sizeof(float));
}

void CudnnConv::make_half_filter(float* packed, int64_t count) {
  if (precision_ != Precision::FP16 || count == 0) return;
  cast_on(stream_, packed, ScalarType::F32, const_cast<void*>(half_filter(packed, count)),
          ScalarType::F16, static_cast<size_t>(count));
}

const ConvPlan& CudnnConv::forward_plan(const Conv2dParams& p) {
  const Key key = conv_key(p);
  const auto found = forward_plans_.find(key);
  if (found != forward_plans_.end()) return *found->second;
  check_conv_params(p, "conv2d");
  P3D_CHECK(conv_out_size(p.in_h, p.kernel_h, p.stride_h, p.dilation_h, p.pad_top, p.pad_bottom) ==
                    p.out_h &&
                conv_out_size(p.in_w, p.kernel_w, p.stride_w, p.dilation_w, p.pad_left,
                              p.pad_right) == p.out_w,
            describe("conv2d", p), ": output size does not follow from input, kernel, ",
            "stride, dilation and padding");
  std::string why;
  // cuDNN pads with zeros only: mirrored padding is all staged (cuda::pad with the fill).
  const bool zero_fill = p.padding_fill == PadMode::Constant;
  std::unique_ptr<ConvPlan> plan =
      zero_fill ? build_forward(handle_, stream_, p, Padding::kSymmetricInCudnn, precision_, &why)
                : nullptr;
  if (!plan && any_padding(p))
    plan = build_forward(handle_, stream_, p, Padding::kAllExplicit, precision_, &why);
  if (!plan) plan = direct_plan(why);
  return *forward_plans_.emplace(key, std::move(plan)).first->second;
}

const ConvPlan& CudnnConv::transpose_plan(const ConvTranspose2dParams& p) {
  const Key key = conv_key(p);
  const auto found = transpose_plans_.find(key);
  if (found != transpose_plans_.end()) return *found->second;
  check_conv_params(p, "conv_transpose2d");
  P3D_CHECK(p.groups == 1 && p.dilation_h == 1 && p.dilation_w == 1,
            describe("conv_transpose2d", p), ": only groups = 1 and dilation = 1 are supported");
  P3D_CHECK(
      conv_out_size(p.out_h, p.kernel_h, p.stride_h, 1, p.pad_top, p.pad_bottom) == p.in_h &&
          conv_out_size(p.out_w, p.kernel_w, p.stride_w, 1, p.pad_left, p.pad_right) == p.in_w,
      describe("conv_transpose2d", p), ": the forward conv of the output size does not ",
      "give the input size");
  std::string why;
  std::unique_ptr<ConvPlan> plan =
      build_transpose(handle_, stream_, p, Padding::kSymmetricInCudnn, precision_, &why);
  if (!plan && any_padding(p))
    plan = build_transpose(handle_, stream_, p, Padding::kAllExplicit, precision_, &why);
  if (!plan) plan = direct_plan(why);
  return *transpose_plans_.emplace(key, std::move(plan)).first->second;
}

size_t CudnnConv::conv2d_workspace(const Conv2dParams& p) {
  if (empty_output(p)) return 0;
  return forward_plan(p).workspace_bytes;
}

size_t CudnnConv::conv_transpose2d_workspace(const ConvTranspose2dParams& p) {
  if (empty_output(p)) return 0;
  return transpose_plan(p).workspace_bytes;
}

std::string CudnnConv::conv2d_plan(const Conv2dParams& p) {
  if (empty_output(p)) return "empty";
  const ConvPlan& plan = forward_plan(p);
  return plan_text(plan, algo_name(plan.forward_algo));
}

std::string CudnnConv::conv_transpose2d_plan(const ConvTranspose2dParams& p) {
  if (empty_output(p)) return "empty";
  const ConvPlan& plan = transpose_plan(p);
  return plan_text(plan, algo_name(plan.backward_data_algo));
}

namespace {

void run_epilogue(const Conv2dParams& p, const float* bias, const float* residual, float* y,
                  cudaStream_t stream) {
  const int64_t rows = static_cast<int64_t>(p.batch) * p.out_h * p.out_w;
  cuda::conv_epilogue(rows, p.out_c, p.has_bias ? bias : nullptr, residual, p.activation,
                      p.activation_alpha, y, stream);
}

void check_epilogue_inputs(const Conv2dParams& p, const float* bias, const float* residual,
                           const char* op) {
  P3D_CHECK(!p.has_bias || bias, op, ": has_bias but bias is null");
  P3D_CHECK(!p.has_residual || residual, op, ": has_residual but residual is null");
}

// FP16's last step: the half result (ws.half_cropped or ws.half_output) to float y, then the
// float epilogue. A residual living in y is saved first, since the conversion overwrites y.
void finish_half(const Conv2dParams& p, const WorkspaceSections& ws, const void* half_result,
                 const float* bias, const float* residual, float* y, cudaStream_t stream) {
  const size_t count = elements(p, false);
  const float* fused_residual = p.has_residual ? residual : nullptr;
  if (fused_residual != nullptr && fused_residual == y) {
    P3D_CUDA_CHECK(cudaMemcpyAsync(ws.residual_copy, y, count * sizeof(float),
                                   cudaMemcpyDeviceToDevice, stream));
    fused_residual = ws.residual_copy;
  }
  cast_on(stream, half_result, ScalarType::F16, y, ScalarType::F32, count);
  run_epilogue(p, bias, fused_residual, y, stream);
}

}  // namespace

// The window of an asymmetric transposed conv's uncropped result that is y.
static SliceParams crop_params(const ConvTranspose2dParams& p, const ConvPlan& plan,
                               size_t element_size) {
  SliceParams crop{};
  crop.rank = 4;
  const int64_t in_dims[4] = {p.batch, p.out_h + plan.pad_h.extra_before + plan.pad_h.extra_after,
                              p.out_w + plan.pad_w.extra_before + plan.pad_w.extra_after, p.out_c};
  const int64_t out_dims[4] = {p.batch, p.out_h, p.out_w, p.out_c};
  const int64_t begin[4] = {0, plan.pad_h.extra_before, plan.pad_w.extra_before, 0};
  std::copy(in_dims, in_dims + 4, crop.in_dims);
  std::copy(out_dims, out_dims + 4, crop.out_dims);
  std::copy(begin, begin + 4, crop.begin);
  std::fill(crop.step, crop.step + 4, int64_t{1});
  crop.element_size = static_cast<int32_t>(element_size);
  return crop;
}

void CudnnConv::conv2d(const Conv2dParams& p, const float* x, const float* filter,
                       const float* bias, const float* residual, float* y, void* workspace) {
  if (empty_output(p)) return;
  check_epilogue_inputs(p, bias, residual, "conv2d");
  const ConvPlan& plan = forward_plan(p);
  if (plan.direct) {
    cuda::direct_conv2d(p, x, filter, p.has_bias ? bias : nullptr,
                        p.has_residual ? residual : nullptr, y, stream_);
    return;
  }
  const WorkspaceSections ws = split_workspace(plan, workspace, "conv2d");
  try {
    const float* input = x;
    const size_t filter_count =
        static_cast<size_t>(p.out_c) * p.kernel_h * p.kernel_w * (p.in_c / p.groups);
    if (plan.staging_bytes) {
      // Pad the extra rows / columns cuDNN's symmetric padding does not cover (all of them
      // for mirrored padding), with zeros or the mirrored input.
      PadParams pad{};
      pad.rank = 4;
      const int64_t in_dims[4] = {p.batch, p.in_h, p.in_w, p.in_c};
      const int64_t before[4] = {0, plan.pad_h.extra_before, plan.pad_w.extra_before, 0};
      const int64_t after[4] = {0, plan.pad_h.extra_after, plan.pad_w.extra_after, 0};
      std::copy(in_dims, in_dims + 4, pad.in_dims);
      std::copy(before, before + 4, pad.before);
      std::copy(after, after + 4, pad.after);
      pad.mode = p.padding_fill;
      pad.value = 0.f;
      cuda::pad(pad, x, ws.staging, stream_);
      input = ws.staging;
    }
    if (plan.precision == Precision::FP16) {
      cast_on(stream_, input, ScalarType::F32, ws.half_input, ScalarType::F16,
              plan.half_input_bytes / kHalfBytes);
      const float alpha = 1.f, beta = 0.f;
      P3D_CUDNN_CHECK(cudnnConvolutionForward(
          handle_, &alpha, plan.input.get(), ws.half_input, plan.filter.get(),
          half_filter(filter, static_cast<int64_t>(filter_count)), plan.conv.get(),
          plan.forward_algo, ws.cudnn, plan.cudnn_bytes, &beta, plan.output.get(), ws.half_output));
      finish_half(p, ws, ws.half_output, bias, residual, y, stream_);
      return;
    }
    // A residual living in y itself (an in-place add) is accumulated by cuDNN (beta = 1)
    // since writing y would destroy it before the epilogue could read it.
    const float* fused_residual = p.has_residual ? residual : nullptr;
    const bool accumulate = fused_residual != nullptr && fused_residual == y;
    const float alpha = 1.f;
    const float beta = accumulate ? 1.f : 0.f;
    P3D_CUDNN_CHECK(cudnnConvolutionForward(
        handle_, &alpha, plan.input.get(), input, plan.filter.get(), filter, plan.conv.get(),
        plan.forward_algo, ws.cudnn, plan.cudnn_bytes, &beta, plan.output.get(), y));
    run_epilogue(p, bias, accumulate ? nullptr : fused_residual, y, stream_);
  } catch (const Error& e) {
    P3D_THROW(describe("conv2d", p), " (cuDNN forward algo ", algo_name(plan.forward_algo),
              "): ", e.what());
  }
}

void CudnnConv::conv_transpose2d(const ConvTranspose2dParams& p, const float* x,
                                 const float* filter, const float* bias, const float* residual,
                                 float* y, void* workspace) {
  if (empty_output(p)) return;
  check_epilogue_inputs(p, bias, residual, "conv_transpose2d");
  const ConvPlan& plan = transpose_plan(p);
  if (plan.direct) {
    cuda::direct_conv_transpose2d(p, x, filter, p.has_bias ? bias : nullptr,
                                  p.has_residual ? residual : nullptr, y, stream_);
    return;
  }
  const WorkspaceSections ws = split_workspace(plan, workspace, "conv_transpose2d");
  try {
    if (plan.precision == Precision::FP16) {
      run_transpose_half(plan, ws, p, x, filter, bias, residual, y);
      return;
    }
    const float* fused_residual = p.has_residual ? residual : nullptr;
    const int64_t out_count = static_cast<int64_t>(p.batch) * p.out_h * p.out_w * p.out_c;
    if (plan.staging_bytes == 0) {
      // cuDNN writes y directly; an in-place residual is accumulated (beta = 1).
      const bool accumulate = fused_residual != nullptr && fused_residual == y;
      const float alpha = 1.f;
      const float beta = accumulate ? 1.f : 0.f;
      P3D_CUDNN_CHECK(cudnnConvolutionBackwardData(
          handle_, &alpha, plan.filter.get(), filter, plan.input.get(), x, plan.conv.get(),
          plan.backward_data_algo, ws.cudnn, plan.cudnn_bytes, &beta, plan.output.get(), y));
      run_epilogue(p, bias, accumulate ? nullptr : fused_residual, y, stream_);
      return;
    }
    // Asymmetric padding: the larger result goes to the workspace and its window at
    // (extra top, extra left) is cropped into y.
    if (fused_residual != nullptr && fused_residual == y) {
      // The crop overwrites y: keep the in-place residual in the workspace first.
      P3D_CUDA_CHECK(cudaMemcpyAsync(ws.residual_copy, y, out_count * sizeof(float),
                                     cudaMemcpyDeviceToDevice, stream_));
      fused_residual = ws.residual_copy;
    }
    const float alpha = 1.f;
    const float beta = 0.f;
    P3D_CUDNN_CHECK(cudnnConvolutionBackwardData(
        handle_, &alpha, plan.filter.get(), filter, plan.input.get(), x, plan.conv.get(),
        plan.backward_data_algo, ws.cudnn, plan.cudnn_bytes, &beta, plan.output.get(), ws.staging));
    const SliceParams crop = crop_params(p, plan, sizeof(float));
    cuda::slice(crop, ws.staging, y, stream_);
    run_epilogue(p, bias, fused_residual, y, stream_);
  } catch (const Error& e) {
    P3D_THROW(describe("conv_transpose2d", p), " (cuDNN backward-data algo ",
              algo_name(plan.backward_data_algo), "): ", e.what());
  }
}

void CudnnConv::run_transpose_half(const ConvPlan& plan, const WorkspaceSections& ws,
                                   const ConvTranspose2dParams& p, const float* x,
                                   const float* filter, const float* bias, const float* residual,
                                   float* y) {
  const size_t filter_count = static_cast<size_t>(p.in_c) * p.kernel_h * p.kernel_w * p.out_c;
  cast_on(stream_, x, ScalarType::F32, ws.half_input, ScalarType::F16, elements(p, true));
  const float alpha = 1.f, beta = 0.f;
  P3D_CUDNN_CHECK(cudnnConvolutionBackwardData(
      handle_, &alpha, plan.filter.get(), half_filter(filter, static_cast<int64_t>(filter_count)),
      plan.input.get(), ws.half_input, plan.conv.get(), plan.backward_data_algo, ws.cudnn,
      plan.cudnn_bytes, &beta, plan.output.get(), ws.half_output));
  const void* result = ws.half_output;
  if (plan.half_cropped_bytes) {
    cuda::slice(crop_params(p, plan, kHalfBytes), ws.half_output, ws.half_cropped, stream_);
    result = ws.half_cropped;
  }
  finish_half(p, ws, result, bias, residual, y, stream_);
}

}  // namespace p3d::cuda_backend
