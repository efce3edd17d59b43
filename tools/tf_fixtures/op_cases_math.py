"""One-op fixtures for arithmetic: broadcasting binary ops, unary math, reductions, MatMul,
Cast, Fill and Range.
"""

import numpy as np

from case import Built, Case, Inputs, case_registry, weight
from tf_env import tf

CASES = []
_case = case_registry(CASES)


# ---- binary ops with broadcasting ([2,3,4,5] op [3,1,5]) ---------------------------------

def _binary(rng, op, b_values=None):
    inp = Inputs()
    a = inp.feed("a", rng.normal(0.0, 2.0, [2, 3, 4, 5]))
    b_arr = rng.normal(0.0, 2.0, [3, 1, 5]) if b_values is None else b_values
    b = inp.feed("b", b_arr)
    return Built(inp.items, [getattr(tf.raw_ops, op)(x=a, y=b, name=op)])


for _op in ["Add", "AddV2", "Sub", "Mul", "Maximum", "Minimum"]:
    CASES.append(Case(
        name={"AddV2": "add_v2"}.get(_op, _op.lower()),
        description="%s, [2,3,4,5] with [3,1,5] (broadcast on both sides)" % _op,
        build=(lambda op: lambda rng: _binary(rng, op))(_op)))


@_case("real_div", "RealDiv, [2,3,4,5] / [3,1,5], divisor kept away from 0")
def _(rng):
    b = rng.uniform(0.5, 2.0, [3, 1, 5]) * rng.choice([-1.0, 1.0], [3, 1, 5])
    return _binary(rng, "RealDiv", b)


@_case("add_const_channel", "AddV2 of a placeholder and a frozen per-channel constant")
def _(rng):
    inp = Inputs()
    x = inp.feed("x", rng.normal(0.0, 1.0, [2, 3, 4, 5]))
    return Built(inp.items, [tf.add(x, weight("offset", rng.normal(0.0, 1.0, [5])), name="add")])


@_case("sub_scalar_first", "Sub with a scalar Const as the FIRST operand (10 - x)")
def _(rng):
    inp = Inputs()
    x = inp.feed("x", rng.normal(0.0, 1.0, [2, 3, 4]))
    return Built(inp.items, [tf.subtract(tf.constant(10.0), x, name="sub")])


# ---- unary math --------------------------------------------------------------------------

@_case("square", "Square")
def _(rng):
    inp = Inputs()
    return Built(inp.items, [tf.square(inp.feed("x", rng.normal(0, 2, [2, 3, 4])),
                                       name="Square")])


@_case("rsqrt", "Rsqrt on positive inputs")
def _(rng):
    inp = Inputs()
    return Built(inp.items, [tf.math.rsqrt(inp.feed("x", rng.uniform(0.1, 4.0, [2, 3, 4])),
                                           name="Rsqrt")])


# ---- reductions --------------------------------------------------------------------------

def _reduce(rng, fn, axis, keepdims):
    inp = Inputs()
    x = inp.feed("x", rng.normal(0.0, 1.0, [2, 3, 4, 5]))
    return Built(inp.items, [fn(x, axis=axis, keepdims=keepdims)])


@_case("mean_keepdims", "Mean over [1,2], keep_dims=True (global average pool)")
def _(rng):
    return _reduce(rng, tf.reduce_mean, [1, 2], True)


@_case("mean_nokeep_neg_axis", "Mean over [-1], keep_dims=False (negative axis)")
def _(rng):
    return _reduce(rng, tf.reduce_mean, [-1], False)


@_case("sum_keepdims", "Sum over [3], keep_dims=True")
def _(rng):
    return _reduce(rng, tf.reduce_sum, [3], True)


@_case("sum_nokeep", "Sum over [0,2], keep_dims=False")
def _(rng):
    return _reduce(rng, tf.reduce_sum, [0, 2], False)


# ---- MatMul ------------------------------------------------------------------------------

def _matmul(rng, a_shape, b_shape, ta, tb):
    inp = Inputs()
    a = inp.feed("a", rng.normal(0.0, 1.0, a_shape))
    b = weight("weights", rng.normal(0.0, 1.0, b_shape))
    return Built(inp.items, [tf.linalg.matmul(a, b, transpose_a=ta, transpose_b=tb,
                                              name="MatMul")])


@_case("matmul", "MatMul [3,4] x [4,5]")
def _(rng):
    return _matmul(rng, [3, 4], [4, 5], False, False)


@_case("matmul_transpose_b", "MatMul [3,4] x [5,4]^T (fully-connected layout)")
def _(rng):
    return _matmul(rng, [3, 4], [5, 4], False, True)


@_case("matmul_transpose_ab", "MatMul [4,3]^T x [5,4]^T")
def _(rng):
    return _matmul(rng, [4, 3], [5, 4], True, True)


# ---- Cast, Fill, Range -------------------------------------------------------------------

@_case("cast_float_to_int32", "Cast float32 -> int32 (truncates toward zero)")
def _(rng):
    inp = Inputs()
    x = inp.feed("x", rng.normal(0.0, 5.0, [2, 3, 4]))
    return Built(inp.items, [tf.cast(x, tf.int32, name="Cast")])


@_case("cast_int32_to_float", "Cast int32 -> float32")
def _(rng):
    inp = Inputs()
    x = inp.feed("x", rng.integers(-100, 100, [2, 3, 4]), dtype=tf.int32)
    return Built(inp.items, [tf.cast(x, tf.float32, name="Cast")])


@_case("fill", "Fill with dims from Shape(x), added to x")
def _(rng):
    inp = Inputs()
    x = inp.feed("x", rng.normal(0.0, 1.0, [2, 3, 4]), shape=[None, 3, 4])
    filled = tf.fill(tf.shape(x), 2.5, name="Fill")
    return Built(inp.items, [filled, tf.add(x, filled, name="add")])


@_case("range", "Range: int32 with limit from Shape(x)[1], and float32 with constants")
def _(rng):
    inp = Inputs()
    x = inp.feed("x", rng.normal(0.0, 1.0, [2, 7, 3]), shape=[None, None, 3])
    r_int = tf.range(0, tf.shape(x)[1], 2, name="range_int")
    r_float = tf.range(0.5, 3.0, 0.25, name="range_float")
    return Built(inp.items, [r_int, r_float])
