// See cuda_graph_recording.h.
#include "engine/cuda/cuda_graph_recording.h"

#include <cstdlib>
#include <cstring>

#include "kernels/cuda/check.h"

namespace p3d::cuda {
namespace {

class CudaGraphRecording final : public LaunchRecording {
 public:
  CudaGraphRecording(cudaGraphExec_t exec, cudaStream_t stream) : exec_(exec), stream_(stream) {}
  ~CudaGraphRecording() override { P3D_CUDA_CHECK_NOTHROW(cudaGraphExecDestroy(exec_)); }
  CudaGraphRecording(const CudaGraphRecording&) = delete;
  CudaGraphRecording& operator=(const CudaGraphRecording&) = delete;

  void replay() override { P3D_CUDA_CHECK(cudaGraphLaunch(exec_, stream_)); }

 private:
  cudaGraphExec_t exec_;
  cudaStream_t stream_;
};

bool graphs_disabled() {
  const char* env = std::getenv("P3D_CUDA_GRAPHS");
  return env != nullptr && std::strcmp(env, "0") == 0;
}

}  // namespace

std::unique_ptr<LaunchRecording> record_cuda_graph(cudaStream_t stream,
                                                   const std::function<void()>& launches) {
  if (graphs_disabled()) return nullptr;
  if (cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
    (void)cudaGetLastError();  // capture errors are not sticky: clear it
    return nullptr;
  }
  bool threw = false;
  try {
    launches();
  } catch (...) {
    threw = true;  // the caller's own run will meet (and report) the error again
  }
  cudaGraph_t graph = nullptr;
  const cudaError_t ended = cudaStreamEndCapture(stream, &graph);
  if (threw || ended != cudaSuccess || graph == nullptr) {
    if (graph) P3D_CUDA_CHECK_NOTHROW(cudaGraphDestroy(graph));
    (void)cudaGetLastError();
    return nullptr;
  }
  cudaGraphExec_t exec = nullptr;
  const cudaError_t instantiated = cudaGraphInstantiate(&exec, graph, 0);
  P3D_CUDA_CHECK_NOTHROW(cudaGraphDestroy(graph));
  if (instantiated != cudaSuccess) {
    (void)cudaGetLastError();
    return nullptr;
  }
  return std::make_unique<CudaGraphRecording>(exec, stream);
}

}  // namespace p3d::cuda
