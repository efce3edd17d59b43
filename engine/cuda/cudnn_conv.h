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
// deterministic algorithms before non-deterministic ones, no tensor-op (TF32) variants,
// workspace within a cap; each candidate is run once on scratch buffers before it is
// accepted, since cuDNN may report a workspace size for an algorithm that then fails to
// launch. A cuDNN error anywhere in planning (output-size query, heuristics, workspace
// query, trial) moves on to the next candidate or stage instead of failing the graph.
//
// Numerics: FP32 throughout, no TF32 (descriptors use CUDNN_FMA_MATH), so results agree
// with the CPU backend up to summation order. Not thread-safe: one host thread at a time.
#pragma once

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <array>
#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "kernels/conv.h"

namespace p3d::cuda_backend {

struct ConvPlan;  // defined in cudnn_conv.cpp

class CudnnConv {
 public:
  // handle must be bound to stream; both outlive this object.
  CudnnConv(cudnnHandle_t handle, cudaStream_t stream);
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

 private:
  using Key = std::array<int32_t, 19>;
  const ConvPlan& forward_plan(const Conv2dParams& p);
  const ConvPlan& transpose_plan(const ConvTranspose2dParams& p);

  cudnnHandle_t handle_;
  cudaStream_t stream_;
  std::map<Key, std::unique_ptr<ConvPlan>> forward_plans_;
  std::map<Key, std::unique_ptr<ConvPlan>> transpose_plans_;
};

}  // namespace p3d::cuda_backend
