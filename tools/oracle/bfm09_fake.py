#!/usr/bin/env python3
"""Writes a tiny fake raw Basel Face Model 2009 release and the face model the original's
transferBFM09 (Deep3dPortrait utils/loader.py) would build from it, as the fixture for
tests/face_model_test.cpp (convert_bfm09). The real 01_MorphableModel.mat and Exp_Pca.bin
cannot be shipped, so the fake has their variable names, classes and layouts at toy sizes:
14 BFM vertices, 11 expression-model vertices, 7 output vertices.

The expectation is computed with numpy the way transferBFM09 does (float32 PCA times
float32 eigenvalues, divided by 1e5 in float32; the expression basis in float64 because
std_exp.txt is parsed as float64; nested vertex selection idx -> trimIndex), written here
independently of our C++ code. Run: .venv-oracle/bin/python tools/oracle/bfm09_fake.py
"""
import os
import sys

import numpy as np
from scipy.io import savemat

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'fixtures',
                   'bfm09_fake')
M, N_EXP, N = 14, 11, 7          # BFM09, expression-model and output vertex counts
N_SHAPE, N_EXP_BASES = 199, 79   # BFM09 and expression PCA sizes (the original hardcodes them)


def main():
    rng = np.random.default_rng(20240611)
    raw = os.path.join(OUT, 'raw')
    index = os.path.join(OUT, 'index')
    os.makedirs(raw, exist_ok=True)
    os.makedirs(index, exist_ok=True)

    # 01_MorphableModel.mat: single-precision columns as in the BFM09 release; values with
    # fractional parts in the real magnitudes (micrometres, unit-norm PCs).
    shape_mu = (rng.normal(size=(3 * M, 1)) * 6e4).astype(np.float32)
    shape_pc = (rng.normal(size=(3 * M, N_SHAPE)) * 2e-3).astype(np.float32)
    shape_ev = (9e5 / (1 + np.arange(N_SHAPE)) * (1 + 0.1 * rng.random(N_SHAPE))).astype(np.float32)
    tex_mu = (rng.random(size=(3 * M, 1)) * 255).astype(np.float32)
    tex_pc = (rng.normal(size=(3 * M, N_SHAPE)) * 2e-3).astype(np.float32)
    tex_ev = (4e3 / (1 + np.arange(N_SHAPE)) * (1 + 0.1 * rng.random(N_SHAPE))).astype(np.float32)
    savemat(os.path.join(raw, '01_MorphableModel.mat'), {
        'shapeMU': shape_mu, 'shapePC': shape_pc, 'shapeEV': shape_ev.reshape(-1, 1),
        'texMU': tex_mu, 'texPC': tex_pc, 'texEV': tex_ev.reshape(-1, 1)})

    # Exp_Pca.bin: int32 count, float32 mean[3 n], float32 pc[count][3 n] (native order).
    exp_mu = rng.normal(size=3 * N_EXP).astype(np.float32)
    exp_pc = (rng.normal(size=(N_EXP_BASES, 3 * N_EXP)) * 2e-3).astype(np.float32)
    with open(os.path.join(raw, 'Exp_Pca.bin'), 'wb') as f:
        np.array([N_EXP_BASES], dtype=np.int32).tofile(f)
        exp_mu.tofile(f)
        exp_pc.tofile(f)
    exp_std = 4.5e5 / (1 + np.arange(N_EXP_BASES)) ** 1.5 * (1 + 0.1 * rng.random(N_EXP_BASES))
    np.savetxt(os.path.join(index, 'std_exp.txt'), exp_std.reshape(1, -1), fmt='%.17g')

    # Index files with the real files' names, classes and shapes; shuffled, so the nested
    # selection matters.
    trim_index = (rng.permutation(M)[:N_EXP] + 1).astype(np.float64).reshape(-1, 1)
    front_idx = (rng.permutation(N_EXP)[:N] + 1).astype(np.float32).reshape(-1, 1)
    savemat(os.path.join(index, 'BFM_exp_idx.mat'), {'trimIndex': trim_index})
    savemat(os.path.join(index, 'BFM_front_idx.mat'), {'idx': front_idx})

    # facemodel_info.mat: a small fan of triangles, its point_buf (padded with F + 1),
    # keypoints and the training extras, all single and 1-based like the real file.
    tri = np.array([[1, 2, 3], [1, 3, 4], [1, 4, 5], [1, 5, 6], [1, 6, 7], [1, 7, 2]])
    f = tri.shape[0]
    point_buf = np.full((N, 8), f + 1)
    for v in range(N):
        faces = [k + 1 for k in range(f) if v + 1 in tri[k]]
        point_buf[v, :len(faces)] = faces
    keypoints = rng.integers(1, N + 1, size=(1, 68))
    frontmask2_idx = np.array([[1], [2], [3], [4], [5]])
    tri_mask2 = np.array([[1, 2, 3], [1, 3, 4], [1, 4, 5]])
    skinmask = np.array([[0, 1, 1, 0, 1, 1, 0]])
    frontmask2 = np.array([[1, 1, 1, 1, 1, 0, 0]])
    info = {'tri': tri, 'keypoints': keypoints, 'point_buf': point_buf, 'frontmask2': frontmask2,
            'tri_mask2': tri_mask2, 'frontmask2_idx': frontmask2_idx, 'skinmask': skinmask}
    savemat(os.path.join(index, 'facemodel_info.mat'),
            {k: v.astype(np.float32) for k, v in info.items()})

    # --- the expected model, following transferBFM09's arithmetic ---
    id_base = (shape_pc * shape_ev.reshape(1, -1)) / 1e5      # float32 throughout
    id_base = id_base[:, :80]
    ex_base = (exp_pc.T * exp_std.reshape(1, -1)) / 1e5       # float64 (std is float64)
    ex_base = ex_base[:, :64]
    tex_base = (tex_pc * tex_ev.reshape(1, -1))[:, :80]        # float32
    index_exp = front_idx.astype(np.int32).ravel() - 1
    index_shape = trim_index.astype(np.int32).ravel()[index_exp] - 1

    def rows(basis, vertices):
        return basis.reshape(-1, 3, basis.shape[1])[vertices].reshape(-1, basis.shape[1])

    expected = {
        'meanshape': (shape_mu.reshape(-1, 3) / 1e5)[index_shape].reshape(1, -1),
        'meantex': tex_mu.reshape(-1, 3)[index_shape].reshape(1, -1),
        'idBase': rows(id_base, index_shape),
        'exBase': rows(ex_base, index_exp),
        'texBase': rows(tex_base, index_shape),
    }
    for k in ('tri', 'point_buf', 'tri_mask2', 'keypoints', 'frontmask2_idx', 'skinmask'):
        expected[k] = info[k].astype(np.float32)
    assert expected['idBase'].dtype == np.float32 and expected['exBase'].dtype == np.float64
    assert expected['meanshape'].dtype == np.float32 and expected['texBase'].dtype == np.float32
    savemat(os.path.join(OUT, 'expected_BFM_model_front.mat'), expected)
    print('wrote', os.path.normpath(OUT))
    return 0


if __name__ == '__main__':
    sys.exit(main())
