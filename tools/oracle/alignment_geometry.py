"""The two pieces of Deep3dPortrait's alignment geometry that both oracles re-implement:
the POS fit of 3D landmarks to 2D ones and the zero padding a crop may reach into. The face
alignment (alignment.py) and the face record (face_record.py) import them from here so that
one formula serves both fixtures.
"""

import numpy as np


def POS(xp, x):
    """Least-squares scaled orthographic projection of the 3D points x (3 x n) onto the 2D
    points xp (2 x n): returns the translation t (2 x 1) and the scale s."""
    npts = xp.shape[1]
    A = np.zeros([2 * npts, 8])
    A[0:2 * npts - 1:2, 0:3] = x.transpose()
    A[0:2 * npts - 1:2, 3] = 1
    A[1:2 * npts:2, 4:7] = x.transpose()
    A[1:2 * npts:2, 7] = 1
    b = np.reshape(xp.transpose(), [2 * npts, 1])
    k, _, _, _ = np.linalg.lstsq(A, b, rcond=None)
    R1, R2 = k[0:3], k[4:7]
    s = (np.linalg.norm(R1) + np.linalg.norm(R2)) / 2
    return np.stack([k[3], k[7]], axis=0), s


def img_padding(img, box):
    """img in the middle of a zero image three times its size, and box [x, y, w, h] moved
    along with it, so that a crop box reaching outside the image reads zeros."""
    bbox = list(box)
    if len(img.shape) != 3:
        res = np.zeros([3 * img.shape[0], 3 * img.shape[1]])
    else:
        res = np.zeros([3 * img.shape[0], 3 * img.shape[1], 3])
    res[img.shape[0]:2 * img.shape[0], img.shape[1]:2 * img.shape[1]] = img
    bbox[0] += img.shape[1]
    bbox[1] += img.shape[0]
    assert bbox[0] >= 0 and bbox[1] >= 0
    return res, bbox
