// Dispatch of pipeline kernels onto a case's backend; see kernel_launch.h.
#include "tests/support/kernel_launch.h"

#include "kernels/error.h"

#if defined(P3D_WITH_CUDA)
#include "kernels/cuda/owners.h"
#endif

namespace p3d::test {

void run_kernel(Backend& backend, const std::function<void()>& on_cpu,
                const std::function<void(DeviceStream)>& on_cuda) {
  if (backend.device().kind == DeviceKind::CPU) {
    on_cpu();
    return;
  }
#if defined(P3D_WITH_CUDA)
  // The backend's stream is private to it: order by waiting on both sides instead.
  backend.synchronize();
  const cuda::Stream stream;
  on_cuda(stream.get());
  stream.synchronize();
#else
  (void)on_cuda;
  P3D_THROW("run_kernel: backend ", backend.name(), " needs CUDA, and this build has none");
#endif
}

}  // namespace p3d::test
