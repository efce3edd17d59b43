#!/usr/bin/env python3
"""Oracle for the face/hair stitch (step 4: step4_save_obj.py with utils/construct_triangles.py
find_boundary_ind and construct_triangle), with numpy and scipy.

The original's two sklearn kd-trees are replaced by brute-force argmins with a fixed tie rule
(smallest squared distance, then smallest index: np.argmin's first minimum), the rule
pipeline/stitching.h defines; its cv2.dilate and skimage small-object removal by scipy.ndimage
equivalents (3x3 dilation with zero border; 4-connected components under 200 pixels removed).
Distances are float64 from the float32 coordinates, (dx*dx + dy*dy) + dz*dz. The Delaunay
triangulation is scipy's (Qhull), as in the original; filter_tri keeps a triangle when its
longest 3D edge is <= 0.05.

The scene is synthetic but portrait-sized and built from integer formulas mirrored in
tests/stitching_test.cpp (every coordinate is a dyadic rational computed exactly in float64 and
rounded once to float32, so both sides hold the same float32 inputs):
  * a 256x256 label image: a face ellipse below a curved hairline (facemask_withouthair), a
    head-shaped hair region around it, two ears, a small hair lock inside the face and a
    small face island in the hair (their rings are under 200 pixels: removed);
  * hair/ear vertices one per hair/ear pixel at x = (col - 128)·3/256, y = (128 - row)·3/256,
    z = 0.28 - (x² + y²)/4;
  * a face-like cloud of ~35k vertices: a jittered lattice (step 15/2048) inside an ellipse,
    z = 0.3 - (x² + y²)/4, its outline (4-neighbour boundary of the lattice region, ordered
    by angle) as border_index.

Writes tests/fixtures/stitch/: labels.png (bit 0 facemask_withouthair, bit 1 hair/ear, bit 2
ring), border_index.npy, hair_boundary_ind.npy, face_boundary_ind.npy, stitch_xyz.npy,
triangles.npy (float32 holding integers), meta.json.

Usage: .venv-oracle/bin/python tools/oracle/stitch.py [OUT_DIR]
"""
import json
import os
import sys

import numpy as np
import scipy
from PIL import Image
from scipy import ndimage
from scipy.spatial import Delaunay

H = W = 256
PIXEL = 3.0 / 256.0            # hair vertex spacing in x, y
FACE_STEP = 15.0 / 2048.0      # face lattice spacing
FACE_NI, FACE_NJ = 193, 235    # lattice columns (i) and rows (j)
FACE_CI, FACE_CJ = 96, 117     # lattice centre, also the ellipse semi-axes in steps
FACE_Y0 = -3.0 / 64.0          # lattice centre y
MAX_EDGE = 0.05
MIN_RING_COMPONENT = 200


# ---- the scene (mirrored in tests/stitching_test.cpp) -----------------------------------
def labels():
    """Returns (facemask_withouthair, hair_or_ear) as bool [H, W] from integer tests."""
    r, c = np.mgrid[0:H, 0:W].astype(np.int64)
    face = ((r - 132) * 58) ** 2 + ((c - 128) * 72) ** 2 <= (72 * 58) ** 2
    below_hairline = r >= 86 + (c - 128) ** 2 // 120
    head = ((r - 120) * 82) ** 2 + ((c - 128) * 100) ** 2 <= (100 * 82) ** 2
    facemask = face & below_hairline
    hair = head & ~facemask & (r < 170)
    for ec in (128 - 62, 128 + 62):
        ear = ((r - 135) * 9) ** 2 + ((c - ec) * 16) ** 2 <= (16 * 9) ** 2
        hair |= ear
        facemask &= ~ear
    lock = (r >= 150) & (r <= 155) & (c >= 100) & (c <= 104)
    hair |= lock
    facemask &= ~lock
    island = (r >= 50) & (r <= 53) & (c >= 120) & (c <= 123)
    facemask |= island
    hair &= ~island
    return facemask, hair


def hair_vertices(points_index):
    r = points_index[:, 0].astype(np.float64)
    c = points_index[:, 1].astype(np.float64)
    x = (c - 128) * PIXEL
    y = (128 - r) * PIXEL
    z = 0.28 - (x * x + y * y) / 4
    xyz = np.stack([x, y, z], axis=1).astype(np.float32)
    ri, ci = points_index[:, 0], points_index[:, 1]
    colors = np.stack([(ri * 7 + ci * 3) % 64 + 20, (ri * 5 + ci) % 48 + 10,
                       (ri + ci * 11) % 32 + 5], axis=1).astype(np.float32)
    return xyz, colors


def face_vertices():
    """Face lattice vertices (row-major over j, i) inside the ellipse; xyz, colours, ij."""
    j, i = np.mgrid[0:FACE_NJ, 0:FACE_NI].astype(np.int64)
    u, w = i - FACE_CI, j - FACE_CJ
    inside = (u * FACE_CJ) ** 2 + (w * FACE_CI) ** 2 <= (FACE_CI * FACE_CJ) ** 2
    i, j, u, w = i[inside], j[inside], u[inside], w[inside]
    jx = ((i * 7 + j * 13) % 17 - 8) / 8192.0
    jy = ((i * 11 + j * 5) % 19 - 9) / 8192.0
    x = u * FACE_STEP + jx
    y = w * FACE_STEP + FACE_Y0 + jy
    z = 0.3 - (x * x + y * y) / 4
    xyz = np.stack([x, y, z], axis=1).astype(np.float32)
    colors = np.stack([(i * 5 + j * 3) % 200 + 30, (i * 3 + j * 7) % 150 + 50,
                       (i + j) % 100 + 80], axis=1).astype(np.float32)
    return xyz, colors, i, j


def border_index(i, j):
    """Lattice-region vertices with a 4-neighbour outside the region, ordered by angle."""
    present = set(zip(i.tolist(), j.tolist()))
    ids = [k for k, (a, b) in enumerate(zip(i.tolist(), j.tolist()))
           if any((a + da, b + db) not in present
                  for da, db in ((1, 0), (-1, 0), (0, 1), (0, -1)))]
    ids = np.array(ids, dtype=np.int64)
    angle = np.arctan2((j[ids] - FACE_CJ).astype(np.float64), (i[ids] - FACE_CI).astype(np.float64))
    return ids[np.lexsort((ids, angle))]


# ---- the original's steps -----------------------------------------------------------------
def ring_mask(facemask):
    dilated = ndimage.binary_dilation(facemask, structure=np.ones((3, 3), bool), border_value=0)
    boundary = dilated & ~facemask
    comp, n = ndimage.label(boundary)  # default structure: 4-connectivity
    sizes = np.bincount(comp.ravel(), minlength=n + 1)
    keep = sizes >= MIN_RING_COMPONENT
    keep[0] = False
    return keep[comp]


def unique_first(values):
    _, first = np.unique(values, return_index=True)
    return values[np.sort(first)]


def find_boundary_ind(hair_xyz, face_xyz, points_index, border, ring):
    boundary_ind = np.argwhere(ring)  # (row, col), row-major
    pts = points_index.astype(np.int64)
    idx = np.empty(len(boundary_ind), np.int64)
    dist = np.empty(len(boundary_ind), np.float64)
    for k, (r, c) in enumerate(boundary_ind):
        d2 = (pts[:, 0] - r) ** 2 + (pts[:, 1] - c) ** 2
        idx[k] = np.argmin(d2)  # first minimum: smallest index among equidistant
        dist[k] = np.sqrt(float(d2[idx[k]]))
    hair_boundary_ind = unique_first(idx[dist < 2])

    queries = hair_xyz[hair_boundary_ind].astype(np.float64)
    face = face_xyz.astype(np.float64)
    idx3d = np.empty(len(queries), np.int64)
    for k, q in enumerate(queries):
        dx, dy, dz = q[0] - face[:, 0], q[1] - face[:, 1], q[2] - face[:, 2]
        idx3d[k] = np.argmin((dx * dx + dy * dy) + dz * dz)
    face_boundary_ind = unique_first(np.concatenate([idx3d, border]))
    return hair_boundary_ind, face_boundary_ind


def filter_tri(tri, points, thres):
    keep = []
    for t in tri:
        a, b, c = points[t[0]], points[t[1]], points[t[2]]
        d = [np.sqrt(np.sum((a - b) ** 2)), np.sqrt(np.sum((b - c) ** 2)),
             np.sqrt(np.sum((a - c) ** 2))]
        if max(d) > thres:
            continue
        keep.append(t)
    return np.array(keep, dtype=np.int64).reshape(-1, 3)


def construct_triangle(hair_xyz, hair_colors, face_xyz, face_colors, hb, fb):
    xyz = np.concatenate([face_xyz[fb], hair_xyz[hb]], axis=0)
    colors = np.concatenate([face_colors[fb], hair_colors[hb]], axis=0)
    tri = Delaunay(xyz[:, :2].astype(np.float64)).simplices.copy()
    return xyz, colors, tri, filter_tri(tri, xyz.astype(np.float64), MAX_EDGE)  # 0-based


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), '..', '..', 'tests', 'fixtures', 'stitch')
    os.makedirs(out, exist_ok=True)
    facemask, hair = labels()
    ring = ring_mask(facemask)
    points_index = np.argwhere(hair)
    hair_xyz, hair_colors = hair_vertices(points_index)
    face_xyz, face_colors, fi, fj = face_vertices()
    border = border_index(fi, fj)
    hb, fb = find_boundary_ind(hair_xyz, face_xyz, points_index, border, ring)
    xyz, _, tri_all, tri = construct_triangle(hair_xyz, hair_colors, face_xyz, face_colors, hb, fb)

    flags = facemask.astype(np.uint8) | (hair.astype(np.uint8) << 1) | (ring.astype(np.uint8) << 2)
    Image.fromarray(flags).save(os.path.join(out, 'labels.png'), optimize=True)
    np.save(os.path.join(out, 'border_index.npy'), border.astype(np.float32))
    np.save(os.path.join(out, 'hair_boundary_ind.npy'), hb.astype(np.float32))
    np.save(os.path.join(out, 'face_boundary_ind.npy'), fb.astype(np.float32))
    np.save(os.path.join(out, 'stitch_xyz.npy'), xyz.astype(np.float32))
    np.save(os.path.join(out, 'triangles.npy'), tri.astype(np.float32))
    meta = {
        'generator': 'tools/oracle/stitch.py',
        'numpy': np.__version__, 'scipy': scipy.__version__,
        'hair_vertices': int(len(points_index)), 'face_vertices': int(len(face_xyz)),
        'border_vertices': int(len(border)), 'ring_pixels': int(ring.sum()),
        'hair_boundary': int(len(hb)), 'face_boundary': int(len(fb)),
        'stitch_vertices': int(len(xyz)), 'delaunay_triangles': int(len(tri_all)),
        'kept_triangles': int(len(tri)),
    }
    with open(os.path.join(out, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta))


if __name__ == '__main__':
    main()
