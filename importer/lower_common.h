// Emission helpers shared by the op families: an element-wise op evaluates on the host when
// all its operands are known at import time, and becomes a graph node otherwise.
#pragma once

#include "importer/host_ops.h"
#include "importer/import_context.h"

namespace p3d::tfimport {

// y = op(x) for input 0.
void emit_unary(OpContext& op, Unary fn, float alpha = 0.f);
// y = a (op) b for inputs 0 and 1, with NumPy broadcasting.
void emit_binary(OpContext& op, HostBinary host_fn, Binary graph_fn);

}  // namespace p3d::tfimport
