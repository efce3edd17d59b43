// p3d::cpu::transpose: out dim d = in dim perm[d], any element size, rank <= 6.
// The permutation is normalised first: size-1 dims are dropped and input dims that stay
// adjacent and in order in the output are merged (NHWC -> NCHW becomes [N, HW, C] ->
// [N, C, HW]). If the last input dim then stays last, whole rows move together and the
// problem is the same transpose with bigger elements. Otherwise it is a batch of 2-D
// transposes between the input's last dim (contiguous in x) and the input dim that becomes
// the output's last (contiguous in y), done in tiles of about 4 KB a side so both the reads
// and the writes stay in cache (4-byte elements move as 8x8 blocks transposed in AVX
// registers); the remaining dims are walked by their strides. When one side is only 2..4
// long (NHWC <-> NCHW with C = 3) it is a vectorised (de)interleave instead. Tiles or runs
// are split over the pool.
#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__AVX__)
#include <immintrin.h>
#endif

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/error.h"
#include "kernels/static_dispatch.h"
#include "kernels/transpose_params.h"

namespace p3d::cpu {
namespace {

constexpr int64_t kGrainBytes = 256 * 1024;  // bytes per task below which work stays inline

struct Perm {
  int rank = 0;
  int64_t dims[kMaxRank];  // input dims
  int perm[kMaxRank];      // out dim k = in dim perm[k]
  int64_t element_size = 0;
};

Perm normalise(const TransposeParams& p) {
  // Drop size-1 dims.
  int new_index[kMaxRank];
  Perm kept;
  for (int d = 0; d < p.rank; ++d) {
    new_index[d] = -1;
    if (p.in_dims[d] != 1) {
      new_index[d] = kept.rank;
      kept.dims[kept.rank++] = p.in_dims[d];
    }
  }
  int k2 = 0;
  for (int k = 0; k < p.rank; ++k) {
    if (new_index[p.perm[k]] >= 0) kept.perm[k2++] = new_index[p.perm[k]];
  }
  // Group runs of output dims whose input dims are consecutive.
  int group_first[kMaxRank];  // first input dim of each group, in output order
  int group_len[kMaxRank];
  int groups = 0;
  for (int k = 0; k < kept.rank; ++k) {
    if (groups > 0 && kept.perm[k] == group_first[groups - 1] + group_len[groups - 1]) {
      ++group_len[groups - 1];
    } else {
      group_first[groups] = kept.perm[k];
      group_len[groups] = 1;
      ++groups;
    }
  }
  Perm m;
  m.rank = groups;
  m.element_size = p.element_size;
  // A group's new input index is its rank among the groups ordered by first input dim.
  for (int g = 0; g < groups; ++g) {
    int rank = 0;
    for (int h = 0; h < groups; ++h) rank += group_first[h] < group_first[g];
    m.perm[g] = rank;
    int64_t size = 1;
    for (int d = group_first[g]; d < group_first[g] + group_len[g]; ++d) size *= kept.dims[d];
    m.dims[rank] = size;
  }
  return m;
}

template <int64_t kSize>
inline void copy_element(const uint8_t* src, uint8_t* dst, int64_t size) {
  if constexpr (kSize == 1) {
    *dst = *src;
  } else if constexpr (kSize == 2) {
    std::memcpy(dst, src, 2);
  } else if constexpr (kSize == 4) {
    std::memcpy(dst, src, 4);
  } else if constexpr (kSize == 8) {
    std::memcpy(dst, src, 8);
  } else {
    std::memcpy(dst, src, static_cast<size_t>(size));
  }
}

#if defined(__AVX__)
// Transposes the 8x8 block of 4-byte elements at src (rows src_stride elements apart) into
// dst (rows dst_stride apart) in registers: unpack pairs, shuffle quads, swap 128-bit halves.
inline void transpose8x8(const uint8_t* src, int64_t src_stride, uint8_t* dst, int64_t dst_stride) {
  const float* s = reinterpret_cast<const float*>(src);
  float* d = reinterpret_cast<float*>(dst);
  __m256 r[8], t[8];
  for (int k = 0; k < 8; ++k) r[k] = _mm256_loadu_ps(s + k * src_stride);
  for (int k = 0; k < 8; k += 2) {
    t[k] = _mm256_unpacklo_ps(r[k], r[k + 1]);
    t[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
  }
  for (int k = 0; k < 8; k += 4) {
    r[k] = _mm256_shuffle_ps(t[k], t[k + 2], 0x44);
    r[k + 1] = _mm256_shuffle_ps(t[k], t[k + 2], 0xee);
    r[k + 2] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0x44);
    r[k + 3] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0xee);
  }
  for (int k = 0; k < 4; ++k) {
    _mm256_storeu_ps(d + k * dst_stride, _mm256_permute2f128_ps(r[k], r[k + 4], 0x20));
    _mm256_storeu_ps(d + (k + 4) * dst_stride, _mm256_permute2f128_ps(r[k], r[k + 4], 0x31));
  }
}
#endif

// Short-axis transposes (NHWC <-> NCHW with C = 3): with the short count K and the element
// size S compile-time constants GCC vectorises these strided copies with in-register
// shuffles, several times faster than tiles whose one side is only K long. Elements move
// by memcpy (any dtype, no aliasing or alignment assumptions; it compiles to plain moves).
// dst_k[i] = src[i * K + k]
template <size_t S, int K>
void deinterleave(const uint8_t* __restrict src, int64_t n, uint8_t* __restrict dst,
                  int64_t dst_stride) {
  for (int64_t i = 0; i < n; ++i) {
    for (int k = 0; k < K; ++k)
      std::memcpy(dst + (k * dst_stride + i) * S, src + (i * K + k) * S, S);
  }
}
// dst[i * K + k] = src_k[i]
template <size_t S, int K>
void interleave(const uint8_t* __restrict src, int64_t src_stride, int64_t n,
                uint8_t* __restrict dst) {
  for (int64_t i = 0; i < n; ++i) {
    for (int k = 0; k < K; ++k)
      std::memcpy(dst + (i * K + k) * S, src + (k * src_stride + i) * S, S);
  }
}

template <size_t S>
void short_axis(bool split, int k, const uint8_t* src, int64_t stride, int64_t n, uint8_t* dst) {
  if (split) {
    switch (k) {
      case 2:
        return deinterleave<S, 2>(src, n, dst, stride);
      case 3:
        return deinterleave<S, 3>(src, n, dst, stride);
      default:
        return deinterleave<S, 4>(src, n, dst, stride);
    }
  }
  switch (k) {
    case 2:
      return interleave<S, 2>(src, stride, n, dst);
    case 3:
      return interleave<S, 3>(src, stride, n, dst);
    default:
      return interleave<S, 4>(src, stride, n, dst);
  }
}

// The tiled batch of 2-D transposes for a normalised permutation whose last input dim moves.
template <int64_t kSize>
void transpose_tiled(ThreadPool& pool, const Perm& m, const uint8_t* x, uint8_t* y) {
  const int r = m.rank;
  const int64_t es = kSize > 0 ? kSize : m.element_size;
  int64_t in_strides[kMaxRank], out_strides[kMaxRank], pos[kMaxRank];
  in_strides[r - 1] = 1;
  for (int d = r - 2; d >= 0; --d) in_strides[d] = in_strides[d + 1] * m.dims[d + 1];
  out_strides[r - 1] = 1;
  for (int k = r - 2; k >= 0; --k) out_strides[k] = out_strides[k + 1] * m.dims[m.perm[k + 1]];
  for (int k = 0; k < r; ++k) pos[m.perm[k]] = k;

  // Tile axes: i runs over input dim `pi` (contiguous in y), j over the input's last dim
  // (contiguous in x).
  const int pi = m.perm[r - 1];
  const int64_t ni = m.dims[pi], nj = m.dims[r - 1];
  const int64_t in_si = in_strides[pi];
  const int64_t out_sj = out_strides[pos[r - 1]];
  // The other dims, walked by a counter per task.
  int64_t other_dims[kMaxRank], other_in[kMaxRank], other_out[kMaxRank];
  int others = 0;
  for (int d = 0; d < r - 1; ++d) {
    if (d == pi) continue;
    other_dims[others] = m.dims[d];
    other_in[others] = in_strides[d];
    other_out[others] = out_strides[pos[d]];
    ++others;
  }
  int64_t outer = 1;
  for (int o = 0; o < others; ++o) outer *= other_dims[o];

  // One side 2..4 long and the other contiguous next to it: (de)interleave runs instead.
  const bool split = nj <= 4 && in_si == nj;   // x rows of nj -> nj planes of y
  const bool merge = ni <= 4 && out_sj == ni;  // ni planes of x -> y rows of ni
  if (kSize > 0 && (split || merge) && (split ? nj : ni) >= 2) {
    const int64_t k = split ? nj : ni;
    const int64_t n = split ? ni : nj;  // run length
    constexpr int64_t kRun = 4096;
    const int64_t runs = (n + kRun - 1) / kRun;
    pool.parallel_for(outer * runs, std::max<int64_t>(1, kGrainBytes / (kRun * k * es)),
                      [&](int64_t begin, int64_t end, int) {
                        for (int64_t t = begin; t < end; ++t) {
                          const int64_t a0 = (t % runs) * kRun;
                          const int64_t len = std::min(kRun, n - a0);
                          int64_t rest = t / runs, in_off = 0, out_off = 0;
                          for (int o = others - 1; o >= 0; --o) {
                            const int64_t idx = rest % other_dims[o];
                            rest /= other_dims[o];
                            in_off += idx * other_in[o];
                            out_off += idx * other_out[o];
                          }
                          // split: x run at (i = a0, j = 0), y planes j * out_sj apart starting at
                          // i = a0. merge: x planes i * in_si apart starting at j = a0, y run at (j
                          // = a0, i = 0).
                          const uint8_t* src = x + (in_off + (split ? a0 * nj : a0)) * es;
                          uint8_t* dst = y + (out_off + (split ? a0 : a0 * ni)) * es;
                          const int64_t stride = split ? out_sj : in_si;
                          short_axis<static_cast<size_t>(kSize > 0 ? kSize : 1)>(
                              split, static_cast<int>(k), src, stride, len, dst);
                        }
                      });
    return;
  }

  // Square tiles of ~4 KB per side; when one axis is short (C = 3) the other one takes
  // the whole tile area so each task still moves a useful amount.
  const int64_t tile = es <= 2 ? 64 : (es <= 4 ? 32 : 16);
  const int64_t tile_i = nj < tile ? std::max<int64_t>(tile, tile * tile / nj) : tile;
  const int64_t tile_j = ni < tile ? std::max<int64_t>(tile, tile * tile / ni) : tile;
  const int64_t ti = (ni + tile_i - 1) / tile_i, tj = (nj + tile_j - 1) / tile_j;
  const int64_t tasks = outer * ti * tj;
  const int64_t grain = std::max<int64_t>(1, kGrainBytes / (tile_i * tile_j * es));
  pool.parallel_for(tasks, grain, [&](int64_t begin, int64_t end, int) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t bj = t % tj;
      const int64_t bi = (t / tj) % ti;
      int64_t rest = t / (tj * ti);
      int64_t in_off = 0, out_off = 0;
      for (int o = others - 1; o >= 0; --o) {
        const int64_t idx = rest % other_dims[o];
        rest /= other_dims[o];
        in_off += idx * other_in[o];
        out_off += idx * other_out[o];
      }
      const int64_t i0 = bi * tile_i, i1 = std::min(ni, i0 + tile_i);
      const int64_t j0 = bj * tile_j, j1 = std::min(nj, j0 + tile_j);
      int64_t i_done = i0, j_done = j0;  // the 8x8-blocked part covers [i0, i_done) x [j0, j_done)
#if defined(__AVX__)
      if constexpr (kSize == 4) {
        i_done = i0 + (i1 - i0) / 8 * 8;
        j_done = j0 + (j1 - j0) / 8 * 8;
        for (int64_t i = i0; i < i_done; i += 8) {
          for (int64_t j = j0; j < j_done; j += 8) {
            transpose8x8(x + (in_off + i * in_si + j) * 4, in_si,
                         y + (out_off + j * out_sj + i) * 4, out_sj);
          }
        }
        if (j_done == j0) i_done = i0;  // nothing blocked: the loops below do the whole tile
      }
#endif
      // Element by element: the columns right of the blocked part, then the rows below it.
      for (int64_t j = j0; j < j1; ++j) {
        const uint8_t* src = x + (in_off + j) * es;
        uint8_t* dst = y + (out_off + j * out_sj) * es;
        for (int64_t i = (j < j_done ? i_done : i0); i < i1; ++i) {
          copy_element<kSize>(src + i * in_si * es, dst + i * es, es);
        }
      }
    }
  });
}

}  // namespace

void transpose(ThreadPool& pool, const TransposeParams& p, const void* x, void* y) {
  check_transpose_params(p);
  const int64_t count = transpose_element_count(p);
  if (count == 0) return;
  Perm m = normalise(p);
  // The last input dim staying last: move whole rows as elements.
  if (m.rank >= 2 && m.perm[m.rank - 1] == m.rank - 1) {
    m.element_size *= m.dims[m.rank - 1];
    --m.rank;
  }
  const uint8_t* src = static_cast<const uint8_t*>(x);
  uint8_t* dst = static_cast<uint8_t*>(y);
  if (m.rank <= 1) {  // nothing moves relative to anything else: one copy
    const int64_t bytes = count * p.element_size;
    pool.parallel_for(bytes, kGrainBytes, [&](int64_t begin, int64_t end, int) {
      std::memcpy(dst + begin, src + begin, static_cast<size_t>(end - begin));
    });
    return;
  }
  // Elements of 1, 2, 4 or 8 bytes move as one word each; other sizes as bytes.
  const bool word = with_constant<int64_t, 1, 2, 4, 8>(m.element_size, [&](auto bytes) {
    transpose_tiled<decltype(bytes)::value>(pool, m, src, dst);
  });
  if (!word) transpose_tiled<0>(pool, m, src, dst);
}

}  // namespace p3d::cpu
