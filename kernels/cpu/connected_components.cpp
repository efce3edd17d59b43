// p3d::cpu::remove_small_components: per image, the union-find of
// kernels/connected_components.h run sequentially — init, union with the left and upper
// neighbours, flatten, count, keep — the same five passes as the CUDA kernels. A sequential
// union may simply link the larger root under the smaller (no atomics), which keeps the
// invariant parent[i] <= i and so the same roots as the GPU's racing unions.
#include "kernels/cpu/connected_components.h"

#include <cstdint>

#include "kernels/error.h"

namespace p3d {

void check_small_component_params(const SmallComponentParams& p) {
  P3D_CHECK(p.batch >= 0, "remove_small_components: batch ", p.batch, " is negative");
  P3D_CHECK(p.height >= 1 && p.width >= 1, "remove_small_components: image size ", p.width, "x",
            p.height, " must be at least 1x1");
  const double pixels = static_cast<double>(p.batch) * p.height * p.width;
  P3D_CHECK(pixels < 2147483647.0, "remove_small_components: ", p.batch, " images of ", p.width,
            "x", p.height, " exceed the int32 pixel indices");
}

namespace cpu {
namespace {

// One image: pixels [base, base + H*W) of the batch.
void remove_in_image(const SmallComponentParams& p, const SmallComponentBuffers& b,
                     const SmallComponentScratch& s, int32_t base) {
  const int32_t pixels = p.height * p.width;
  int32_t* parent = s.parent;
  for (int32_t i = base; i < base + pixels; ++i) {
    parent[i] = component_init(b.mask[i], i);
    s.count[i] = 0;
  }
  for (int32_t y = 0; y < p.height; ++y)
    for (int32_t x = 0; x < p.width; ++x) {
      const int32_t i = base + y * p.width + x;
      if (parent[i] == kComponentNone) continue;
      int32_t neighbours[2];
      const int n = component_back_neighbours(i, x, y, p.width, neighbours);
      for (int k = 0; k < n; ++k) {
        if (parent[neighbours[k]] == kComponentNone) continue;
        const int32_t a = component_find(parent, i);
        const int32_t c = component_find(parent, neighbours[k]);
        if (a < c) parent[c] = a;
        if (c < a) parent[a] = c;
      }
    }
  for (int32_t i = base; i < base + pixels; ++i)
    if (parent[i] != kComponentNone) {
      parent[i] = component_find(parent, i);
      ++s.count[parent[i]];
    }
  for (int32_t i = base; i < base + pixels; ++i) {
    const int32_t root = parent[i];
    if (b.labels) b.labels[i] = component_label(root, base);
    b.kept[i] = root != kComponentNone && component_kept(s.count[root], p.min_size) ? 1 : 0;
  }
}

}  // namespace

void remove_small_components(ThreadPool& pool, const SmallComponentParams& p,
                             const SmallComponentBuffers& b, void* workspace) {
  check_small_component_params(p);
  if (p.batch == 0) return;
  P3D_CHECK(b.mask != nullptr && b.kept != nullptr, "remove_small_components: missing buffer");
  P3D_CHECK(workspace != nullptr, "remove_small_components: no workspace");
  const SmallComponentScratch s = small_component_scratch(p, workspace);
  const int32_t pixels = p.height * p.width;
  pool.parallel_for(p.batch, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t n = begin; n < end; ++n)
      remove_in_image(p, b, s, static_cast<int32_t>(n) * pixels);
  });
}

}  // namespace cpu
}  // namespace p3d
