"""Which intermediate tensors a fixture records, so a mismatch can name its layer.

For the networks: the output of every layer-like op (conv, batch norm, bias, activation,
residual add, pooling, padding, concat, resize, squeeze), rank >= 2 floats only, so the
per-channel arithmetic of an unfused batch norm or a shape computation is not dumped.
For the one-op graphs: every op that is not a Const, Identity or Placeholder.
"""

from tf_env import tf

LAYER_OPS = frozenset([
    "Conv2D", "DepthwiseConv2dNative", "Conv2DBackpropInput", "BiasAdd",
    "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3",
    "Relu", "Relu6", "LeakyRelu", "Elu", "Sigmoid", "Tanh",
    "Add", "AddV2", "Sub", "Mul",
    "MaxPool", "AvgPool", "Mean", "Pad", "PadV2", "MirrorPad",
    "ConcatV2", "ResizeBilinear", "ResizeNearestNeighbor", "Squeeze",
    "SpaceToBatchND", "BatchToSpaceND",
])

_TRIVIAL_OPS = frozenset(["Const", "Identity", "Placeholder", "NoOp"])


def layer_tensors(graph_def):
    """(tensor name, op type) for the layer outputs of a network graph."""
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    picked = []
    for op in graph.get_operations():
        if op.type not in LAYER_OPS:
            continue
        out = op.outputs[0]
        if out.dtype != tf.float32 or out.shape.rank is None or out.shape.rank < 2:
            continue
        picked.append((out.name, op.type))
    return picked


def all_op_tensors(graph_def):
    """(tensor name, op type) for output 0 of every non-trivial op of a small graph."""
    return [(node.name + ":0", node.op) for node in graph_def.node
            if node.op not in _TRIVIAL_OPS]
