"""The two network stand-ins as fixtures: reduced (committed, for tests) and full size
(generated on demand with --full, for benchmarks).
"""

import numpy as np

from case import Built, Case, Inputs
from depth_net import build_depth_net
from rnet import build_rnet


def _bgr_images(rng, n, size):
    """Float BGR 0-255 images: a smooth gradient plus noise, like a photo more than noise."""
    yy, xx = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    base = np.stack([255 * xx, 255 * yy, 127.5 + 60 * np.sin(6 * xx + 3 * yy)], axis=-1)
    return np.clip(base[None] + rng.normal(0, 25, [n, size, size, 3]), 0, 255)


def _depth_inputs(rng, n, size):
    """[image/255 (BGR), (10 - face depth) * face mask, hair/ear mask] as the original feeds."""
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1) - 0.5
    out = np.empty([n, size, size, 5])
    for i in range(n):
        cy, cx = rng.normal(0, 0.03, 2)
        r2 = ((yy - cy) / 0.36) ** 2 + ((xx - cx) / 0.28) ** 2
        face = (r2 < 1).astype(np.float64)
        out[i, ..., 0:3] = rng.uniform(0, 1, [size, size, 3])
        out[i, ..., 3] = (0.9 - 0.6 * r2) * face
        out[i, ..., 4] = ((r2 >= 1) & (r2 < 1.8)).astype(np.float64)
    return out


def _rnet(n, size, reduced):
    def build(rng):
        inp = Inputs()
        images = inp.feed("input_imgs", _bgr_images(rng, n, size), shape=[None, size, size, 3])
        return Built(inp.items, [build_rnet(images, reduced=reduced)], notes=(
            "Heads fc-id..fc-Z as in Deep3DFaceReconstruction's R_Net; fc-f (1 channel, the "
            "258th output of model_mask3_white_light.pb, focal length) is our name. Batch "
            "norm is FusedBatchNormV3 and residual adds AddV2 (TF 1.12: FusedBatchNorm, Add)."))
    return build


def _depth(n, size, width, placeholder_hw):
    def build(rng):
        inp = Inputs()
        x = inp.feed("inputs", _depth_inputs(rng, n, size),
                     shape=[None, placeholder_hw, placeholder_hw, 5])
        return Built(inp.items, [build_depth_net(x, width)], notes=(
            "Unfused batch norm (batchnorm/Rsqrt, mul, mul_1, mul_2, sub, add_1) in "
            "enc3/conv1 and up2/fuse; the others are FusedBatchNormV3. Resize sizes and "
            "the conv2d_transpose output shape are computed from Shape at run time."))
    return build


REDUCED = [
    Case(name="rnet_reduced", network=True, build=_rnet(2, 48, reduced=True),
         description="R-Net stand-in, reduced width (root conv 12, bottleneck depths "
                     "2/4/8/16, same blocks 3/4/6/3 and node names as slim resnet_v1_50), "
                     "258-channel coeff, input [2,48,48,3] BGR 0-255 (feature maps "
                     "24/12/6/3/2/2: odd sizes through the strided units)"),
    Case(name="depth_net_reduced", network=True, build=_depth(1, 48, 4, None),
         description="Depth U-Net stand-in, width 4, input [1,48,48,5]; placeholder "
                     "[?,?,?,5] so the same graph also runs on 256x256"),
]

FULL = [
    Case(name="rnet_full", network=True, build=_rnet(1, 224, reduced=False),
         description="R-Net stand-in at full size: slim resnet_v1_50 + heads, 258-channel "
                     "coeff, placeholder [?,224,224,3], input [1,224,224,3]"),
    Case(name="depth_net_full", network=True, build=_depth(1, 256, 32, 256),
         description="Depth U-Net stand-in, width 32, placeholder [?,256,256,5], "
                     "input [1,256,256,5]"),
]
