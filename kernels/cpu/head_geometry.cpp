// CPU loops of kernels/cpu/head_geometry.h over the shared math of kernels/head_geometry.h.
#include "kernels/cpu/head_geometry.h"

#include "kernels/cpu/thread_pool.h"

namespace p3d::cpu {

void hair_vertices(const HairBackprojectParams& p, const int32_t* points, const float* depth,
                   const uint8_t* crop, float* xyz, float* bgr) {
  ThreadPool::global().parallel_for(p.point_count, 4096, [&](int64_t begin, int64_t end, int) {
    for (int64_t k = begin; k < end; ++k)
      hair_vertex(p, points, depth, crop, static_cast<int32_t>(k), xyz + 3 * k, bgr + 3 * k);
  });
}

void face_vertex_colors_from_crop(int32_t vertex_count, const float* projection,
                                  const uint8_t* crop, int32_t width, int32_t height, float* bgr) {
  ThreadPool::global().parallel_for(vertex_count, 4096, [&](int64_t begin, int64_t end, int) {
    for (int64_t v = begin; v < end; ++v)
      face_vertex_color(crop, width, height, projection, static_cast<int32_t>(v), bgr + 3 * v);
  });
}

}  // namespace p3d::cpu
