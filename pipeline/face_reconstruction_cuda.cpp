// The CUDA implementation of FaceReconstructor (face_reconstruction.h): the model's arrays
// live on the GPU from construction; each run uploads the coefficients and cameras, runs one
// cuBLAS GEMM for the shape (and one for the texture when colours are asked for) and the
// per-vertex kernels of kernels/cuda/face3dmm.h, then downloads the results. Stream, cuBLAS
// handle and per-run buffers are the device's context (kernels/cuda/device_context.h),
// shared with the engine: the buffers grow to the largest batch seen and are reused.
#if defined(P3D_WITH_CUDA)

#include <cuda_runtime_api.h>

#include <memory>
#include <string>
#include <string_view>

#include "kernels/cuda/check.h"
#include "kernels/cuda/device_context.h"
#include "kernels/cuda/face3dmm.h"
#include "kernels/cuda/owners.h"
#include "kernels/error.h"
#include "pipeline/face_reconstruction_impl.h"

namespace p3d {
namespace {

using cuda::DeviceBuffer;
using cuda::DeviceContext;

// Queues the copy on the compute stream: a plain cudaMemcpy from pageable memory runs on the
// legacy stream and may return before its DMA lands, and our non-blocking stream does not
// wait for the legacy one, so the first kernels could read a half-copied basis. The caller
// synchronises `stream` before `host` may go.
template <typename T>
std::unique_ptr<DeviceBuffer> upload_vector(const std::vector<T>& host, cudaStream_t stream) {
  auto buffer = std::make_unique<DeviceBuffer>(host.size() * sizeof(T));
  if (!host.empty())
    P3D_CUDA_CHECK(cudaMemcpyAsync(buffer->get(), host.data(), host.size() * sizeof(T),
                                   cudaMemcpyHostToDevice, stream));
  return buffer;
}

class CudaFaceReconstructor final : public FaceReconstructor::Impl {
 public:
  CudaFaceReconstructor(FaceModelArrays arrays, int device_index)
      : device_index_(device_index), context_(cuda::acquire_device_context(device_index)) {
    model = std::move(arrays);
    context_->make_current();
    const cudaStream_t s = context_->stream();
    shape_basis_ = upload_vector(model.shape_basis, s);
    mean_centred_ = upload_vector(model.mean_centred, s);
    mean_raw_ = upload_vector(model.mean_raw, s);
    tex_basis_ = upload_vector(model.tex_basis, s);
    mean_tex_ = upload_vector(model.mean_tex, s);
    triangles_ = upload_vector(model.triangles, s);
    point_buf_ = upload_vector(model.point_buf, s);
    P3D_CUDA_CHECK(cudaStreamSynchronize(s));  // the model is resident before run() is called
  }

  ~CudaFaceReconstructor() override {
    P3D_CUDA_CHECK_NOTHROW(cudaSetDevice(device_index_));
    P3D_CUDA_CHECK_NOTHROW(cudaStreamSynchronize(context_->stream()));
  }

  Device device() const override { return Device{DeviceKind::CUDA, device_index_}; }

  FaceGeometry run(const float* coeffs, int32_t batch, int32_t coeff_stride,
                   const FaceCamera* cameras, const FaceReconstructionOptions& options) override {
    select_device();
    const int32_t v = model.vertex_count;
    const int64_t rows = 3 * static_cast<int64_t>(v);
    FaceGeometry g = sized_face_geometry(batch, v, options.colors);
    if (batch == 0) return g;
    cudaStream_t s = context_->stream();

    float* d_coeffs = scratch<float>("face3dmm.coeffs", static_cast<size_t>(batch) * coeff_stride);
    FaceCamera* d_cameras = scratch<FaceCamera>("face3dmm.cameras", batch);
    float* d_canonical = scratch<float>("face3dmm.canonical", g.canonical.size());
    float* d_posed = scratch<float>("face3dmm.posed", g.posed.size());
    float* d_projection = scratch<float>("face3dmm.projection", g.projection.size());
    context_->upload(d_coeffs, coeffs, sizeof(float) * batch * coeff_stride);
    context_->upload(d_cameras, cameras, sizeof(FaceCamera) * batch);

    cuda::face_basis_product(context_->cublas(), batch, rows, FaceCoeff::kShapeDims,
                             d_coeffs + FaceCoeff::kId, coeff_stride,
                             static_cast<const float*>(shape_basis_->get()), d_canonical);
    const FaceVertexParams p{batch, v, coeff_stride};
    cuda::face_vertices(p, d_canonical, static_cast<const float*>(mean_centred_->get()), d_coeffs,
                        d_cameras, d_canonical, d_posed, d_projection, s);
    if (options.colors) {
      float* d_albedo = scratch<float>("face3dmm.albedo", static_cast<size_t>(batch) * rows);
      float* d_tri = scratch<float>("face3dmm.tri_normals",
                                    static_cast<size_t>(batch) * (model.triangle_count + 1) * 3);
      float* d_colors = scratch<float>("face3dmm.colors", static_cast<size_t>(batch) * rows);
      // albedo = meantex (broadcast over the batch) + texBase · tex, as beta = 1 GEMMs would;
      // copy the mean into each row, then accumulate the product.
      for (int32_t b = 0; b < batch; ++b)
        P3D_CUDA_CHECK(cudaMemcpyAsync(d_albedo + b * rows, mean_tex_->get(), sizeof(float) * rows,
                                       cudaMemcpyDeviceToDevice, s));
      const float alpha = 1.f, beta = 1.f;
      P3D_CUBLAS_CHECK(cublasSgemm(context_->cublas(), CUBLAS_OP_T, CUBLAS_OP_N,
                                   static_cast<int>(rows), batch, FaceModel::kTexDims, &alpha,
                                   static_cast<const float*>(tex_basis_->get()),
                                   FaceModel::kTexDims, d_coeffs + FaceCoeff::kTex, coeff_stride,
                                   &beta, d_albedo, static_cast<int>(rows)));
      cuda::face_triangle_normals(batch, v, model.triangle_count, d_canonical,
                                  static_cast<const int32_t*>(triangles_->get()), d_tri, s);
      cuda::face_vertex_colors(p, model.triangle_count, d_tri,
                               static_cast<const int32_t*>(point_buf_->get()), d_coeffs, d_albedo,
                               d_colors, s);
      context_->download(g.colors.data(), d_colors, sizeof(float) * g.colors.size());
    }
    context_->download(g.canonical.data(), d_canonical, sizeof(float) * g.canonical.size());
    context_->download(g.posed.data(), d_posed, sizeof(float) * g.posed.size());
    context_->download(g.projection.data(), d_projection, sizeof(float) * g.projection.size());
    P3D_CUDA_CHECK(cudaStreamSynchronize(s));
    g.landmarks = gather_landmarks(g.projection, batch, v, model.keypoints);
    return g;
  }

  std::vector<float> project(const float* points, int32_t batch,
                             const FaceCamera* cameras) override {
    select_device();
    const int32_t v = model.vertex_count;
    std::vector<float> out(static_cast<size_t>(batch) * v * 2);
    if (batch == 0) return out;
    cudaStream_t s = context_->stream();
    float* d_points = scratch<float>("face3dmm.posed", static_cast<size_t>(batch) * v * 3);
    FaceCamera* d_cameras = scratch<FaceCamera>("face3dmm.cameras", batch);
    float* d_out = scratch<float>("face3dmm.projection", out.size());
    context_->upload(d_points, points, sizeof(float) * batch * v * 3);
    context_->upload(d_cameras, cameras, sizeof(FaceCamera) * batch);
    cuda::face_project_points(batch, v, d_points, d_cameras, d_out, s);
    context_->download(out.data(), d_out, sizeof(float) * out.size());
    P3D_CUDA_CHECK(cudaStreamSynchronize(s));
    return out;
  }

  std::vector<double> pos_moments(const float* projection, int32_t batch) override {
    select_device();
    const int32_t v = model.vertex_count;
    std::vector<double> out(static_cast<size_t>(batch) * 8);
    if (batch == 0) return out;
    cudaStream_t s = context_->stream();
    float* d_projection = scratch<float>("face3dmm.projection", static_cast<size_t>(batch) * v * 2);
    double* d_moments = scratch<double>("face3dmm.moments", out.size());
    double* d_partials =
        scratch<double>("face3dmm.moment_partials", cuda::face_pos_moments_partials(batch, v));
    context_->upload(d_projection, projection, sizeof(float) * batch * v * 2);
    cuda::face_pos_moments(batch, v, d_projection, static_cast<const float*>(mean_raw_->get()),
                           d_partials, d_moments, s);
    context_->download(out.data(), d_moments, sizeof(double) * out.size());
    P3D_CUDA_CHECK(cudaStreamSynchronize(s));
    return out;
  }

 private:
  void select_device() { context_->make_current(); }

  // Per-run device memory in the context's reusable buffers (grown once, then reused).
  template <typename T>
  T* scratch(std::string_view slot, size_t count) {
    return context_->buffer_as<T>(slot, count);
  }

  int device_index_;
  std::shared_ptr<DeviceContext> context_;  // the stream, cuBLAS and scratch memory
  std::unique_ptr<DeviceBuffer> shape_basis_, mean_centred_, mean_raw_, tex_basis_, mean_tex_,
      triangles_, point_buf_;
};

}  // namespace

std::unique_ptr<FaceReconstructor::Impl> make_cuda_face_reconstructor(FaceModelArrays arrays,
                                                                      int device_index) {
  return std::make_unique<CudaFaceReconstructor>(std::move(arrays), device_index);
}

}  // namespace p3d

#endif  // P3D_WITH_CUDA
