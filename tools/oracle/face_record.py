#!/usr/bin/env python3
"""Oracle for the step-1 face record (docs/pipeline.md: stage 1, steps 3-4).

Re-implements, with numpy (and cv2 for the resizes, as the original does), the formulas of
Deep3dPortrait's step1_recon_3d_face.py, utils/recon_face.py and utils/preprocess.py, and of
Deep3DFaceReconstruction's face_decoder.py (lighting), then writes what they give for fixed
coefficients on a small closed-form face model into tests/fixtures/face_record/. The C++ test
tests/head_crop_test.cpp builds the same model from the same formulas (every value is a
dyadic rational, exact in float32 whatever the order of operations) and compares.

cv2.resize runs with IPP off (cv2.ipp.setUseIPP(False)): OpenCV's own resize algorithm, which
the 2020-era opencv-python builds the original ran with (<= 4.2 on x86) and non-x86 builds use.
IPP builds (x86 opencv-python >= 4.3) round about 3% of INTER_CUBIC values differently by one
level (opencv/opencv issue 22477); our crop implements the OpenCV algorithm.

Usage: .venv-oracle/bin/python tools/oracle/face_record.py [OUT_DIR]
       (default OUT_DIR: tests/fixtures/face_record; needs numpy, opencv-python-headless)
"""
import json
import os
import sys

import cv2
import numpy as np

from alignment_geometry import POS, img_padding

# ---- the closed-form model (mirrored in tests/head_crop_test.cpp) ------------------------
GRID_W, GRID_H = 13, 11          # vertices per row / column
V = GRID_W * GRID_H              # 143
PHOTO_W, PHOTO_H = 480, 560
FACES = 3


def model():
    i = np.arange(V) % GRID_W
    j = np.arange(V) // GRID_W
    x = (i - 6) / 8.0 + 1 / 16.0
    y = (j - 5) / 8.0 + 1 / 8.0
    z = 0.5 - (x * x + y * y) / 4.0
    meanshape = np.stack([x, y, z], axis=1).reshape([1, -1])          # 1 x 3V, vertex-major
    r = np.arange(3 * V)[:, None]
    k80 = np.arange(80)[None, :]
    k64 = np.arange(64)[None, :]
    id_base = ((r * 31 + k80 * 17) % 41 - 20) / 1024.0
    ex_base = ((r * 13 + k64 * 29) % 37 - 18) / 2048.0
    tex_base = ((r * 7 + k80 * 11) % 23 - 11) / 4.0
    meantex = (64 + (np.arange(3 * V) * 37) % 128).reshape([1, -1]).astype(np.float64)
    tris = []
    for jj in range(GRID_H - 1):
        for ii in range(GRID_W - 1):
            a = jj * GRID_W + ii
            b, c, d = a + 1, a + GRID_W, a + GRID_W + 1
            tris.append([a, b, c])
            tris.append([b, d, c])
    tri = np.array(tris, dtype=np.int64) + 1                          # 1-based like the file
    F = tri.shape[0]
    point_buf = np.full([V, 8], F + 1, dtype=np.int64)                 # 1-based, pad F + 1
    fill = np.zeros(V, dtype=np.int64)
    for f in range(F):
        for vid in tri[f] - 1:
            if fill[vid] < 8:
                point_buf[vid, fill[vid]] = f + 1
                fill[vid] += 1
    keypoints = (np.arange(68) * 37 + 11) % V                          # 0-based
    head_center = np.array([[1 / 256.0, 15 / 64.0, 9 / 64.0]])
    f32 = lambda a: a.astype(np.float32)
    return dict(meanshape=f32(meanshape), idBase=f32(id_base), exBase=f32(ex_base),
                texBase=f32(tex_base), meantex=f32(meantex), tri=tri, point_buf=point_buf,
                keypoints=keypoints, head_center=head_center)


def photo():
    yy, xx = np.mgrid[0:PHOTO_H, 0:PHOTO_W]
    b = (xx * 2 + yy) % 256
    g = ((xx // 8 + yy // 8) % 2) * 200 + 20
    r = ((xx + 2 * yy) // 3) % 256
    img = np.stack([b, g, r], axis=2).astype(np.uint8)               # BGR like cv2.imread
    mask = ((xx // 20 + yy // 25) % 6).astype(np.int32)
    return img, mask


# ---- the original's formulas (recon_face.py / preprocess.py / face_decoder.py) -----------
def split_coeff(coeff):
    return (coeff[:, :80], coeff[:, 80:144], coeff[:, 144:224], coeff[:, 224:227],
            coeff[:, 227:254], coeff[:, 254:])


def compute_rotation_matrix(angles):
    ax, ay, az = angles[:, 0][0], angles[:, 1][0], angles[:, 2][0]
    rx = np.array([1.0, 0, 0, 0, np.cos(ax), -np.sin(ax), 0, np.sin(ax), np.cos(ax)]).reshape([1, 3, 3])
    ry = np.array([np.cos(ay), 0, np.sin(ay), 0, 1, 0, -np.sin(ay), 0, np.cos(ay)]).reshape([1, 3, 3])
    rz = np.array([np.cos(az), -np.sin(az), 0, np.sin(az), np.cos(az), 0, 0, 0, 1]).reshape([1, 3, 3])
    rot = np.matmul(np.matmul(rz, ry), rx)
    return np.transpose(rot, axes=[0, 2, 1])


def projection_layer(face_shape, focal=1015.0, penter=(112.0, 112.0)):
    camera_pos = np.reshape(np.array([0.0, 0.0, 10.0]), [1, 1, 3])
    reverse_z = np.reshape(np.array([1.0, 0, 0, 0, 1, 0, 0, 0, -1.0]), [1, 3, 3])
    p_matrix = np.concatenate([[focal], [0.0], [penter[0]], [0.0], [focal], [penter[1]],
                               [0.0], [0.0], [1.0]], axis=0).reshape([1, 3, 3])
    face_shape = np.matmul(face_shape, reverse_z) + camera_pos
    aug = np.matmul(face_shape, np.transpose(p_matrix, [0, 2, 1]))
    return aug[:, :, 0:2] / np.reshape(aug[:, :, 2], [1, np.shape(aug)[1], 1])


def shape_formation(id_coeff, ex_coeff, m):
    s = (np.einsum('ij,aj->ai', m['idBase'].astype(np.float64), id_coeff)
         + np.einsum('ij,aj->ai', m['exBase'].astype(np.float64), ex_coeff)
         + m['meanshape'].astype(np.float64))
    s = np.reshape(s, [1, -1, 3])
    return s - np.mean(np.reshape(m['meanshape'].astype(np.float64), [1, -1, 3]), axis=1, keepdims=True)


def compute_faceshape(coeff, m, inv_params):
    id_c, ex_c, _, angles, _, translation = split_coeff(coeff)
    canonical = shape_formation(id_c, ex_c, m)
    rotation = compute_rotation_matrix(angles)
    posed = np.einsum('aij,ajk->aik', canonical, rotation) + np.reshape(translation, [1, 1, 3])
    proj = projection_layer(posed)
    proj = proj.squeeze(0) * inv_params[0] + inv_params[1].reshape([1, 2])
    return canonical.squeeze(0), posed.squeeze(0), proj, proj[m['keypoints'], :]


def compute_center2d(center3d, coeff, m, focal, penter, displace_flag=True, apply_pose=True):
    center3d = center3d.copy()
    _, _, _, angles, _, translation = split_coeff(coeff)
    rotation = compute_rotation_matrix(angles)
    if displace_flag:
        displacement = np.einsum('ij,ajk->aik', np.mean(np.reshape(m['meanshape'].astype(np.float64), [-1, 3]),
                                                        axis=0, keepdims=True), rotation)
    else:
        displacement = 0
    translation = translation - displacement
    if apply_pose:
        center3d = np.einsum('aij,ajk->aik', center3d, rotation)
        center3d = center3d + np.reshape(translation, [np.shape(coeff)[0], 1, 3])
    return projection_layer(center3d, focal=focal, penter=penter), displacement


def align_img(img, lm, t, s, crp_w=256, crp_h=256, interpolation=cv2.INTER_CUBIC):
    imgw, imgh = img.shape[1], img.shape[0]
    w = np.round(imgw / s).astype(np.int32)
    h = np.round(imgh / s).astype(np.int32)
    t = np.round(t / s).astype(np.int32)
    img = cv2.resize(img.astype(np.uint8), (int(w), int(h)), interpolation=interpolation).astype(np.float32)
    left = t[0] - crp_w // 2
    up = (h - t[1]) - crp_h // 2
    bbox = [left, up, crp_w, crp_h]
    padded, pb = img_padding(img, bbox)
    cropped = padded[pb[1]:pb[1] + pb[3], pb[0]:pb[0] + pb[2]]
    assert cropped.shape[0] == crp_h and cropped.shape[1] == crp_w
    t1 = np.array([left, h - crp_h - up])
    inv = (s, s * t1)
    return cropped, inv, (lm - inv[1]) / inv[0], bbox


def illumination(tex_coeff, canonical, rotation, gamma, m):
    """Illumination_block with Compute_norm and Texture_formation_block (face_decoder.py)."""
    tex = (np.einsum('ij,aj->ai', m['texBase'].astype(np.float64), tex_coeff)
           + m['meantex'].astype(np.float64)).reshape([-1, 3])
    tri = m['tri'] - 1
    v1, v2, v3 = canonical[tri[:, 0]], canonical[tri[:, 1]], canonical[tri[:, 2]]
    fn = np.cross(v1 - v2, v2 - v3)
    fn = fn / np.sqrt(np.maximum(np.sum(fn * fn, axis=1, keepdims=True), 1e-12))
    fn = np.concatenate([fn, np.zeros([1, 3])], axis=0)
    vn = np.sum(fn[m['point_buf'] - 1], axis=1)
    vn = vn / np.sqrt(np.maximum(np.sum(vn * vn, axis=1, keepdims=True), 1e-12))
    n = vn @ rotation[0]
    g = gamma.reshape([3, 9]) + np.array([0.8, 0, 0, 0, 0, 0, 0, 0, 0])
    a0, a1, a2 = np.pi, 2 * np.pi / np.sqrt(3.0), 2 * np.pi / np.sqrt(8.0)
    c0, c1, c2 = 1 / np.sqrt(4 * np.pi), np.sqrt(3.0) / np.sqrt(4 * np.pi), 3 * np.sqrt(5.0) / np.sqrt(12 * np.pi)
    Y = np.stack([np.full(n.shape[0], a0 * c0), -a1 * c1 * n[:, 1], a1 * c1 * n[:, 2], -a1 * c1 * n[:, 0],
                  a2 * c2 * n[:, 0] * n[:, 1], -a2 * c2 * n[:, 1] * n[:, 2],
                  a2 * c2 * 0.5 / np.sqrt(3.0) * (3 * n[:, 2] ** 2 - 1), -a2 * c2 * n[:, 0] * n[:, 2],
                  a2 * c2 * 0.5 * (n[:, 0] ** 2 - n[:, 1] ** 2)], axis=1)
    return np.stack([(Y @ g[c]) * tex[:, c] for c in range(3)], axis=1)


def face_record(coeff, inv_params, m, img, mask, s_factor=1.5, focal=1015, center=112):
    """step1_recon_3d_face.py face_recon for one face, from the coefficients on."""
    f = focal * inv_params[0]
    p_center = inv_params[0] * center + inv_params[1]
    canonical, face_shape, face_projection, landmarks_2d = compute_faceshape(coeff, m, inv_params)
    center2d, displacement = compute_center2d(m['head_center'].reshape([1, 1, 3]), coeff, m, f, p_center)
    _, s = POS(face_projection.transpose(), m['meanshape'].astype(np.float64).reshape([-1, 3]).transpose())
    scale = s * s_factor / 100
    crop_img, inv_, crop_lm, bbox = align_img(img, landmarks_2d.copy(), center2d.reshape([2]), scale)
    crop_mask, _, _, _ = align_img(mask, landmarks_2d.copy(), center2d.reshape([2]), scale,
                                   interpolation=cv2.INTER_NEAREST)
    crop_param = np.zeros([5])
    crop_param[0] = scale
    crop_param[1:] = bbox
    data = np.zeros([3 + 257 + 136])
    data[0] = f / inv_[0]
    data[1:3] = (p_center - inv_[1].reshape([2])) / inv_[0]
    data[3:260] = coeff.reshape([257])
    data[257:260] = data[257:260] - displacement.reshape([3])
    data[260:] = crop_lm.reshape([136])
    proj_cropped, _ = compute_center2d(np.expand_dims(face_shape, 0), np.expand_dims(data[3:260], 0), m,
                                       data[0], data[1:3], displace_flag=False, apply_pose=False)
    _, _, tex_c, angles, gamma, _ = split_coeff(coeff)
    colors = illumination(tex_c, canonical, compute_rotation_matrix(angles), gamma, m)
    return dict(canonical=canonical, face_shape=face_shape, face_projection_photo=face_projection,
                landmarks=landmarks_2d, center2d=center2d.reshape([2]), displacement=displacement.reshape([3]),
                pos_s=np.array([s]).reshape([1]), crop_param=crop_param, face3d=data,
                face_projection=proj_cropped.squeeze(0), colors=colors,
                crop_img=crop_img.astype(np.uint8), crop_mask=crop_mask.astype(np.uint8))


def main():
    cv2.ipp.setUseIPP(False)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo, 'tests', 'fixtures', 'face_record')
    os.makedirs(out, exist_ok=True)
    m = model()
    img, mask = photo()
    rng = np.random.RandomState(20240607)
    coeffs = np.zeros([FACES, 257], dtype=np.float32)
    for b in range(FACES):
        c = np.concatenate([rng.randn(80) * 0.5, rng.randn(64) * 0.5, rng.randn(80) * 0.5,
                            rng.randn(3) * 0.15, rng.randn(27) * 0.1,
                            [rng.randn() * 0.1, rng.randn() * 0.1, rng.randn() * 0.3]])
        coeffs[b] = c.astype(np.float32)
    coeffs[2, 224:227] = 0  # one frontal face
    inv = np.array([[0.9, 140.0, 180.0], [1.2, 100.5, 150.25], [0.75, 160.0, 200.0]])
    np.save(os.path.join(out, 'coeffs.npy'), coeffs)
    np.save(os.path.join(out, 'inv_params.npy'), inv.astype(np.float64))
    stacked = {}
    for b in range(FACES):
        rec = face_record(coeffs[b:b + 1].astype(np.float64), (inv[b, 0], inv[b, 1:3]), m, img, mask)
        for k, v in rec.items():
            stacked.setdefault(k, []).append(v)
    for k, v in stacked.items():
        if k in ('crop_img', 'crop_mask'):
            # Lossless PNGs keep the fixture small; cv2.imwrite stores the BGR crop as an RGB
            # PNG (a reader gets the channels reversed), the label crop as 8-bit gray.
            for b, a in enumerate(v):
                cv2.imwrite(os.path.join(out, '%s_%d.png' % (k, b)), a)
        else:
            np.save(os.path.join(out, k + '.npy'), np.stack(v, axis=0).astype(np.float64))
    with open(os.path.join(out, 'meta.json'), 'w') as fh:
        json.dump({'generator': 'tools/oracle/face_record.py', 'faces': FACES, 'vertices': V,
                   'photo': [PHOTO_W, PHOTO_H], 'numpy': np.__version__, 'opencv': cv2.__version__, 'opencv_ipp': cv2.ipp.useIPP(),
                   'crop_params': stacked['crop_param'][0].tolist()}, fh, indent=1)
    print('wrote', out)


if __name__ == '__main__':
    main()
