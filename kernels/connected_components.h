// "Remove the 4-connected components smaller than T pixels" of a batch of binary masks
// [N, H, W] (uint8, nonzero = set): Deep3dPortrait's remove_small_area
// (utils/construct_triangles.py), i.e. skimage.measure.label(connectivity=1) then
// skimage.morphology.remove_small_objects(min_size=T, connectivity=1). A component with fewer
// than T pixels is removed; one of exactly T pixels stays (the scikit-image the original ran
// compares `size < min_size`).
//
// Both backends run the same union-find, written once here: every set pixel starts as its
// own tree (parent = its own index), each set pixel is unioned with its set left and upper
// neighbours (4-connectivity: diagonal neighbours never join), trees are then flattened, the
// pixels of each root counted, and each pixel kept when its root's count reaches T. A union
// always hangs the larger root under the smaller, so parent[i] <= i everywhere, finds
// terminate, and the final root of a component is its first pixel in raster order — whichever
// order the unions ran in. That makes the labels (and so the result) identical on the
// sequential CPU twin and on the GPU, where the unions race and are resolved by atomicMin.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/host_device.h"

namespace p3d {

struct SmallComponentParams {
  int32_t batch = 0;     // N masks
  int32_t height = 0;    // H rows per mask, >= 1
  int32_t width = 0;     // W columns per mask, >= 1
  int32_t min_size = 0;  // T: components with fewer pixels are cleared (T <= 1 keeps all)
};

// Inputs and outputs, in the backend's memory, row-major [N, H, W].
struct SmallComponentBuffers {
  const uint8_t* mask = nullptr;  // input, nonzero = set
  uint8_t* kept = nullptr;        // output 0/1; may alias mask (it is read only up front)
  // Optional output (null: not written): per pixel the raster index within its image
  // (row * W + col) of its component's first pixel, -1 where the mask is not set.
  int32_t* labels = nullptr;
};

// Marks a pixel that is not set, in the parent array.
constexpr int32_t kComponentNone = -1;

// Scratch: parent [N*H*W] int32 (indices over the whole batch) and counts [N*H*W] int32.
inline size_t small_component_workspace_bytes(const SmallComponentParams& p) {
  const size_t pixels = static_cast<size_t>(p.batch) * p.height * p.width;
  return 2 * pixels * sizeof(int32_t);
}

struct SmallComponentScratch {
  int32_t* parent;
  int32_t* count;
};

inline SmallComponentScratch small_component_scratch(const SmallComponentParams& p,
                                                     void* workspace) {
  const size_t pixels = static_cast<size_t>(p.batch) * p.height * p.width;
  int32_t* base = static_cast<int32_t*>(workspace);
  return {base, base + pixels};
}

// Host-boundary checks (kernels/cpu/connected_components.cpp), throwing p3d::Error: sizes
// positive, N*H*W small enough for int32 indices, buffers present.
void check_small_component_params(const SmallComponentParams& p);

// ---- the shared pieces of the union-find ----------------------------------------------------

// Initial parent of pixel i: itself when set, else kComponentNone.
P3D_HD int32_t component_init(uint8_t value, int32_t i) { return value != 0 ? i : kComponentNone; }

// The root of set pixel i. Parent is a template so the GPU can read through a volatile
// pointer (other threads lower parents while it walks) and the CPU through a plain one.
template <typename Parent>
P3D_HD int32_t component_find(Parent parent, int32_t i) {
  int32_t next = parent[i];
  while (next != i) {
    i = next;
    next = parent[i];
  }
  return i;
}

// The 4-neighbours a pixel unions with: left (when x > 0) and up (when y > 0). Every
// 4-adjacent pair of the image is visited once, from its right or lower pixel. Writes the
// neighbours' global indices into out and returns how many (0..2).
P3D_HD int component_back_neighbours(int32_t i, int32_t x, int32_t y, int32_t width,
                                     int32_t out[2]) {
  int n = 0;
  if (x > 0) out[n++] = i - 1;
  if (y > 0) out[n++] = i - width;
  return n;
}

// remove_small_objects' rule: a component of `size` pixels stays when size >= min_size.
P3D_HD bool component_kept(int32_t size, int32_t min_size) { return size >= min_size; }

// The output label of a flattened pixel: its root as a raster index within its image.
P3D_HD int32_t component_label(int32_t root, int32_t image_base) {
  return root == kComponentNone ? kComponentNone : root - image_base;
}

}  // namespace p3d
