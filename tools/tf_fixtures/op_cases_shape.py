"""One-op fixtures for shape and layout ops: Squeeze, ExpandDims, Reshape (constant and
computed shapes), ConcatV2, Transpose, and the resize ops in every align_corners /
half_pixel_centers combination TensorFlow allows.
"""

from case import Built, Case, Inputs, case_registry
from tf_env import tf

CASES = []
_case = case_registry(CASES)


def _x(rng, inp, shape, placeholder_shape=None):
    return inp.feed("x", rng.normal(0.0, 1.0, shape), shape=placeholder_shape)


@_case("squeeze", "Squeeze axes [1,2] of [2,1,1,5]")
def _(rng):
    inp = Inputs()
    return Built(inp.items, [tf.squeeze(_x(rng, inp, [2, 1, 1, 5]), [1, 2], name="Squeeze")])


@_case("squeeze_all", "Squeeze with no axes (all size-1 dims) of [1,3,1]")
def _(rng):
    inp = Inputs()
    return Built(inp.items, [tf.squeeze(_x(rng, inp, [1, 3, 1]), name="Squeeze")])


@_case("expand_dims", "ExpandDims axis -1 and axis 1 of [2,5]")
def _(rng):
    inp = Inputs()
    x = _x(rng, inp, [2, 5])
    return Built(inp.items, [tf.expand_dims(x, -1, name="ExpandDims"),
                             tf.expand_dims(x, 1, name="ExpandDims_1")])


@_case("reshape_const", "Reshape [2,3,4] to a constant [-1,4]")
def _(rng):
    inp = Inputs()
    return Built(inp.items, [tf.reshape(_x(rng, inp, [2, 3, 4]), [-1, 4], name="Reshape")])


@_case("reshape_dynamic", "Reshape to a shape computed in the graph: "
       "Pack(StridedSlice(Shape(x))[0], -1), batch unknown in the placeholder")
def _(rng):
    inp = Inputs()
    x = _x(rng, inp, [2, 3, 4], placeholder_shape=[None, 3, 4])
    shape = tf.stack([tf.shape(x)[0], -1], name="stack")
    return Built(inp.items, [tf.reshape(x, shape, name="Reshape")])


@_case("concat_v2", "ConcatV2 on the channel axis (3) of two NHWC tensors")
def _(rng):
    inp = Inputs()
    a = inp.feed("a", rng.normal(0.0, 1.0, [2, 3, 4, 2]))
    b = inp.feed("b", rng.normal(0.0, 1.0, [2, 3, 4, 3]))
    return Built(inp.items, [tf.concat([a, b], axis=3, name="concat")])


@_case("concat_v2_neg_axis", "ConcatV2 of three tensors on axis -3 (= 1)")
def _(rng):
    inp = Inputs()
    ts = [inp.feed(n, rng.normal(0.0, 1.0, [2, h, 4, 2])) for n, h in
          [("a", 3), ("b", 1), ("c", 2)]]
    return Built(inp.items, [tf.concat(ts, axis=-3, name="concat")])


@_case("transpose_nhwc_to_nchw", "Transpose perm [0,3,1,2]")
def _(rng):
    inp = Inputs()
    return Built(inp.items, [tf.transpose(_x(rng, inp, [2, 3, 4, 5]), [0, 3, 1, 2],
                                          name="transpose")])


@_case("transpose_2d", "Transpose perm [1,0]")
def _(rng):
    inp = Inputs()
    return Built(inp.items, [tf.transpose(_x(rng, inp, [3, 5]), [1, 0], name="transpose")])


# ---- ResizeBilinear / ResizeNearestNeighbor ----------------------------------------------

_RESIZE_MODES = [  # (suffix, align_corners, half_pixel_centers); both True is invalid in TF
    ("ac0_hp0", False, False),  # TF 1.12's default (tf.image.resize_* in TF1)
    ("ac1_hp0", True, False),
    ("ac0_hp1", False, True),   # TF 2's tf.image.resize
]


def _resize(rng, op, in_hw, out_hw, align, half):
    inp = Inputs()
    x = _x(rng, inp, [1, in_hw[0], in_hw[1], 2])
    y = getattr(tf.raw_ops, op)(images=x, size=tf.constant(out_hw, tf.int32, name="size"),
                                align_corners=align, half_pixel_centers=half, name=op)
    return Built(inp.items, [y])


for _op, _short in [("ResizeBilinear", "resize_bilinear"),
                    ("ResizeNearestNeighbor", "resize_nearest")]:
    for _suffix, _align, _half in _RESIZE_MODES:
        CASES.append(Case(
            name="%s_up_%s" % (_short, _suffix),
            description="%s 5x7 -> 9x13 (non-integer ratio), align_corners=%s, "
                        "half_pixel_centers=%s" % (_op, _align, _half),
            build=(lambda op, a, h: lambda rng: _resize(rng, op, [5, 7], [9, 13], a, h))(
                _op, _align, _half)))
    CASES.append(Case(
        name="%s_down_ac0_hp1" % _short,
        description="%s 9x13 -> 4x6 (downscale), half_pixel_centers=True" % _op,
        build=(lambda op: lambda rng: _resize(rng, op, [9, 13], [4, 6], False, True))(_op)))
