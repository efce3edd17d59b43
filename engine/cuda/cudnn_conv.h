// Convolutions of the CUDA backend: a plan per distinct shape, built when the executor asks
// for the workspace size at plan time, so the run itself only launches work and never
// allocates.
//
// A plan is chosen by trying, in order:
//   1. cuDNN with the symmetric part of the padding in the descriptor (the rest padded
//      explicitly into the workspace, or, for a transposed conv, a larger result cropped);
//   2. cuDNN with all padding explicit (should cuDNN reject the padding itself);
//   3. our direct kernel (kernels/cuda/conv2d.h), for conv2d and conv_transpose2d alike.
// Within 1 and 2 the candidates are cuDNN's heuristic ranking (fastest expected first),
// deterministic algorithms before non-deterministic ones, no tensor-op variants under FP32,
// workspace within a cap; each candidate is run once on scratch buffers before it is
// accepted, since cuDNN may report a workspace size for an algorithm that then fails to
// launch. A cuDNN error anywhere in planning (output-size query, heuristics, workspace
// query, trial) moves on to the next candidate or stage instead of failing the graph.
//
// Numerics (engine/precision.h): FP32 uses CUDNN_FMA_MATH only, so results agree with the
// CPU backend up to summation order. TF32 keeps float tensors and asks for
// CUDNN_TENSOR_OP_MATH. FP16 runs cuDNN on half tensors with float accumulation (half
// storage, CUDNN_DATA_FLOAT compute): the float input is converted into the workspace, the
// filter's half copy is made once when it is packed (make_half_filter), cuDNN writes a half
// result into the workspace, and it is converted back to float before the float epilogue
// (bias, residual, activation). The activations between layers stay float: only the conv
// itself runs in half. The direct fallback is FP32 under every precision.
// Not thread-safe: one host thread at a time.
#pragma once

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <array>
#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "engine/precision.h"
#include "kernels/conv.h"

namespace p3d::cuda_backend {

struct ConvPlan;           // defined in cudnn_conv.cpp
struct WorkspaceSections;  // defined in cudnn_conv.cpp

class CudnnConv {
 public:
  // handle must be bound to stream; both outlive this object.
  CudnnConv(cudnnHandle_t handle, cudaStream_t stream, Precision precision = Precision::FP32);
  ~CudnnConv();
  CudnnConv(const CudnnConv&) = delete;
  CudnnConv& operator=(const CudnnConv&) = delete;

  // Workspace bytes of the shape's plan (built and cached on first call).
  size_t conv2d_workspace(const Conv2dParams& p);
  size_t conv_transpose2d_workspace(const ConvTranspose2dParams& p);

  // filter is the packed KRSC one; bias / residual may be null per has_bias / has_residual;
  // residual may be y itself.
  void conv2d(const Conv2dParams& p, const float* x, const float* filter, const float* bias,
              const float* residual, float* y, void* workspace);
  void conv_transpose2d(const ConvTranspose2dParams& p, const float* x, const float* filter,
                        const float* bias, const float* residual, float* y, void* workspace);

  // What the shape's plan runs, e.g. "cudnn IMPLICIT_PRECOMP_GEMM", "cudnn ALGO_1 +pad",
  // "direct" (builds the plan if need be).
  std::string conv2d_plan(const Conv2dParams& p);
  std::string conv_transpose2d_plan(const ConvTranspose2dParams& p);

  // FP16 keeps a half copy of each packed filter behind its floats, in the same allocation:
  // the extra bytes the backend allocates for a filter of `count` floats (0 unless FP16),
  // where the copy starts, and the conversion (a no-op unless FP16), queued on the stream.
  static size_t half_filter_bytes(Precision precision, int64_t count);
  static const void* half_filter(const float* packed, int64_t count);
  void make_half_filter(float* packed, int64_t count);

 private:
  using Key = std::array<int32_t, 20>;
  const ConvPlan& forward_plan(const Conv2dParams& p);
  const ConvPlan& transpose_plan(const ConvTranspose2dParams& p);
  void run_transpose_half(const ConvPlan& plan, const WorkspaceSections& ws,
                          const ConvTranspose2dParams& p, const float* x, const float* filter,
                          const float* bias, const float* residual, float* y);

  cudnnHandle_t handle_;
  cudaStream_t stream_;
  Precision precision_;
  std::map<Key, std::unique_ptr<ConvPlan>> forward_plans_;
  std::map<Key, std::unique_ptr<ConvPlan>> transpose_plans_;
};

}  // namespace p3d::cuda_backend
