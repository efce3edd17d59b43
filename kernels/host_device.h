// One macro that lets a small inline function be compiled for both the CPU (g++) and the
// GPU (nvcc). Per-element math lives in such functions so both backends share one formula.
#pragma once

#if defined(__CUDACC__)
#define P3D_HD __host__ __device__ __forceinline__
#else
#define P3D_HD inline
#endif
