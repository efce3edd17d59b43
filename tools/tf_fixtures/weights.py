"""Seeded, well-scaled random weights for the network stand-ins.

Weights come from numpy's Generator with a fixed seed (not TF's initialisers), so a fixture
is reproducible whatever TensorFlow version builds it. Batch-norm moving statistics are set
from the activations the fixture input actually produces, then perturbed: every layer's
output then stays near unit scale through all 50 ResNet layers (fixed random stats would blow
up or vanish), and the stats stay far from (mean 0, var 1), so a wrong BN fold shows.
"""

import numpy as np

from tf_env import v1

UNFUSED_BN_COLLECTION = "p3d_unfused_batch_norms"


def _fan_in(var_name, shape):
    if len(shape) == 4:
        kh, kw, a, b = shape
        if "conv2d_transpose" in var_name or "deconv" in var_name or "upconv" in var_name:
            return kh * kw * b  # transposed-conv filters are [kh, kw, out, in]
        if "depthwise" in var_name:
            return kh * kw
        return kh * kw * a
    if len(shape) == 2:
        return shape[0]
    return 1


def random_value(var_name, shape, rng):
    """A value for a variable, chosen by its slim-style name."""
    leaf = var_name.split(":")[0].split("/")[-1]
    if leaf in ("weights", "kernel", "depthwise_weights", "filter"):
        std = np.sqrt(2.0 / _fan_in(var_name, shape))
        return rng.normal(0.0, std, shape)
    if leaf in ("biases", "bias"):
        return rng.normal(0.0, 0.2, shape)
    if leaf == "gamma":
        return rng.uniform(0.5, 1.5, shape)
    if leaf == "beta":
        return rng.normal(0.0, 0.3, shape)
    if leaf == "moving_mean":
        return rng.normal(0.0, 0.5, shape)
    if leaf == "moving_variance":
        return rng.uniform(0.5, 2.0, shape)
    raise ValueError("no rule for variable %s" % var_name)


def randomize_variables(sess, rng):
    """Assigns random_value to every global variable, in creation order."""
    for var in v1.global_variables():
        shape = var.shape.as_list()
        value = random_value(var.op.name, shape, rng).astype(var.dtype.as_numpy_dtype)
        var.load(value, sess)


def _variable_behind(tensor, by_op_name):
    """The variable a `<var>/read` Identity (or the variable itself) stands for."""
    op = tensor.op
    while op.type == "Identity":
        op = op.inputs[0].op
    return by_op_name[op.name]


def _batch_norms(graph, by_op_name):
    """(input tensor, moving_mean var, moving_variance var) in graph order."""
    found = []
    for op in graph.get_operations():
        if op.type.startswith("FusedBatchNorm") and not op.get_attr("is_training"):
            found.append((op.inputs[0], _variable_behind(op.inputs[3], by_op_name),
                          _variable_behind(op.inputs[4], by_op_name)))
    found.extend(graph.get_collection(UNFUSED_BN_COLLECTION))
    # Graph creation order is a topological order; unfused ones are placed by their input.
    order = {op.name: i for i, op in enumerate(graph.get_operations())}
    found.sort(key=lambda item: order[item[0].op.name])
    return found


def calibrate_batch_norms(sess, feed, rng):
    """Sets moving stats from the batch statistics of feed, layer by layer, perturbed."""
    by_op_name = {v.op.name: v for v in v1.global_variables()}
    for x, mean_var, var_var in _batch_norms(sess.graph, by_op_name):
        value = sess.run(x, feed)
        axes = tuple(range(value.ndim - 1))
        mean = value.mean(axis=axes)
        var = value.var(axis=axes)
        std = np.sqrt(var + 1e-6)
        mean_var.load((mean + 0.3 * std * rng.standard_normal(mean.shape)).astype(np.float32),
                      sess)
        var_var.load((var * rng.uniform(0.6, 1.6, var.shape) + 1e-3).astype(np.float32), sess)
