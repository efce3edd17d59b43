"""Depth-net stand-in: a U-Net on [N,H,W,5] -> `depth_map` [N,H,W,1].

The real depth_net.pb's layers are only known from the file, so this net is built to contain
what TF1 U-Nets of that era put in a frozen graph, each at least once:
  - conv + fused batch norm + ReLU, and conv + UNFUSED batch norm (tf.nn.batch_normalization:
    Rsqrt/Mul/Sub/AddV2 on per-channel constants) + ReLU;
  - downsampling by MaxPool (2x2 VALID, 3x3 SAME) and by a stride-2 SAME conv;
  - upsampling by conv2d_transpose (Conv2DBackpropInput whose output size is computed from
    Shape at run time), by ResizeBilinear(align_corners=True) and by
    ResizeNearestNeighbor, both with sizes computed from Shape (Shape/StridedSlice/Mul);
  - skip connections by ConcatV2; a 3x3 conv with bias as the output layer.
Spatial dims are left unknown in the placeholder of the reduced variant, so the same graph
runs on the small committed input and on 256x256.
"""

from tf_env import tf, v1
from weights import UNFUSED_BN_COLLECTION


def _conv(x, cout, k, stride=1, bias=False):
    cin = x.shape[-1]
    w = v1.get_variable("weights", [k, k, cin, cout], initializer=v1.zeros_initializer())
    y = tf.nn.conv2d(x, w, strides=[1, stride, stride, 1], padding="SAME", name="Conv2D")
    if bias:
        b = v1.get_variable("biases", [cout], initializer=v1.zeros_initializer())
        y = tf.nn.bias_add(y, b, name="BiasAdd")
    return y


def _batch_norm(x, fused):
    c = x.shape[-1]
    with v1.variable_scope("BatchNorm"):
        gamma = v1.get_variable("gamma", [c], initializer=v1.ones_initializer())
        beta = v1.get_variable("beta", [c], initializer=v1.zeros_initializer())
        mean = v1.get_variable("moving_mean", [c], initializer=v1.zeros_initializer(),
                               trainable=False)
        var = v1.get_variable("moving_variance", [c], initializer=v1.ones_initializer(),
                              trainable=False)
        if fused:
            return v1.nn.fused_batch_norm(x, gamma, beta, mean, var, epsilon=1e-3,
                                          is_training=False)[0]
        v1.add_to_collection(UNFUSED_BN_COLLECTION, (x, mean, var))
        return tf.nn.batch_normalization(x, mean, var, beta, gamma, 1e-3)


def conv_bn_relu(x, cout, scope, k=3, stride=1, fused=True):
    with v1.variable_scope(scope):
        return tf.nn.relu(_batch_norm(_conv(x, cout, k, stride), fused), name="Relu")


def _double_size(x):
    """[2H, 2W] computed from x's run-time shape, as TF1 code usually wrote it."""
    return tf.shape(x)[1:3] * 2


def _deconv_bias_relu(x, cout, scope):
    with v1.variable_scope(scope):
        cin = x.shape[-1]
        w = v1.get_variable("weights", [4, 4, cout, cin], initializer=v1.zeros_initializer())
        b = v1.get_variable("biases", [cout], initializer=v1.zeros_initializer())
        dyn = tf.shape(x)
        out_shape = tf.stack([dyn[0], dyn[1] * 2, dyn[2] * 2, cout])
        y = v1.nn.conv2d_transpose(x, w, out_shape, strides=[1, 2, 2, 1], padding="SAME",
                                   name="conv2d_transpose")
        return tf.nn.relu(tf.nn.bias_add(y, b, name="BiasAdd"), name="Relu")


def build_depth_net(inputs, width):
    """inputs: float32 [N,H,W,5] placeholder named `inputs`, H and W divisible by 8."""
    w = width
    with v1.variable_scope("depth_net"):
        skip1 = conv_bn_relu(conv_bn_relu(inputs, w, "enc1/conv1"), w, "enc1/conv2")
        x = tf.nn.max_pool2d(skip1, 2, 2, "VALID", name="down1/MaxPool")

        skip2 = conv_bn_relu(conv_bn_relu(x, 2 * w, "enc2/conv1"), 2 * w, "enc2/conv2")
        x = conv_bn_relu(skip2, 2 * w, "down2", stride=2)

        x = conv_bn_relu(x, 4 * w, "enc3/conv1", fused=False)
        skip3 = conv_bn_relu(x, 4 * w, "enc3/conv2")
        x = tf.nn.max_pool2d(skip3, 3, 2, "SAME", name="down3/MaxPool")

        x = conv_bn_relu(x, 8 * w, "bottleneck/conv1")
        x = conv_bn_relu(x, 8 * w, "bottleneck/conv2")

        x = _deconv_bias_relu(x, 4 * w, "up3/deconv")
        x = tf.concat([x, skip3], axis=3, name="up3/concat")
        x = conv_bn_relu(x, 4 * w, "up3/fuse")

        x = v1.image.resize_bilinear(x, _double_size(x), align_corners=True,
                                     name="up2/ResizeBilinear")
        x = conv_bn_relu(x, 2 * w, "up2/conv")
        x = tf.concat([x, skip2], axis=-1, name="up2/concat")
        x = conv_bn_relu(x, 2 * w, "up2/fuse", fused=False)

        x = v1.image.resize_nearest_neighbor(x, _double_size(x), align_corners=False,
                                             name="up1/ResizeNearestNeighbor")
        x = conv_bn_relu(x, w, "up1/conv")
        x = tf.concat([x, skip1], axis=3, name="up1/concat")
        x = conv_bn_relu(x, w, "up1/fuse")

        with v1.variable_scope("head"):
            x = _conv(x, 1, 3, bias=True)
    return tf.identity(x, name="depth_map")
