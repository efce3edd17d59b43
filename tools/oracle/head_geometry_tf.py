"""Oracle for stage 3's per-vertex geometry: the original's utils/recon_depth.py formulas
(get_pixel_value, bilinear_sampler, uvd2xyz) and step3_get_head_geometry.py's shape graph,
transcribed here in TensorFlow ops and run by TensorFlow itself on a small random case.

Run with the TensorFlow fixture venv (tools/make_tf_fixtures.sh creates .venv-tf):
    .venv-tf/bin/python tools/oracle/head_geometry_tf.py tests/fixtures/head_geometry
Writes crop.npy (uint8 [H,W,3]), depth.npy (float32 [H,W]), points.npy (int32 [K,2] row, col),
projection.npy (float32 [V,2] x, y up), camera.npy (float32 [3] focal, cx, cy) and what
TensorFlow computed: hair_xyz.npy, hair_bgr.npy, face_bgr.npy (float32).
"""
import os
import sys

import numpy as np
import tensorflow as tf

H = W = 64


def gather(img, x, y):
    # gather_pixel_value: img [1, H, W, C], x = col, y = row, [1, K] int32
    b = tf.zeros_like(x)
    return tf.gather_nd(img, tf.stack([b, y, x], 2))


def get_pixel_value(img, xy):
    x = tf.clip_by_value(tf.cast(tf.floor(xy[:, :, 0]), tf.int32), 0, W - 1)
    y = tf.clip_by_value(tf.cast(tf.floor(xy[:, :, 1]), tf.int32), 0, H - 1)
    return gather(img, x, y)


def bilinear(img, x, y):
    x0 = tf.cast(tf.floor(x), tf.int32)
    y0 = tf.cast(tf.floor(y), tf.int32)
    x1, y1 = x0 + 1, y0 + 1
    x0 = tf.clip_by_value(x0, 0, W - 1)
    x1 = tf.clip_by_value(x1, 0, W - 1)
    y0 = tf.clip_by_value(y0, 0, H - 1)
    y1 = tf.clip_by_value(y1, 0, H - 1)
    ia, ib = gather(img, x0, y0), gather(img, x0, y1)
    ic, id_ = gather(img, x1, y0), gather(img, x1, y1)
    x0f, x1f = tf.cast(x0, tf.float32), tf.cast(x1, tf.float32)
    y0f, y1f = tf.cast(y0, tf.float32), tf.cast(y1, tf.float32)
    wa = tf.expand_dims((x1f - x) * (y1f - y), 2)
    wb = tf.expand_dims((x1f - x) * (y - y0f), 2)
    wc = tf.expand_dims((x - x0f) * (y1f - y), 2)
    wd = tf.expand_dims((x - x0f) * (y - y0f), 2)
    return tf.add_n([wa * ia, wb * ib, wc * ic, wd * id_])


def main(out_dir):
    rng = np.random.default_rng(7)
    crop = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
    depth = (9.0 + rng.random((H, W))).astype(np.float32)
    mask = rng.random((H, W)) < 0.3
    rows, cols = np.where(mask)
    points = np.stack([rows, cols], 1).astype(np.int32)
    # Face projections inside, on the border and outside the crop (clipping paths).
    proj = rng.uniform(-3.0, W + 3.0, size=(500, 2)).astype(np.float32)
    proj[:4] = np.array([[0.5, 0.5], [W - 0.5, H - 0.5], [0.0, 0.0], [W, H]], np.float32)
    camera = np.array([1015.0 * 256 / 224 / 2.3, 31.7, 33.2], np.float32)

    imgs = tf.constant(crop.astype(np.float32)[None])
    dmap = tf.constant(depth[None, :, :, None])
    uv = tf.constant(np.concatenate([points[:, 1:], points[:, :1]], 1).astype(np.float32)[None])
    focal = tf.constant(camera[None, 0:1])
    center = tf.constant(camera[None, 1:3])
    # step3's shape graph
    d = get_pixel_value(dmap, uv)
    uvt = uv + 0.5
    uvt = tf.concat([uvt[:, :, 0:1], H - uvt[:, :, 1:]], axis=-1)
    uvd = tf.concat([uvt, d], axis=-1)
    dd = uvd[:, :, 2]
    x = tf.expand_dims(dd * (uvd[:, :, 0] - center[:, 0:1]) / focal, 2)
    y = tf.expand_dims(dd * (uvd[:, :, 1] - center[:, 1:]) / focal, 2)
    z = tf.expand_dims(10 - dd, 2)
    hair_xyz = tf.concat([x, y, z], 2)
    hair_bgr = get_pixel_value(imgs, uv)
    fv = tf.constant(proj[None])
    face_bgr = bilinear(imgs, fv[:, :, 0] - 0.5, tf.cast(H, tf.float32) - 0.5 - fv[:, :, 1])

    os.makedirs(out_dir, exist_ok=True)
    for name, arr in [("crop", crop), ("depth", depth), ("points", points), ("projection", proj),
                      ("camera", camera), ("hair_xyz", hair_xyz.numpy()[0]),
                      ("hair_bgr", hair_bgr.numpy()[0]), ("face_bgr", face_bgr.numpy()[0])]:
        np.save(os.path.join(out_dir, name + ".npy"), np.ascontiguousarray(arr))
    print(f"head geometry oracle: {len(points)} hair points, {len(proj)} face vertices, TF {tf.__version__}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/head_geometry")
