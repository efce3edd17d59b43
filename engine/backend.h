// The interface every compute backend implements: memory, transfers, and one method per
// kernel, each taking the kernel's params struct and pointers into the backend's memory.
// The executor (engine/executor.h) lowers graph nodes to these calls; the agreement tests
// call them directly to compare backends op by op.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "engine/precision.h"
#include "engine/tensor.h"
#include "kernels/conv.h"
#include "kernels/elementwise.h"
#include "kernels/layout.h"
#include "kernels/matmul.h"
#include "kernels/pool.h"
#include "kernels/reduce.h"

namespace p3d {

struct CustomAttrs;  // engine/op_attrs.h: a user op's kernels, for Backend::custom
struct CustomCall;

// A recorded sequence of a backend's kernel launches (on CUDA, an instantiated CUDA graph)
// that can be launched again as one unit, with the same pointers and parameters.
class LaunchRecording {
 public:
  virtual ~LaunchRecording() = default;
  virtual void replay() = 0;  // queued like any other launch; does not wait
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual std::string name() const = 0;

  // ---- memory --------------------------------------------------------------------------
  // Raw allocation in the backend's memory, 256-byte aligned. Used for arenas and weights,
  // never per run.
  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* ptr) noexcept = 0;
  // A tensor owning fresh backend memory (freed when the last copy goes).
  Tensor empty(const Shape& shape, DType dtype);
  // Host <-> backend copies, ordered with the backend's queued work.
  virtual void upload(void* dst, const void* host_src, size_t bytes) = 0;
  virtual void download(void* host_dst, const void* src, size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;  // within the backend
  virtual void fill_zero(void* dst, size_t bytes) = 0;
  // Waits until every queued operation has finished; rethrows asynchronous errors.
  virtual void synchronize() = 0;
  // Host tensor -> backend tensor and back (conveniences over upload / download).
  Tensor to_device(const Tensor& host);
  Tensor to_host(const Tensor& device_tensor);

  // ---- weights -------------------------------------------------------------------------
  // Converts a constant filter from TensorFlow's layout (HWIO for conv2d, HWOI for
  // conv_transpose2d) to the layout this backend's conv2d / conv_transpose2d expect, in
  // this backend's memory. Called once per constant when a graph is compiled.
  virtual Tensor pack_conv_filter(const Conv2dParams& p, const Tensor& host_filter) = 0;
  virtual Tensor pack_conv_transpose_filter(const ConvTranspose2dParams& p,
                                            const Tensor& host_filter) = 0;

  // ---- kernels -------------------------------------------------------------------------
  // Scratch bytes the call with these params needs (planned into the arena; 0 if none).
  virtual size_t conv2d_workspace(const Conv2dParams& p) = 0;
  virtual size_t conv_transpose2d_workspace(const ConvTranspose2dParams& p) = 0;
  // What runs a conv of these params on this backend, in words (e.g. the CUDA backend's
  // "cudnn IMPLICIT_PRECOMP_GEMM" or "direct (cuDNN: ...)", the CPU's "winograd F(2x2,3x3),
  // avx512"), for profiles and tests; empty for a backend with a single implementation. May build
  // the plan, like *_workspace().
  virtual std::string conv2d_plan(const Conv2dParams& p) { return std::string(); }
  virtual std::string conv_transpose2d_plan(const ConvTranspose2dParams& p) {
    return std::string();
  }

  // filter is the packed one; bias and residual may be null (per p.has_bias / has_residual).
  virtual void conv2d(const Conv2dParams& p, const float* x, const float* filter, const float* bias,
                      const float* residual, float* y, void* workspace) = 0;
  virtual void conv_transpose2d(const ConvTranspose2dParams& p, const float* x, const float* filter,
                                const float* bias, const float* residual, float* y,
                                void* workspace) = 0;
  virtual void matmul(const MatmulParams& p, const float* a, const float* b, const float* bias,
                      float* c) = 0;
  virtual void pool2d(const Pool2dParams& p, const float* x, float* y) = 0;
  virtual void reduce(const ReduceParams& p, const float* x, float* y) = 0;
  virtual void batch_norm(const BatchNormParams& p, const float* x, const float* gamma,
                          const float* beta, const float* mean, const float* variance,
                          float* y) = 0;
  virtual void unary(const UnaryParams& p, const float* x, float* y) = 0;
  virtual void binary(const BinaryParams& p, const float* a, const float* b, float* y) = 0;
  virtual void cast(const CastParams& p, const void* x, void* y) = 0;
  virtual void concat_copy(const ConcatCopyParams& p, const void* x, void* y) = 0;
  virtual void pad(const PadParams& p, const float* x, float* y) = 0;
  virtual void transpose(const TransposeParams& p, const void* x, void* y) = 0;
  virtual void slice(const SliceParams& p, const void* x, void* y) = 0;
  virtual void resize(const ResizeParams& p, const float* x, float* y) = 0;
  // A user op (CustomAttrs, engine/op_attrs.h): runs this backend's kernel of `op` on the
  // pointers of `call`, or throws p3d::Error naming the op when it has none for this backend.
  virtual void custom(const CustomAttrs& op, const CustomCall& call) = 0;

  // ---- replay --------------------------------------------------------------------------
  // Records the kernel calls `launches` makes into a LaunchRecording instead of running them
  // (the executor's steady state: the same plan, arena and pointers every run), or returns
  // null when this backend does not record or the recording failed; then nothing of
  // `launches` has taken effect and the caller runs it itself. `launches` must neither
  // allocate nor copy to or from the host nor wait. The default (the CPU) does not record.
  virtual std::unique_ptr<LaunchRecording> record(const std::function<void()>& launches) {
    (void)launches;
    return nullptr;
  }
};

// The CPU backend (always present). threads <= 0: all hardware threads. A precision other
// than FP32 emulates the GPU's roundings in convs and matmuls (engine/precision.h).
std::unique_ptr<Backend> make_cpu_backend(int threads = 0, Precision precision = Precision::FP32);

// True when this build has the CUDA backend and a usable GPU is present; `reason` (if not
// null) receives why not otherwise ("built without CUDA", "no CUDA device: ...").
bool cuda_available(std::string* reason = nullptr);
// The CUDA backend on device `index`; throws p3d::Error when cuda_available() is false.
// It shares the device's context (stream, handles, reusable buffers: kernels/cuda/
// device_context.h) with whatever else holds it, e.g. the pipeline's CUDA units.
std::unique_ptr<Backend> make_cuda_backend(int index = 0, Precision precision = Precision::FP32);

}  // namespace p3d
