// One device context per GPU (kernels/cuda/device_context.h): the engine's CUDA backend and
// the pipeline's CUDA units share it, and a second call at the same size creates no stream
// or handle and allocates nothing. CUDA only: skips without a GPU (fails under
// P3D_REQUIRE_CUDA=1); the grow-then-reuse logic itself is tested on the host in
// reusable_buffers_test.cpp.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "engine/backend.h"
#include "pipeline/face_reconstruction.h"
#include "pipeline/render.h"
#include "pipeline/synthetic_face_model.h"
#include "tests/support/require_cuda.h"

#if defined(P3D_WITH_CUDA)
#include <cuda_runtime.h>

#include "kernels/cuda/device_context.h"
#include "kernels/error.h"
#endif

namespace p3d {
namespace {

// A bare kind is device 0 of that kind; `cuda:N` keeps its N all the way to the units.
TEST(Device, BareKindIsDeviceZeroAndIndexIsKept) {
  const Device from_kind = DeviceKind::CUDA;
  EXPECT_EQ(from_kind.index, 0);
  EXPECT_EQ(from_kind.str(), "cuda:0");
  const Device second{DeviceKind::CUDA, 1};
  EXPECT_EQ(second.str(), "cuda:1");
  EXPECT_NE(second, from_kind);
  EXPECT_EQ(Device().str(), "cpu");
}

#if defined(P3D_WITH_CUDA)

// One triangle facing the camera, as a render's input (which points into the members).
struct OneTriangle {
  std::vector<float> vertices = {-1.f, -1.f, 0.f, 1.f, -1.f, 0.f, 0.f, 1.f, 0.f};
  std::vector<int32_t> triangles = {0, 1, 2};
  RenderCamera camera{1015.f, 128.f, 128.f};
  DepthRenderInput input;
  OneTriangle() {
    input.batch = 1;
    input.vertex_count = 3;
    input.vertices = vertices.data();
    input.triangle_count = 1;
    input.triangles = triangles.data();
    input.cameras = &camera;
  }
  OneTriangle(const OneTriangle&) = delete;
  OneTriangle& operator=(const OneTriangle&) = delete;
};

TEST(CudaDeviceContext, OneContextPerDeviceWhileHeld) {
  P3D_SKIP_WITHOUT_CUDA();
  std::shared_ptr<cuda::DeviceContext> a = cuda::acquire_device_context(0);
  std::shared_ptr<cuda::DeviceContext> b = cuda::acquire_device_context(0);
  EXPECT_EQ(a.get(), b.get());
  {
    // The engine's backend holds the same context as the pipeline.
    const long before = a.use_count();
    std::unique_ptr<Backend> backend = make_cuda_backend(0);
    EXPECT_EQ(a.use_count(), before + 1);
  }
  const cuda::DeviceContext* old = a.get();
  a.reset();
  b.reset();
  std::shared_ptr<cuda::DeviceContext> c = cuda::acquire_device_context(0);
  EXPECT_NE(c, nullptr);
  (void)old;  // a fresh context may reuse the old address: only liveness is checked above
}

TEST(CudaDeviceContext, HandlesAreCreatedOnceAndBuffersReused) {
  P3D_SKIP_WITHOUT_CUDA();
  std::shared_ptr<cuda::DeviceContext> c = cuda::acquire_device_context(0);
  c->cublas();
  c->cudnn();
  const size_t creations = c->stream_and_handle_creations();
  void* first = c->buffer("test.slot", 4096);
  const size_t allocations = c->allocations();
  EXPECT_EQ(c->cublas(), c->cublas());
  EXPECT_EQ(c->buffer("test.slot", 4096), first);
  EXPECT_EQ(c->buffer("test.slot", 100), first);
  EXPECT_EQ(c->allocations(), allocations);
  EXPECT_EQ(c->stream_and_handle_creations(), creations);
}

// One triangle facing the camera, rendered twice on the GPU with the context held: the
// second render allocates nothing, and both equal the CPU's.
TEST(CudaDeviceContext, SecondRenderAllocatesNothing) {
  P3D_SKIP_WITHOUT_CUDA();
  std::shared_ptr<cuda::DeviceContext> c = cuda::acquire_device_context(0);
  const OneTriangle triangle;
  const DepthRenderInput& in = triangle.input;
  const DepthAndMask first = render_depth_and_mask(in, DeviceKind::CUDA);
  const size_t allocations = c->allocations();
  const size_t creations = c->stream_and_handle_creations();
  const DepthAndMask second = render_depth_and_mask(in, DeviceKind::CUDA);
  EXPECT_EQ(c->allocations(), allocations) << "the second render allocated";
  EXPECT_EQ(c->stream_and_handle_creations(), creations);
  const DepthAndMask cpu = render_depth_and_mask(in, DeviceKind::CPU);
  EXPECT_EQ(second.mask, cpu.mask);
  EXPECT_EQ(second.depth, cpu.depth);
  EXPECT_EQ(first.mask, second.mask);
  double covered = 0;
  for (float m : cpu.mask) covered += m;
  EXPECT_GT(covered, 100.0);  // the triangle is in view: the comparison is not of empty images
}

// A pipeline unit given a device this machine lacks fails naming it; it used to take only
// the kind and run on device 0 whatever the index said.
TEST(CudaDeviceContext, UnitOnAMissingDeviceFailsInsteadOfUsingDeviceZero) {
  P3D_SKIP_WITHOUT_CUDA();
  int count = 0;
  ASSERT_EQ(cudaGetDeviceCount(&count), cudaSuccess);
  const OneTriangle triangle;
  const DepthRenderInput& in = triangle.input;
  EXPECT_THROW(render_depth_and_mask(in, Device{DeviceKind::CUDA, count}), Error);
  EXPECT_NO_THROW(render_depth_and_mask(in, Device{DeviceKind::CUDA, count - 1}));
}

// The 3DMM on the GPU: after the first batch, the same batch again (with colours, then
// projection and POS moments) creates and allocates nothing, and gives the same bits.
TEST(CudaDeviceContext, SecondFaceReconstructionAllocatesNothing) {
  P3D_SKIP_WITHOUT_CUDA();
  std::shared_ptr<cuda::DeviceContext> c = cuda::acquire_device_context(0);
  const FaceModel model = generate_synthetic_face_model(7);
  FaceReconstructor gpu(model, Device{DeviceKind::CUDA, 0});
  const int batch = 3, stride = 257;
  std::vector<float> coeffs(static_cast<size_t>(batch) * stride, 0.f);
  for (size_t i = 0; i < coeffs.size(); ++i) coeffs[i] = 0.01f * static_cast<float>(i % 17);
  std::vector<FaceCamera> cameras(batch, FaceCamera{1015.f, 112.f, 112.f, 1.f, 0.f, 0.f});
  FaceReconstructionOptions options;
  options.colors = true;
  auto one_pass = [&] {
    const FaceGeometry g = gpu.run(coeffs.data(), batch, stride, cameras.data(), options);
    gpu.project(g.posed.data(), batch, cameras.data());
    gpu.pos_moments(g.projection.data(), batch);
    return g;
  };
  const FaceGeometry first = one_pass();
  const size_t allocations = c->allocations();
  const size_t creations = c->stream_and_handle_creations();
  const FaceGeometry second = one_pass();
  EXPECT_EQ(c->allocations(), allocations) << "the second batch allocated";
  EXPECT_EQ(c->stream_and_handle_creations(), creations);
  EXPECT_EQ(first.posed, second.posed);
  EXPECT_FALSE(second.posed.empty());
}

#else

TEST(CudaDeviceContext, NeedsACudaBuild) { P3D_CUDA_SKIP("this build has no CUDA backend"); }

#endif

}  // namespace
}  // namespace p3d
