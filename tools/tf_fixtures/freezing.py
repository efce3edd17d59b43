"""Freezing a session's graph the way TF1 users did, and running a frozen GraphDef.

Freezing uses TensorFlow's own convert_variables_to_constants, so variables become Const
nodes with tensor_content and their `<var>/read` Identity nodes stay, exactly the shape of a
TF1 model.pb. Expected outputs are always computed by re-importing the frozen GraphDef into a
fresh graph, so they describe graph.pb itself and not the session it came from.
"""

import collections

import numpy as np

from tf_env import tf, v1


def freeze(sess, output_tensors):
    """Returns the frozen GraphDef that computes output_tensors (tf.Tensor list)."""
    node_names = sorted({t.op.name for t in output_tensors})
    return v1.graph_util.convert_variables_to_constants(
        sess, sess.graph.as_graph_def(), node_names)


def run_graph_def(graph_def, feeds, fetch_names):
    """Imports graph_def into a new graph and runs it.

    feeds: dict tensor name -> np.ndarray; fetch_names: list of tensor names.
    Returns the fetched arrays in order.
    """
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    # One intra-op thread: TF's CPU reductions then add in a fixed order on every machine.
    config = v1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
    with v1.Session(graph=graph, config=config) as sess:
        feed = {graph.get_tensor_by_name(k): v for k, v in feeds.items()}
        fetches = [graph.get_tensor_by_name(n) for n in fetch_names]
        return [np.asarray(a) for a in sess.run(fetches, feed)] if fetches else []


def op_histogram(graph_def):
    """{op type: count}, most frequent first."""
    counts = collections.Counter(node.op for node in graph_def.node)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def placeholder_shape(graph_def, node_name):
    """Placeholder's declared shape with -1 for unknown dims (None if rank unknown)."""
    for node in graph_def.node:
        if node.name == node_name:
            shape = node.attr["shape"].shape
            if shape.unknown_rank:
                return None
            return [int(d.size) for d in shape.dim]
    raise KeyError(node_name)
