"""R-Net stand-in: the face-coefficient network of Deep3DFaceReconstruction / Deep3dPortrait.

Structure and node names follow the original's R_Net (networks.py there): tf-slim's
resnet_v1_50 (is_training=False, num_classes=None, global_pool=True, scope 'resnet_v1_50')
under the ResNet arg scope, then 1x1-conv heads with bias named fc-id (80), fc-ex (64),
fc-tex (80), fc-angles (3), fc-gamma (27), fc-XY (2), fc-Z (1), each squeezed as
'<head>/squeezed', concatenated on axis 1 and exposed as `coeff`. The released
model_mask3_white_light.pb outputs 258 channels: its author says the extra last one is a
focal-length prediction that the pipeline drops; we add it as a 1-channel head 'fc-f' (our
name: the real one is not documented).

The reduced variant runs slim's own resnet_v1 with the same four blocks and unit counts
(3, 4, 6, 3) but smaller bottleneck depths and a narrower root conv, so every node name and
op pattern (explicit Pad before strided convs, 1x1 MaxPool shortcuts, ...) is the real one.
"""

import contextlib

from tf_env import slim, tf
from tf_slim.nets import resnet_utils, resnet_v1

HEADS = [("fc-id", 80), ("fc-ex", 64), ("fc-tex", 80), ("fc-angles", 3), ("fc-gamma", 27),
         ("fc-XY", 2), ("fc-Z", 1)]
FOCAL_HEAD = ("fc-f", 1)

UNITS = (3, 4, 6, 3)
STRIDES = (2, 2, 2, 1)


def _resnet_arg_scope():
    """slim's resnet_arg_scope, except batch norm's updates_collections=None.

    With is_training=False both paths end in nn.fused_batch_norm on the same four variables
    under '<conv>/BatchNorm/' (we cannot run TF 1.12 to diff the graphs byte for byte), but
    the default (UPDATE_OPS) routes slim through a Keras layer whose module TF 2.21 no longer
    ships; None keeps slim on its own fused path.
    """
    bn = {"decay": 0.997, "epsilon": 1e-5, "scale": True, "updates_collections": None}
    return slim.arg_scope(
        [slim.conv2d], weights_regularizer=slim.l2_regularizer(1e-4),
        weights_initializer=slim.variance_scaling_initializer(), activation_fn=tf.nn.relu,
        normalizer_fn=slim.batch_norm, normalizer_params=bn)


@contextlib.contextmanager
def _root_conv_width(width):
    """Makes resnet_v1's hard-wired 64-channel root conv 'conv1' `width` wide."""
    original = resnet_utils.conv2d_same

    def patched(inputs, num_outputs, kernel_size, stride, rate=1, scope=None):
        if scope == "conv1":
            num_outputs = width
        return original(inputs, num_outputs, kernel_size, stride, rate=rate, scope=scope)

    resnet_utils.conv2d_same = patched
    try:
        yield
    finally:
        resnet_utils.conv2d_same = original


def _backbone(images, base_depths, root_width):
    blocks = [resnet_v1.resnet_v1_block("block%d" % (i + 1), base_depth=d, num_units=u,
                                        stride=s)
              for i, (d, u, s) in enumerate(zip(base_depths, UNITS, STRIDES))]
    with _resnet_arg_scope(), slim.arg_scope([slim.max_pool2d], padding="SAME"):
        with _root_conv_width(root_width):
            net, _ = resnet_v1.resnet_v1(
                images, blocks, num_classes=None, is_training=False, global_pool=True,
                include_root_block=True, reuse=tf.compat.v1.AUTO_REUSE, scope="resnet_v1_50")
    return net


def build_rnet(images, reduced, focal_head=True):
    """images: float32 [N,H,W,3] BGR 0-255 placeholder named input_imgs. Returns `coeff`."""
    if reduced:
        net = _backbone(images, base_depths=(2, 4, 8, 16), root_width=12)
    else:
        with _resnet_arg_scope(), slim.arg_scope([slim.max_pool2d], padding="SAME"):
            net, _ = resnet_v1.resnet_v1_50(images, num_classes=None, is_training=False,
                                            global_pool=True, reuse=tf.compat.v1.AUTO_REUSE,
                                            scope="resnet_v1_50")
    heads = HEADS + ([FOCAL_HEAD] if focal_head else [])
    squeezed = []
    for scope, channels in heads:
        h = slim.conv2d(net, channels, [1, 1], activation_fn=None, normalizer_fn=None,
                        scope=scope)
        squeezed.append(tf.squeeze(h, [1, 2], name=scope + "/squeezed"))
    concat = tf.concat(squeezed, axis=1)
    return tf.identity(concat, name="coeff")
