// Fixed bounds shared by the kernel params structs (they are passed by value to CUDA
// kernels, so they hold fixed-size arrays rather than vectors).
#pragma once

namespace p3d {
constexpr int kMaxRank = 6;  // highest tensor rank the generic layout kernels handle
}  // namespace p3d
