"""One-op fixtures for the neural-net ops: convolutions, batch norm, activations, pooling,
padding. Shapes are tiny and odd on purpose (odd sizes make SAME padding asymmetric, uneven
sizes catch swapped H/W), and every attribute combination the importer must honour has its
own graph, so a failing test names the attribute.
"""

import numpy as np

from case import Built, Case, Inputs, case_registry, weight
from tf_env import tf

CASES = []
_case = case_registry(CASES)


def _normal(rng, shape, std=1.0):
    return rng.normal(0.0, std, shape)


# ---- Conv2D ------------------------------------------------------------------------------

def _conv(rng, name, x_shape, w_shape, strides, padding, dilations=(1, 1, 1, 1), bias=False):
    inp = Inputs()
    x = inp.feed("x", _normal(rng, x_shape))
    w = weight("weights", _normal(rng, w_shape, 0.5))
    y = tf.nn.conv2d(x, w, strides=list(strides), padding=padding, dilations=list(dilations),
                     name=name)
    if bias:
        y = tf.nn.bias_add(y, weight("biases", _normal(rng, w_shape[-1:])), name="BiasAdd")
    return Built(inp.items, [y])


@_case("conv2d_same_s1", "Conv2D 3x3, SAME, stride 1, batch 2")
def _(rng):
    return _conv(rng, "Conv2D", [2, 7, 8, 3], [3, 3, 3, 4], [1, 1, 1, 1], "SAME")


@_case("conv2d_same_s2", "Conv2D 3x3, SAME, stride 2 on odd/even sizes (asymmetric padding)")
def _(rng):
    return _conv(rng, "Conv2D", [1, 7, 8, 3], [3, 3, 3, 5], [1, 2, 2, 1], "SAME")


@_case("conv2d_valid_s2x1", "Conv2D 3x2 kernel, VALID, strides (2,1)")
def _(rng):
    return _conv(rng, "Conv2D", [1, 9, 8, 2], [3, 2, 2, 3], [1, 2, 1, 1], "VALID")


@_case("conv2d_explicit_pad", "Conv2D 3x3, EXPLICIT padding (top 1, bottom 2, left 2, right 0), "
       "strides (1,2)")
def _(rng):
    return _conv(rng, "Conv2D", [1, 6, 7, 3], [3, 3, 3, 4], [1, 1, 2, 1],
                 [[0, 0], [1, 2], [2, 0], [0, 0]])


@_case("conv2d_dilated", "Conv2D 3x3 with the dilations attr (2,2), SAME")
def _(rng):
    return _conv(rng, "Conv2D", [1, 9, 10, 3], [3, 3, 3, 4], [1, 1, 1, 1], "SAME",
                 dilations=[1, 2, 2, 1])


@_case("conv2d_atrous", "tf.nn.atrous_conv2d rate 2, SAME: how TF1 writes a dilated conv "
       "(SpaceToBatchND -> Conv2D -> BatchToSpaceND)")
def _(rng):
    inp = Inputs()
    x = inp.feed("x", _normal(rng, [1, 9, 10, 3]))
    w = weight("weights", _normal(rng, [3, 3, 3, 4], 0.5))
    return Built(inp.items, [tf.nn.atrous_conv2d(x, w, rate=2, padding="SAME", name="atrous")])


@_case("conv2d_1x1_bias", "Conv2D 1x1 + BiasAdd (the R-Net head pattern)")
def _(rng):
    return _conv(rng, "Conv2D", [2, 3, 3, 6], [1, 1, 6, 4], [1, 1, 1, 1], "SAME", bias=True)


@_case("bias_add", "BiasAdd on NHWC")
def _(rng):
    inp = Inputs()
    x = inp.feed("x", _normal(rng, [2, 3, 4, 5]))
    return Built(inp.items, [tf.nn.bias_add(x, weight("biases", _normal(rng, [5])),
                                            name="BiasAdd")])


# ---- DepthwiseConv2dNative ---------------------------------------------------------------

def _depthwise(rng, x_shape, w_shape, strides, padding):
    inp = Inputs()
    x = inp.feed("x", _normal(rng, x_shape))
    w = weight("depthwise_weights", _normal(rng, w_shape, 0.5))
    y = tf.nn.depthwise_conv2d(x, w, strides=list(strides), padding=padding, name="depthwise")
    return Built(inp.items, [y])


@_case("depthwise_same_s1_m2", "DepthwiseConv2dNative 3x3, SAME, stride 1, channel multiplier 2")
def _(rng):
    return _depthwise(rng, [1, 6, 7, 3], [3, 3, 3, 2], [1, 1, 1, 1], "SAME")


@_case("depthwise_valid_s2", "DepthwiseConv2dNative 3x3, VALID, stride 2, multiplier 1")
def _(rng):
    return _depthwise(rng, [2, 7, 7, 4], [3, 3, 4, 1], [1, 2, 2, 1], "VALID")


# ---- Conv2DBackpropInput (conv2d_transpose) ----------------------------------------------

def _deconv(rng, x_shape, w_shape, out_shape, stride, padding):
    inp = Inputs()
    x = inp.feed("x", _normal(rng, x_shape))
    w = weight("weights", _normal(rng, w_shape, 0.5))  # [kh, kw, out_channels, in_channels]
    y = tf.compat.v1.nn.conv2d_transpose(x, w, output_shape=out_shape,
                                         strides=[1, stride, stride, 1], padding=padding,
                                         name="conv2d_transpose")
    return Built(inp.items, [y])


@_case("conv2d_transpose_same_s2", "conv2d_transpose 3x3, SAME, stride 2 (4x5 -> 8x10)")
def _(rng):
    return _deconv(rng, [1, 4, 5, 3], [3, 3, 2, 3], [1, 8, 10, 2], 2, "SAME")


@_case("conv2d_transpose_valid_s2", "conv2d_transpose 3x3, VALID, stride 2 (4x5 -> 9x11)")
def _(rng):
    return _deconv(rng, [1, 4, 5, 3], [3, 3, 2, 3], [1, 9, 11, 2], 2, "VALID")


@_case("conv2d_transpose_same_s2_k4", "conv2d_transpose 4x4, SAME, stride 2, batch 2 "
       "(the usual U-Net upsampler)")
def _(rng):
    return _deconv(rng, [2, 3, 4, 4], [4, 4, 3, 4], [2, 6, 8, 3], 2, "SAME")


# ---- FusedBatchNorm, V2, V3 (inference) --------------------------------------------------

def _fused_bn(rng, op):
    inp = Inputs()
    c = 6
    x = inp.feed("x", _normal(rng, [2, 4, 5, c], 2.0) + 1.0)
    args = dict(x=x,
                scale=weight("gamma", rng.uniform(0.5, 1.5, [c])),
                offset=weight("beta", _normal(rng, [c], 0.3)),
                mean=weight("moving_mean", _normal(rng, [c], 0.5)),
                variance=weight("moving_variance", rng.uniform(0.5, 2.0, [c])),
                epsilon=1e-3, is_training=False, name=op)
    return Built(inp.items, [getattr(tf.raw_ops, op)(**args)[0]])


@_case("fused_batch_norm_v1", "FusedBatchNorm, is_training=False, epsilon 1e-3 (TF 1.12's op)")
def _(rng):
    return _fused_bn(rng, "FusedBatchNorm")


@_case("fused_batch_norm_v2", "FusedBatchNormV2, is_training=False, epsilon 1e-3")
def _(rng):
    return _fused_bn(rng, "FusedBatchNormV2")


@_case("fused_batch_norm_v3", "FusedBatchNormV3, is_training=False, epsilon 1e-3 (TF 2's op)")
def _(rng):
    return _fused_bn(rng, "FusedBatchNormV3")


# ---- activations -------------------------------------------------------------------------

def _unary(rng, fn, x):
    inp = Inputs()
    return Built(inp.items, [fn(inp.feed("x", x))])


_ACT_INPUT = [2, 3, 4, 5]

for _name, _fn, _desc in [
        ("relu", lambda x: tf.nn.relu(x, name="Relu"), "Relu"),
        ("relu6", lambda x: tf.nn.relu6(x, name="Relu6"), "Relu6 (inputs reach both clamps)"),
        ("leaky_relu", lambda x: tf.nn.leaky_relu(x, alpha=0.2, name="LeakyRelu"),
         "LeakyRelu alpha 0.2"),
        ("elu", lambda x: tf.nn.elu(x, name="Elu"), "Elu"),
        ("sigmoid", lambda x: tf.sigmoid(x, name="Sigmoid"), "Sigmoid"),
        ("tanh", lambda x: tf.tanh(x, name="Tanh"), "Tanh")]:
    CASES.append(Case(
        name=_name, description=_desc,
        build=(lambda fn: lambda rng: _unary(rng, fn, _normal(rng, _ACT_INPUT, 4.0)))(_fn)))


# ---- pooling -----------------------------------------------------------------------------

def _pool(rng, fn, ksize, stride, padding):
    inp = Inputs()
    x = inp.feed("x", _normal(rng, [1, 7, 8, 3]))
    return Built(inp.items, [fn(x, ksize=ksize, strides=stride, padding=padding)])


@_case("max_pool_same_3x3_s2", "MaxPool 3x3 stride 2 SAME on 7x8")
def _(rng):
    return _pool(rng, tf.nn.max_pool2d, 3, 2, "SAME")


@_case("max_pool_valid_2x2_s2", "MaxPool 2x2 stride 2 VALID on 7x8 (last row dropped)")
def _(rng):
    return _pool(rng, tf.nn.max_pool2d, 2, 2, "VALID")


@_case("avg_pool_same_3x3_s2", "AvgPool 3x3 stride 2 SAME on 7x8 (edge windows average only "
       "the real elements)")
def _(rng):
    return _pool(rng, tf.nn.avg_pool2d, 3, 2, "SAME")


@_case("avg_pool_valid_2x3_s1x2", "AvgPool 2x3 strides (1,2) VALID")
def _(rng):
    return _pool(rng, tf.nn.avg_pool2d, [2, 3], [1, 2], "VALID")


# ---- padding -----------------------------------------------------------------------------

def _pad(rng, paddings, mode="CONSTANT", value=0.0):
    inp = Inputs()
    x = inp.feed("x", _normal(rng, [1, 3, 4, 2]))
    return Built(inp.items, [tf.pad(x, paddings, mode=mode, constant_values=value)])


@_case("pad", "Pad (zeros), uneven paddings on H and W")
def _(rng):
    return _pad(rng, [[0, 0], [1, 2], [0, 3], [0, 0]])


@_case("pad_v2", "PadV2 with constant value 1.5")
def _(rng):
    return _pad(rng, [[0, 0], [2, 0], [1, 1], [0, 1]], value=1.5)


@_case("mirror_pad_reflect", "MirrorPad REFLECT (edge not repeated)")
def _(rng):
    return _pad(rng, [[0, 0], [2, 1], [1, 3], [0, 0]], mode="REFLECT")


@_case("mirror_pad_symmetric", "MirrorPad SYMMETRIC (edge repeated)")
def _(rng):
    return _pad(rng, [[0, 0], [3, 2], [4, 1], [0, 0]], mode="SYMMETRIC")
