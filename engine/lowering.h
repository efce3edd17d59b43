// Lowering: a graph node with inferred shapes -> the kernel params of the backend call(s)
// that compute it. This is where graph semantics (NumPy broadcasting, TF padding, Python
// slices, reductions over arbitrary axes) become the plain strided forms the kernels take.
// Used by the executor (engine/executor.h); kept apart so it can be tested and read alone.
#pragma once

#include <variant>
#include <vector>

#include "engine/graph.h"
#include "kernels/conv.h"
#include "kernels/elementwise.h"
#include "kernels/layout.h"
#include "kernels/matmul.h"
#include "kernels/pool.h"
#include "kernels/reduce.h"

namespace p3d {

// Reduce over any axes: when the reduced axes are not one contiguous run, x is first
// transposed (into scratch) so that they are.
struct ReduceLowering {
  ReduceParams reduce{};
  bool transpose_first = false;
  TransposeParams transpose{};
};

// Concat is one strided copy per input.
struct ConcatLowering {
  std::vector<ConcatCopyParams> copies;
};

// Which alternative is set follows the node's op: Conv2dParams serves Conv2d and
// ConvTranspose2d; monostate means "no call" (Input, Constant, and the view ops).
using KernelParams =
    std::variant<std::monostate, Conv2dParams, MatmulParams, Pool2dParams, ReduceLowering,
                 BatchNormParams, UnaryParams, BinaryParams, CastParams, ConcatLowering, PadParams,
                 TransposeParams, SliceParams, ResizeParams>;

struct LoweredNode {
  OpKind op = OpKind::Input;
  KernelParams params;
  size_t scratch_bytes = 0;  // engine-side temporary (the reduce transpose), planned in the arena
};

// Lowers `node` using the current shapes in `graph`. Throws p3d::Error naming the node when
// a size does not fit the kernels' int32 fields or a rank exceeds kMaxRank.
LoweredNode lower_node(const Graph& graph, const Node& node);

// NumPy broadcasting of a (shape sa) and b (shape sb) into out, as strides, with adjacent
// dims merged where both operands allow (fewer, longer inner loops).
BinaryParams broadcast_params(Binary op, const Shape& sa, const Shape& sb, const Shape& out);

}  // namespace p3d
