"""TensorFlow in TF1 graph mode, imported once for every generator module.

The files users bring were written by TensorFlow 1.12 (graph mode, reference variables, slim).
We run a current TensorFlow 2.x from PyPI, so we switch off every 2.x behaviour
(`disable_v2_behavior`: eager off, reference variables, v1 control flow and shapes); frozen
graphs then look like TF1's: Const weights read through `<var>/read` Identity nodes.

tf_slim 1.1.0 (the last release) still refers to `tensorflow.python.framework.ops.Tensor`,
which TF 2.20+ moved to `tensorflow.python.framework.tensor`; we put the alias back before
importing it. Its Keras-based batch-norm path needs TF-Keras internals that moved as well, so
the R-Net builder steers slim to its own fused batch norm (see rnet.py).
"""

import os
import warnings

# Quiet TensorFlow's C++ start-up chatter (CUDA probing, oneDNN notices) before importing it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")
# slim's layers call Keras-1 style `layer.apply`, deprecated but exactly what TF1 ran.
warnings.filterwarnings("ignore", message=".*layer.apply.*is deprecated")
tf.compat.v1.disable_v2_behavior()

from tensorflow.python.framework import ops as _tf_ops  # noqa: E402
from tensorflow.python.framework import tensor as _tf_tensor  # noqa: E402

if not hasattr(_tf_ops, "Tensor"):
    _tf_ops.Tensor = _tf_tensor.Tensor

import tf_slim as slim  # noqa: E402

v1 = tf.compat.v1

__all__ = ["tf", "v1", "slim"]
