// RAII owners of the cuDNN legacy-API descriptors the CUDA backend's convolutions use.
// Each creates its descriptor on construction, destroys it on destruction, and cannot be
// copied or moved (the backend keeps them inside heap-allocated, cached conv plans).
#pragma once

#include <cudnn.h>

#include "kernels/cuda/check.h"

namespace p3d::cuda_backend {

// A 4-D activation tensor (float, or half under FP16) in NHWC memory order. cuDNN takes the
// logical sizes in n, c, h, w order whatever the memory format.
class TensorDescriptor {
 public:
  TensorDescriptor() { P3D_CUDNN_CHECK(cudnnCreateTensorDescriptor(&desc_)); }
  ~TensorDescriptor() { P3D_CUDNN_CHECK_NOTHROW(cudnnDestroyTensorDescriptor(desc_)); }
  TensorDescriptor(const TensorDescriptor&) = delete;
  TensorDescriptor& operator=(const TensorDescriptor&) = delete;

  void set_nhwc(int n, int h, int w, int c, cudnnDataType_t type = CUDNN_DATA_FLOAT) {
    P3D_CUDNN_CHECK(cudnnSetTensor4dDescriptor(desc_, CUDNN_TENSOR_NHWC, type, n, c, h, w));
  }
  cudnnTensorDescriptor_t get() const { return desc_; }

 private:
  cudnnTensorDescriptor_t desc_ = nullptr;
};

// A filter (float, or half under FP16) in cuDNN's NHWC filter layout, KRSC = [k, r, s, c] = [out_c,
// kh, kw, in_c].
class FilterDescriptor {
 public:
  FilterDescriptor() { P3D_CUDNN_CHECK(cudnnCreateFilterDescriptor(&desc_)); }
  ~FilterDescriptor() { P3D_CUDNN_CHECK_NOTHROW(cudnnDestroyFilterDescriptor(desc_)); }
  FilterDescriptor(const FilterDescriptor&) = delete;
  FilterDescriptor& operator=(const FilterDescriptor&) = delete;

  void set_krsc(int k, int r, int s, int c, cudnnDataType_t type = CUDNN_DATA_FLOAT) {
    P3D_CUDNN_CHECK(cudnnSetFilter4dDescriptor(desc_, type, CUDNN_TENSOR_NHWC, k, c, r, s));
  }
  cudnnFilterDescriptor_t get() const { return desc_; }

 private:
  cudnnFilterDescriptor_t desc_ = nullptr;
};

class ConvolutionDescriptor {
 public:
  ConvolutionDescriptor() { P3D_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&desc_)); }
  ~ConvolutionDescriptor() { P3D_CUDNN_CHECK_NOTHROW(cudnnDestroyConvolutionDescriptor(desc_)); }
  ConvolutionDescriptor(const ConvolutionDescriptor&) = delete;
  ConvolutionDescriptor& operator=(const ConvolutionDescriptor&) = delete;

  // Cross-correlation (what every framework calls convolution), float accumulation. FP32
  // asks for FMA math only: CUDNN_DEFAULT_MATH would let Ampere and later GPUs round float
  // inputs to TF32 on tensor cores, which breaks agreement with the FP32 reference; the
  // TF32 and FP16 options ask for CUDNN_TENSOR_OP_MATH (engine/precision.h).
  void set(int pad_h, int pad_w, int stride_h, int stride_w, int dilation_h, int dilation_w,
           int groups, cudnnMathType_t math = CUDNN_FMA_MATH) {
    P3D_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(desc_, pad_h, pad_w, stride_h, stride_w,
                                                    dilation_h, dilation_w, CUDNN_CROSS_CORRELATION,
                                                    CUDNN_DATA_FLOAT));
    P3D_CUDNN_CHECK(cudnnSetConvolutionGroupCount(desc_, groups));
    P3D_CUDNN_CHECK(cudnnSetConvolutionMathType(desc_, math));
  }
  cudnnConvolutionDescriptor_t get() const { return desc_; }

 private:
  cudnnConvolutionDescriptor_t desc_ = nullptr;
};

}  // namespace p3d::cuda_backend
