// Generic transpose (rank <= 6, any element size): out dim d = in dim perm[d].
// The permutation is simplified on the host first: size-1 dims are dropped and runs of
// input dims that stay adjacent and in order in the output are merged. Then
//   - nothing left to permute  -> one device-to-device copy;
//   - [rows, cols] -> [cols, rows], optionally batched (NHWC <-> NCHW is exactly this):
//     32 x 32 tiles staged through shared memory, so reads and writes are both coalesced;
//   - anything else -> a gather, one thread per output element.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/static_dispatch.h"
#include "kernels/transpose_params.h"

namespace p3d::cuda {
namespace {

constexpr int kTransposeBlock = 256;  // generic gather
constexpr int kTile = 32;             // tile edge of the batched 2-D transpose
constexpr int kTileRows = 8;          // threads along a tile's rows (each does kTile / 8)

struct TransposeShape {
  int32_t rank;
  int64_t in_dims[kMaxRank];
  int32_t perm[kMaxRank];
};

TransposeShape simplify(const TransposeParams& p) {
  // 1. Drop size-1 input dims and renumber the remaining ones.
  int32_t new_index[kMaxRank];
  int32_t kept = 0;
  int64_t kept_dims[kMaxRank];
  for (int d = 0; d < p.rank; ++d) {
    new_index[d] = p.in_dims[d] == 1 ? -1 : kept;
    if (p.in_dims[d] != 1) kept_dims[kept++] = p.in_dims[d];
  }
  int32_t perm[kMaxRank];
  int32_t rank = 0;
  for (int d = 0; d < p.rank; ++d)
    if (new_index[p.perm[d]] >= 0) perm[rank++] = new_index[p.perm[d]];

  // 2. Group output dims whose input dims are consecutive (perm[d] == perm[d-1] + 1).
  int32_t group_first[kMaxRank];  // first input dim of each group, in output order
  int64_t group_size[kMaxRank];
  int32_t groups = 0;
  for (int d = 0; d < rank; ++d) {
    if (groups > 0 && perm[d] == perm[d - 1] + 1) {
      group_size[groups - 1] *= kept_dims[perm[d]];
    } else {
      group_first[groups] = perm[d];
      group_size[groups] = kept_dims[perm[d]];
      ++groups;
    }
  }

  // 3. Groups in input order become the new input dims.
  TransposeShape s{};
  s.rank = groups;
  for (int g = 0; g < groups; ++g) {
    int32_t position = 0;  // how many groups start before this one in the input
    for (int h = 0; h < groups; ++h) position += group_first[h] < group_first[g] ? 1 : 0;
    s.perm[g] = position;
    s.in_dims[position] = group_size[g];
  }
  return s;
}

// in [batch, rows, cols] -> out [batch, cols, rows], tile by tile. Blocks loop over all
// tiles (batch-major), so no grid dimension limit applies.
template <typename T>
static __global__ void transpose_tiles_kernel(int64_t batch, int64_t rows, int64_t cols,
                                              const T* __restrict__ x, T* __restrict__ y) {
  __shared__ T tile[kTile][kTile + 1];  // +1 column: no bank conflicts on the transposed read
  const int64_t row_tiles = (rows + kTile - 1) / kTile;
  const int64_t col_tiles = (cols + kTile - 1) / kTile;
  const int64_t tiles = batch * row_tiles * col_tiles;
  for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
    const int64_t b = t / (row_tiles * col_tiles);
    const int64_t rest = t % (row_tiles * col_tiles);
    const int64_t row0 = (rest / col_tiles) * kTile;
    const int64_t col0 = (rest % col_tiles) * kTile;
    const T* in = x + b * rows * cols;
    T* out = y + b * rows * cols;
    // Read a tile: threadIdx.x walks the contiguous input columns.
    for (int i = threadIdx.y; i < kTile; i += kTileRows) {
      const int64_t r = row0 + i;
      const int64_t c = col0 + threadIdx.x;
      if (r < rows && c < cols) tile[i][threadIdx.x] = in[r * cols + c];
    }
    __syncthreads();
    // Write it transposed: threadIdx.x walks the contiguous output columns (input rows).
    for (int i = threadIdx.y; i < kTile; i += kTileRows) {
      const int64_t c = col0 + i;
      const int64_t r = row0 + threadIdx.x;
      if (r < rows && c < cols) out[c * rows + r] = tile[threadIdx.x][i];
    }
    __syncthreads();  // the tile is refilled by the next iteration
  }
}

// out[i] = in[j] with j[perm[d]] = i[d]; in_strides are the input's, indexed by input dim.
template <typename T>
static __global__ void transpose_gather_kernel(TransposeShape s, int64_t count,
                                               const T* __restrict__ x, T* __restrict__ y) {
  int64_t in_strides[kMaxRank];
  int64_t stride = 1;
  for (int d = s.rank - 1; d >= 0; --d) {
    in_strides[d] = stride;
    stride *= s.in_dims[d];
  }
  for (int64_t idx = detail::grid_thread_index(); idx < count; idx += detail::grid_thread_count()) {
    int64_t rest = idx;
    int64_t offset = 0;
    for (int d = s.rank - 1; d >= 0; --d) {
      const int64_t out_dim = s.in_dims[s.perm[d]];
      offset += (rest % out_dim) * in_strides[s.perm[d]];
      rest /= out_dim;
    }
    y[idx] = x[offset];
  }
}

template <int kWord>
void launch_transpose(const TransposeShape& s, int64_t count, const void* x, void* y,
                      cudaStream_t stream) {
  using T = typename detail::Word<kWord>::type;
  const T* in = static_cast<const T*>(x);
  T* out = static_cast<T*>(y);
  const bool swap_last_two = (s.rank == 2 && s.perm[0] == 1 && s.perm[1] == 0) ||
                             (s.rank == 3 && s.perm[0] == 0 && s.perm[1] == 2 && s.perm[2] == 1);
  if (swap_last_two) {
    const int64_t batch = s.rank == 3 ? s.in_dims[0] : 1;
    const int64_t rows = s.in_dims[s.rank - 2];
    const int64_t cols = s.in_dims[s.rank - 1];
    const int64_t tiles = batch * ((rows + kTile - 1) / kTile) * ((cols + kTile - 1) / kTile);
    const unsigned int blocks =
        static_cast<unsigned int>(tiles < detail::kMaxGridBlocks ? tiles : detail::kMaxGridBlocks);
    transpose_tiles_kernel<T>
        <<<blocks, dim3(kTile, kTileRows), 0, stream>>>(batch, rows, cols, in, out);
  } else {
    transpose_gather_kernel<T>
        <<<detail::grid_blocks(count, kTransposeBlock), kTransposeBlock, 0, stream>>>(s, count, in,
                                                                                      out);
  }
  P3D_CUDA_CHECK_LAUNCH();
}

}  // namespace

void transpose(const TransposeParams& p, const void* x, void* y, cudaStream_t stream) {
  check_transpose_params(p);
  const int64_t count = transpose_element_count(p);
  if (count == 0) return;
  const TransposeShape s = simplify(p);
  if (s.rank <= 1) {  // the permutation only moved size-1 dims: the bytes do not change
    P3D_CUDA_CHECK(cudaMemcpyAsync(y, x, static_cast<size_t>(count) * p.element_size,
                                   cudaMemcpyDeviceToDevice, stream));
    return;
  }
  const bool known = with_constant<int, 1, 2, 4, 8>(p.element_size, [&](auto bytes) {
    launch_transpose<decltype(bytes)::value>(s, count, x, y, stream);
  });
  if (!known) P3D_THROW("transpose: unsupported element size ", p.element_size);
}

}  // namespace p3d::cuda
