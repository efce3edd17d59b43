// Lowering: a graph node with inferred shapes -> the kernel params of the backend call(s)
// that compute it. This is where graph semantics (NumPy broadcasting, TF padding, Python
// slices, reductions over arbitrary axes) become the plain strided forms the kernels take.
// Used by the executor (engine/executor.h); kept apart so it can be tested and read alone.
#pragma once

#include <any>
#include <vector>

#include "engine/graph.h"
#include "kernels/conv.h"
#include "kernels/elementwise.h"
#include "kernels/error.h"
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

// What a node lowers to. `params` holds whatever its op's lower function stores there (a
// kernel params struct: Conv2dParams serves Conv2d and ConvTranspose2d) and its run
// function reads back; it is empty for the ops that need no call (Input, Constant, views).
// It is a std::any so that a new op brings its own params type without editing this file.
struct LoweredNode {
  OpKind op = OpKind::Input;
  std::any params;
  size_t scratch_bytes = 0;  // engine-side temporary (the reduce transpose), planned in the arena
};

// The params a node was lowered to, as the type its op stores; throws p3d::Error naming the
// node when they are another type (an op's lower and run functions disagree).
template <typename P>
const P& lowered_params(const Node& node, const LoweredNode& lowered) {
  const P* p = std::any_cast<P>(&lowered.params);
  if (!p)
    P3D_THROW("node '", node.name, "' (", op_name(node.kind()),
              "): lowered params are not of the type its backend call reads");
  return *p;
}

// Lowers `node` using the current shapes in `graph` (its op's OpInfo::lower, engine/
// op_registry.h). Throws p3d::Error naming the node when a size does not fit the kernels'
// int32 fields or a rank exceeds kMaxRank.
LoweredNode lower_node(const Graph& graph, const Node& node);

// Checks a size for a kernel's int32 field, naming the node and the field when it does not fit.
int32_t lowered_i32(const Node& node, int64_t value, const char* what);

// NumPy broadcasting of a (shape sa) and b (shape sb) into out, as strides, with adjacent
// dims merged where both operands allow (fewer, longer inner loops).
BinaryParams broadcast_params(Binary op, const Shape& sa, const Shape& sb, const Shape& out);

}  // namespace p3d
