// CUDA kernels of the small-component removal (kernels/cuda/connected_components.h): union-
// find with atomic linking (label equivalence where every union hangs the larger root under
// the smaller by atomicMin, retried when another thread moved the root first), then flatten
// + count by atomicAdd, then keep. Why this shape: at 256x256 per portrait a whole batch is a
// few hundred thousand pixels, one launch per pass fills the GPU, and the passes need no
// shared-memory tiling or iteration to convergence (unlike label propagation, whose rounds
// grow with a spiral's length). The finds read parents through a volatile pointer, since
// other threads lower them meanwhile; every value they can see is an ancestor, so a find
// always ends at a current root.
#include "kernels/cuda/check.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/connected_components.h"
#include "kernels/error.h"

namespace p3d::cuda {
namespace {

constexpr int kBlock = 256;

static __global__ void init_kernel(const uint8_t* __restrict__ mask, int32_t* parent,
                                   int32_t* count, int32_t pixels) {
  for (int64_t i = detail::grid_thread_index(); i < pixels; i += detail::grid_thread_count()) {
    parent[i] = component_init(mask[i], static_cast<int32_t>(i));
    count[i] = 0;
  }
}

// Joins the trees of a and b: the larger root is lowered to the smaller one's index unless a
// concurrent union changed it first, in which case the walk restarts from what it found.
__device__ void component_union(int32_t* parent, int32_t a, int32_t b) {
  const volatile int32_t* seen = parent;
  while (true) {
    a = component_find(seen, a);
    b = component_find(seen, b);
    if (a == b) return;
    if (a > b) {
      const int32_t t = a;
      a = b;
      b = t;
    }
    const int32_t old = atomicMin(&parent[b], a);
    if (old == b) return;  // b was still a root: now it hangs under a
    b = old;
  }
}

static __global__ void union_kernel(SmallComponentParams p, int32_t* parent, int32_t pixels) {
  const int32_t image = p.height * p.width;
  for (int64_t g = detail::grid_thread_index(); g < pixels; g += detail::grid_thread_count()) {
    const int32_t i = static_cast<int32_t>(g);
    // Set-ness never changes after init, so these plain reads are safe.
    if (parent[i] == kComponentNone) continue;
    const int32_t local = i % image;
    int32_t neighbours[2];
    const int n =
        component_back_neighbours(i, local % p.width, local / p.width, p.width, neighbours);
    for (int k = 0; k < n; ++k)
      if (parent[neighbours[k]] != kComponentNone) component_union(parent, i, neighbours[k]);
  }
}

static __global__ void flatten_count_kernel(int32_t* parent, int32_t* count, int32_t pixels) {
  for (int64_t g = detail::grid_thread_index(); g < pixels; g += detail::grid_thread_count()) {
    const int32_t i = static_cast<int32_t>(g);
    const volatile int32_t* seen = parent;
    if (seen[i] == kComponentNone) continue;
    const int32_t root = component_find(seen, i);
    parent[i] = root;  // others may still walk through i: root is an ancestor of it too
    atomicAdd(&count[root], 1);
  }
}

static __global__ void keep_kernel(SmallComponentParams p, const int32_t* __restrict__ parent,
                                   const int32_t* __restrict__ count, uint8_t* kept,
                                   int32_t* labels, int32_t pixels) {
  const int32_t image = p.height * p.width;
  for (int64_t g = detail::grid_thread_index(); g < pixels; g += detail::grid_thread_count()) {
    const int32_t i = static_cast<int32_t>(g);
    const int32_t root = parent[i];
    if (labels) labels[i] = component_label(root, i - i % image);
    kept[i] = root != kComponentNone && component_kept(count[root], p.min_size) ? 1 : 0;
  }
}

}  // namespace

void remove_small_components(const SmallComponentParams& p, const SmallComponentBuffers& b,
                             void* workspace, cudaStream_t stream) {
  check_small_component_params(p);
  if (p.batch == 0) return;
  P3D_CHECK(b.mask != nullptr && b.kept != nullptr, "remove_small_components: missing buffer");
  P3D_CHECK(workspace != nullptr && detail::is_aligned(workspace, 4),
            "remove_small_components: workspace must be 4-byte aligned device memory");
  const SmallComponentScratch s = small_component_scratch(p, workspace);
  const int32_t pixels = p.batch * p.height * p.width;
  const unsigned int blocks = detail::grid_blocks(pixels, kBlock);
  init_kernel<<<blocks, kBlock, 0, stream>>>(b.mask, s.parent, s.count, pixels);
  P3D_CUDA_CHECK_LAUNCH();
  union_kernel<<<blocks, kBlock, 0, stream>>>(p, s.parent, pixels);
  P3D_CUDA_CHECK_LAUNCH();
  flatten_count_kernel<<<blocks, kBlock, 0, stream>>>(s.parent, s.count, pixels);
  P3D_CUDA_CHECK_LAUNCH();
  keep_kernel<<<blocks, kBlock, 0, stream>>>(p, s.parent, s.count, b.kept, b.labels, pixels);
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace p3d::cuda
